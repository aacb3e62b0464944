//! Go template values and functions: the runtime both of injit's backends
//! call into.
#![forbid(unsafe_code)]

pub mod funcs;

pub use funcs::{Arity, FunctionSet, Signature};
