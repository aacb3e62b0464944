//! The syntax tree of a Go template, shaped like Go's `text/template/parse`.
//!
//! Every node keeps two positions: `pos`, the byte offset Go records for it
//! (it appears in execution errors as `t:line:col`, and Go sometimes puts it
//! in a surprising place, e.g. at the last field of a chain), and `span`, the
//! node's true extent in the source, for diagnostics.

/// A byte range of the template source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A byte offset as Go's `parse.Pos`.
pub type Pos = u32;

/// One named template: the main text or a `define`/`block` body.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    pub name: String,
    pub root: List,
    /// Where the definition starts (`{{define "x"}}`), for diagnostics.
    pub span: Span,
}

/// A sequence of nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List {
    pub pos: Pos,
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// Plain text, already trimmed by `{{-`/`-}}`; the bytes are `source[span]`.
    Text(Span),
    Action(Action),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template(TemplateCall),
    Break(Keyword),
    Continue(Keyword),
}

/// `{{pipeline}}`
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub pos: Pos,
    pub line: u32,
    pub pipe: Pipe,
    /// The whole action, delimiters included.
    pub span: Span,
}

/// `if`, `range` and `with`.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub pos: Pos,
    pub line: u32,
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
    /// The opening action, `{{if ...}}`.
    pub span: Span,
}

/// `{{template "name" pipeline}}`, also what `{{block}}` leaves in place.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateCall {
    pub pos: Pos,
    pub line: u32,
    pub name: String,
    pub name_span: Span,
    pub pipe: Option<Pipe>,
    pub span: Span,
}

/// `{{break}}` / `{{continue}}`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keyword {
    pub pos: Pos,
    pub line: u32,
    pub span: Span,
}

/// `$x := cmd | cmd`
#[derive(Clone, Debug, PartialEq)]
pub struct Pipe {
    pub pos: Pos,
    pub line: u32,
    pub is_assign: bool,
    pub decl: Vec<Variable>,
    pub cmds: Vec<Command>,
    pub span: Span,
}

/// One stage of a pipeline: a function or method with arguments, or a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    pub pos: Pos,
    pub args: Vec<Operand>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A function name.
    Identifier(Identifier),
    Dot(Span),
    Nil(Span),
    Variable(Variable),
    Field(Field),
    /// Fields applied to a term that is not `.` or a variable: `(x).A.B`.
    Chain(Chain),
    Bool(bool, Span),
    Number(Box<Number>),
    String(StringLit),
    /// A parenthesized pipeline.
    Pipe(Box<Pipe>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Identifier {
    pub pos: Pos,
    pub name: String,
    pub span: Span,
}

/// `$`, `$x` or `$x.A.B`: `ident[0]` is the variable, the rest are fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub pos: Pos,
    pub ident: Vec<String>,
    pub span: Span,
}

/// `.A.B`: the field names without dots.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub pos: Pos,
    pub ident: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    pub pos: Pos,
    pub node: Box<Operand>,
    pub fields: Vec<String>,
    pub span: Span,
}

/// A numeric constant with every interpretation Go's parser gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    pub pos: Pos,
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int64: i64,
    pub uint64: u64,
    pub float64: f64,
    pub complex128: (f64, f64),
    /// Character constants ('a') are ints that print as numbers.
    pub is_char: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    pub pos: Pos,
    /// The literal as written, quotes included.
    pub quoted: String,
    /// The bytes it denotes (Go strings may hold any bytes: `"\xff"`).
    pub value: Vec<u8>,
    pub span: Span,
}

impl Operand {
    /// Go's `Position()` of the operand.
    pub fn pos(&self) -> Pos {
        match self {
            Operand::Identifier(n) => n.pos,
            Operand::Dot(s) | Operand::Nil(s) | Operand::Bool(_, s) => s.start,
            Operand::Variable(n) => n.pos,
            Operand::Field(n) => n.pos,
            Operand::Chain(n) => n.pos,
            Operand::Number(n) => n.pos,
            Operand::String(n) => n.pos,
            Operand::Pipe(n) => n.pos,
        }
    }

    pub fn span(&self) -> Span {
        match self {
            Operand::Identifier(n) => n.span,
            Operand::Dot(s) | Operand::Nil(s) | Operand::Bool(_, s) => *s,
            Operand::Variable(n) => n.span,
            Operand::Field(n) => n.span,
            Operand::Chain(n) => n.span,
            Operand::Number(n) => n.span,
            Operand::String(n) => n.span,
            Operand::Pipe(n) => n.span,
        }
    }
}

impl Node {
    /// Go's `Position()` of the node.
    pub fn pos(&self) -> Pos {
        match self {
            Node::Text(s) => s.start,
            Node::Action(a) => a.pos,
            Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
            Node::Template(t) => t.pos,
            Node::Break(k) | Node::Continue(k) => k.pos,
        }
    }
}
