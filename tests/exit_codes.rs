//! Every exit code a command's `--help` documents is the code the command
//! really exits with: one run per documented (command, code) pair, each
//! provoking that outcome, and a check that no documented pair lacks a run.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COMMANDS: [&str; 7] = ["check", "render", "kube-inject", "serve", "certs", "analyze", "check-inject"];

/// (arguments, expected code, what the run provokes). Paths are relative
/// to the package root, where cargo runs integration tests.
const RUNS: &[(&[&str], i32, &str)] = &[
    (&["check", "examples/templates/sidecar.tmpl"], 0, "a clean template"),
    (&["check", "snapshots/tests/inputs/check/three_mistakes.tmpl"], 1, "a template with errors"),
    (&["check", "--delims", "x", "examples/templates/sidecar.tmpl"], 2, "a bad --delims"),
    (&["check", "/nonexistent/injit.tmpl"], 3, "an unreadable template"),
    (&["render", "--funcs", "sprig", "bench/conformance/sidecar.tmpl", "bench/conformance/pod.json"], 0, "a render"),
    (&["render", "snapshots/tests/inputs/check/syntax_error.tmpl"], 1, "a template that does not parse"),
    (&["render", "snapshots/tests/inputs/check/fails_every_run.tmpl"], 1, "a template that fails while executing"),
    (&["render", "--missingkey", "nope", "examples/templates/sidecar.tmpl"], 2, "a bad --missingkey"),
    (&["render", "/nonexistent/injit.tmpl"], 3, "an unreadable template"),
    (&["kube-inject", "--offline", "-f", "examples/sleep.yaml"], 0, "an injection"),
    (&["kube-inject", "--offline", "-f", "tests/data/bad-annotation.yaml"], 1, "a pod Istio refuses to inject"),
    (&["kube-inject", "--offline", "-f", "/nonexistent/app.yaml"], 3, "an unreadable manifest"),
    (&["kube-inject", "-f", "examples/sleep.yaml"], 4, "a broken kubeconfig"),
    (&["serve", "--tls-cert", "/nonexistent/tls.crt", "--tls-key", "/nonexistent/tls.key"], 3, "missing certificates"),
    (&["certs", "--days", "0", "--out-dir", "/nonexistent/injit-certs"], 2, "--days 0"),
    (&["certs", "--out-dir", "Cargo.toml/certs"], 3, "an output folder that cannot be made"),
    (&["analyze", "-f", "examples/app.yaml"], 0, "warnings below --fail-on"),
    (&["analyze", "-f", "examples/app.yaml", "--fail-on", "warning"], 1, "warnings at --fail-on"),
    (&["analyze", "-f", "/nonexistent/app.yaml"], 3, "an unreadable manifest"),
    (&["analyze", "-k"], 4, "a broken kubeconfig"),
    (&["check-inject", "-f", "examples/app.yaml"], 0, "a report"),
    (&["check-inject", "svc/web"], 2, "a TARGET check-inject does not read"),
    (&["check-inject", "-f", "/nonexistent/app.yaml"], 3, "an unreadable manifest"),
    (&["check-inject", "pod/web"], 4, "a broken kubeconfig"),
];

/// Runs `injit args` with nothing on stdin, in the package root; a command that has not exited
/// after 20 s (a server that started when it should not have) is killed
/// and reported.
fn exit_code(args: &[&str]) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // Every run sees a broken kubeconfig: the developer's cluster cannot
        // change a result, and a run that reads a cluster shows as 4.
        .env("KUBECONFIG", "tests/data/broken-kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("injit runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait for injit") {
            return status.code();
        }
        if Instant::now() > deadline {
            child.kill().expect("kill injit");
            child.wait().expect("reap injit");
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The codes `injit COMMAND --help` documents for the command.
fn documented_codes(command: &str) -> BTreeSet<i32> {
    let out = Command::new(env!("CARGO_BIN_EXE_injit")).args([command, "--help"]).output().expect("injit runs");
    let help = String::from_utf8(out.stdout).expect("UTF-8 help");
    let table =
        help.split("Exit codes:").nth(1).unwrap_or_else(|| panic!("`injit {command} --help` has no exit codes"));
    table.lines().filter_map(|line| line.strip_prefix("  ")?.split_whitespace().next()?.parse().ok()).collect()
}

#[test]
fn each_command_exits_with_the_codes_its_help_documents() {
    let mut failures = Vec::new();
    for (args, want, what) in RUNS {
        let got = exit_code(args);
        if got != Some(*want) {
            failures.push(format!("injit {} ({what}): exit {got:?}, documented {want}", args.join(" ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_documented_code_has_a_run() {
    for command in COMMANDS {
        let documented = documented_codes(command);
        // 2 (the command line is not understood) is clap's for every
        // command: `usage_errors_exit_2` runs it. `certs`' success writes
        // files: `certs_into_a_new_folder_exit_0`. `serve`'s 1 and 4 need
        // certificates: `serve_that_cannot_listen_or_watch`; its 0 is its
        // exit on SIGTERM, which needs a started server: tests/serve.rs
        // (`sigterm_drains_then_finishes_in_flight_requests_and_exits`).
        let elsewhere: &[i32] = match command {
            "certs" => &[0, 2],
            "serve" => &[0, 1, 2, 4],
            _ => &[2],
        };
        let run: BTreeSet<i32> = RUNS
            .iter()
            .filter(|(args, ..)| args[0] == command)
            .map(|(_, code, _)| *code)
            .chain(elsewhere.iter().copied())
            .collect();
        let missing: Vec<_> = documented.difference(&run).collect();
        assert!(missing.is_empty(), "`injit {command} --help` documents {missing:?} but no run provokes them");
        let undocumented: Vec<_> = run.difference(&documented).collect();
        assert!(
            undocumented.is_empty(),
            "`injit {command}` exits {undocumented:?}, which its --help does not document"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(exit_code(&["no-such-command"]), Some(2));
    for command in COMMANDS {
        assert_eq!(exit_code(&[command, "--no-such-flag"]), Some(2), "injit {command} --no-such-flag");
    }
}

#[test]
fn certs_into_a_new_folder_exit_0() {
    let dir = std::env::temp_dir().join(format!("injit-exit-codes-{}", std::process::id()));
    let code = exit_code(&["certs", "--out-dir", dir.to_str().expect("a UTF-8 temp dir")]);
    let issued = dir.join("tls.crt").is_file();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0));
    assert!(issued, "certs exited 0 without writing tls.crt");
}

#[test]
fn serve_that_cannot_listen_or_watch() {
    let dir = std::env::temp_dir().join(format!("injit-exit-codes-serve-{}", std::process::id()));
    let out_dir = dir.to_str().expect("a UTF-8 temp dir");
    assert_eq!(exit_code(&["certs", "--out-dir", out_dir]), Some(0));
    let (cert, key) = (format!("{out_dir}/tls.crt"), format!("{out_dir}/tls.key"));
    let tls = ["--tls-cert", cert.as_str(), "--tls-key", key.as_str()];
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no interface of this machine
    // has it.
    let unlistenable = exit_code(&[&["serve", "--cluster", "false", "--address", "192.0.2.1"][..], &tls].concat());
    let unwatchable = exit_code(&[&["serve", "--port", "0"][..], &tls].concat());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(unlistenable, Some(1), "an address not on this machine");
    assert_eq!(unwatchable, Some(4), "a broken kubeconfig");
}
