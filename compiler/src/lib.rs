//! Compiles parsed Go templates: checks what Go would only find at run
//! time, and (in later stages) lowers templates to IR and native code.
#![forbid(unsafe_code)]

mod check;
mod diagnostic;
mod suggest;

pub use check::{Functions, check};
pub use diagnostic::{Diagnostic, Severity};
pub use suggest::closest;
