//! Go template values and functions: the runtime both of injit's backends
//! call into. Every operation is a plain function over values that returns a
//! result, so compiled code and the reference evaluator share it.
#![forbid(unsafe_code)]

pub mod convert;
pub mod data;
pub mod fmt;
pub mod func;
pub mod funcs;
pub mod gotime;
pub mod object;
pub mod ops;
pub mod schema;
mod stack;
pub mod types;
pub mod value;
pub mod yaml;

pub use data::{Data, NumberMode, Object};

/// Go's `encoding/base64` standard encoding, for callers outside templates
/// (go-yaml's `!!binary`, Kubernetes secrets).
pub mod base64 {
    pub use crate::funcs::sprig::encoding::{base64_decode as decode, base64_std as encode};
}
/// JSON text as Go's `encoding/json` writes it.
pub mod json {
    pub use crate::funcs::sprig::json::write_json_string as write_string;
}
pub use funcs::{Arity, FunctionSet, Signature};
pub use types::{Kind, Type};
pub use value::{Repr, Str, Value};
