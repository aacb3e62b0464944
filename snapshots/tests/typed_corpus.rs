//! The typed corpus (`tests/typed_corpus/`): templates over Istio's
//! `SidecarTemplateData` for a few of Istio's test inputs, with the results
//! of Go's text/template over the real Kubernetes and Istio types
//! (`tools/typed-oracle`), run on both backends.
//!
//! A few cases differ on purpose (docs/conformance.md says why).
//! `known_differences.txt` lists exactly those: the test
//! fails when a case not listed differs, and when a listed one no longer
//! does (delete its line). `INJIT_TYPED_CORPUS_WRITE=1` rewrites the list
//! from what the cases do now, for after regenerating the corpus.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use injit_compiler::Backend;
use injit_testkit::batch::{Case, CaseResult, assert_ran_on, run_case};
use injit_testkit::read_jsonl;
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    common::data_dir().join("typed_corpus")
}

/// The cases, each with the data file it names (`data_file`) in place.
fn load_cases(dir: &Path) -> Vec<Case> {
    let mut data: HashMap<String, Value> = HashMap::new();
    let text = std::fs::read_to_string(dir.join("cases.jsonl")).expect("cases.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut case: Value = serde_json::from_str(line).expect("a case is JSON");
            let object = case.as_object_mut().expect("a case is an object");
            let stem = object.remove("data_file").and_then(|s| s.as_str().map(str::to_owned)).expect("data_file");
            let value = data.entry(stem.clone()).or_insert_with(|| {
                let path = dir.join("data").join(format!("{stem}.json"));
                serde_json::from_slice(&std::fs::read(&path).expect("the data file")).expect("the data is JSON")
            });
            object.insert("data".to_owned(), value.clone());
            serde_json::from_value(case).expect("a case")
        })
        .collect()
}

/// Whether injit's result is Go's, compared as `conformance_corpus.rs`
/// does.
fn same(got: &CaseResult, want: &CaseResult) -> bool {
    got.error_kind == want.error_kind
        && got.error == want.error
        && got.output == want.output
        && got.output_base64 == want.output_base64
        && (want.error_kind.as_deref() != Some("exec") || got.partial_output == want.partial_output)
}

fn describe(case: &Case, want: &CaseResult, got: &[(Backend, CaseResult)]) -> String {
    let mut out = format!(
        "{}\n  template: {:?}\n  go:       {:?} {:?} {:?}",
        case.name, case.template, want.output, want.error, want.partial_output
    );
    for (backend, r) in got {
        out.push_str(&format!(
            "\n  {:9} {:?} {:?} {:?}",
            format!("{}:", backend.name()),
            r.output,
            r.error,
            r.partial_output
        ));
    }
    out
}

/// The case names `known_differences.txt` lists (comments and blank lines
/// aside).
fn known_differences(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).expect("known_differences.txt");
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// The list as `INJIT_TYPED_CORPUS_WRITE=1` writes it: grouped by the
/// case's kind (its name up to `/`), in corpus order.
fn write_known_differences(path: &Path, cases: &[Case], differing: &BTreeSet<String>) {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for case in cases.iter().filter(|c| differing.contains(&c.name)) {
        let kind = case.name.split('/').next().unwrap_or_default();
        groups.entry(kind).or_default().push(&case.name);
    }
    let mut text = String::from(
        "# Typed corpus cases where injit differs from Go today (snapshots/tests/typed_corpus.rs).\n\
         # Delete a case's line when it starts to match; a case that differs must be listed.\n",
    );
    for (kind, names) in groups {
        text.push_str(&format!("\n# {kind}\n"));
        for name in names {
            text.push_str(name);
            text.push('\n');
        }
    }
    std::fs::write(path, text).expect("known_differences.txt");
}

#[test]
fn typed_corpus_against_go() {
    let dir = corpus_dir();
    let cases = load_cases(&dir);
    let expected: Vec<CaseResult> = read_jsonl(&dir.join("expected.jsonl"));
    assert_eq!(cases.len(), expected.len(), "a result per case");
    assert!(cases.len() >= 400, "the corpus is checked in ({} cases)", cases.len());

    let mut differing = BTreeSet::new();
    let mut details = BTreeMap::new();
    let mut backends_disagree = Vec::new();
    for (case, want) in cases.iter().zip(&expected) {
        assert_eq!(case.name, want.name, "cases.jsonl and expected.jsonl are in the same order");
        let got: Vec<(Backend, CaseResult)> = [Backend::Eval, Backend::Jit]
            .into_iter()
            .map(|backend| {
                let r = run_case(case, backend);
                assert_ran_on(&r, backend);
                (backend, r)
            })
            .collect();
        let matches: Vec<bool> = got.iter().map(|(_, r)| same(r, want)).collect();
        if matches[0] != matches[1] {
            backends_disagree.push(case.name.clone());
        }
        if matches.contains(&false) {
            differing.insert(case.name.clone());
            details.insert(case.name.clone(), describe(case, want, &got));
        }
    }
    let equal = cases.len() - differing.len();
    println!("typed corpus: {equal}/{} equal to Go", cases.len());
    // Listed like any other difference; printed, since the backends
    // disagreeing is a bug of its own.
    if !backends_disagree.is_empty() {
        println!("typed corpus: {} cases match Go on one backend only:", backends_disagree.len());
        for name in &backends_disagree {
            println!("{}", details[name]);
        }
    }

    let list = dir.join("known_differences.txt");
    if std::env::var_os("INJIT_TYPED_CORPUS_WRITE").is_some() {
        write_known_differences(&list, &cases, &differing);
        return;
    }
    let known = known_differences(&list);
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let unknown: Vec<&String> = known.iter().filter(|n| !names.contains(n.as_str())).collect();
    assert!(unknown.is_empty(), "known_differences.txt lists cases the corpus does not have: {unknown:?}");
    let new: Vec<&String> = differing.difference(&known).collect();
    let fixed: Vec<&String> = known.difference(&differing).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "typed corpus: {equal}/{} equal to Go\n\
         {} cases differ from Go but are not in known_differences.txt:\n{}\n\
         {} cases in known_differences.txt now match Go; delete their lines:\n{}",
        cases.len(),
        new.len(),
        new.iter().map(|n| details[*n].as_str()).collect::<Vec<_>>().join("\n"),
        fixed.len(),
        fixed.iter().map(|n| n.as_str()).collect::<Vec<_>>().join("\n"),
    );
}
