//! The API's modules keep their layers: `http` (router, layers, extractors,
//! errors, routes) → `domain` → `ports` ← `aws` and `fakes`, wired together
//! by `state`. A module may use another only if that one does not use it
//! back, directly or not, and no layer names one it must not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module (`state`, `http::routes`, `ports::pool`: a file at the top, or a
/// folder's file or subfolder) → the modules its code (not its comments,
/// nor its unit tests, which may use the fakes) names with `crate::`.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let folders: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let parts: Vec<String> = path
            .strip_prefix(&src)
            .unwrap()
            .components()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .filter(|part| part != "mod")
            .collect();
        if ["main", "lib", "bin"].contains(&parts[0].as_str()) {
            continue;
        }
        let module = parts.iter().take(2).cloned().collect::<Vec<_>>().join("::");
        let text = std::fs::read_to_string(&path).unwrap();
        let uses = graph.entry(module.clone()).or_default();
        let code = text
            .lines()
            .take_while(|l| l.trim() != "#[cfg(test)]")
            .filter(|l| !l.trim_start().starts_with("//"));
        for line in code {
            for (at, _) in line.match_indices("crate::") {
                let names: Vec<String> = line[at + 7..]
                    .split("::")
                    .take(2)
                    .map(|part| {
                        part.chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect::<String>()
                    })
                    .collect();
                let Some(first) = names.first().filter(|n| !n.is_empty()) else {
                    continue;
                };
                let used = match names.get(1) {
                    Some(second)
                        if folders.contains(first)
                            && !second.is_empty()
                            && second.starts_with(|c: char| c.is_ascii_lowercase()) =>
                    {
                        format!("{first}::{second}")
                    }
                    _ => first.clone(),
                };
                if used != module {
                    uses.insert(used);
                }
            }
        }
    }
    graph
}

/// A cycle, if any, as the path of modules around it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn layer(module: &str) -> &str {
    module.split("::").next().unwrap()
}

/// The layers each layer may name besides itself.
const ALLOWED: [(&str, &[&str]); 7] = [
    ("http", &["domain", "ports", "state", "config"]),
    ("domain", &["ports"]),
    ("ports", &[]),
    ("aws", &["ports"]),
    ("fakes", &["ports"]),
    ("config", &["domain"]),
    ("state", &["aws", "config", "domain", "ports"]),
];

/// Every use of a module by one in a layer that may not name it.
fn crossings(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (module, uses) in graph {
        let from = layer(module);
        let allowed = ALLOWED
            .iter()
            .find(|(name, _)| *name == from)
            .map(|(_, allowed)| *allowed)
            .unwrap_or_else(|| panic!("module {module} is in no known layer"));
        for used in uses {
            let to = layer(used);
            if to != from && !allowed.contains(&to) {
                found.push((module.clone(), used.clone()));
            }
        }
    }
    found
}

#[test]
fn no_module_cycle() {
    let graph = dependencies();
    assert!(graph.contains_key("http::routes") && graph.contains_key("state"));
    assert_eq!(cycle(&graph), None, "{graph:#?}");
}

#[test]
fn a_cycle_is_found() {
    let mut graph = dependencies();
    graph
        .get_mut("state")
        .unwrap()
        .insert("http::routes".to_owned());
    assert!(cycle(&graph).is_some());
}

#[test]
fn every_layer_names_only_the_layers_below_it() {
    let graph = dependencies();
    assert!(graph["http::routes"].contains("ports::pool"), "{graph:#?}");
    assert!(graph["aws::cognito"].contains("ports::pool"), "{graph:#?}");
    assert_eq!(crossings(&graph), Vec::<(String, String)>::new());
}

#[test]
fn http_naming_aws_is_found() {
    let mut graph = dependencies();
    graph
        .get_mut("http::routes")
        .unwrap()
        .insert("aws::cognito".to_owned());
    graph
        .get_mut("ports::pool")
        .unwrap()
        .insert("http::error".to_owned());
    assert_eq!(
        crossings(&graph),
        vec![
            ("http::routes".to_owned(), "aws::cognito".to_owned()),
            ("ports::pool".to_owned(), "http::error".to_owned()),
        ]
    );
}

/// The mail texts are shared through `infra`: the API Lambda links no
/// trigger code.
#[test]
fn the_api_does_not_depend_on_the_triggers() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let dependencies = manifest
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split(['.', ' ', '=']).next())
        .collect::<Vec<_>>();
    assert!(dependencies.contains(&"infra"), "{dependencies:?}");
    assert!(!dependencies.contains(&"triggers"), "{dependencies:?}");
}
