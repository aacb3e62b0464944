//! Every command README.md shows runs, as a user pasting it would run it,
//! so the README cannot drift from the binary.
//!
//! Each fenced block runs in a fresh copy of the repository's inputs
//! (`examples/`, `bench/`, `snapshots/`, `webhook/`, `deploy/`), with the
//! binary under test as `injit` on PATH:
//! - a `sh` block runs as one bash script (a server started with `&`
//!   serves the block's later commands, and is stopped at its end); each
//!   command must exit 0, or the code its comment names (`# exit 1`);
//! - a `text` block's `$ COMMAND` lines run the same way, and the lines
//!   shown under each must be what it prints (on stdout, or on stderr for
//!   diagnostics), up to a `…` that cuts them short;
//! - `cargo run --release --` is the binary; `cargo test` (this test's
//!   own command) is not run again. There is no API server here:
//!   `kubectl apply -k DIR` is rendered with `kubectl kustomize` (when
//!   kubectl is installed), other kubectl commands are skipped, and
//!   `check-inject` of a live pod runs against the fake API server of
//!   `cluster/tests/support/`, holding what the README describes.

#[path = "../cluster/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{FakeApi, objects};

const README: &str = include_str!("../README.md");

/// A fenced block: its language, first line number and text.
struct Block<'a> {
    language: &'a str,
    line: usize,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut open: Option<(&str, usize, String)> = None;
    for (index, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(language)) => open = Some((language.trim(), index + 2, String::new())),
            (Some(_), Some(_)) => {
                let (language, line, text) = open.take().expect("open");
                blocks.push(Block { language, line, text });
            }
            (Some((_, _, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// One command of a block: the shell line (continuations joined), the
/// exit code its comment names, and the output shown under it.
#[derive(Debug)]
struct Step {
    command: String,
    exit: i32,
    shown: Vec<String>,
}

/// The code a trailing `# exit N` comment names, else 0; and the line
/// without the comment.
fn exit_and_command(line: &str) -> (String, i32) {
    let (command, comment) = match line.find(" #") {
        Some(at) => (&line[..at], &line[at + 2..]),
        None => (line, ""),
    };
    let exit = comment.trim().strip_prefix("exit ").and_then(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    });
    (command.trim_end().to_owned(), exit.unwrap_or(0))
}

/// The commands of a `sh` block, or of a `text` block's `$` lines.
fn steps(block: &Block) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut pending = String::new();
    for line in block.text.lines() {
        let command_line = match block.language {
            "sh" => Some(line),
            _ => line.strip_prefix("$ "),
        };
        match command_line {
            Some(line) if !pending.is_empty() || !line.trim_start().starts_with('#') && !line.trim().is_empty() => {
                match line.strip_suffix('\\') {
                    Some(head) => pending.push_str(head),
                    None => {
                        pending.push_str(line);
                        let (command, exit) = exit_and_command(&std::mem::take(&mut pending));
                        steps.push(Step { command, exit, shown: Vec::new() });
                    }
                }
            }
            Some(_) => {}
            None => {
                if let Some(step) = steps.last_mut() {
                    step.shown.push(line.to_owned());
                }
            }
        }
    }
    steps
}

/// The command as this test runs it: `cargo run --release --` is the
/// binary; `None` for `cargo test`.
fn runnable(command: &str) -> Option<String> {
    if command.starts_with("cargo test") {
        return None;
    }
    Some(command.replace("cargo run --release -- ", "injit "))
}

/// A scratch copy of the inputs the README's commands read and write.
fn workspace() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("a temp dir");
    for read_only in ["examples", "bench", "snapshots", "webhook"] {
        std::os::unix::fs::symlink(root.join(read_only), dir.path().join(read_only)).expect("symlink");
    }
    // Written to (`injit certs --out-dir deploy/...`): a copy.
    let copied = Command::new("cp").arg("-r").arg(root.join("deploy")).arg(dir.path()).status().expect("cp runs");
    assert!(copied.success());
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_injit"), bin.join("injit")).expect("symlink injit");
    dir
}

/// The cluster the README's live `check-inject` example describes: Istio's
/// default and `canary` revisions, `shop` labelled for the canary, and
/// Deployment `web` there.
fn readme_cluster() -> FakeApi {
    let api = FakeApi::start();
    objects::two_revisions().into_iter().for_each(|o| api.put(o));
    api.put(objects::deployment("shop", "web", &[]));
    api
}

/// A live `check-inject` (a TARGET, not `-f`) needs the cluster.
fn needs_cluster(command: &str) -> bool {
    command.starts_with("injit check-inject") && !command.contains(" -f ")
}

/// Without an API server, `kubectl apply -k` renders the overlay (it must
/// build) and other kubectl commands are skipped.
const KUBECTL: &str = r#"kubectl() {
    if ! command -v kubectl >/dev/null; then echo "readme: kubectl not installed: skipped kubectl $*" >&2; return 0; fi
    if [ "$1" = apply ] && [ "$2" = -k ]; then command kubectl kustomize "$3" >/dev/null; return; fi
    echo "readme: no API server: skipped kubectl $*" >&2
}
"#;

