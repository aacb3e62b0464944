//! Go's `strconv` (and the `unicode` predicates it relies on), reproduced byte
//! for byte. Both the template grammar (literals, error messages) and the
//! runtime (`fmt`, sprig) need the same answers Go gives, so they share this
//! leaf crate.
//!
//! Go strings are byte strings; functions here take and return `[u8]` where a
//! Go string may hold invalid UTF-8.
#![forbid(unsafe_code)]

mod atof;
mod atoi;
mod ftoa;
mod quote;
mod tables;
pub mod unicode;
mod utf8;

pub use atof::parse_float;
pub use atoi::{parse_int, parse_int_lossy, parse_uint};
pub use ftoa::{FloatFormat, format_float, format_float_bits, shortest_digits, shortest_integral};
pub use quote::{append_quoted, append_quoted_ascii, append_quoted_rune, quote, quote_rune, unquote, unquote_char};
pub use utf8::{RUNE_ERROR, decode_last_rune, decode_rune, encode_rune};

/// Why a conversion failed, as Go's `strconv.ErrSyntax` / `ErrRange`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// `invalid syntax`
    Syntax,
    /// `value out of range`
    Range,
}

impl NumError {
    /// The text of Go's sentinel error.
    pub fn text(self) -> &'static str {
        match self {
            NumError::Syntax => "invalid syntax",
            NumError::Range => "value out of range",
        }
    }
}
