//! The error a template fails with while executing, shared by both
//! backends.

use std::fmt;

use crate::ir::{NodeId, ProcId, Program};

/// A template that failed while executing; `Display` is Go's text:
/// `template: t:1:7: executing "t" at <.a.b>: ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecError {
    message: String,
}

impl ExecError {
    pub(crate) fn new(message: String) -> ExecError {
        ExecError { message }
    }

    /// An error at the node `node` of template `proc` (Go's `state.errorf`).
    pub(crate) fn at(program: &Program, proc: ProcId, node: Option<NodeId>, message: String) -> ExecError {
        let name = &program.procs[proc].name;
        let message = match node {
            None => format!("template: {name}: {message}"),
            Some(n) => {
                let info = &program.nodes[n];
                let quoted = injit_strconv::quote(name.as_bytes());
                format!("template: {}: executing {quoted} at <{}>: {message}", info.location, info.context)
            }
        };
        ExecError { message }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {}
