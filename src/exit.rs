//! The exit codes of every `injit` command, in one table.
//!
//! The numbers are the ones each command has always used. Some numbers
//! mean different things to different commands (2 is a usage error
//! everywhere, but also `render`'s execution error and `check-inject`'s
//! any error); the table names every meaning, so a script can tell what
//! a code means from the command it ran. `docs/exit-codes.md` holds the
//! same table.

use std::process::ExitCode;

/// An exit code, named for what it means; several names share a number
/// (see [`HELP`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(u8);

impl Code {
    /// 0: done; for `check` and `analyze`, nothing to report.
    pub const OK: Code = Code(0);
    /// 1, `check`: a template has errors; `analyze`: a finding at
    /// `--fail-on`'s severity or above.
    pub const FINDINGS: Code = Code(1);
    /// 1, `check`, `render`, `kube-inject`, `serve`, `certs`: the command
    /// could not do its work (a file could not be read or written, the
    /// injector config is broken, the server could not start).
    pub const FAILED: Code = Code(1);
    /// 1, `render`: the template does not parse (Go's parse error).
    pub const PARSE_ERROR: Code = Code(1);
    /// 2, every command: the command line is not understood (clap's
    /// errors; `check`'s `--delims` and `--data-type`).
    pub const USAGE: Code = Code(2);
    /// 2, `render`: the template failed while executing (Go's exec
    /// error); what it wrote before is on standard output.
    pub const EXEC_ERROR: Code = Code(2);
    /// 2, `analyze` and `check-inject`: an input could not be read or
    /// understood, or the report could not be written.
    pub const BAD_INPUT: Code = Code(2);
    /// 3, `render`: the template or the data could not be read or
    /// decoded, or `--missingkey`, `--delims` or `--batch` was unusable.
    pub const RENDER_INPUT: Code = Code(3);

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
  0  success; check, analyze: nothing to report
  1  check: a template has errors
     analyze: a finding at --fail-on's severity or above
     render: the template does not parse
     check, render, kube-inject, serve, certs: the command failed (a file
     could not be read or written, a broken config, the server could not start)
  2  any command: the command line is not understood
     render: the template failed while executing (its output so far is written)
     analyze, check-inject: an input could not be read or understood, or
     the report could not be written
  3  render: the template or data could not be read or decoded, or
     --missingkey, --delims or --batch was unusable
141  any command: the reader of its standard output went away (| head);
     stopped quietly, as SIGPIPE stops Unix tools";

/// `injit check --help`'s part of the table.
pub const CHECK: &str = "\
Exit codes:
  0  no errors
  1  a template has errors, or a file could not be read or written
  2  the command line is not understood (a bad --delims or --data-type too)";

/// `injit render --help`'s part of the table.
pub const RENDER: &str = "\
Exit codes:
  0  rendered
  1  the template does not parse, --bench failed, or the output could not be written
  2  the template failed while executing (its output so far is written), or the
     command line is not understood
  3  the template or data could not be read or decoded, or --missingkey, --delims
     or --batch was unusable";

/// `injit kube-inject --help`'s part of the table.
pub const KUBE_INJECT: &str = "\
Exit codes:
  0  injected
  1  a file or the cluster could not be read, the output could not be written,
     or injection failed
  2  the command line is not understood";

/// `injit serve --help`'s part of the table.
pub const SERVE: &str = "\
Exit codes:
  0  shut down on SIGTERM or SIGINT
  1  the server could not start
  2  the command line is not understood";

/// `injit certs --help`'s part of the table.
pub const CERTS: &str = "\
Exit codes:
  0  issued
  1  the certificates or the manifest could not be made, read or written
  2  the command line is not understood";

/// `injit analyze --help`'s part of the table.
pub const ANALYZE: &str = "\
Exit codes:
  0  no finding at --fail-on's severity or above
  1  a finding at --fail-on's severity or above
  2  a manifest could not be read or parsed, the report could not be written,
     or the command line is not understood";

/// `injit check-inject --help`'s part of the table.
pub const CHECK_INJECT: &str = "\
Exit codes:
  0  every pod answered
  2  an input, the config or the webhook configuration could not be read or
     understood (with TARGET or -l: the cluster could not be read, or the
     pod, deployment or matching pods are not there), the report could not
     be written, or the command line is not understood";

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
