//! The `injit` command line: each subcommand is a module under `commands`
//! with its clap arguments (`Args`) and its `run`, callable from tests with
//! its output captured. `main.rs` only dispatches.
#![forbid(unsafe_code)]

pub mod args;
pub mod cluster;
pub mod commands;
pub mod exit;
pub mod io;
pub mod live_objects;
pub mod progress;
pub mod report;
pub mod sarif;
