//! What injit's tests share with the Go conformance kit
//! (`snapshots/tests/conformance/`, Go 1.23's results), kept out of the
//! product crates:
//!
//! - [`funcs`]: the kit's test-only functions (`testfuncs`: `mkfunc`,
//!   `failwith`, `panicwith`, `pair`), which the kit's Go oracle registers
//!   to reach `call` and function errors with JSON-only data;
//! - [`batch`]: the kit's batch format, a case per JSON line in and a
//!   result per line out, and the runner `injit render --batch` uses (in
//!   builds with the CLI's `kit` feature);
//! - [`read_jsonl`], for the suites reading cases and results.
#![forbid(unsafe_code)]

pub mod batch;
pub mod funcs;

use std::path::Path;

/// Every non-blank line of a JSON-lines file, decoded; panics naming the
/// file and line of what does not decode.
pub fn read_jsonl<T: for<'de> serde::Deserialize<'de>>(path: &Path) -> Vec<T> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1)))
        .collect()
}
