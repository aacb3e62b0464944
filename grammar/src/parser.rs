//! Go's recursive-descent template parser (`text/template/parse`), over the
//! items of `lexer.rs`.
//!
//! The structure follows Go's closely on purpose: the three-token lookahead,
//! where variables are declared, which token an error is reported at. That
//! is what makes error text and line numbers come out as Go's.

use std::collections::HashMap;

use crate::ast::{
    Action, Branch, Chain, Command, Field, Identifier, Keyword, List, Node, Operand, Pipe, Span, StringLit,
    TemplateCall, Tree, Variable,
};
use crate::delims::Delims;
use crate::error::ParseError;
use crate::item::{Item, ItemKind};
use crate::lexer::{LexOptions, lex};
use crate::number::{NumberKind, new_number};

/// Which function names exist: Go's parser rejects calls to undefined
/// functions (`function "x" not defined`).
pub trait FunctionLookup {
    fn has_function(&self, name: &str) -> bool;
}

impl<F: Fn(&str) -> bool> FunctionLookup for F {
    fn has_function(&self, name: &str) -> bool {
        self(name)
    }
}

/// How to parse a template.
pub struct ParseOptions<'f> {
    /// The template's name; it appears in every error (`template: NAME:1: ...`).
    pub name: String,
    pub delims: Delims,
    pub functions: &'f dyn FunctionLookup,
    /// Go's default; off is Go's `SkipFuncCheck` mode.
    pub check_functions: bool,
    /// Go's default. `injit check` turns it off to report every undefined
    /// variable itself, rather than stopping at the first.
    pub check_variables: bool,
}

impl<'f> ParseOptions<'f> {
    pub fn new(name: impl Into<String>, functions: &'f dyn FunctionLookup) -> Self {
        ParseOptions {
            name: name.into(),
            delims: Delims::default(),
            functions,
            check_functions: true,
            check_variables: true,
        }
    }

    pub fn delims(mut self, delims: Delims) -> Self {
        self.delims = delims;
        self
    }

    /// Parse without stopping at undefined functions and variables, for
    /// tools that report those themselves.
    pub fn lenient(mut self) -> Self {
        self.check_functions = false;
        self.check_variables = false;
        self
    }
}

/// The templates one parse defines: the main one and every `define`/`block`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Templates {
    trees: Vec<Tree>,
    index: HashMap<String, usize>,
}

impl Templates {
    pub fn get(&self, name: &str) -> Option<&Tree> {
        self.index.get(name).map(|&i| &self.trees[i])
    }

    /// In order of first definition.
    pub fn iter(&self) -> impl Iterator<Item = &Tree> {
        self.trees.iter()
    }

    pub fn len(&self) -> usize {
        self.trees.len()
    }

    pub fn is_empty(&self) -> bool {
        self.trees.is_empty()
    }

    /// Go's `(*Tree).add`: a blank tree never replaces a non-blank one, and
    /// two non-blank ones are an error.
    fn add(&mut self, tree: Tree, source: &str) -> std::result::Result<(), ()> {
        match self.index.get(&tree.name) {
            None => {
                self.index.insert(tree.name.clone(), self.trees.len());
                self.trees.push(tree);
            }
            Some(&i) if self.trees[i].is_blank(source) => self.trees[i] = tree,
            Some(_) if !tree.is_blank(source) => return Err(()),
            Some(_) => {}
        }
        Ok(())
    }
}

impl Tree {
    /// Go's `parse.IsEmptyTree`: nothing but white space.
    pub fn is_blank(&self, source: &str) -> bool {
        self.root.nodes.iter().all(|n| match n {
            Node::Text(span) => source.get(span.range()).is_some_and(|t| t.trim().is_empty()),
            _ => false,
        })
    }
}

/// Parses a template and the templates it defines, as Go's `Template.Parse`.
pub fn parse(source: &str, options: &ParseOptions<'_>) -> Result<Templates, ParseError> {
    let lex_options = LexOptions {
        break_ok: !options.functions.has_function("break"),
        continue_ok: !options.functions.has_function("continue"),
    };
    let items = lex(source, &options.delims, lex_options);
    let mut shared = Shared { source, options, items, next_item: 0, templates: Templates::default(), nesting: 0 };
    let mut main = TreeParser::new(&mut shared, options.name.clone());
    let root = main.parse()?;
    let tree = Tree { name: options.name.clone(), root, span: Span::new(0, 0) };
    main.add(tree)?;
    drop(main);
    Ok(shared.templates)
}

