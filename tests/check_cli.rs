//! `injit check` as a template author runs it on a bare template: the
//! data type it assumes, and says it assumed.

use std::process::Command;

fn check(args: &[&str], template: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sidecar.tmpl");
    std::fs::write(&path, template).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_injit"))
        .arg("check")
        .args(args)
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .expect("injit runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// What `--injectConfigFile` would run over Istio's data: a misspelt field
/// fails on every pod, so check finds it without being told the type.
#[test]
fn a_bare_sidecar_template_is_checked_against_istios_data() {
    let (code, stderr) = check(&[], "{{ .ObjectMeta.Anotations }}\n{{ .ProxyImage }}\n");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[unknown-field]: can't evaluate field Anotations in type v1.ObjectMeta"), "{stderr}");
    assert!(stderr.contains("help: did you mean `Annotations`?"), "{stderr}");
    assert!(
        stderr.contains(
            "checked as Istio's sidecar template, over inject.SidecarTemplateData (it reads .ObjectMeta, .ProxyImage)"
        ),
        "{stderr}"
    );
    let (code, stderr) = check(&["--data-type", "none"], "{{ .ObjectMeta.Anotations }}\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("SidecarTemplateData"), "{stderr}");
}

/// A template written for JSON data (lowercase keys) is not drowned in
/// typed errors; the note says how to have them.
#[test]
fn a_template_over_json_data_is_checked_without_types() {
    let (code, stderr) = check(&[], "{{ range .Spec.containers }}{{ .name }}{{ end }}\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("checked without types: it reads `containers`, a lowercase field"), "{stderr}");
    let (code, _) = check(&["--data-type", "sidecar"], "{{ range .Spec.containers }}{{ .name }}{{ end }}\n");
    assert_eq!(code, 1);
}

/// A template over other data is checked as before, without a note.
#[test]
fn other_templates_get_no_type_and_no_note() {
    let (code, stderr) = check(&[], "{{ .Name }}\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("note:"), "{stderr}");
}
