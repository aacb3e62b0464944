//! What the suites share: where their data files are, the Go conformance
//! corpus (`tests/conformance/`, copied from the kit with Go 1.23's
//! results), and Istio's test inputs (`istio`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use injit_testkit::batch::{Case, CaseResult};
use injit_testkit::read_jsonl;

pub(crate) mod istio;
pub(crate) mod istio_configs;
pub(crate) mod mix;
pub(crate) mod overlays;

/// Panics unless every template of `injector` runs on the backend asked
/// for: an injector asked for native code falls back to the evaluator for
/// a template whose code cannot be generated, and a suite comparing the
/// backends would then compare the evaluator with itself.
#[track_caller]
pub(crate) fn assert_backends(injector: &injit_inject::Injector, asked: injit_compiler::Backend, what: &str) {
    let fallbacks: Vec<String> = injector.fallbacks().map(|(t, e)| format!("{t}: {e}")).collect();
    for (template, backend) in injector.backends() {
        assert_eq!(
            backend,
            asked,
            "{what}: template {template:?} asked for the {} backend, runs on the {}; {fallbacks:?}",
            asked.name(),
            backend.name()
        );
    }
}

pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Makes every time zone the test loads come from `tests/zoneinfo/`, the
/// tzdata Go's answers were recorded with (its README), never from the
/// machine's zoneinfo, whose newer releases change some answers. Call it
/// before anything loads a zone.
pub(crate) fn use_zoneinfo_snapshot() {
    let zip = data_dir().join("zoneinfo/zoneinfo.zip");
    injit_runtime::gotime::set_zone_source_for_testing(&zip).expect("no zone loaded from elsewhere first");
}

/// Every case of the corpus with Go's result, file by file.
pub(crate) fn load_corpus() -> Vec<(Case, CaseResult)> {
    let dir = data_dir().join("conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("cases"))
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let cases: Vec<Case> = read_jsonl(&file);
        let expected: Vec<CaseResult> = read_jsonl(&dir.join("expected").join(file.file_name().expect("name")));
        assert_eq!(cases.len(), expected.len(), "{}", file.display());
        for (case, exp) in cases.into_iter().zip(expected) {
            assert_eq!(case.name, exp.name);
            out.push((case, exp));
        }
    }
    out
}
