//! From pest's token stream to Go's items.
//!
//! The pest grammar (`template.pest`) finds the tokens; this module applies
//! the parts of Go's lexer that are state rather than syntax: trim markers
//! eating the white space of neighbouring text, paren depth, keywords, and
//! Go's line numbers (which, for instance, do not count newlines inside a
//! comment).

use std::borrow::Cow;

use pest::iterators::Pair;
use pest::{Parser, RuleType};

use crate::delims::Delims;
use crate::item::{Item, ItemKind};
use crate::scanner::scan;

/// What a grammar rule means, independent of which delimiter variant of the
/// grammar produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleKind {
    Text,
    Comment,
    UnclosedComment,
    CommentEndError,
    LeftDelim,
    RightDelim,
    UnclosedAction,
    LeftTrim,
    RightTrim,
    CommentText,
    Offending,
    NumberText,
    Space,
    Assign,
    Declare,
    DeclareError,
    Pipe,
    String,
    StringError,
    RawString,
    RawStringError,
    CharConstant,
    CharConstantError,
    Variable,
    VariableError,
    Dot,
    Field,
    FieldError,
    Number,
    Complex,
    NumberError,
    Identifier,
    IdentifierError,
    LeftParen,
    RightParen,
    Char,
    UnrecognizedError,
    Ignore,
}

pub(crate) trait LexRule: RuleType {
    fn kind(self) -> RuleKind;
}

/// One grammar per delimiter pair, all sharing `template.pest`.
macro_rules! delimiter_variant {
    ($module:ident, $grammar:literal) => {
        mod $module {
            #[derive(pest_derive::Parser)]
            #[grammar = "template.pest"]
            #[grammar = $grammar]
            pub(crate) struct Lexer;

            impl super::LexRule for Rule {
                fn kind(self) -> super::RuleKind {
                    use super::RuleKind as K;
                    match self {
                        Rule::text => K::Text,
                        Rule::comment => K::Comment,
                        Rule::unclosed_comment => K::UnclosedComment,
                        Rule::comment_end_error => K::CommentEndError,
                        Rule::left_delim => K::LeftDelim,
                        Rule::right_delim => K::RightDelim,
                        Rule::unclosed_action => K::UnclosedAction,
                        Rule::left_trim => K::LeftTrim,
                        Rule::right_trim => K::RightTrim,
                        Rule::comment_text => K::CommentText,
                        Rule::offending => K::Offending,
                        Rule::number_text => K::NumberText,
                        Rule::space => K::Space,
                        Rule::assign => K::Assign,
                        Rule::declare => K::Declare,
                        Rule::declare_error => K::DeclareError,
                        Rule::pipe => K::Pipe,
                        Rule::string => K::String,
                        Rule::string_error => K::StringError,
                        Rule::raw_string => K::RawString,
                        Rule::raw_string_error => K::RawStringError,
                        Rule::char_constant => K::CharConstant,
                        Rule::char_constant_error => K::CharConstantError,
                        Rule::variable => K::Variable,
                        Rule::variable_error => K::VariableError,
                        Rule::dot => K::Dot,
                        Rule::field => K::Field,
                        Rule::field_error => K::FieldError,
                        Rule::number => K::Number,
                        Rule::complex => K::Complex,
                        Rule::number_error => K::NumberError,
                        Rule::identifier => K::Identifier,
                        Rule::identifier_error => K::IdentifierError,
                        Rule::left_paren => K::LeftParen,
                        Rule::right_paren => K::RightParen,
                        Rule::char => K::Char,
                        Rule::unrecognized_error => K::UnrecognizedError,
                        _ => K::Ignore,
                    }
                }
            }
        }
    };
}

delimiter_variant!(braces, "delims/braces.pest");
delimiter_variant!(brackets, "delims/brackets.pest");
delimiter_variant!(custom, "delims/custom.pest");

/// A token found by pest, positions relative to the template source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) kind: RuleKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) left_trim: Option<(usize, usize)>,
    pub(crate) right_trim: Option<(usize, usize)>,
    /// The offending character, or the text of a bad number.
    pub(crate) detail: Option<(usize, usize)>,
}

impl Piece {
    pub(crate) fn new(kind: RuleKind, start: usize, end: usize) -> Piece {
        Piece { kind, start, end, left_trim: None, right_trim: None, detail: None }
    }
}

fn is_error(kind: RuleKind) -> bool {
    matches!(kind, RuleKind::VariableError | RuleKind::FieldError | RuleKind::IdentifierError | RuleKind::NumberError)
        || kind == RuleKind::UnrecognizedError
}

