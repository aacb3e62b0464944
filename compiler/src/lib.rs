//! Compiles Go templates: checks what Go would only find at run time,
//! lowers templates to IR, and executes it (the reference evaluator; native
//! code comes from the same IR).
// Native code needs `unsafe` (calling generated functions, the helper
// ABI); it is confined to `jit/`, and every block says why it is sound.
#![deny(unsafe_code)]

mod check;
mod dataflow;
mod diagnostic;
mod entity;
mod eval;
mod exec_error;
mod fold;
pub mod ir;
#[allow(unsafe_code)]
mod jit;
mod limits;
mod lower;
mod machine;
mod optimize;
mod suggest;
mod template;
mod trace;
mod trim_lint;
mod typecheck;

pub use check::{FunctionSet, check};
pub use diagnostic::{Diagnostic, Severity};
pub use exec_error::ExecError;
pub use ir::MissingKey;
pub use jit::JitError;
pub use limits::{ExecLimits, MAX_OUTPUT, MAX_TEMPLATE_DEPTH};
pub use suggest::closest;
pub use template::{Backend, CompileOptions, HOT_RENDERS, TemplateSet};
pub use trace::OutputTrace;
pub use trim_lint::check_trim_markers;
pub use typecheck::{check_fields, check_types};
