//! `injit check`'s type inference, tested on both sides.
//!
//! Mistakes (`inputs/check_mistakes/`): each template is reported, and
//! each, as the sidecar template of Istio's default config, fails the
//! injection of every one of Istio's test inputs it runs on, with the
//! error check named. Valid templates (`inputs/check_valid/`, Istio's
//! shipped templates and the templates of every test config) get no
//! error; the new valid ones also run to their end on every input.

mod common;

use std::path::{Path, PathBuf};

use injit::commands::check::{CheckOptions, FileReport, check_file, default_functions};
use injit::report;
use injit_compiler::{Backend, Diagnostic, Severity};
use injit_inject::{ConfigSource, Injector, Options, Sources, kube_inject};
use injit_runtime::types::GoType;

use common::istio::{default_inputs, read};

fn typed_options() -> CheckOptions {
    CheckOptions {
        functions: default_functions(),
        delims: None,
        data_type: GoType::named("inject.SidecarTemplateData"),
    }
}

fn templates_in(folder: &str) -> Vec<PathBuf> {
    let dir = common::data_dir().join("inputs").join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tmpl"))
        .collect();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).expect("a UTF-8 name")
}

fn check_typed(path: &Path) -> FileReport {
    check_file(file_name(path), read(path), &typed_options())
}

fn errors(report: &FileReport) -> Vec<&Diagnostic> {
    report.findings.iter().map(|f| &f.diagnostic).filter(|d| d.severity == Severity::Error).collect()
}

/// What of a diagnostic's message the injection's error must contain:
/// all of it, but for `range`, whose Go error shows the value, not its
/// type.
fn key_phrase(diagnostic: &Diagnostic) -> &str {
    match diagnostic.code {
        "cannot-range" => "range can't iterate over",
        _ => &diagnostic.message,
    }
}

/// Istio's default config with `template` as its only sidecar template.
fn injector_with(template: &str) -> Injector {
    let dir = common::istio_configs::config_dir("default");
    let indented: String = template.lines().map(|l| format!("    {l}\n")).collect();
    let config = format!("defaultTemplates: [sidecar]\npolicy: enabled\ntemplates:\n  sidecar: |\n{indented}");
    let source = |name: &str| Some(ConfigSource::new(name, read(&dir.join(name))));
    let sources = Sources {
        config: Some(ConfigSource::new("config.yaml", config)),
        mesh: source("mesh.yaml"),
        values: source("values.json"),
    };
    sources.build(Options { backend: Backend::Eval, ..Options::default() }).expect("the config builds")
}

/// Istio's test inputs the sidecar template runs on: those whose
/// injection reaches a template that fails with a marker.
fn inputs_the_template_runs_on() -> Vec<(String, String)> {
    const MARKER: &str = "the sidecar template ran";
    let injector = injector_with(&format!("{{{{ fail \"{MARKER}\" }}}}"));
    let testdata = common::data_dir().join("istio/testdata");
    let inputs: Vec<(String, String)> = default_inputs()
        .into_iter()
        .map(|name| {
            let text = read(&testdata.join(&name));
            (name, text)
        })
        .filter(|(name, text)| matches!(kube_inject(&injector, name, text), Err(e) if e.to_string().contains(MARKER)))
        .collect();
    assert!(inputs.len() >= 20, "only {} inputs reach the template", inputs.len());
    inputs
}

#[test]
fn every_mistake_is_reported() {
    let mut checked = 0;
    insta::glob!("inputs/check_mistakes/*.tmpl", |path| {
        let report = check_typed(path);
        assert!(!errors(&report).is_empty(), "{}: no error reported", path.display());
        checked += 1;
        insta::assert_snapshot!(report::human(&report, false));
    });
    assert!(checked >= 60, "only {checked} mistakes");
}

#[test]
fn every_mistake_fails_injection_on_every_input_with_the_reported_error() {
    let inputs = inputs_the_template_runs_on();
    let mut failures = Vec::new();
    for path in templates_in("check_mistakes") {
        let report = check_typed(&path);
        let reported = errors(&report);
        let injector = injector_with(&report.source);
        for (name, text) in &inputs {
            match kube_inject(&injector, name, text) {
                Ok(_) => failures.push(format!("{}: injecting {name} succeeded", file_name(&path))),
                Err(e) => {
                    let error = e.to_string();
                    if !reported.iter().any(|d| error.contains(key_phrase(d))) {
                        let phrases: Vec<&str> = reported.iter().map(|d| key_phrase(d)).collect();
                        failures
                            .push(format!("{}: injecting {name}: {error}\n  reported: {phrases:?}", file_name(&path)));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The valid templates are clean, and run to their end on every input
/// (a marker failure after the last line): what check leaves silent
/// really works.
#[test]
fn valid_templates_have_no_errors_and_run() {
    let inputs = inputs_the_template_runs_on();
    const END: &str = "the template ran to its end";
    let mut failures = Vec::new();
    for path in templates_in("check_valid") {
        let report = check_typed(&path);
        if report.errors() > 0 {
            failures.push(report::human(&report, false));
            continue;
        }
        let injector = injector_with(&format!("{}{{{{ fail \"{END}\" }}}}", report.source));
        for (name, text) in &inputs {
            match kube_inject(&injector, name, text) {
                Err(e) if e.to_string().contains(END) => {}
                other => failures.push(format!("{}: injecting {name}: {other:?}", file_name(&path))),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every template Istio ships or its tests configure renders, so the
/// typed check must find nothing in any of them; with the new valid
/// templates, at least 100 templates.
#[test]
fn at_least_a_hundred_valid_templates_get_no_errors() {
    let root = common::data_dir().join("istio");
    let shipped: Vec<PathBuf> =
        ["injection-template.yaml", "gateway-injection-template.yaml", "grpc-agent.yaml", "grpc-simple.yaml"]
            .iter()
            .map(|n| root.join("templates").join(n))
            .collect();
    let mut configs = vec![root.join("legacy/1.0/config.yaml"), root.join("legacy/1.1/config.yaml")];
    for entry in std::fs::read_dir(root.join("configs")).expect("configs") {
        let path = entry.expect("entry").path().join("config.yaml");
        if path.exists() {
            configs.push(path);
        }
    }
    let mut templates = 0;
    for path in shipped.iter().chain(&templates_in("check_valid")) {
        let report = check_typed(path);
        assert_eq!(report.errors(), 0, "{}", report::human(&report, false));
        templates += report.templates;
    }
    // Configs get the data type of their era (and none for gateway
    // controllers' templates), as `injit check` gives them.
    let options = CheckOptions { data_type: None, ..typed_options() };
    for path in configs {
        let report = check_file(&path.display().to_string(), read(&path), &options);
        assert_eq!(report.errors(), 0, "{}", report::human(&report, false));
        templates += report.templates;
    }
    assert!(templates >= 100, "only {templates} templates checked");
}
