//! A hand-written scanner for well-formed templates.
//!
//! pest's generated lexer is the definition of the language here, but it
//! pays for its generality on every byte: a stack snapshot per sequence, a
//! call-depth check per rule, a token queue to walk afterwards. Nearly every
//! real template is well formed and ASCII inside its actions, so this scanner
//! reads those directly into the pieces the grammar would produce, and
//! declines (returns `None`) at the first thing it does not handle itself —
//! any error rule, a non-ASCII byte in an action, a number beyond plain
//! digits, a character constant — leaving that template to pest. A
//! differential test (`tests/scanner.rs`) holds the two to the same pieces.

use crate::lexer::{Piece, RuleKind, is_space};

/// Scans `source` with the delimiters `left` and `right`, or declines.
pub(crate) fn scan(source: &str, left: &[u8], right: &[u8]) -> Option<Vec<Piece>> {
    // Templates run to about one piece per eight bytes; one allocation
    // up front saves the copies of growing.
    let pieces = Vec::with_capacity(source.len() / 8 + 4);
    let mut scanner = Scanner { bytes: source.as_bytes(), left, right, at: 0, pieces };
    scanner.template()?;
    Some(scanner.pieces)
}

struct Scanner<'s> {
    bytes: &'s [u8],
    left: &'s [u8],
    right: &'s [u8],
    at: usize,
    pieces: Vec<Piece>,
}

