//! Every command that writes to standard output reports one it cannot
//! write (`injit analyze | head`, a full disk) as an error naming
//! `<stdout>` with a failing exit code: no panic, no success with its
//! output cut short.

use std::io::Write;
use std::process::{Command, Stdio};

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, version: v1}
spec:
  containers:
  - name: web
    image: nginx
";

/// Runs `injit args` with its input on stdin and the reading end of its
/// stdout closed before it can write: the input is only sent once the
/// pipe has no reader left, so the first write fails.
fn with_closed_stdout(args: &[&str], stdin: &str) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(args)
        // No cluster: the developer's kubeconfig must not change the result.
        .env("KUBECONFIG", "/nonexistent/injit-tests/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("injit runs");
    drop(child.stdout.take());
    // A command that fails before reading its input closes it: that is
    // its answer, not the test's failure.
    match child.stdin.take().expect("stdin").write_all(stdin.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
    let out = child.wait_with_output().expect("injit finishes");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_closed_stdout_is_an_error_for_every_command() {
    let template = std::env::temp_dir().join(format!("injit-closed-stdout-{}.tmpl", std::process::id()));
    std::fs::write(&template, "{{ range $i := until 3 }}{{ $i }}{{ end }}\n").expect("write template");
    let template = template.to_string_lossy().into_owned();
    let runs: [(&[&str], &str); 7] = [
        (&["analyze", "-f", "-"], POD),
        (&["analyze", "--output", "json", "-f", "-"], POD),
        (&["check-inject", "-f", "-"], POD),
        (&["check-inject", "--output", "json", "-f", "-"], POD),
        (&["kube-inject", "-f", "-"], POD),
        (&["render", "--funcs", "sprig", &template, "-"], "{}"),
        (&["check", "--emit", "ir", "-"], "{{ .x }}"),
    ];
    for (args, stdin) in runs {
        let (code, stderr) = with_closed_stdout(args, stdin);
        assert!(matches!(code, Some(1 | 2)), "{args:?}: exit {code:?}: {stderr}");
        assert!(stderr.contains("error: cannot write <stdout>: Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
