//! The library's layers (docs/architecture.md): every top-level module belongs to one, and
//! imports only from its own layer or those below; no two modules import each other, directly
//! or in a circle. Read from the `crate::` paths of `src/` (tests inside files left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Lowest first. A module not listed here fails the test: say where a new one belongs.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "infrastructure",
        &[
            "clock",
            "config",
            "error",
            "gitx",
            "host",
            "interrupt",
            "log",
            "presets",
            "process",
            "ratelimit",
            "scope",
            "supervisor",
            "trace",
            "usercmd",
        ],
    ),
    (
        "model",
        &[
            "agent", "agents", "epic", "graph", "plan", "prompt", "state", "ticket",
        ],
    ),
    (
        "operations",
        &[
            "cleanup",
            "context",
            "cooldown",
            "demo",
            "doctor",
            "finish",
            "forge",
            "merge",
            "monitor",
            "propagate",
            "remote",
            "report",
            "review",
            "runner",
            "status",
            "worktree",
        ],
    ),
    ("flow", &["flow"]),
    ("cli", &["cli"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules named by `crate::` paths in `text` (comments and test blocks out).
fn imports(text: &str) -> BTreeSet<String> {
    let code: String = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| l.split(" //").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e}}`: the first name of each item at depth one.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        let name = ident(&group[j..]);
                        if !name.is_empty() && name != "self" {
                            out.insert(name);
                        }
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(imports(&text).into_iter().filter(|m| *m != module));
    }
    graph
}

#[test]
fn every_module_imports_only_from_its_layer_or_below() {
    let graph = module_graph();
    let mut problems = Vec::new();
    for (module, deps) in &graph {
        let Some(mine) = layer_of(module) else {
            problems.push(format!(
                "{module} is in no layer: add it to LAYERS and docs/architecture.md"
            ));
            continue;
        };
        for dep in deps {
            match layer_of(dep) {
                Some(theirs) if theirs > mine => problems.push(format!(
                    "{module} ({}) imports {dep} ({}), a layer above it",
                    LAYERS[mine].0, LAYERS[theirs].0
                )),
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_two_modules_import_each_other_directly_or_in_a_circle() {
    let graph = module_graph();
    // Depth-first search for a back edge; the circle is printed in order.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m.to_owned());
            return Some(circle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for dep in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(dep, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(circle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "modules import each other in a circle: {}",
                circle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_scanner_sees_grouped_and_plain_imports() {
    let text = "use crate::{a, b::c, d::{e, f}};\nfn x() { crate::g::h(); }\n// crate::no\n#[cfg(test)]\nmod tests { use crate::t; }";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["a", "b", "d", "g"]);
}
