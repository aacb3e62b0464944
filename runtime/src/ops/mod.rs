//! The operations templates perform on values: field access, truth,
//! comparison and Go's builtin functions.
//!
//! On floor 3: it imports `fmt` and `convert` beside it and the floors
//! below, never `funcs`, whose bodies call it.

pub mod builtins;
pub mod compare;
pub mod field;
