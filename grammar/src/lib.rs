//! The Go `text/template` language: a pest grammar for its tokens and a
//! parser that builds Go's syntax tree and reports Go's parse errors, word
//! for word.
//!
//! ```
//! use injit_grammar::{parse, ParseOptions};
//! let builtins = |name: &str| name == "print";
//! let templates = parse("{{print .x}}", &ParseOptions::new("t", &builtins)).unwrap();
//! assert!(templates.get("t").is_some());
//! let err = parse("{{.x", &ParseOptions::new("t", &builtins)).unwrap_err();
//! assert_eq!(err.to_string(), "template: t:1: unclosed action");
//! ```
#![forbid(unsafe_code)]

pub mod ast;
mod delims;
mod display;
mod dump;
mod error;
mod item;
mod lexer;
mod number;
mod parser;
mod position;
mod scanner;

pub use delims::Delims;
pub use display::{GoDisplay, Shown};
pub use dump::dump;
pub use error::ParseError;
#[doc(hidden)]
pub use lexer::scanner_agrees_with_grammar;
pub use parser::{COMPILE_STACK_BYTES, FunctionLookup, MAX_NESTING, ParseOptions, Templates, parse};
pub use position::LineIndex;
