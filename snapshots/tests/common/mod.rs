//! The conformance kit's batch format (`tests/conformance/`, copied from the
//! kit with Go 1.23's results).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub(crate) mod istio;
pub(crate) mod istio_configs;

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) template: String,
    #[serde(default)]
    pub(crate) data: serde_json::Value,
    #[serde(default)]
    pub(crate) sprig: bool,
    #[serde(default)]
    pub(crate) missingkey: Option<String>,
    #[serde(default)]
    pub(crate) template_name: Option<String>,
    #[serde(default)]
    pub(crate) exec: Option<String>,
    #[serde(default)]
    pub(crate) delims: Option<[String; 2]>,
    #[serde(default)]
    pub(crate) number: bool,
    #[serde(default)]
    pub(crate) testfuncs: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Expected {
    pub(crate) name: String,
    pub(crate) output: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) error_kind: Option<String>,
    #[serde(default)]
    pub(crate) partial_output: Option<String>,
    #[serde(default)]
    pub(crate) output_base64: Option<String>,
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

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1)))
        .collect()
}

/// Every case of the corpus with Go's result, file by file.
pub(crate) fn load_corpus() -> Vec<(Case, Expected)> {
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
        let expected: Vec<Expected> = read_jsonl(&dir.join("expected").join(file.file_name().expect("name")));
        assert_eq!(cases.len(), expected.len(), "{}", file.display());
        for (case, exp) in cases.into_iter().zip(expected) {
            assert_eq!(case.name, exp.name);
            out.push((case, exp));
        }
    }
    out
}
