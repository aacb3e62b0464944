//! The operations templates perform on values: field access, truth,
//! comparison and Go's builtin functions.

pub mod builtins;
pub mod compare;
pub mod field;
