//! Tolerant parsing of trigger events into `aws_lambda_events` types.
//!
//! Cognito (and the emulators) send events whose `response` is empty or
//! partial, and a `groupConfiguration` that may be null or lack its arrays.
//! The response is output only, so it is replaced by the type's default
//! before parsing; the missing arrays are filled in as empty.

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// The event's `triggerSource`, checked against the ones this trigger handles.
pub fn trigger_source<'a>(event: &'a Value, handled: &[&str]) -> Result<&'a str> {
    let source = event
        .get("triggerSource")
        .ok_or_else(|| Error::MalformedEvent("missing triggerSource".into()))?
        .as_str()
        .ok_or_else(|| Error::MalformedEvent("triggerSource is not a string".into()))?;
    if handled.contains(&source) {
        Ok(source)
    } else {
        Err(Error::MalformedEvent(format!(
            "unsupported triggerSource {source:?}"
        )))
    }
}

/// Parses `event` as `E`, whose response type is `R`.
pub fn parse<E: DeserializeOwned, R: Serialize + Default>(mut event: Value) -> Result<E> {
    let object = event
        .as_object_mut()
        .ok_or_else(|| Error::MalformedEvent("event is not a JSON object".into()))?;
    let default_response = serde_json::to_value(R::default())
        .map_err(|e| Error::MalformedEvent(format!("response default: {e}")))?;
    object.insert("response".into(), default_response);
    if let Some(Value::Object(request)) = object.get_mut("request") {
        fill_group_configuration(request);
    }
    serde_json::from_value(event).map_err(|e| Error::MalformedEvent(e.to_string()))
}

fn fill_group_configuration(request: &mut Map<String, Value>) {
    if let Some(Value::Object(groups)) = request.get_mut("groupConfiguration") {
        for key in ["groupsToOverride", "iamRolesToOverride"] {
            if groups.get(key).is_none_or(Value::is_null) {
                groups.insert(key.into(), Value::Array(Vec::new()));
            }
        }
    }
}

/// The whole event back as JSON, for returning to Cognito.
pub fn to_json<E: Serialize>(event: &E) -> Result<Value> {
    serde_json::to_value(event).map_err(|e| Error::MalformedEvent(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::cognito::{
        CognitoEventUserPoolsPreTokenGenResponseV2, CognitoEventUserPoolsPreTokenGenV2,
    };
    use serde_json::json;

    fn v2_event(group_configuration: Value) -> Value {
        json!({
            "version": "2", "triggerSource": "TokenGeneration_Authentication",
            "region": "us-east-1", "userPoolId": "us-east-1_x", "userName": "u",
            "callerContext": {"awsSdkVersion": "x", "clientId": "c"},
            "request": {"userAttributes": {}, "groupConfiguration": group_configuration, "scopes": []},
            "response": {}
        })
    }

    #[test]
    fn tolerates_empty_response_and_partial_group_configuration() {
        for groups in [json!(null), json!({}), json!({"groupsToOverride": ["a"]})] {
            let parsed: CognitoEventUserPoolsPreTokenGenV2 =
                parse::<_, CognitoEventUserPoolsPreTokenGenResponseV2>(v2_event(groups.clone()))
                    .unwrap_or_else(|e| panic!("{groups}: {e}"));
            assert!(parsed.response.claims_and_scope_override_details.is_none());
        }
    }

    #[test]
    fn reports_what_is_wrong() {
        let err = parse::<
            CognitoEventUserPoolsPreTokenGenV2,
            CognitoEventUserPoolsPreTokenGenResponseV2,
        >(json!([1, 2]))
        .unwrap_err();
        assert!(err.to_string().contains("not a JSON object"));
        let mut event = v2_event(json!(null));
        event.as_object_mut().unwrap().remove("callerContext");
        let err = parse::<
            CognitoEventUserPoolsPreTokenGenV2,
            CognitoEventUserPoolsPreTokenGenResponseV2,
        >(event)
        .unwrap_err();
        assert!(err.to_string().contains("callerContext"), "{err}");
    }

    #[test]
    fn trigger_source_must_be_handled() {
        let event = json!({"triggerSource": "PreSignUp_SignUp"});
        assert_eq!(
            trigger_source(&event, &["PreSignUp_SignUp"]).unwrap(),
            "PreSignUp_SignUp"
        );
        assert!(trigger_source(&event, &["Other"]).is_err());
        assert!(trigger_source(&json!({}), &["Other"]).is_err());
        assert!(trigger_source(&json!({"triggerSource": 3}), &["Other"]).is_err());
    }
}
