//! The `injit` command line: each subcommand is a module under `commands`,
//! callable from tests with its output captured.
#![forbid(unsafe_code)]

pub mod commands;
pub mod report;
