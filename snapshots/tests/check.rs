//! `injit check` diagnostics for broken templates and configs, as a user
//! sees them.

use std::path::Path;

use injit::commands::check::{CheckOptions, check_file, default_functions};
use injit::report;

fn check_output(path: &Path) -> String {
    let source = std::fs::read_to_string(path).expect("readable input");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let options = CheckOptions { functions: default_functions(), delims: None, data_type: None };
    let report = check_file(name, source, &options);
    let rendered = report::human(&report, false);
    if rendered.is_empty() { "(no problems)\n".to_owned() } else { rendered }
}

#[test]
fn diagnostics() {
    insta::glob!("inputs/check/*", |path| insta::assert_snapshot!(check_output(path)));
}

/// Field access checked against Istio's `SidecarTemplateData`.
#[test]
fn typed_field_diagnostics() {
    insta::glob!("inputs/check_typed/*", |path| {
        let source = std::fs::read_to_string(path).expect("readable input");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let data_type = injit_runtime::types::GoType::named("inject.SidecarTemplateData");
        let options = CheckOptions { functions: default_functions(), delims: None, data_type };
        insta::assert_snapshot!(report::human(&check_file(name, source, &options), false));
    });
}

/// The shipped injection templates pass the typed check too (the
/// gateway-controller templates get other data and are not checked).
#[test]
fn shipped_injection_templates_pass_the_typed_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/istio/templates");
    let data_type = injit_runtime::types::GoType::named("inject.SidecarTemplateData");
    let options = CheckOptions { functions: default_functions(), delims: None, data_type };
    for name in ["injection-template.yaml", "gateway-injection-template.yaml", "grpc-agent.yaml", "grpc-simple.yaml"] {
        let source = std::fs::read_to_string(root.join(name)).unwrap();
        let report = check_file(name, source, &options);
        assert_eq!(report.errors(), 0, "{}", report::human(&report, false));
    }
}

#[test]
fn json_report_is_stable() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs/check/three_mistakes.tmpl");
    let source = std::fs::read_to_string(&path).expect("readable input");
    let options = CheckOptions { functions: default_functions(), delims: None, data_type: None };
    let report = check_file("three_mistakes.tmpl", source, &options);
    assert_eq!(report.errors(), 3);
    insta::assert_snapshot!(report::json(&[report]));
}

#[test]
fn every_shipped_istio_template_and_config_is_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/istio");
    let mut files: Vec<_> = std::fs::read_dir(root.join("templates")).unwrap().map(|e| e.unwrap().path()).collect();
    files.push(root.join("legacy/1.0/config.yaml"));
    files.push(root.join("legacy/1.1/config.yaml"));
    for config in std::fs::read_dir(root.join("configs")).unwrap() {
        let path = config.unwrap().path().join("config.yaml");
        if path.exists() {
            files.push(path);
        }
    }
    let options = CheckOptions { functions: default_functions(), delims: None, data_type: None };
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let report = check_file(&path.display().to_string(), source, &options);
        assert!(report.templates > 0);
        assert_eq!(report.errors(), 0, "{}", report::human(&report, false));
    }
}
