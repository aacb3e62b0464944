//! Go's `fmt` over template values: `Sprint`, `Sprintln`, `Sprintf` and the
//! default printing of an action's value, byte for byte.
//!
//! On floor 3 beside `ops` and `convert`: it imports the floors below it
//! and neither neighbour (`ops` compares by printing, so it imports `fmt`).

mod format;
mod print;
mod proto_string;
mod prototext;
mod typed_stringer;

pub(crate) use print::stringer;
pub use print::{Printer, data_to_string, fprint, sprint, sprintf, sprintln};
pub use typed_stringer::{action_stringer, generated_string_method};
