//! `check`'s diagnostics are colored only for a terminal, never with
//! `NO_COLOR`, and always with `CLICOLOR_FORCE` (no-color.org,
//! bixense.com/clicolors).

use std::process::Command;

fn check_stderr(env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.tmpl");
    std::fs::write(&template, "{{ .x | quoet }}").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_injit"));
    command.arg("check").arg(&template).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        command.env(k, v);
    }
    String::from_utf8(command.output().unwrap().stderr).unwrap()
}

#[test]
fn colors_follow_no_color_and_clicolor_force() {
    assert!(!check_stderr(&[]).contains('\x1b'), "a pipe is not a terminal");
    assert!(check_stderr(&[("CLICOLOR_FORCE", "1")]).contains("\x1b["));
    assert!(!check_stderr(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\x1b'));
}
