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

/// `-o sarif`: one result per finding, at its line and column, each with
/// a rule GitHub code scanning lists.
#[test]
fn sarif_reports_each_finding_with_its_rule_and_region() {
    let out = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["check", "-o", "sarif", "snapshots/tests/inputs/check/three_mistakes.tmpl"])
        .output()
        .expect("injit runs");
    assert_eq!(out.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "injit");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let rules: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index], result["ruleId"]);
        assert_eq!(result["level"], "error");
    }
    let first = &results[0];
    assert_eq!(first["ruleId"], "undefined-function");
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "snapshots/tests/inputs/check/three_mistakes.tmpl");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 20);
}

/// `--watch` checks again when a file is saved, and goes on.
#[test]
fn watch_checks_again_after_a_save() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.tmpl");
    std::fs::write(&path, "{{ .Name }}\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["check", "--watch"])
        .arg(&path)
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("injit runs");
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    let mut read_until = |needle: &str, seen: &mut String| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut buf = [0u8; 4096];
        while !seen.contains(needle) && std::time::Instant::now() < deadline {
            let n = stderr.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    read_until("watching 1 file for changes", &mut seen);
    assert!(seen.contains("no problems"), "{seen}");
    // A later modification time, whatever the file system's resolution.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&path, "{{ .Name | quoet }}\n").unwrap();
    read_until("1 error", &mut seen);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.contains("function \"quoet\" not defined"), "{seen}");
}
