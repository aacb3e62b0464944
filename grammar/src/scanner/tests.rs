//! The scanner against the grammar: whenever the scanner takes a template,
//! its pieces must be exactly pest's. Inputs are every template the
//! repository holds and many mutations of each, so that the declines are
//! exercised as well as the fast path.

use std::path::{Path, PathBuf};

use super::scan;
use crate::Delims;
use crate::lexer::grammar_pieces;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![repository().join(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Templates of the conformance corpus and the random suites.
fn corpus_templates() -> Vec<String> {
    let mut out = Vec::new();
    let mut paths = files("snapshots/tests/conformance/cases", "jsonl");
    paths.extend(
        files("snapshots/tests/random", "jsonl").into_iter().filter(|p| p.to_string_lossy().ends_with(".cases.jsonl")),
    );
    for path in paths {
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let case: serde_json::Value = serde_json::from_str(line).unwrap();
            if let Some(template) = case["template"].as_str() {
                out.push(template.to_owned());
            }
        }
    }
    out
}

/// Checks one input; true when the scanner took it.
fn agrees(source: &str, delims: &Delims) -> bool {
    let Some(fast) = scan(source, delims.left().as_bytes(), delims.right().as_bytes()) else {
        return false;
    };
    let slow = grammar_pieces(source, delims);
    assert_eq!(fast, slow, "scanner and grammar differ on {source:?} with {delims}");
    true
}

/// Byte-level edits that land on the scanner's decisions.
const INSERTS: &[&str] = &[
    "{{", "}}", "[[", "]]", "-", " ", " -", "- ", ".", "..", "\"", "\\", "`", "$", "1", "0x", "é", "\n", "/*", "*/",
    "'", ":", "=", ":=", "(", ")", "|", ",", "\t", "_", "a", "+", "\u{7}",
];

/// A small deterministic generator, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn boundary(source: &str, mut at: usize) -> usize {
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn mutations(source: &str, rng: &mut Lcg, count: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let at = boundary(source, rng.below(source.len() + 1));
        let mut edited = source.to_owned();
        match rng.below(3) {
            0 => edited.insert_str(at, INSERTS[rng.below(INSERTS.len())]),
            1 => {
                let end = boundary(source, (at + 1 + rng.below(3)).min(source.len()));
                edited.replace_range(at..end.max(at), "");
            }
            _ => edited.truncate(at),
        }
        out.push(edited);
    }
    out
}

#[test]
fn corpus_and_its_mutations_agree() {
    let braces = Delims::default();
    let mut rng = Lcg(7);
    let (mut taken, mut total) = (0, 0);
    for template in corpus_templates() {
        for source in std::iter::once(template.clone()).chain(mutations(&template, &mut rng, 20)) {
            total += 1;
            taken += usize::from(agrees(&source, &braces));
        }
    }
    // Both paths must be exercised for the comparison to mean anything.
    assert!(taken > total / 5 && taken < total, "scanner took {taken} of {total}");
}

#[test]
fn istio_templates_take_the_fast_path_and_agree() {
    let mut checked = 0;
    for path in files("snapshots/tests/istio/templates", "yaml") {
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(agrees(&source, &Delims::default()), "scanner declined {}", path.display());
        checked += 1;
    }
    for path in files("snapshots/tests/istio/legacy", "yaml") {
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(agrees(&source, &Delims::brackets()), "scanner declined {}", path.display());
        checked += 1;
    }
    let bench = std::fs::read_to_string(repository().join("bench/conformance/sidecar.tmpl")).unwrap();
    assert!(agrees(&bench, &Delims::default()), "scanner declined the bench template");
    assert!(checked >= 10, "only {checked} Istio templates found");
}

#[test]
fn istio_template_mutations_agree() {
    let mut rng = Lcg(11);
    let (mut taken, mut total) = (0, 0);
    let mut paths: Vec<_> =
        files("snapshots/tests/istio/templates", "yaml").into_iter().map(|p| (p, Delims::default())).collect();
    paths.extend(files("snapshots/tests/istio/legacy", "yaml").into_iter().map(|p| (p, Delims::brackets())));
    for (path, delims) in paths {
        let source = std::fs::read_to_string(&path).unwrap();
        // Edits near the end keep most of a large file for pest to re-lex,
        // so a few hundred per file keep the test quick.
        for edited in mutations(&source, &mut rng, 200) {
            total += 1;
            taken += usize::from(agrees(&edited, &delims));
        }
    }
    // Both paths must be exercised for the comparison to mean anything
    // (most edits of Istio's templates keep them on the fast path: 2,324
    // of 2,800 when written).
    assert!(taken > total / 2 && taken < total, "scanner took {taken} of {total}");
}
