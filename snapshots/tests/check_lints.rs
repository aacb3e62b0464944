//! `injit check`'s lints: warnings with codes for what fails or misprints
//! for some pods only, or does nothing. Each lint has warned cases and
//! quiet ones (`inputs/check_lints/`, named for the lint they test), and
//! none of them fires on a template Istio ships or its tests configure.
//!
//! `trim-joins-lines` reads the source, which `check_file` does not give
//! the compiler's checks yet: the tests add it to `check_file`'s report.

mod common;

use std::path::{Path, PathBuf};

use injit::commands::check::{CheckOptions, FileReport, check_file, default_functions};
use injit::report;
use injit_compiler::Severity;
use injit_runtime::types::GoType;

use common::istio::read;

const LINTS: [&str; 4] = ["nil-pointer", "no-value", "default-never-empty", "trim-joins-lines"];

fn options(data_type: Option<GoType>) -> CheckOptions {
    CheckOptions { functions: default_functions(), delims: None, data_type }
}

fn check(path: &Path, data_type: Option<GoType>) -> FileReport {
    let name = path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 name");
    check_file(name, read(path), &options(data_type))
}

fn warnings(report: &FileReport) -> Vec<&'static str> {
    report.findings.iter().map(|f| &f.diagnostic).filter(|d| d.severity == Severity::Warning).map(|d| d.code).collect()
}

/// A case named `nil_pointer_...` warns with `nil-pointer` only; one
/// named `..._guarded`, `..._can_apply` or `..._kept` warns with nothing;
/// no case has an error.
#[test]
fn lints_warn_where_unguarded_and_only_there() {
    let mut warned = 0;
    let mut quiet = 0;
    insta::glob!("inputs/check_lints/*.tmpl", |path| {
        let report = check(path, GoType::named("inject.SidecarTemplateData"));
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 name");
        let rendered = report::human(&report, false);
        assert_eq!(report.errors(), 0, "{rendered}");
        let found = warnings(&report);
        if ["_guarded", "_can_apply", "_kept"].iter().any(|quiet| stem.ends_with(quiet)) {
            assert!(found.is_empty(), "{rendered}");
            quiet += 1;
        } else {
            let lint = LINTS.iter().find(|l| stem.starts_with(&l.replace('-', "_"))).expect("named for its lint");
            assert!(!found.is_empty() && found.iter().all(|c| c == lint), "{rendered}");
            warned += 1;
        }
        insta::assert_snapshot!(rendered);
    });
    assert!(warned >= 13 && quiet >= 4, "{warned} warned, {quiet} quiet");
}

/// Istio's shipped templates, and the templates of every test config with
/// the data type of its era, as `injit check` gives them.
fn istio_templates() -> Vec<(PathBuf, Option<GoType>)> {
    let root = common::data_dir().join("istio");
    let typed = GoType::named("inject.SidecarTemplateData");
    let mut files: Vec<(PathBuf, Option<GoType>)> =
        ["injection-template.yaml", "gateway-injection-template.yaml", "grpc-agent.yaml", "grpc-simple.yaml"]
            .iter()
            .map(|n| (root.join("templates").join(n), typed))
            .collect();
    files.push((root.join("legacy/1.0/config.yaml"), None));
    files.push((root.join("legacy/1.1/config.yaml"), None));
    let mut configs: Vec<PathBuf> = std::fs::read_dir(root.join("configs"))
        .expect("configs")
        .map(|e| e.expect("entry").path().join("config.yaml"))
        .filter(|p| p.exists())
        .collect();
    configs.sort();
    files.extend(configs.into_iter().map(|p| (p, None)));
    files
}

#[test]
fn istio_templates_get_none_of_the_lints() {
    let mut checked = 0;
    for (path, data_type) in istio_templates() {
        let report = check(&path, data_type);
        let linted: Vec<&str> = warnings(&report).into_iter().filter(|c| LINTS.contains(c)).collect();
        assert!(linted.is_empty(), "{}: {}", path.display(), report::human(&report, false));
        checked += report.templates;
    }
    assert!(checked >= 50, "only {checked} templates");
}
