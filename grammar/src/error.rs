//! Parse errors, worded and numbered as Go's.

use std::fmt;

use crate::ast::Span;

/// A template that does not parse. `Display` gives Go's exact text:
/// `template: NAME:LINE: MESSAGE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    name: String,
    line: u32,
    message: String,
    span: Span,
    /// For an `unexpected EOF`, the action that opened what was never
    /// closed (`{{if ...}}`, `{{define ...}}`) and its keyword.
    unclosed: Option<(Span, &'static str)>,
}

impl ParseError {
    pub(crate) fn new(name: String, line: u32, message: String, span: Span) -> ParseError {
        ParseError { name, line, message, span, unclosed: None }
    }

    /// Names `opener` (`keyword`'s action) as what an `unexpected EOF`
    /// left open; the innermost opener, set first, stays.
    pub(crate) fn left_open(mut self, opener: Span, keyword: &'static str) -> ParseError {
        if self.message == "unexpected EOF" && self.unclosed.is_none() {
            self.unclosed = Some((opener, keyword));
        }
        self
    }

    /// Names `delim` (an action's left delimiter) as the action an
    /// `unclosed action` never closes.
    pub(crate) fn left_open_action(mut self, delim: Span) -> ParseError {
        if self.unclosed.is_none() {
            self.unclosed = Some((delim, "action"));
        }
        self
    }

    /// What an `unexpected EOF` or `unclosed action` left open (Go's text
    /// does not say): its span and keyword (`if`, `range`, `with`,
    /// `define`, `block`, or `action` for an action's own delimiters).
    pub fn unclosed(&self) -> Option<(Span, &'static str)> {
        self.unclosed
    }

    pub(crate) fn with_span(mut self, span: Span) -> ParseError {
        self.span = span;
        self
    }

    /// The template name Go reports (the top-level template's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The line Go reports, which can differ from `span`'s (Go counts lines
    /// as its lexer reads ahead, and skips newlines inside comments).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The message without the `template: NAME:LINE: ` prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the source the problem is, for diagnostics.
    pub fn span(&self) -> Span {
        self.span
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}
