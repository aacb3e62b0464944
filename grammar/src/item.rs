//! Tokens as Go's lexer emits them (`parse.item`).

use std::borrow::Cow;
use std::fmt;

use crate::ast::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemKind {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl ItemKind {
    fn is_keyword(self) -> bool {
        self as u8 >= ItemKind::Block as u8
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Item<'a> {
    pub(crate) kind: ItemKind,
    /// Start offset in the template source.
    pub(crate) pos: u32,
    /// End offset, for diagnostics.
    pub(crate) end: u32,
    /// The token text, or the message of an error item.
    pub(crate) val: Cow<'a, str>,
    /// Go's line number for the item, quirks included.
    pub(crate) line: u32,
}

impl Item<'_> {
    pub(crate) fn eof(pos: u32, line: u32) -> Item<'static> {
        Item { kind: ItemKind::Eof, pos, end: pos, val: Cow::Borrowed("EOF"), line }
    }

    pub(crate) fn span(&self) -> Span {
        Span { start: self.pos, end: self.end }
    }
}

/// Go's `item.String()`, used in "unexpected X in Y".
impl fmt::Display for Item<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ItemKind::Eof => f.write_str("EOF"),
            ItemKind::Error => f.write_str(&self.val),
            k if k.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.len() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", injit_strconv::quote(head.as_bytes()))
            }
            _ => f.write_str(&injit_strconv::quote(self.val.as_bytes())),
        }
    }
}