/// Flattens pest's pairs into pieces, reading trim markers off the lengths
/// of delimiter tokens rather than walking their inner pairs (most tokens
/// have none worth the cost).
fn pieces<R: LexRule>(top: Pair<'_, R>, offset: usize, source: &str, delims: &Delims) -> Vec<Piece> {
    let (left, right) = (delims.left().len(), delims.right().len());
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    for pair in top.into_inner() {
        let kind = pair.as_rule().kind();
        if kind == RuleKind::Ignore {
            continue;
        }
        let (start, end) = (pair.as_span().start() - offset, pair.as_span().end() - offset);
        let mut piece = Piece::new(kind, start, end);
        match kind {
            RuleKind::LeftDelim if end - start > left => piece.left_trim = Some((start + left, end)),
            RuleKind::RightDelim if end - start > right => piece.right_trim = Some((start, start + 2)),
            // A comment ends `*/ -}}` when trimmed; `*/` ends in '/', so a
            // '-' right before the delimiter belongs to a trim marker.
            RuleKind::Comment if end - start >= 4 + right + 2 && bytes[end - right - 1] == b'-' => {
                piece.right_trim = Some((end - right - 2, end - right));
            }
            _ if is_error(kind) => {
                for inner in pair.into_inner() {
                    if matches!(inner.as_rule().kind(), RuleKind::Offending | RuleKind::NumberText) {
                        piece.detail = Some((inner.as_span().start() - offset, inner.as_span().end() - offset));
                    }
                }
            }
            _ => {}
        }
        out.push(piece);
    }
    out
}

fn run_pest<R: LexRule, P: Parser<R>>(rule: R, input: &str, offset: usize, delims: &Delims) -> Vec<Piece> {
    match P::parse(rule, input) {
        Ok(mut pairs) => pairs.next().map(|top| pieces(top, offset, &input[offset..], delims)).unwrap_or_default(),
        // The grammar accepts every input; should pest still fail (its call
        // depth guard), report the whole template as one unclosed action.
        Err(_) => vec![Piece::new(RuleKind::UnclosedAction, 0, input.len() - offset)],
    }
}

fn newlines(s: &str) -> u32 {
    memchr::memchr_iter(b'\n', s.as_bytes()).count() as u32
}

/// The grammar's `WS`.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `%#U`: `U+0040 '@'`, the quoted rune only when printable.
pub(crate) fn go_unicode(r: char) -> String {
    if injit_strconv::unicode::is_print(r) {
        format!("U+{:04X} '{}'", r as u32, r)
    } else {
        format!("U+{:04X}", r as u32)
    }
}

/// Lexer options that depend on the function map, as in Go: `break` and
/// `continue` are keywords unless functions of those names exist.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LexOptions {
    pub(crate) break_ok: bool,
    pub(crate) continue_ok: bool,
}

/// Lexes `source` into Go's items. The stream ends at the first error item,
/// or with an EOF item.
pub(crate) fn lex<'a>(source: &'a str, delims: &Delims, options: LexOptions) -> Vec<Item<'a>> {
    let pieces = pieces_of(source, delims);
    // Fields of a chain become one item each: a little room beyond the pieces.
    let items = Vec::with_capacity(pieces.len() + pieces.len() / 4 + 1);
    Items { source, pieces: &pieces, delims, options, items, line: 1 }.run()
}

/// The template's pieces: from the hand-written scanner when it takes the
/// template, otherwise from the grammar.
fn pieces_of(source: &str, delims: &Delims) -> Vec<Piece> {
    let fixed = delims.is_default() || delims == &Delims::brackets();
    if fixed && let Some(pieces) = scan(source, delims.left().as_bytes(), delims.right().as_bytes()) {
        return pieces;
    }
    grammar_pieces(source, delims)
}

/// Whether the scanner, when it takes `source`, finds exactly the grammar's
/// pieces (true when it declines). For the differential fuzz target.
#[doc(hidden)]
pub fn scanner_agrees_with_grammar(source: &str, delims: &Delims) -> bool {
    scan(source, delims.left().as_bytes(), delims.right().as_bytes())
        .is_none_or(|fast| fast == grammar_pieces(source, delims))
}

