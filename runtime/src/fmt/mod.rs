//! Go's `fmt` over template values: `Sprint`, `Sprintln`, `Sprintf` and the
//! default printing of an action's value, byte for byte.

mod format;
mod print;

pub(crate) use print::stringer;
pub use print::{Printer, data_to_string, fprint, sprint, sprintf, sprintln};
