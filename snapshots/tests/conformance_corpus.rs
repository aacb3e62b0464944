//! The Go conformance corpus (`tests/conformance`, Go 1.23's results) and a
//! checked-in set of random cases from the kit's generator, run through
//! `injit render`'s batch runner. Every mismatch is listed.

mod common;

use injit_compiler::Backend;
use injit_runtime::gotime::Location;
use injit_runtime::{Data, Object};
use injit_testkit::batch::{Case, CaseResult, assert_ran_on, run_case, run_case_bound};
use injit_testkit::read_jsonl;

/// Runs `cases` against `expected` on both backends; returns a description
/// of each mismatch.
fn mismatches(cases: &[Case], expected: &[CaseResult]) -> Vec<String> {
    assert_eq!(cases.len(), expected.len());
    let mut out = Vec::new();
    for backend in [Backend::Eval, Backend::Jit] {
        out.extend(mismatches_on(cases, expected, backend));
    }
    out
}

fn mismatches_on(cases: &[Case], expected: &[CaseResult], backend: Backend) -> Vec<String> {
    let mut out = Vec::new();
    for (case, want) in cases.iter().zip(expected) {
        let got = run_case(case, backend);
        assert_ran_on(&got, backend);
        let same = got.error_kind == want.error_kind
            && got.error == want.error
            && got.output == want.output
            // Output that is not UTF-8 compares byte for byte: `output` is
            // only its lossy view (each invalid byte U+FFFD).
            && got.output_base64 == want.output_base64
            && (want.error_kind.as_deref() != Some("exec") || got.partial_output == want.partial_output);
        if !same {
            out.push(format!(
                "{} [{}]\n  template: {:?}\n  expected: {:?} {:?} {:?} bytes {:?}\n  got:      {:?} {:?} {:?} bytes {:?}",
                case.name,
                backend.name(),
                case.template,
                want.output,
                want.error,
                want.partial_output,
                want.output_base64,
                got.output,
                got.error,
                got.partial_output,
                got.output_base64
            ));
        }
    }
    out
}

fn corpus_file(name: &str) -> (Vec<Case>, Vec<CaseResult>) {
    let dir = common::data_dir().join("conformance");
    (read_jsonl(&dir.join("cases").join(name)), read_jsonl(&dir.join("expected").join(name)))
}

/// Cases waiting for sprig functions injit does not have yet.
const PENDING: &[&str] = &[];

#[test]
fn go_conformance_corpus() {
    common::use_zoneinfo_snapshot();
    let dir = common::data_dir().join("conformance/cases");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let (mut total, mut byte_exact) = (0, 0);
    for file in &files {
        let (cases, expected) = corpus_file(file);
        total += cases.len();
        byte_exact += expected.iter().filter(|r| r.output_base64.is_some()).count();
        failures.extend(mismatches(&cases, &expected));
    }
    // Sprig functions not written yet; each must still fail, so that this
    // list shrinks as they land.
    let pending: Vec<&str> =
        PENDING.iter().filter(|name| !failures.iter().any(|f| f.starts_with(**name))).copied().collect();
    assert!(pending.is_empty(), "these cases pass now; remove them from PENDING: {pending:?}");
    failures.retain(|f| !PENDING.iter().any(|name| f.starts_with(*name)));
    assert!(total > 800, "the corpus is checked in ({total} cases)");
    assert_eq!(byte_exact, 1, "Go's results with output that is not UTF-8 (compared byte for byte)");
    assert!(failures.is_empty(), "{} of {total} cases differ from Go:\n{}", failures.len(), failures.join("\n"));
}

/// A checked-in set of the kit generator's random cases with Go's results.
fn random_set(stem: &str) {
    let dir = common::data_dir().join("random");
    let cases: Vec<Case> = read_jsonl(&dir.join(format!("{stem}.cases.jsonl")));
    let expected: Vec<CaseResult> = read_jsonl(&dir.join(format!("{stem}.expected.jsonl")));
    assert_eq!(cases.len(), 2000);
    let failures = mismatches(&cases, &expected);
    assert!(failures.is_empty(), "{} of 2000 (x2 backends) differ from Go:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn random_cases_without_sprig() {
    common::use_zoneinfo_snapshot();
    random_set("nosprig-seed101");
}

#[test]
fn random_cases_with_sprig() {
    common::use_zoneinfo_snapshot();
    random_set("sprig-seed102");
}

/// Binding part of each case's data when compiling (partial evaluation)
/// changes nothing: every case gives what it gives unbound, on both
/// backends. Three bindings per case: every top-level field, every other
/// one, and none.
#[test]
fn binding_data_at_compile_time_changes_nothing() {
    common::use_zoneinfo_snapshot();
    let dir = common::data_dir().join("conformance/cases");
    let mut cases: Vec<Case> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("corpus") {
        cases.extend(read_jsonl::<Case>(&entry.expect("entry").path()));
    }
    cases.extend(read_jsonl::<Case>(&common::data_dir().join("random/sprig-seed102.cases.jsonl")));
    let subsets: [fn(usize) -> bool; 3] = [|_| true, |i| i % 2 == 0, |_| false];
    let mut failures = Vec::new();
    let mut folded = 0;
    for case in &cases {
        let plain = run_case(case, Backend::Eval);
        for keep in subsets {
            let bind = |data: &Data| match data {
                Data::Object(o) => Some(Data::Object(Object::new(
                    o.iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, (k, v))| (k.into(), v.clone())).collect(),
                ))),
                _ => None,
            };
            for backend in [Backend::Eval, Backend::Jit] {
                let got = run_case_bound(case, backend, bind);
                assert_ran_on(&got, backend);
                if got.output != plain.output || got.error != plain.error || got.partial_output != plain.partial_output
                {
                    failures.push(format!(
                        "{} [{}]\n  template: {:?}\n  unbound: {:?} {:?}\n  bound:   {:?} {:?}",
                        case.name,
                        backend.name(),
                        case.template,
                        plain.output,
                        plain.error,
                        got.output,
                        got.error
                    ));
                }
                folded += 1;
            }
        }
    }
    assert!(folded > 10_000);
    assert!(failures.is_empty(), "{} renders differ when data is bound:\n{}", failures.len(), failures.join("\n"));
}

/// The date cases' zones come from the snapshot alone: a zone the corpus
/// does not use is not there, and the machine's zoneinfo is not asked.
/// (With a newer tzdata, Debian's 2026f, three Casablanca answers change.)
#[test]
fn zones_come_from_the_checked_in_snapshot_alone() {
    common::use_zoneinfo_snapshot();
    let paris = Location::load("Europe/Paris").expect("in the snapshot");
    assert_eq!(paris.lookup(1_700_000_000).name, "CET");
    assert_eq!(Location::load("Europe/Berlin").err().as_deref(), Some("unknown time zone Europe/Berlin"));
}