/// What all trees of one parse share: the item stream and the results.
struct Shared<'a, 'o> {
    source: &'a str,
    options: &'o ParseOptions<'o>,
    items: Vec<Item<'a>>,
    next_item: usize,
    templates: Templates,
    /// Control structures and parenthesized pipelines open around the
    /// token being parsed, across `block`s.
    nesting: u32,
}

/// How deeply control structures (`if`, `else if`, `range`, `with`,
/// `block`) and parenthesized pipelines may nest. Go sets no limit (its
/// stacks grow); every pass here recurses once per level, so templates
/// compile on a stack segment that holds this many
/// ([`COMPILE_STACK_BYTES`]).
pub const MAX_NESTING: u32 = 1_000;

/// The stack a template is parsed and compiled on: room for
/// [`MAX_NESTING`] levels in every pass, with a wide margin.
pub const COMPILE_STACK_BYTES: usize = 64 << 20;

impl<'a> Shared<'a, '_> {
    fn next_item(&mut self) -> Item<'a> {
        match self.items.get(self.next_item) {
            Some(item) => {
                self.next_item += 1;
                item.clone()
            }
            None => {
                let last = self.items.last();
                Item::eof(self.source.len() as u32, last.map_or(1, |i| i.line))
            }
        }
    }
}

/// The end of a list: `{{end}}` or `{{else}}`.
enum Parsed {
    Node(Node),
    End,
    Else { pos: u32 },
}

impl Parsed {
    fn describe(&self) -> &'static str {
        match self {
            Parsed::End => "{{end}}",
            Parsed::Else { .. } => "{{else}}",
            Parsed::Node(_) => "node",
        }
    }
}

type Result<T, E = ParseError> = std::result::Result<T, E>;

/// One tree's parser state (Go's `parse.Tree` while parsing).
struct TreeParser<'s, 'a, 'o> {
    shared: &'s mut Shared<'a, 'o>,
    name: String,
    token: [Item<'a>; 3],
    peek_count: usize,
    /// Variables in scope, borrowed from the source.
    vars: Vec<&'a str>,
    action_line: u32,
    range_depth: u32,
    /// End of the last token `next` returned, for spans.
    last_end: u32,
}

impl<'s, 'a, 'o> TreeParser<'s, 'a, 'o> {
    fn new(shared: &'s mut Shared<'a, 'o>, name: String) -> Self {
        let blank = Item::eof(0, 1);
        TreeParser {
            shared,
            name,
            token: [blank.clone(), blank.clone(), blank],
            peek_count: 0,
            vars: vec!["$"],
            action_line: 0,
            range_depth: 0,
            last_end: 0,
        }
    }

    // --- Go's token buffer ---

