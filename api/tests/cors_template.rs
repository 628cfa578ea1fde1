//! The deployed API answers CORS as the local one does: the template's
//! HttpApi `CorsConfiguration` states the policy of `api::http::layers::cors`,
//! and both take their origins from the one `AllowedOrigins` parameter.

const TEMPLATE: &str = include_str!("../../cloudformation/template.yaml");

/// The indented block under `key:` inside the resource `resource:`.
fn block<'a>(text: &'a str, resource: &str, key: &str) -> Vec<&'a str> {
    let start = text
        .find(&format!("\n  {resource}:\n"))
        .unwrap_or_else(|| panic!("no resource {resource}"));
    let lines = text[start + 1..].lines().skip(1);
    let resource_lines: Vec<&str> = lines
        .take_while(|line| line.is_empty() || line.starts_with("   "))
        .collect();
    let at = resource_lines
        .iter()
        .position(|line| line.trim() == format!("{key}:"))
        .unwrap_or_else(|| panic!("{resource} has no {key}"));
    let indent = resource_lines[at].len() - resource_lines[at].trim_start().len();
    resource_lines[at + 1..]
        .iter()
        .take_while(|line| line.len() - line.trim_start().len() > indent)
        .map(|line| line.trim())
        .collect()
}

fn value<'a>(lines: &[&'a str], key: &str) -> &'a str {
    lines
        .iter()
        .find_map(|line| line.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {lines:?}"))
}

fn list(text: &str) -> Vec<String> {
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|item| item.trim().to_owned())
        .collect()
}

#[test]
fn the_http_api_cors_configuration_is_the_routers_policy() {
    let cors = block(TEMPLATE, "HttpApi", "CorsConfiguration");
    assert_eq!(value(&cors, "AllowOrigins"), "!Ref AllowedOrigins");
    let methods: Vec<String> = api::http::layers::CORS_METHODS
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(list(value(&cors, "AllowMethods")), methods);
    let headers: Vec<String> = api::http::layers::CORS_HEADERS
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(list(value(&cors, "AllowHeaders")), headers);
    assert_eq!(
        value(&cors, "MaxAge"),
        api::http::layers::CORS_MAX_AGE.as_secs().to_string()
    );
    assert!(
        !cors.iter().any(|line| line.starts_with("AllowCredentials")),
        "bearer tokens need no credentialed CORS"
    );
}

#[test]
fn the_function_gets_the_same_origins() {
    let variables = block(TEMPLATE, "ApiFunction", "Variables");
    assert_eq!(
        value(&variables, "ALLOWED_ORIGINS"),
        r#"!Join [",", !Ref AllowedOrigins]"#
    );
}

#[test]
fn a_changed_policy_is_caught() {
    let broken = TEMPLATE.replace("MaxAge: 600", "MaxAge: 60");
    let cors = block(&broken, "HttpApi", "CorsConfiguration");
    assert_ne!(
        value(&cors, "MaxAge"),
        api::http::layers::CORS_MAX_AGE.as_secs().to_string()
    );
}

/// The web client's sources, where it builds its requests' headers.
const WEB_SOURCES: &[&str] = &[
    include_str!("../../web/src/api.js"),
    include_str!("../../web/src/signin.js"),
    include_str!("../../web/src/main.js"),
];

/// Header names a source sets: `headers['x-name'] = …`, `headers.name = …`
/// and the keys of `headers: { … }` / `const headers = { … }` literals.
fn request_headers(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("headers") {
        rest = &rest[at + "headers".len()..];
        let trimmed = rest.trim_start();
        if let Some(index) = trimmed.strip_prefix("['") {
            names.extend(index.split('\'').next().map(str::to_owned));
        } else if let Some(field) = trimmed.strip_prefix('.') {
            let name: String = field
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if field[name.len()..].trim_start().starts_with('=') {
                names.push(name);
            }
        } else if let Some(literal) = trimmed
            .strip_prefix(':')
            .or_else(|| trimmed.strip_prefix('='))
            .map(str::trim_start)
            .and_then(|value| value.strip_prefix('{'))
        {
            let body = literal.split('}').next().unwrap_or_default();
            for entry in body.split(',') {
                let key = entry.split(':').next().unwrap_or_default().trim();
                let key = key.trim_matches(|c| c == '\'' || c == '"');
                if !key.is_empty() && !key.starts_with("...") {
                    names.push(key.to_owned());
                }
            }
        }
    }
    names.iter().map(|name| name.to_ascii_lowercase()).collect()
}

/// The request headers browsers send without a preflight grant.
const SAFELISTED: &[&str] = &["accept", "accept-language", "content-language"];

fn not_granted(sources: &[&str]) -> Vec<String> {
    let granted: Vec<String> = api::http::layers::CORS_HEADERS
        .iter()
        .map(|h| h.to_string())
        .collect();
    let mut missing: Vec<String> = sources
        .iter()
        .flat_map(|source| request_headers(source))
        .filter(|name| !SAFELISTED.contains(&name.as_str()) && !granted.contains(name))
        .collect();
    missing.dedup();
    missing
}

/// API Gateway answers preflights itself from `CorsConfiguration`, so a
/// header the web client sends that the list lacks fails every
/// cross-origin call (the threat-protection script adds
/// x-user-context-data). The template's list is the router's (above).
#[test]
fn every_header_the_web_client_sends_is_granted() {
    let found: Vec<String> = WEB_SOURCES
        .iter()
        .flat_map(|s| request_headers(s))
        .collect();
    for expected in ["authorization", "content-type", "x-user-context-data"] {
        assert!(
            found.iter().any(|h| h == expected),
            "{expected} not found in {found:?}"
        );
    }
    assert_eq!(not_granted(WEB_SOURCES), Vec::<String>::new());
}

#[test]
fn a_header_missing_from_the_lists_is_caught() {
    let broken = WEB_SOURCES[0].replace("headers['x-user-context-data']", "headers['x-trace-id']");
    assert_eq!(not_granted(&[&broken]), vec!["x-trace-id".to_owned()]);
}