/// The template's pieces as the pest grammar finds them.
pub(crate) fn grammar_pieces(source: &str, delims: &Delims) -> Vec<Piece> {
    if delims.is_default() {
        run_pest::<_, braces::Lexer>(braces::Rule::template, source, 0, delims)
    } else if delims.left() == "[[" && delims.right() == "]]" {
        run_pest::<_, brackets::Lexer>(brackets::Rule::template, source, 0, delims)
    } else {
        let prefix = format!("{}\0{}\0", delims.left(), delims.right());
        let input = format!("{prefix}{source}");
        run_pest::<_, custom::Lexer>(custom::Rule::template, &input, prefix.len(), delims)
    }
}

struct Items<'s, 'a> {
    source: &'a str,
    pieces: &'s [Piece],
    delims: &'s Delims,
    options: LexOptions,
    items: Vec<Item<'a>>,
    line: u32,
}

impl<'a> Items<'_, 'a> {
    fn push(&mut self, kind: ItemKind, start: usize, end: usize) {
        let val = Cow::Borrowed(&self.source[start..end]);
        self.items.push(Item { kind, pos: start as u32, end: end as u32, val, line: self.line });
    }

    fn error(mut self, start: usize, end: usize, message: String) -> Vec<Item<'a>> {
        // Error rules swallow the rest of the input; a diagnostic underlines
        // at most the rest of the line.
        let line_end = memchr::memchr(b'\n', &self.source.as_bytes()[start..]).map_or(end, |n| start + n);
        let end = end.min(line_end).max(start);
        let item = Item {
            kind: ItemKind::Error,
            pos: start as u32,
            end: end as u32,
            val: Cow::Owned(message),
            line: self.line,
        };
        self.items.push(item);
        self.items
    }

    fn count(&mut self, range: Option<(usize, usize)>) {
        if let Some((s, e)) = range {
            self.line += newlines(&self.source[s..e]);
        }
    }

    fn offending(&self, piece: &Piece) -> String {
        let (s, _) = piece.detail.unwrap_or((piece.end, piece.end));
        go_unicode(self.source[s..].chars().next().unwrap_or(injit_strconv::RUNE_ERROR))
    }

    fn run(mut self) -> Vec<Item<'a>> {
        let mut paren_depth = 0i32;
        let mut trim_next_text = false;
        let mut skip_next = false;
        let pieces = self.pieces;
        for (i, piece) in pieces.iter().enumerate() {
            if std::mem::take(&mut skip_next) {
                continue;
            }
            let Piece { kind, start, end, .. } = *piece;
            match kind {
                RuleKind::Text => {
                    let bytes = self.source.as_bytes();
                    let mut text_start = start;
                    if trim_next_text {
                        while text_start < end && is_space(bytes[text_start]) {
                            text_start += 1;
                        }
                        self.count(Some((start, text_start)));
                    }
                    // `{{- ` (before an action or a comment) trims this text's end.
                    let trim_end = pieces
                        .get(i + 1)
                        .is_some_and(|next| next.kind == RuleKind::LeftDelim && next.left_trim.is_some());
                    let mut text_end = end;
                    if trim_end {
                        while text_end > text_start && is_space(bytes[text_end - 1]) {
                            text_end -= 1;
                        }
                    }
                    if text_end > text_start {
                        self.push(ItemKind::Text, text_start, text_end);
                    }
                    self.count(Some((text_start, end)));
                    trim_next_text = false;
                }
                RuleKind::LeftDelim => {
                    self.count(piece.left_trim);
                    let next = pieces.get(i + 1).copied();
                    match next.map(|c| c.kind) {
                        // Go does not count the newlines inside a comment.
                        Some(RuleKind::Comment) => {
                            let comment = pieces[i + 1];
                            self.count(comment.right_trim);
                            trim_next_text = comment.right_trim.is_some();
                            skip_next = true;
                        }
                        Some(RuleKind::UnclosedComment) => {
                            let c = pieces[i + 1];
                            return self.error(c.start, c.end, "unclosed comment".to_owned());
                        }
                        Some(RuleKind::CommentEndError) => {
                            let c = pieces[i + 1];
                            return self.error(c.start, c.end, "comment ends before closing delimiter".to_owned());
                        }
                        _ => {
                            // The item's line is where the delimiter starts, before
                            // any newline of its trim marker.
                            let left = self.delims.left().len();
                            let line = self.line - piece.left_trim.map_or(0, |(s, e)| newlines(&self.source[s..e]));
                            self.items.push(Item {
                                kind: ItemKind::LeftDelim,
                                pos: start as u32,
                                end: (start + left) as u32,
                                val: Cow::Borrowed(&self.source[start..start + left]),
                                line,
                            });
                            paren_depth = 0;
                        }
                    }
                }
                RuleKind::RightDelim => {
                    if paren_depth > 0 {
                        return self.error(start, end, "unclosed left paren".to_owned());
                    }
                    self.count(piece.right_trim);
                    let at = piece.right_trim.map_or(start, |(_, e)| e);
                    self.push(ItemKind::RightDelim, at, end);
                    trim_next_text = piece.right_trim.is_some();
                }
                RuleKind::UnclosedAction => {
                    return self.error(start, end, "unclosed action".to_owned());
                }
                RuleKind::Space | RuleKind::RawString => {
                    let item = if kind == RuleKind::Space { ItemKind::Space } else { ItemKind::RawString };
                    self.push(item, start, end);
                    self.count(Some((start, end)));
                }
                RuleKind::Assign => self.push(ItemKind::Assign, start, end),
                RuleKind::Declare => self.push(ItemKind::Declare, start, end),
                RuleKind::Pipe => self.push(ItemKind::Pipe, start, end),
                RuleKind::String => self.push(ItemKind::String, start, end),
                RuleKind::CharConstant => self.push(ItemKind::CharConstant, start, end),
                RuleKind::Variable => self.push(ItemKind::Variable, start, end),
                RuleKind::Dot => self.push(ItemKind::Dot, start, end),
                RuleKind::Field => {
                    // One pest token per chain; Go has one item per field.
                    let mut at = start;
                    while at < end {
                        let rest = &self.source.as_bytes()[at + 1..end];
                        let next = memchr::memchr(b'.', rest).map_or(end, |n| at + 1 + n);
                        self.push(ItemKind::Field, at, next);
                        at = next;
                    }
                }
                RuleKind::Number => self.push(ItemKind::Number, start, end),
                RuleKind::Complex => self.push(ItemKind::Complex, start, end),
                RuleKind::Char => self.push(ItemKind::Char, start, end),
                RuleKind::Identifier => {
                    let kind = self.keyword(&self.source[start..end]);
                    self.push(kind, start, end);
                }
                RuleKind::LeftParen => {
                    paren_depth += 1;
                    self.push(ItemKind::LeftParen, start, end);
                }
                RuleKind::RightParen => {
                    paren_depth -= 1;
                    if paren_depth < 0 {
                        return self.error(start, end, "unexpected right paren".to_owned());
                    }
                    self.push(ItemKind::RightParen, start, end);
                }
                RuleKind::DeclareError => return self.error(start, end, "expected :=".to_owned()),
                RuleKind::StringError => {
                    return self.error(start, end, "unterminated quoted string".to_owned());
                }
                RuleKind::RawStringError => {
                    return self.error(start, end, "unterminated raw quoted string".to_owned());
                }
                RuleKind::CharConstantError => {
                    return self.error(start, end, "unterminated character constant".to_owned());
                }
                RuleKind::VariableError | RuleKind::FieldError | RuleKind::IdentifierError => {
                    let message = format!("bad character {}", self.offending(piece));
                    return self.error(start, end, message);
                }
                RuleKind::NumberError => {
                    let (s, e) = piece.detail.unwrap_or((start, end));
                    let text = injit_strconv::quote(&self.source.as_bytes()[s..e]);
                    return self.error(start, e, format!("bad number syntax: {text}"));
                }
                RuleKind::UnrecognizedError => {
                    let message = format!("unrecognized character in action: {}", self.offending(piece));
                    return self.error(start, end, message);
                }
                RuleKind::Comment | RuleKind::UnclosedComment | RuleKind::CommentEndError => {}
                RuleKind::LeftTrim
                | RuleKind::RightTrim
                | RuleKind::CommentText
                | RuleKind::Offending
                | RuleKind::NumberText
                | RuleKind::Ignore => {}
            }
        }
        let end = self.source.len() as u32;
        self.items.push(Item::eof(end, self.line));
        self.items
    }

    fn keyword(&self, word: &str) -> ItemKind {
        match word {
            "block" => ItemKind::Block,
            "break" if self.options.break_ok => ItemKind::Break,
            "continue" if self.options.continue_ok => ItemKind::Continue,
            "define" => ItemKind::Define,
            "else" => ItemKind::Else,
            "end" => ItemKind::End,
            "if" => ItemKind::If,
            "range" => ItemKind::Range,
            "nil" => ItemKind::Nil,
            "template" => ItemKind::Template,
            "with" => ItemKind::With,
            "true" | "false" => ItemKind::Bool,
            _ => ItemKind::Identifier,
        }
    }
}
