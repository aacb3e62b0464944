//! Go's encodings: JSON (with protobuf's `jsonpb` beside it), base64 and
//! base32, URL escapes, and the YAML Kubernetes tooling writes.
//!
//! The runtime's third floor: it reads and writes values and data, so it
//! imports `value` and `types` (and `gotime`) below it, never the printing,
//! operations or template functions above it. Template functions that
//! encode (`toJson`, `b64enc`, `toYaml`) are thin wrappers over it.

pub mod base32;
pub mod base64;
pub mod json;
pub mod protojson;
pub mod url;
pub mod yaml;

/// Go's `CorruptInputError` text, shared by the base64 and base32 decoders.
fn corrupt_input(kind: &str, at: usize) -> String {
    format!("illegal {kind} data at input byte {at}")
}