/// The ASCII part of the grammar's `ALNUM`; a non-ASCII byte means decline.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Scanner<'_> {
    fn push(&mut self, kind: RuleKind, start: usize, end: usize) {
        self.pieces.push(Piece::new(kind, start, end));
    }

    fn at_right(&self, at: usize) -> bool {
        // The first byte rules out nearly every position without a memcmp.
        self.bytes.get(at) == self.right.first() && self.bytes[at..].starts_with(self.right)
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn template(&mut self) -> Option<()> {
        let finder = memchr::memmem::Finder::new(self.left);
        while self.at < self.bytes.len() {
            if self.bytes[self.at..].starts_with(self.left) {
                self.delimited()?;
                continue;
            }
            // `text`: at least one byte, then up to the next left delimiter.
            let start = self.at;
            let end = finder.find(&self.bytes[start + 1..]).map_or(self.bytes.len(), |n| start + 1 + n);
            self.push(RuleKind::Text, start, end);
            self.at = end;
        }
        Some(())
    }

    /// `left_delim`, then a comment or an action.
    fn delimited(&mut self) -> Option<()> {
        let start = self.at;
        let mut end = start + self.left.len();
        let trimmed = self.byte(end) == Some(b'-') && self.byte(end + 1).is_some_and(is_space);
        if trimmed {
            end += 2;
        }
        let mut piece = Piece::new(RuleKind::LeftDelim, start, end);
        if trimmed {
            piece.left_trim = Some((start + self.left.len(), end));
        }
        self.pieces.push(piece);
        self.at = end;
        if self.bytes[end..].starts_with(b"/*") { self.comment() } else { self.action() }
    }

    /// A comment that closes properly; the error forms are pest's.
    fn comment(&mut self) -> Option<()> {
        let start = self.at;
        let close = start + 2 + memchr::memmem::find(&self.bytes[start + 2..], b"*/")? + 2;
        let end = if self.at_right(close) {
            close + self.right.len()
        } else if self.byte(close).is_some_and(is_space)
            && self.byte(close + 1) == Some(b'-')
            && self.at_right(close + 2)
        {
            close + 2 + self.right.len()
        } else {
            return None;
        };
        let mut piece = Piece::new(RuleKind::Comment, start, end);
        if end > close + self.right.len() {
            piece.right_trim = Some((close, close + 2));
        }
        self.pieces.push(piece);
        self.at = end;
        Some(())
    }

    /// `action_body`: tokens and white space up to the right delimiter.
    fn action(&mut self) -> Option<()> {
        loop {
            let start = self.at;
            let b = self.byte(start)?; // EOF: an unclosed action.
            if self.at_right(start) {
                self.push(RuleKind::RightDelim, start, start + self.right.len());
                self.at = start + self.right.len();
                return Some(());
            }
            if is_space(b) {
                if self.byte(start + 1) == Some(b'-') && self.at_right(start + 2) {
                    let mut piece = Piece::new(RuleKind::RightDelim, start, start + 2 + self.right.len());
                    piece.right_trim = Some((start, start + 2));
                    self.pieces.push(piece);
                    self.at = piece.end;
                    return Some(());
                }
                self.space();
                continue;
            }
            let (kind, end) = self.token(b, start)?;
            self.push(kind, start, end);
            self.at = end;
        }
    }

    /// `space`: a run of white space, leaving the last one when it starts
    /// ` -}}` (the caller sees to the first one).
    fn space(&mut self) {
        let start = self.at;
        let mut end = start + 1;
        while self.byte(end).is_some_and(is_space) && !(self.byte(end + 1) == Some(b'-') && self.at_right(end + 2)) {
            end += 1;
        }
        self.push(RuleKind::Space, start, end);
        self.at = end;
    }

    /// The grammar's `terminator`, which also matches at the end.
    fn at_terminator(&self, at: usize) -> bool {
        match self.byte(at) {
            None => true,
            Some(b' ' | b'.' | b')' | b'|' | b'\n' | b'(' | b'\t' | b'\r' | b',' | b':') => true,
            Some(_) => self.at_right(at),
        }
    }

    /// A run of ASCII word bytes from `at`; `None` at a non-ASCII byte, which
    /// may continue the word.
    fn word_end(&self, mut at: usize) -> Option<usize> {
        while let Some(b) = self.byte(at) {
            if is_word(b) {
                at += 1;
            } else if b.is_ascii() {
                break;
            } else {
                return None;
            }
        }
        Some(at)
    }

    /// One token starting with `b`, as the grammar's `token` picks it.
    fn token(&self, b: u8, start: usize) -> Option<(RuleKind, usize)> {
        let token = match b {
            b'.' => self.dot_or_field(start)?,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = self.word_end(start + 1)?;
                self.at_terminator(end).then_some((RuleKind::Identifier, end))?
            }
            b'"' => (RuleKind::String, self.string_end(start)?),
            b'`' => {
                let close = memchr::memchr(b'`', &self.bytes[start + 1..])?;
                (RuleKind::RawString, start + 1 + close + 1)
            }
            b'|' => (RuleKind::Pipe, start + 1),
            b'(' => (RuleKind::LeftParen, start + 1),
            b')' => (RuleKind::RightParen, start + 1),
            b'$' => {
                let end = self.word_end(start + 1)?;
                self.at_terminator(end).then_some((RuleKind::Variable, end))?
            }
            b'0'..=b'9' => (RuleKind::Number, self.number_end(start)?),
            b'=' => (RuleKind::Assign, start + 1),
            b':' => (self.byte(start + 1) == Some(b'=')).then_some((RuleKind::Declare, start + 2))?,
            // Signs start numbers, quotes start character constants: pest's.
            b'+' | b'-' | b'\'' => return None,
            b'!'..=b'~' => (RuleKind::Char, start + 1),
            _ => return None,
        };
        Some(token)
    }

    /// `field` (a whole chain `.a.b`) or `dot`; numbers like `.5` decline.
    fn dot_or_field(&self, start: usize) -> Option<(RuleKind, usize)> {
        let next = self.byte(start + 1)?;
        if next.is_ascii_digit() {
            return None;
        }
        if !is_word(next) {
            return (next.is_ascii() && self.at_terminator(start + 1)).then_some((RuleKind::Dot, start + 1));
        }
        let mut end = self.word_end(start + 1)?;
        // Further links need a non-digit word byte after their '.'.
        while self.byte(end) == Some(b'.') && self.byte(end + 1).is_some_and(|b| is_word(b) && !b.is_ascii_digit()) {
            end = self.word_end(end + 1)?;
        }
        if self.byte(end) == Some(b'.') && self.byte(end + 1).is_some_and(|b| !b.is_ascii()) {
            return None;
        }
        self.at_terminator(end).then_some((RuleKind::Field, end))
    }

    /// An interpreted string that closes on its line.
    fn string_end(&self, start: usize) -> Option<usize> {
        let mut at = start + 1;
        loop {
            at += memchr::memchr3(b'"', b'\\', b'\n', &self.bytes[at..])?;
            match self.bytes[at] {
                b'"' => return Some(at + 1),
                b'\\' if self.byte(at + 1).is_some_and(|b| b != b'\n') => at += 2,
                _ => return None,
            }
        }
    }

    /// Plain decimal digits; anything Go's `scanNumber` would read further
    /// (a point, an exponent, a base prefix, `_`, a sign, `i`) declines.
    fn number_end(&self, start: usize) -> Option<usize> {
        let mut end = start;
        while self.byte(end).is_some_and(|b| b.is_ascii_digit()) {
            end += 1;
        }
        match self.byte(end) {
            Some(b) if is_word(b) || !b.is_ascii() || matches!(b, b'.' | b'+' | b'-') => None,
            _ => Some(end),
        }
    }
}

#[cfg(test)]
mod tests;
