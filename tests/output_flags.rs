//! One convention for the report format: `-o/--output human|json` on
//! `check`, `analyze` and `check-inject` (kube-inject keeps istioctl's
//! `-o FILE`); `check --format`, its old name, still works.

use std::process::Command;

fn stdout_of(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(args)
        .env("KUBECONFIG", "/nonexistent/injit-tests/kubeconfig")
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn o_json_is_json_for_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.tmpl");
    std::fs::write(&template, "{{ .x | quoet }}").unwrap();
    let template = template.to_str().unwrap();
    for args in [
        vec!["check", "-o", "json", template],
        vec!["check", "--output", "json", template],
        vec!["check", "--format", "json", template],
        vec!["analyze", "-o", "json", "examples/app.yaml"],
        vec!["check-inject", "-o", "json", "-f", "examples/app.yaml"],
    ] {
        let text = stdout_of(&args);
        assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{args:?}: {text}");
    }
}