    fn next(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.shared.next_item();
        }
        let item = self.token[self.peek_count].clone();
        if item.kind != ItemKind::Space {
            self.last_end = item.end;
        }
        item
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'a>) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'a>, t1: Item<'a>) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'a> {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.shared.next_item();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'a> {
        loop {
            let token = self.next();
            if token.kind != ItemKind::Space {
                return token;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'a> {
        let token = self.next_non_space();
        self.backup();
        token
    }

    // --- errors ---

    fn errorf(&self, message: String) -> ParseError {
        let current = &self.token[0];
        ParseError::new(self.shared.options.name.clone(), current.line, message, current.span())
    }

    fn unexpected(&self, token: &Item<'a>, context: &str) -> ParseError {
        if token.kind == ItemKind::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at {}:{}", self.shared.options.name, self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_owned();
                }
            }
            let err = self.errorf(format!("{token}{extra}"));
            return err.with_span(token.span());
        }
        self.errorf(format!("unexpected {token} in {context}")).with_span(token.span())
    }

    fn expect(&mut self, expected: ItemKind, context: &str) -> Result<Item<'a>> {
        let token = self.next_non_space();
        if token.kind != expected {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    fn expect_one_of(&mut self, first: ItemKind, second: ItemKind, context: &str) -> Result<Item<'a>> {
        let token = self.next_non_space();
        if token.kind != first && token.kind != second {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    fn add(&mut self, tree: Tree) -> Result<()> {
        let name = tree.name.clone();
        let source = self.shared.source;
        if self.shared.templates.add(tree, source).is_err() {
            let quoted = injit_strconv::quote(name.as_bytes());
            return Err(self.errorf(format!("template: multiple definition of template {quoted}")));
        }
        Ok(())
    }

    // --- the grammar ---

    fn parse(&mut self) -> Result<List> {
        let mut root = List { pos: self.peek().pos, nodes: Vec::new() };
        while self.peek().kind != ItemKind::Eof {
            if self.peek().kind == ItemKind::LeftDelim {
                let delim = self.next();
                if self.next_non_space().kind == ItemKind::Define {
                    let mut definition = TreeParser::new(&mut *self.shared, "definition".to_owned());
                    definition.parse_definition(delim.pos)?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Parsed::Node(node) => root.nodes.push(node),
                end => return Err(self.errorf(format!("unexpected {}", end.describe()))),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self, start: u32) -> Result<()> {
        const CONTEXT: &str = "define clause";
        let name = self.expect_one_of(ItemKind::String, ItemKind::RawString, CONTEXT)?;
        self.name = self.unquote(&name)?;
        self.expect(ItemKind::RightDelim, CONTEXT)?;
        let header = Span { start, end: self.last_end };
        let (root, end) = self.item_list().map_err(|e| e.left_open(header, "define"))?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {CONTEXT}", end.describe())));
        }
        let tree = Tree { name: self.name.clone(), root, span: header };
        self.add(tree)
    }

    fn item_list(&mut self) -> Result<(List, Parsed)> {
        let mut list = List { pos: self.peek_non_space().pos, nodes: Vec::new() };
        while self.peek_non_space().kind != ItemKind::Eof {
            match self.text_or_action()? {
                Parsed::Node(node) => list.nodes.push(node),
                end => return Ok((list, end)),
            }
        }
        Err(self.errorf("unexpected EOF".to_owned()))
    }

    fn text_or_action(&mut self) -> Result<Parsed> {
        let token = self.next_non_space();
        match token.kind {
            ItemKind::Text => Ok(Parsed::Node(Node::Text(token.span()))),
            ItemKind::LeftDelim => {
                self.action_line = token.line;
                let result = self.action(token.pos);
                self.action_line = 0;
                result.map_err(|e| match e.message().starts_with("unclosed action") {
                    true => e.left_open_action(token.span()),
                    false => e,
                })
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self, start: u32) -> Result<Parsed> {
        let token = self.next_non_space();
        let keyword = |pos, line, parser: &Self| Keyword { pos, line, span: Span { start, end: parser.last_end } };
        match token.kind {
            ItemKind::Block => return self.block_control(start).map(Parsed::Node),
            ItemKind::Break | ItemKind::Continue => {
                let is_break = token.kind == ItemKind::Break;
                let name = if is_break { "{{break}}" } else { "{{continue}}" };
                let next = self.next_non_space();
                if next.kind != ItemKind::RightDelim {
                    return Err(self.unexpected(&next, name));
                }
                if self.range_depth == 0 {
                    return Err(self.errorf(format!("{name} outside {{{{range}}}}")));
                }
                let k = keyword(token.pos, token.line, self);
                return Ok(Parsed::Node(if is_break { Node::Break(k) } else { Node::Continue(k) }));
            }
            ItemKind::Else => return self.else_control(),
            ItemKind::End => {
                self.expect(ItemKind::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            ItemKind::If => {
                return self.branch_control("if", start).map(|b| Parsed::Node(Node::If(b)));
            }
            ItemKind::Range => {
                return self.branch_control("range", start).map(|b| Parsed::Node(Node::Range(b)));
            }
            ItemKind::With => {
                return self.branch_control("with", start).map(|b| Parsed::Node(Node::With(b)));
            }
            ItemKind::Template => return self.template_control(start).map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", ItemKind::RightDelim)?;
        let span = Span { start, end: self.last_end };
        Ok(Parsed::Node(Node::Action(Action { pos: token.pos, line: token.line, pipe, span })))
    }

    fn pipeline(&mut self, context: &str, end: ItemKind) -> Result<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            line: token.line,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
            span: token.span(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.kind != ItemKind::Variable {
                break 'decls;
            }
            self.next();
            let token_after_variable = self.peek();
            let next = self.peek_non_space();
            match next.kind {
                ItemKind::Assign | ItemKind::Declare => {
                    pipe.is_assign = next.kind == ItemKind::Assign;
                    self.next_non_space();
                    pipe.decl.push(variable(&v));
                    self.vars.push(&self.shared.source[v.span().range()]);
                    break 'decls;
                }
                ItemKind::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(variable(&v));
                    self.vars.push(&self.shared.source[v.span().range()]);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            ItemKind::Variable | ItemKind::RightDelim | ItemKind::RightParen => {
                                continue 'decls;
                            }
                            _ => {
                                return Err(self.errorf("range can only initialize variables".to_owned()));
                            }
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                }
                _ if token_after_variable.kind == ItemKind::Space => {
                    self.backup3(v, token_after_variable);
                    break 'decls;
                }
                _ => {
                    self.backup2(v);
                    break 'decls;
                }
            }
        }
        loop {
            let token = self.next_non_space();
            if token.kind == end {
                self.check_pipeline(&pipe, context)?;
                if let Some(last) = pipe.cmds.last() {
                    pipe.span = pipe.span.to(last.span);
                }
                return Ok(pipe);
            }
            match token.kind {
                ItemKind::Bool
                | ItemKind::CharConstant
                | ItemKind::Complex
                | ItemKind::Dot
                | ItemKind::Field
                | ItemKind::Identifier
                | ItemKind::Number
                | ItemKind::Nil
                | ItemKind::RawString
                | ItemKind::String
                | ItemKind::Variable
                | ItemKind::LeftParen => {
                    self.backup();
                    let command = self.command()?;
                    pipe.cmds.push(command);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> Result<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if let Some(
                Operand::Bool(..) | Operand::Dot(_) | Operand::Nil(_) | Operand::Number(_) | Operand::String(_),
            ) = cmd.args.first()
            {
                return Err(self.errorf(format!("non executable command in pipeline stage {}", i + 1)));
            }
        }
        Ok(())
    }

    fn branch_control(&mut self, context: &str, start: u32) -> Result<Branch> {
        let vars = self.vars.len();
        let result = self.parse_control(context, start);
        self.vars.truncate(vars);
        result
    }

    /// Runs `parse` one nesting level deeper, refusing to pass
    /// [`MAX_NESTING`].
    fn nested<T>(&mut self, parse: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.shared.nesting >= MAX_NESTING {
            return Err(self.errorf(format!("nesting deeper than {MAX_NESTING} levels")));
        }
        self.shared.nesting += 1;
        let result = parse(self);
        self.shared.nesting -= 1;
        result
    }

    fn parse_control(&mut self, context: &str, start: u32) -> Result<Branch> {
        self.nested(|p| p.control_body(context, start))
    }

    fn control_body(&mut self, context: &str, start: u32) -> Result<Branch> {
        let pipe = self.pipeline(context, ItemKind::RightDelim)?;
        let span = Span { start, end: self.last_end };
        if context == "range" {
            self.range_depth += 1;
        }
        let listed = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = listed.map_err(|e| e.left_open(span, keyword(context)))?;
        let mut else_list = None;
        match next {
            Parsed::End => {}
            Parsed::Else { pos } => {
                let chained = match context {
                    "if" => ItemKind::If,
                    "with" => ItemKind::With,
                    _ => ItemKind::Eof,
                };
                if chained != ItemKind::Eof && self.peek().kind == chained {
                    let keyword = self.next();
                    let inner = self.branch_control(context, keyword.pos)?;
                    let node = if context == "if" { Node::If(inner) } else { Node::With(inner) };
                    else_list = Some(List { pos, nodes: vec![node] });
                } else {
                    let (list, next) = self.item_list().map_err(|e| e.left_open(span, keyword(context)))?;
                    if !matches!(next, Parsed::End) {
                        return Err(self.errorf(format!("expected end; found {}", next.describe())));
                    }
                    else_list = Some(list);
                }
            }
            Parsed::Node(_) => unreachable!("item_list ends only at end or else"),
        }
        Ok(Branch { pos: pipe.pos, line: pipe.line, pipe, list, else_list, span })
    }

    fn else_control(&mut self) -> Result<Parsed> {
        let peek = self.peek_non_space();
        if peek.kind == ItemKind::If || peek.kind == ItemKind::With {
            return Ok(Parsed::Else { pos: peek.pos });
        }
        let token = self.expect(ItemKind::RightDelim, "else")?;
        Ok(Parsed::Else { pos: token.pos })
    }

    fn block_control(&mut self, start: u32) -> Result<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemKind::RightDelim)?;
        let span = Span { start, end: self.last_end };
        // Go reports a stray {{else}} with the enclosing tree's position.
        let outer = self.errorf(String::new());
        let mut block = TreeParser::new(&mut *self.shared, name.clone());
        let (root, end) = block.nested(|b| b.item_list()).map_err(|e| e.left_open(span, "block"))?;
        if !matches!(end, Parsed::End) {
            return Err(ParseError::new(
                outer.name().to_owned(),
                outer.line(),
                format!("unexpected {} in {CONTEXT}", end.describe()),
                outer.span(),
            ));
        }
        block.add(Tree { name: name.clone(), root, span })?;
        let name_span = token.span();
        Ok(Node::Template(TemplateCall { pos: token.pos, line: token.line, name, name_span, pipe: Some(pipe), span }))
    }

    fn template_control(&mut self, start: u32) -> Result<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().kind != ItemKind::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, ItemKind::RightDelim)?);
        }
        let span = Span { start, end: self.last_end };
        let name_span = token.span();
        Ok(Node::Template(TemplateCall { pos: token.pos, line: token.line, name, name_span, pipe, span }))
    }

    fn parse_template_name(&mut self, token: &Item<'a>, context: &str) -> Result<String> {
        match token.kind {
            ItemKind::String | ItemKind::RawString => self.unquote(token),
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn unquote(&self, token: &Item<'a>) -> Result<String> {
        let bytes = injit_strconv::unquote(token.val.as_bytes())
            .map_err(|e| self.errorf(e.text().to_owned()).with_span(token.span()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn command(&mut self) -> Result<Command> {
        let first = self.peek_non_space();
        let mut cmd = Command { pos: first.pos, args: Vec::new(), span: first.span() };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.span = cmd.span.to(operand.span());
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.kind {
                ItemKind::Space => continue,
                ItemKind::RightDelim | ItemKind::RightParen => self.backup(),
                ItemKind::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command".to_owned()));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> Result<Option<Operand>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != ItemKind::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        let mut end = node.span().end;
        while self.peek().kind == ItemKind::Field {
            let field = self.next();
            end = field.end;
            fields.push(field.val[1..].to_owned());
        }
        let span = Span { start: node.span().start, end };
        Ok(Some(match node {
            Operand::Field(mut f) => {
                f.ident.extend(fields);
                Operand::Field(Field { pos, ident: f.ident, span })
            }
            Operand::Variable(mut v) => {
                v.ident.extend(fields);
                Operand::Variable(Variable { pos, ident: v.ident, span })
            }
            Operand::Bool(..) | Operand::String(_) | Operand::Number(_) | Operand::Nil(_) | Operand::Dot(_) => {
                let text = crate::display::GoDisplay::go_display(&node, self.shared.source).to_string();
                let quoted = injit_strconv::quote(text.as_bytes());
                return Err(self.errorf(format!("unexpected . after term {quoted}")));
            }
            other => Operand::Chain(Chain { pos, node: Box::new(other), fields, span }),
        }))
    }

    fn term(&mut self) -> Result<Option<Operand>> {
        let token = self.next_non_space();
        let span = token.span();
        let operand = match token.kind {
            ItemKind::Identifier => {
                let options = self.shared.options;
                if options.check_functions && !options.functions.has_function(&token.val) {
                    let quoted = injit_strconv::quote(token.val.as_bytes());
                    return Err(self.errorf(format!("function {quoted} not defined")).with_span(span));
                }
                Operand::Identifier(Identifier { pos: token.pos, name: token.val.to_string(), span })
            }
            ItemKind::Dot => Operand::Dot(span),
            ItemKind::Nil => Operand::Nil(span),
            ItemKind::Variable => {
                let v = variable(&token);
                if self.shared.options.check_variables && !self.vars.contains(&v.ident[0].as_str()) {
                    let quoted = injit_strconv::quote(v.ident[0].as_bytes());
                    return Err(self.errorf(format!("undefined variable {quoted}")).with_span(span));
                }
                Operand::Variable(v)
            }
            ItemKind::Field => Operand::Field(Field { pos: token.pos, ident: vec![token.val[1..].to_owned()], span }),
            ItemKind::Bool => Operand::Bool(token.val == "true", span),
            ItemKind::CharConstant | ItemKind::Complex | ItemKind::Number => {
                let kind = match token.kind {
                    ItemKind::CharConstant => NumberKind::Char,
                    ItemKind::Complex => NumberKind::Complex,
                    _ => NumberKind::Number,
                };
                let number =
                    new_number(token.pos, &token.val, kind, span).map_err(|m| self.errorf(m).with_span(span))?;
                Operand::Number(Box::new(number))
            }
            ItemKind::LeftParen => {
                let mut pipe = self.nested(|p| p.pipeline("parenthesized pipeline", ItemKind::RightParen))?;
                pipe.span = Span { start: token.pos, end: self.last_end };
                Operand::Pipe(Box::new(pipe))
            }
            ItemKind::String | ItemKind::RawString => {
                let value = injit_strconv::unquote(token.val.as_bytes())
                    .map_err(|e| self.errorf(e.text().to_owned()).with_span(span))?;
                Operand::String(StringLit { pos: token.pos, quoted: token.val.to_string(), value, span })
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(operand))
    }
}

fn variable(token: &Item<'_>) -> Variable {
    Variable { pos: token.pos, ident: vec![token.val.to_string()], span: token.span() }
}
/// The keyword of a control's context, as a static name for errors.
fn keyword(context: &str) -> &'static str {
    match context {
        "if" => "if",
        "range" => "range",
        "with" => "with",
        _ => "action",
    }
}