/// Each step, then a check of its code; background jobs stopped at the
/// end. The step's output goes to files the test compares.
fn script(steps: &[(usize, String, i32)]) -> String {
    let mut script = String::from("set -u\n");
    script.push_str(KUBECTL);
    for (index, command, exit) in steps {
        if let Some(background) = command.strip_suffix('&') {
            script.push_str(&format!("{background} >bg-{index}.out 2>&1 &\n"));
            continue;
        }
        script.push_str(&format!(
            "{{ {command}\n}} >step-{index}.out 2>step-{index}.err\ncode=$?\n\
             if [ $code -ne {exit} ]; then echo \"step {index} exited $code, the README says {exit}\"; \
             cat step-{index}.err bg-*.out 2>/dev/null; kill $(jobs -p) 2>/dev/null; exit 1; fi\n"
        ));
    }
    script.push_str("kill $(jobs -p) 2>/dev/null; wait\nexit 0\n");
    script
}

/// Whether `shown` (the README's lines, up to a `…`) is what `printed` begins
/// with; all of it when no `…` cuts it short.
fn shows(shown: &[String], printed: &str) -> bool {
    let printed: Vec<&str> = printed.lines().collect();
    match shown.iter().position(|l| l.trim() == "…") {
        Some(cut) => printed.len() >= cut && shown[..cut].iter().zip(&printed).all(|(s, p)| s == p),
        None => shown.len() == printed.len() && shown.iter().zip(&printed).all(|(s, p)| s == p),
    }
}

fn run_block(block: &Block, api: &FakeApi) -> Result<(), String> {
    let steps: Vec<(usize, Step)> = steps(block).into_iter().enumerate().collect();
    let runs: Vec<(usize, String, i32)> =
        steps.iter().filter_map(|(i, s)| runnable(&s.command).map(|c| (*i, c, s.exit))).collect();
    if runs.is_empty() {
        return Ok(());
    }
    let dir = workspace();
    let path = format!("{}:{}", dir.path().join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let mut shell = Command::new("bash");
    shell.arg("-c").arg(script(&runs)).current_dir(dir.path()).env("PATH", &path);
    shell.env_remove("KUBERNETES_SERVICE_HOST").env_remove("ENABLE_NATIVE_SIDECARS").env("NO_COLOR", "1");
    let kubeconfig_dir = tempfile::tempdir().expect("a temp dir");
    let kubeconfig: PathBuf = if runs.iter().any(|(_, c, _)| needs_cluster(c)) {
        api.kubeconfig(kubeconfig_dir.path(), "kind-test")
    } else {
        // No cluster: what a workstation without one sees.
        kubeconfig_dir.path().join("none")
    };
    shell.env("KUBECONFIG", kubeconfig);
    let out = shell.output().map_err(|e| format!("bash: {e}"))?;
    if !out.status.success() {
        return Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    }
    for (index, step) in &steps {
        if step.shown.is_empty() || runnable(&step.command).is_none() {
            continue;
        }
        let read = |ext: &str| std::fs::read_to_string(dir.path().join(format!("step-{index}.{ext}"))).unwrap();
        let (stdout, stderr) = (read("out"), read("err"));
        // Diagnostics go to stderr, with nothing on stdout.
        let as_shown = shows(&step.shown, &stdout) || (stdout.is_empty() && shows(&step.shown, &stderr));
        if !as_shown {
            return Err(format!(
                "`{}` printed:\n{stdout}{stderr}\nthe README shows:\n{}",
                step.command,
                step.shown.join("\n")
            ));
        }
    }
    Ok(())
}

#[test]
fn every_readme_command_runs_as_shown() {
    let api = readme_cluster();
    let runnable_blocks: Vec<Block> = blocks(README)
        .into_iter()
        .filter(|b| b.language == "sh" || (b.language == "text" && b.text.contains("$ ")))
        .collect();
    assert!(runnable_blocks.len() >= 10, "the README's command blocks were not found");
    let failures: Vec<String> = runnable_blocks
        .iter()
        .filter_map(|block| run_block(block, &api).err().map(|e| format!("README.md:{}:\n{e}", block.line)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn steps_join_continuations_and_read_exit_comments() {
    let block = Block {
        language: "sh",
        line: 1,
        text: "# a comment\ninjit a \\\n  --b c     # exit 1: why\ninjit d &\n".to_owned(),
    };
    let steps = steps(&block);
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!((steps[0].command.as_str(), steps[0].exit), ("injit a   --b c", 1));
    assert_eq!((steps[1].command.as_str(), steps[1].exit), ("injit d &", 0));
    let text = Block { language: "text", line: 1, text: "$ injit x\nline 1\n…\n".to_owned() };
    let steps = self::steps(&text);
    assert_eq!(steps[0].shown, ["line 1", "…"]);
    assert!(shows(&steps[0].shown, "line 1\nline 2\n"));
    assert!(!shows(&steps[0].shown, "line 0\n"));
    assert!(!shows(&["a".to_owned()], "a\nb\n"), "without …, all of it");
}
