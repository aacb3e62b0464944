//! The runtime's floors (see `src/lib.rs`): a module imports only from its
//! own floor or those below, and the top-level modules import each other
//! without cycles. Read from the source text, so a new import that breaks
//! the rule fails here, naming its file and line.
//!
//! Paths are read as written: `crate::m::…` (or `super::m` at the top of
//! a top-level module) names top-level module `m`. Test code (from the
//! first `#[cfg(test)]` of a file on) may import anything, as integration
//! tests may.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's floor, bottom (0) to top.
const FLOORS: &[(&str, u8)] = &[
    // Go's types and the time package: they import nothing else.
    ("types", 0),
    ("gotime", 0),
    // Values, the data they read, function values, objects, typed views.
    ("value", 1),
    // Go's encodings of values and data.
    ("encoding", 2),
    // What templates do with values: printing, operations, conversions.
    ("fmt", 3),
    ("ops", 3),
    ("convert", 3),
    // The function sets.
    ("funcs", 4),
];

/// An import of a top-level module.
#[derive(Debug)]
struct Import {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// A source file: its path under `src/` and its text.
struct Source {
    path: String,
    text: String,
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("a source directory").map(|e| e.expect("an entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            let rel = path.strip_prefix(root).expect("under src").to_string_lossy().replace('\\', "/");
            out.push(Source { path: rel, text });
        }
    }
}

/// The top-level module a file belongs to (`None` for `lib.rs`), and
/// whether the file is that module's root (where `super::` is the crate).
fn module_of(path: &str) -> Option<(String, bool)> {
    if path == "lib.rs" {
        return None;
    }
    match path.split_once('/') {
        Some((dir, rest)) => Some((dir.to_owned(), rest == "mod.rs")),
        None => Some((path.trim_end_matches(".rs").to_owned(), true)),
    }
}

/// The text before the file's test code, with comments blanked out
/// (newlines kept, so offsets still give line numbers).
fn code(text: &str) -> String {
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..end]
        .lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal is rare in `use` lines; the
            // rest of such a line is not read.
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first segments of the paths after a `prefix::` at `rest`, with
/// their offsets in `rest`: `m::x` gives `m`; `{a::x, b}` gives `a`, `b`.
fn first_segments(rest: &str) -> Vec<(String, usize)> {
    let Some(inner) = rest.trim_start().strip_prefix('{') else {
        return vec![(ident(rest.trim_start()).to_owned(), 0)];
    };
    let base = rest.len() - inner.len();
    // The top-level items of the brace group.
    let (mut depth, mut item_start, mut names) = (0usize, 0usize, Vec::new());
    let item = |start: usize, end: usize, names: &mut Vec<(String, usize)>| {
        let text = &inner[start..end];
        let skipped = text.len() - text.trim_start().len();
        names.push((ident(text.trim_start()).to_owned(), base + start + skipped));
    };
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                item(item_start, i, &mut names);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                item(item_start, i, &mut names);
                item_start = i + 1;
            }
            _ => {}
        }
    }
    names.retain(|(n, _)| !n.is_empty());
    names
}

/// Every import of a top-level module by another, from the sources.
fn imports(sources: &[Source]) -> Vec<Import> {
    let mut found = Vec::new();
    for source in sources {
        let Some((from, is_root)) = module_of(&source.path) else { continue };
        let code = code(&source.text);
        let mut prefixes = vec!["crate::"];
        if is_root {
            prefixes.push("super::");
        }
        for prefix in prefixes {
            for (at, _) in code.match_indices(prefix) {
                // `$crate::` in macros and `foo_crate::` are not this crate.
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c == '$' || c == '_' || c.is_ascii_alphanumeric()) {
                    continue;
                }
                let start = at + prefix.len();
                for (to, offset) in first_segments(&code[start..]) {
                    let line = code[..start + offset].matches('\n').count() + 1;
                    if to != from && to != "self" && to != "super" {
                        found.push(Import { file: source.path.clone(), line, from: from.clone(), to });
                    }
                }
            }
        }
    }
    found
}

