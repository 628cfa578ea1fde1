//! The deployed API answers CORS as the local one does: the template's
//! HttpApi `CorsConfiguration` states the policy of `api::layers::cors`,
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
    let methods: Vec<String> = api::layers::CORS_METHODS
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert_eq!(list(value(&cors, "AllowMethods")), methods);
    let headers: Vec<String> = api::layers::CORS_HEADERS
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(list(value(&cors, "AllowHeaders")), headers);
    assert_eq!(
        value(&cors, "MaxAge"),
        api::layers::CORS_MAX_AGE.as_secs().to_string()
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
        api::layers::CORS_MAX_AGE.as_secs().to_string()
    );
}
