//! The deployed HTTP API routes each operation as the OpenAPI document
//! says: every operation the document declares public reaches a route
//! without an authorizer in the template, every other one the JWT
//! authorizer. API Gateway answers a JWT route with 401 before the Lambda
//! runs, so a public path that falls under `ANY /api/{proxy+}` is refused
//! on AWS whatever the router says.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

const TEMPLATE: &str = include_str!("../../cloudformation/template.yaml");

#[derive(Debug, Clone, PartialEq)]
struct Route {
    name: String,
    method: String,
    path: String,
    authorization: String,
}

fn routes(template: &str) -> Vec<Route> {
    let doc: Yaml = serde_norway::from_str(template).expect("the template parses");
    let resources = doc["Resources"].as_mapping().expect("Resources");
    resources
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::ApiGatewayV2::Route"))
        .map(|(name, resource)| {
            let key = resource["Properties"]["RouteKey"]
                .as_str()
                .expect("a literal RouteKey");
            let (method, path) = key.split_once(' ').expect("METHOD /path");
            Route {
                name: name.as_str().unwrap().to_owned(),
                method: method.to_owned(),
                path: path.to_owned(),
                authorization: resource["Properties"]["AuthorizationType"]
                    .as_str()
                    .unwrap_or("NONE")
                    .to_owned(),
            }
        })
        .collect()
}

/// How well `route_path` matches `path`, or None: API Gateway prefers a
/// full match over a greedy `{proxy+}` one, then more literal segments,
/// then a route for the method over `ANY`.
fn specificity(route: &Route, method: &str, path: &str) -> Option<(u8, usize, u8)> {
    if route.method != "ANY" && route.method != method {
        return None;
    }
    let pattern: Vec<&str> = route.path.trim_start_matches('/').split('/').collect();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let greedy = pattern.last().is_some_and(|s| s.ends_with("+}"));
    let fixed = if greedy {
        pattern.len() - 1
    } else {
        pattern.len()
    };
    if (greedy && segments.len() <= fixed) || (!greedy && segments.len() != fixed) {
        return None;
    }
    let mut literals = 0;
    for (want, have) in pattern[..fixed].iter().zip(&segments) {
        if want.starts_with('{') {
            continue;
        }
        if want != have {
            return None;
        }
        literals += 1;
    }
    Some((u8::from(!greedy), literals, u8::from(route.method != "ANY")))
}

fn route_for<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a Route> {
    routes
        .iter()
        .filter_map(|route| specificity(route, method, path).map(|rank| (rank, route)))
        .max_by_key(|(rank, _)| *rank)
        .map(|(_, route)| route)
}

/// (method, path, public) of every operation the document declares;
/// `security: [{}]` marks a public one.
fn operations() -> Vec<(String, String, bool)> {
    let doc = serde_json::to_value(api::http::router::openapi()).unwrap();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let public = operation["security"].as_array().is_some_and(|schemes| {
                schemes
                    .iter()
                    .any(|s| s == &Json::Object(Default::default()))
            });
            found.push((method.to_uppercase(), path.clone(), public));
        }
    }
    found
}

/// The operations whose route in `template` is not the one the document
/// needs: (method, path, the route found).
fn misrouted(template: &str) -> Vec<String> {
    let routes = routes(template);
    operations()
        .into_iter()
        .filter_map(|(method, path, public)| {
            let route = route_for(&routes, &method, &path);
            let right = match route {
                Some(route) if public => route.authorization == "NONE",
                Some(route) => route.authorization == "JWT",
                None => false,
            };
            (!right).then(|| format!("{method} {path} -> {:?}", route.map(|r| &r.name)))
        })
        .collect()
}

#[test]
fn every_public_operation_has_an_open_route_and_every_other_the_authorizer() {
    let (public, protected): (Vec<_>, Vec<_>) = operations().into_iter().partition(|op| op.2);
    assert!(public.len() >= 13 && protected.len() >= 25, "{public:?}");
    assert_eq!(misrouted(TEMPLATE), Vec::<String>::new());
}

#[test]
fn the_jwt_routes_use_the_cognito_authorizer() {
    let doc: Yaml = serde_norway::from_str(TEMPLATE).unwrap();
    for route in routes(TEMPLATE).iter().filter(|r| r.authorization == "JWT") {
        let properties = &doc["Resources"][route.name.as_str()]["Properties"];
        assert_eq!(
            properties["AuthorizerId"],
            serde_norway::from_str::<Yaml>("!Ref HttpApiAuthorizer").unwrap(),
            "{}",
            route.name
        );
    }
}

#[test]
fn a_public_path_left_under_the_proxy_route_is_caught() {
    let start = TEMPLATE.find("  SignInCodeRoute:\n").expect("the route");
    let end = start + TEMPLATE[start..].find("\n\n").unwrap() + 2;
    let broken = format!("{}{}", &TEMPLATE[..start], &TEMPLATE[end..]);
    assert_eq!(
        misrouted(&broken),
        vec![r#"POST /api/auth/signin/code -> Some("ProtectedRoute")"#.to_owned()]
    );
    let protected = TEMPLATE.replace(
        "      RouteKey: GET /api/health\n      AuthorizationType: NONE",
        "      RouteKey: ANY /api/{proxy+}/x\n      AuthorizationType: NONE",
    );
    assert!(misrouted(&protected)
        .iter()
        .any(|m| m.starts_with("GET /api/health")));
}

#[test]
fn route_matching_prefers_full_over_greedy_and_methods_over_any() {
    let route = |method: &str, path: &str| Route {
        name: format!("{method} {path}"),
        method: method.into(),
        path: path.into(),
        authorization: "NONE".into(),
    };
    let routes = [
        route("ANY", "/api/{proxy+}"),
        route("POST", "/api/auth/signin"),
        route("ANY", "/api/data/{id}"),
        route("GET", "/api/data/{id}"),
    ];
    let name = |m, p| route_for(&routes, m, p).map(|r| r.name.clone());
    assert_eq!(
        name("POST", "/api/auth/signin").as_deref(),
        Some("POST /api/auth/signin")
    );
    assert_eq!(
        name("GET", "/api/auth/signin").as_deref(),
        Some("ANY /api/{proxy+}")
    );
    assert_eq!(
        name("GET", "/api/data/7").as_deref(),
        Some("GET /api/data/{id}")
    );
    assert_eq!(
        name("PUT", "/api/data/7").as_deref(),
        Some("ANY /api/data/{id}")
    );
    assert_eq!(name("GET", "/api").as_deref(), None);
}
