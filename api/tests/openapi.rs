//! `api/openapi.yaml` and the router describe the same routes.

use std::collections::BTreeSet;

/// (METHOD, path) pairs of the spec's `paths` section.
fn spec_routes() -> BTreeSet<(String, String)> {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let mut routes = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None;
    for line in spec.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(key) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if key.starts_with('/') {
                path = Some(key.to_owned());
                continue;
            }
        }
        if let Some(method) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')) {
            if ["get", "post", "put", "delete", "patch"].contains(&method) {
                routes.insert((
                    method.to_uppercase(),
                    path.clone().expect("method under a path"),
                ));
            }
        }
    }
    routes
}

#[test]
fn router_and_spec_agree() {
    let router: BTreeSet<(String, String)> = api::routes::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let spec = spec_routes();
    let only_router: Vec<_> = router.difference(&spec).collect();
    let only_spec: Vec<_> = spec.difference(&router).collect();
    assert!(
        only_router.is_empty() && only_spec.is_empty(),
        "only in router: {only_router:?}; only in spec: {only_spec:?}"
    );
    assert_eq!(router.len(), 26);
}
