//! The error a template fails with while executing, shared by both
//! backends.

use std::fmt;

use crate::ir::{NodeId, ProcId, Program};

/// A template that failed while executing; `Display` is Go's text:
/// `template: t:1:7: executing "t" at <.a.b>: ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecError {
    message: String,
    /// The byte offset in the template source of the node that failed,
    /// when one did.
    pos: Option<u32>,
}

impl ExecError {
    pub(crate) fn new(message: String) -> ExecError {
        ExecError { message, pos: None }
    }

    /// An error at the node `node` of template `proc` (Go's `state.errorf`).
    pub(crate) fn at(program: &Program, proc: ProcId, node: Option<NodeId>, message: String) -> ExecError {
        let name = &program.procs[proc].name;
        let (message, pos) = match node {
            None => (format!("template: {name}: {message}"), None),
            Some(n) => {
                let info = &program.nodes[n];
                let quoted = injit_strconv::quote(name.as_bytes());
                (
                    format!("template: {}: executing {quoted} at <{}>: {message}", info.location, info.context),
                    Some(info.pos),
                )
            }
        };
        ExecError { message, pos }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the template source the failing node is (Go's text gives
    /// its line and 0-based column in the template), when a node failed.
    pub fn pos(&self) -> Option<u32> {
        self.pos
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {}
