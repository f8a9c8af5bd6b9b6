//! The library's layers (docs/architecture.md): every module lives in the folder of one, and
//! imports only from its own layer or those below; no two modules import each other, directly
//! or in a circle. Read from the `crate::` paths of `src/` (tests inside files left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Lowest first: the folders of `src/` (`flow.rs` is a layer of one file). A module's layer is
/// the folder it lives in; anything else at the top of `src/` fails the test.
const LAYERS: &[(&str, &str)] = &[
    ("infra", "infrastructure"),
    ("model", "model"),
    ("ops", "operations"),
    ("flow", "flow"),
    ("cli", "cli"),
];

/// Layers whose folders hold modules of their own: an import names the layer, then the module.
const FOLDERS: &[&str] = &["infra", "model", "ops"];

fn layer_of(module: &str) -> Option<usize> {
    let first = module.split("::").next()?;
    LAYERS.iter().position(|(folder, _)| *folder == first)
}

/// The module a path names: `infra::gitx` for `infra::gitx::refs::x`, `cli` for `cli::run`.
fn module_of(segments: &[String]) -> Option<String> {
    let first = segments.first()?;
    if FOLDERS.contains(&first.as_str()) {
        Some(format!("{first}::{}", segments.get(1)?))
    } else {
        Some(first.clone())
    }
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

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The paths a use-tree starting at `s` names (`a::{b, c::d}` gives `a::b` and `a::c::d`),
/// each cut to its first two segments, which is all a module needs.
fn paths(s: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut segments = prefix.to_vec();
    let mut rest = s.trim_start();
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        paths(&group[item..j], &segments, out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths(&group[item..j], &segments, out);
                        item = j + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let name = ident(rest);
        if name.is_empty() || name == "self" || segments.len() == 2 {
            break;
        }
        segments.push(name.to_owned());
        match rest[name.len()..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    if !segments.is_empty() {
        out.push(segments);
    }
}

/// The modules named by `crate::` paths in `text` (comments and test blocks left out).
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
    let mut found = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        paths(&code[i + "crate::".len()..], &[], &mut found);
    }
    found.iter().filter_map(|p| module_of(p)).collect()
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let segments: Vec<String> = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let module = match module_of(&segments) {
            // lib.rs, main.rs and a layer's own mod.rs only name the modules.
            Some(m) if !m.ends_with("::mod") && m != "lib" && m != "main" => m,
            _ => continue,
        };
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
                "{module} is in no layer: put it in the folder of its layer (docs/architecture.md)"
            ));
            continue;
        };
        for dep in deps {
            match layer_of(dep) {
                Some(theirs) if theirs > mine => problems.push(format!(
                    "{module} ({}) imports {dep} ({}), a layer above it",
                    LAYERS[mine].1, LAYERS[theirs].1
                )),
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `pub struct X`, `pub enum X`, `pub trait X`, `pub type X` in `text`: the names.
fn public_types(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        for kind in ["pub struct ", "pub enum ", "pub trait ", "pub type "] {
            if let Some(rest) = line.strip_prefix(kind) {
                names.push(ident(rest).to_owned());
            }
        }
    }
    names
}

/// One name, one type: a reader (or a `use`) never has to ask which `Event` is meant.
#[test]
fn no_two_public_types_share_a_name() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().display().to_string();
        for name in public_types(&std::fs::read_to_string(&f).unwrap()) {
            seen.entry(name).or_default().push(rel.clone());
        }
    }
    let shared: Vec<String> = seen
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(name, files)| format!("{name}: {}", files.join(", ")))
        .collect();
    assert!(
        shared.is_empty(),
        "public types sharing a name:\n{}",
        shared.join("\n")
    );
}

#[test]
fn public_type_names_are_read_from_declarations() {
    let text =
        "pub struct A {\n}\n  pub enum B<'a> {}\npub(crate) struct C;\nstruct D;\npub type E = u8;";
    assert_eq!(public_types(text), ["A", "B", "E"]);
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
    let text = "use crate::{infra::a, model::{b::c, d}, flow::e};\nuse crate::ops::{f, g::{h}};\nfn x() { crate::cli::y::z(); crate::infra::log::line(); }\n// crate::infra::no\n#[cfg(test)]\nmod tests { use crate::t; }";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(
        found,
        [
            "cli",
            "flow",
            "infra::a",
            "infra::log",
            "model::b",
            "model::d",
            "ops::f",
            "ops::g"
        ]
    );
}
