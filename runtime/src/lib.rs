//! Go template values and functions: the runtime both of injit's backends
//! call into. Every operation is a plain function over values that returns a
//! result, so compiled code and the reference evaluator share it.
//!
//! The modules stand on floors, and a module imports only from its own
//! floor or those below (`tests/floors.rs` checks it):
//!
//! | floor | modules | holds |
//! |---|---|---|
//! | 0 | `types`, `gotime` | Go's types, typed data's type tables; Go's `time` |
//! | 1 | `value` | values, input data, functions, objects, typed views |
//! | 2 | `encoding` | JSON, protobuf JSON, base64/32, YAML |
//! | 3 | `fmt`, `ops`, `convert` | printing, operations, argument conversion |
//! | 4 | `funcs` | the template function sets: builtins, sprig, Istio |
#![forbid(unsafe_code)]

pub mod convert;
pub mod encoding;
pub mod fmt;
pub mod funcs;
pub mod gotime;
pub mod ops;
pub mod types;
pub mod value;

pub use encoding::json::NumberMode;
pub use funcs::{Arity, Library, Signature};
pub use types::{Kind, Type};
pub use value::data::{Data, Object};
pub use value::{Repr, Str, Value};
