//! Go's `encoding/json`: decoding text into [`Data`](crate::Data), the
//! encoding of strings and floats every writer shares, `json.Marshal` of
//! template values, and the Go-type-directed encoding and decoding checks
//! of typed data (over template `Data` and the injector's `serde_json`
//! trees alike).

pub mod check;
pub mod node;
pub mod normalize;
mod patched;
mod read;
pub mod typed;
pub mod value;
mod write;

pub use patched::MergeKey;
pub use read::{JsonError, NumberMode};
pub use write::{write_json_float, write_json_string};