/// What breaks the rule: imports of a higher floor, of names the floors
/// do not know (root re-exports hide the module a name lives in), and
/// cycles among top-level modules.
fn violations(sources: &[Source]) -> Vec<String> {
    let floor = |m: &str| FLOORS.iter().find(|(name, _)| *name == m).map(|(_, f)| *f);
    let mut problems = Vec::new();
    for source in sources {
        if let Some((module, _)) = module_of(&source.path)
            && floor(&module).is_none()
        {
            problems.push(format!("{}: module `{module}` has no floor in tests/floors.rs", source.path));
        }
    }
    let imports = imports(sources);
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for import in &imports {
        let (Some(from), Some(to)) = (floor(&import.from), floor(&import.to)) else {
            if floor(&import.from).is_some() {
                problems.push(format!(
                    "{}:{}: `crate::{}` is not a module with a floor: import it from its module",
                    import.file, import.line, import.to
                ));
            }
            continue;
        };
        if to > from {
            problems.push(format!(
                "{}:{}: `{}` (floor {from}) imports `{}` (floor {to}), a floor above it",
                import.file, import.line, import.from, import.to
            ));
        }
        graph.entry(&import.from).or_default().insert(&import.to);
    }
    problems.extend(cycles(&graph));
    problems
}

/// A cycle among the modules of `graph`, reported once per cycle found.
fn cycles(graph: &BTreeMap<&str, BTreeSet<&str>>) -> Vec<String> {
    fn visit<'g>(
        node: &'g str,
        graph: &BTreeMap<&'g str, BTreeSet<&'g str>>,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
        found: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node);
            found.push(format!("import cycle among top-level modules: {}", cycle.join(" -> ")));
            return;
        }
        if !done.insert(node) {
            return;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done, found);
        }
        path.pop();
    }
    let (mut done, mut found) = (BTreeSet::new(), Vec::new());
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn modules_import_only_their_floor_and_below() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    sources(&root, &root, &mut found);
    assert!(found.len() > 50, "the runtime's sources are read ({})", found.len());
    let imports = imports(&found);
    assert!(imports.iter().any(|i| i.from == "funcs" && i.to == "value"), "imports are found");
    let problems = violations(&found);
    assert!(problems.is_empty(), "the runtime's floors are broken:\n{}", problems.join("\n"));
}

/// The check fails where it should: on imports upwards, through a brace
/// group or a multi-line `use`, on root re-exports, and on cycles.
#[test]
fn the_check_catches_what_breaks_the_rule() {
    let source = |path: &str, text: &str| Source { path: path.to_owned(), text: text.to_owned() };
    let tree = [
        source("lib.rs", "pub mod types;\npub use value::Value;\n"),
        source("types/mod.rs", "use crate::gotime::Time;\n// crate::funcs in a comment\n"),
        source("value/typed.rs", "use crate::types::Kind;\nuse crate::{\n    types::Type,\n    fmt::sprint,\n};\n"),
        source("encoding/json/mod.rs", "fn f() { crate::Data::Null; }\n"),
        source("fmt/mod.rs", "use crate::ops::x;\n#[cfg(test)]\nmod tests { use crate::funcs::y; }\n"),
        source("ops/mod.rs", "use super::fmt::Printer;\n"),
        source("extra.rs", "\n"),
    ];
    let problems = violations(&tree);
    let expected = [
        "extra.rs: module `extra` has no floor in tests/floors.rs",
        "value/typed.rs:4: `value` (floor 1) imports `fmt` (floor 3), a floor above it",
        "encoding/json/mod.rs:1: `crate::Data` is not a module with a floor: import it from its module",
        "import cycle among top-level modules: fmt -> ops -> fmt",
    ];
    assert_eq!(problems, expected);
}
