//! JSON ⇄ the SDK's `Document`, for the passkey calls whose WebAuthn
//! options and credentials Cognito takes and answers as documents.

use aws_smithy_types::{Document, Number};
use serde_json::{Map, Value};

pub fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            Number::Float(n.as_f64().unwrap_or_default())
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(map) => Document::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), to_document(value)))
                .collect(),
        ),
    }
}

pub fn to_json(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => Value::from(*f),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Document::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect::<Map<_, _>>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn webauthn_options_survive_the_round_trip() {
        let options = json!({
            "rp": {"id": "localhost", "name": "Secure App"},
            "user": {"id": "dXNlcg", "name": "ada@example.com", "displayName": "Ada"},
            "challenge": "c2VjcmV0",
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}],
            "timeout": 60000,
            "excludeCredentials": [],
            "authenticatorSelection": {"residentKey": "required", "requireResidentKey": true},
            "extensions": {"credProps": true, "ratio": 0.5},
            "hints": null,
        });
        let document = to_document(&options);
        assert!(matches!(&document, Document::Object(map) if map.len() == 9));
        assert_eq!(to_json(&document), options);
    }
}
