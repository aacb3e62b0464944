//! Every command that writes to standard output stops quietly with 141
//! (as SIGPIPE stops Unix tools) when its reader went away (`injit
//! analyze | head`), and reports any other failure to write (a full disk)
//! as an error naming `<stdout>`: no panic, no success with its output
//! cut short.

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
    with_stdout(args, stdin, Stdio::piped(), true)
}

/// Runs `injit args` with `stdout`, its reading end closed if `close`.
fn with_stdout(args: &[&str], stdin: &str, stdout: Stdio, close: bool) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(args)
        // No cluster: the developer's kubeconfig must not change the result.
        .env("KUBECONFIG", "/nonexistent/injit-tests/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("injit runs");
    if close {
        drop(child.stdout.take());
    }
    // A command that fails before reading its input closes it: that is
    // its answer, not the test's failure.
    match child.stdin.take().expect("stdin").write_all(stdin.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
    let out = child.wait_with_output().expect("injit finishes");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The commands writing to standard output, with their input.
fn runs(template: &str) -> [(Vec<&str>, &'static str); 7] {
    [
        (vec!["analyze", "-f", "-"], POD),
        (vec!["analyze", "--output", "json", "-f", "-"], POD),
        (vec!["check-inject", "-f", "-"], POD),
        (vec!["check-inject", "--output", "json", "-f", "-"], POD),
        (vec!["kube-inject", "--offline", "-f", "-"], POD),
        (vec!["render", "--funcs", "sprig", template, "-"], "{}"),
        (vec!["check", "--emit", "ir", "-"], "{{ .x }}"),
    ]
}

/// A template for `render`, in a file of the test's own.
fn template_file(test: &str) -> String {
    // Cargo's scratch space for integration tests, not the system's
    // temporary folder.
    let template =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{test}-{}.tmpl", std::process::id()));
    std::fs::write(&template, "{{ range $i := until 3 }}{{ $i }}{{ end }}\n").expect("write template");
    template.to_string_lossy().into_owned()
}

/// `/dev/full` takes no byte: every write fails with ENOSPC.
#[test]
fn a_full_disk_is_an_error_for_every_command() {
    let template = template_file("full-stdout");
    for (args, stdin) in runs(&template) {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let (code, stderr) = with_stdout(&args, stdin, Stdio::from(full), false);
        assert_eq!(code, Some(3), "{args:?}: an output that cannot be written: {stderr}");
        assert!(stderr.contains("error: cannot write <stdout>: No space left on device"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_stdout_stops_quietly_with_141() {
    let template = template_file("closed-stdout");
    for (args, stdin) in runs(&template) {
        let (code, stderr) = with_closed_stdout(&args, stdin);
        assert_eq!(code, Some(141), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}: nothing said about the reader's choice");
    }
}
