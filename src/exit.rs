//! The exit codes of every `injit` command, in one table.
//!
//! One number means one thing in every command, so a script can act on
//! the code alone: 1 the subject has problems (a template's errors,
//! analyze's findings, a pod that could not be injected), 2 the command
//! line, 3 an input or output file, 4 the cluster. `docs/exit-codes.md`
//! holds the same tables.

use std::process::ExitCode;

/// An exit code, named for what it means; [`FINDINGS`](Code::FINDINGS)
/// and [`FAILED`](Code::FAILED) share 1 (see [`HELP`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(u8);

impl Code {
    /// 0: done; for `check` and `analyze`, nothing at the failing level.
    pub const OK: Code = Code(0);
    /// 1, `check`: a template has errors; `analyze`: a finding at
    /// `--fail-on`'s severity or above.
    pub const FINDINGS: Code = Code(1);
    /// 1: the work itself failed on good input: `render`'s template does
    /// not parse or fails while executing, `kube-inject` could not inject
    /// a pod, `serve` could not listen, `render --bench` failed.
    pub const FAILED: Code = Code(1);
    /// 2: the command line is not understood (clap's errors, and values
    /// clap cannot judge: `--delims`, `--data-type`, a TARGET).
    pub const USAGE: Code = Code(2);
    /// 3: an input (template, data, injector config, values, mesh config,
    /// manifest, certificate, key) could not be read or understood, or an
    /// output could not be written.
    pub const INPUT: Code = Code(3);
    /// 4: the cluster could not be used: no or a broken kubeconfig, the
    /// API server unreachable or refusing, or the objects asked for are
    /// not there.
    pub const CLUSTER: Code = Code(4);

    /// The number the process exits with.
    pub fn number(self) -> u8 {
        self.0
    }
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> ExitCode {
        ExitCode::from(code.0)
    }
}

/// Why a command stopped: the code it exits with and the message it
/// prints to standard error (empty when it was already reported, as
/// `serve` logs its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl Failure {
    pub fn new(code: Code, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into() }
    }

    /// A failure whose message has been printed or logged already.
    pub fn reported(code: Code) -> Failure {
        Failure { code, message: String::new() }
    }
}

/// What a command's `run` returns: the code to exit with, or a failure
/// to print.
pub type CommandResult = Result<Code, Failure>;

/// The exit code a command's outcome ends the process with, its message
/// printed.
pub fn finish(outcome: CommandResult) -> ExitCode {
    match outcome {
        Ok(code) => code.into(),
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("{}", failure.message);
            }
            failure.code.into()
        }
    }
}

/// The table, as `injit --help` prints it.
pub const HELP: &str = "\
Exit codes:
  0  success; check, analyze: nothing at the failing level
  1  check: a template has errors
     analyze: a finding at --fail-on's severity or above
     render: the template does not parse, or fails while executing
     kube-inject: a pod could not be injected
     serve: the server could not listen
  2  the command line is not understood
  3  an input could not be read or understood (template, data, config,
     values, mesh config, manifest, certificate), or an output could not
     be written
  4  the cluster could not be used (kubeconfig, API server, permissions,
     or the objects asked for are not there)
141  the reader of standard output went away (| head): stopped quietly,
     as SIGPIPE stops Unix tools";

/// `injit check --help`'s part of the table.
pub const CHECK: &str = "\
Exit codes:
  0  no errors
  1  a template has errors
  2  the command line is not understood (a bad --delims or --data-type too)
  3  a file could not be read, or the report could not be written";

/// `injit render --help`'s part of the table.
pub const RENDER: &str = "\
Exit codes:
  0  rendered
  1  the template does not parse, or fails while executing (its output so
     far is written); --bench failed
  2  the command line is not understood (a bad --missingkey or --delims,
     or --batch in a build without the conformance kit, too)
  3  the template or data could not be read or decoded, or the output could
     not be written";

/// `injit kube-inject --help`'s part of the table.
pub const KUBE_INJECT: &str = "\
Exit codes:
  0  injected
  1  a pod could not be injected (its template failed, the pod was refused)
  2  the command line is not understood
  3  the manifest or a config file could not be read or understood, or the
     output could not be written
  4  the cluster could not be used (kubeconfig, API server, permissions, or
     the revision's ConfigMaps are not there)";

/// `injit serve --help`'s part of the table.
pub const SERVE: &str = "\
Exit codes:
  0  shut down on SIGTERM or SIGINT
  1  the server could not listen
  2  the command line is not understood
  3  a certificate or config file could not be read or understood
  4  the cluster could not be used (a broken kubeconfig)";

/// `injit certs --help`'s part of the table.
pub const CERTS: &str = "\
Exit codes:
  0  issued
  2  the command line is not understood
  3  the CA, the manifest or the output folder could not be read, used or
     written (existing certificates are kept without --force)";

/// `injit analyze --help`'s part of the table.
pub const ANALYZE: &str = "\
Exit codes:
  0  no finding at --fail-on's severity or above
  1  a finding at --fail-on's severity or above
  2  the command line is not understood
  3  a manifest could not be read or parsed, or the report could not be
     written
  4  with -k: the cluster could not be used";

/// `injit check-inject --help`'s part of the table.
pub const CHECK_INJECT: &str = "\
Exit codes:
  0  every pod answered
  2  the command line is not understood (a TARGET that is not pod/NAME,
     deploy/NAME or a name too)
  3  a manifest, config or webhook configuration could not be read or
     understood, or the report could not be written
  4  with TARGET or -l: the cluster could not be used, or the pod,
     deployment or matching pods are not there";

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/exit-codes.md` shows the tables `--help` prints.
    #[test]
    fn the_docs_hold_the_help_tables() {
        let docs = include_str!("../docs/exit-codes.md");
        for table in [HELP, CHECK, RENDER, KUBE_INJECT, SERVE, CERTS, ANALYZE, CHECK_INJECT] {
            assert!(docs.contains(table), "docs/exit-codes.md must contain verbatim:\n{table}");
        }
    }
}
