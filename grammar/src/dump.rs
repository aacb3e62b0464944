//! A readable, indented dump of a syntax tree, for snapshot tests and
//! `injit check --emit ast`.

use std::fmt::Write;

use crate::ast::{Branch, Command, List, Node, Operand, Pipe, Span};
use crate::parser::Templates;
use crate::position::LineIndex;

/// Dumps every template of a parse, in definition order.
pub fn dump(templates: &Templates, source: &str) -> String {
    let mut d = Dumper { out: String::new(), source, lines: LineIndex::new(source), depth: 0 };
    for tree in templates.iter() {
        d.line(&format!("template {}", injit_strconv::quote(tree.name.as_bytes())));
        d.depth += 1;
        d.list(&tree.root);
        d.depth -= 1;
    }
    d.out
}

struct Dumper<'a> {
    out: String,
    source: &'a str,
    lines: LineIndex,
    depth: usize,
}

const TEXT_LIMIT: usize = 48;

impl Dumper<'_> {
    fn line(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn at(&self, span: Span) -> String {
        let (line, col) = self.lines.line_col(span.start);
        format!("{line}:{col}")
    }

    fn list(&mut self, list: &List) {
        for node in &list.nodes {
            self.node(node);
        }
    }

    fn node(&mut self, node: &Node) {
        match node {
            Node::Text(span) => {
                let text = &self.source[span.range()];
                let shown = if text.len() > TEXT_LIMIT {
                    let cut = (0..=TEXT_LIMIT).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
                    format!("{}…", injit_strconv::quote(&text.as_bytes()[..cut]))
                } else {
                    injit_strconv::quote(text.as_bytes())
                };
                self.line(&format!("text {} {shown}", self.at(*span)));
            }
            Node::Action(a) => {
                self.line(&format!("action {}", self.at(a.span)));
                self.nested(|d| d.pipe(&a.pipe));
            }
            Node::If(b) => self.branch("if", b),
            Node::Range(b) => self.branch("range", b),
            Node::With(b) => self.branch("with", b),
            Node::Template(t) => {
                let name = injit_strconv::quote(t.name.as_bytes());
                self.line(&format!("template {} {name}", self.at(t.span)));
                if let Some(pipe) = &t.pipe {
                    self.nested(|d| d.pipe(pipe));
                }
            }
            Node::Break(k) => self.line(&format!("break {}", self.at(k.span))),
            Node::Continue(k) => self.line(&format!("continue {}", self.at(k.span))),
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }

    fn branch(&mut self, name: &str, b: &Branch) {
        self.line(&format!("{name} {}", self.at(b.span)));
        self.nested(|d| {
            d.pipe(&b.pipe);
            d.line("then");
            d.nested(|d| d.list(&b.list));
            if let Some(else_list) = &b.else_list {
                d.line("else");
                d.nested(|d| d.list(else_list));
            }
        });
    }

    fn pipe(&mut self, pipe: &Pipe) {
        let mut head = String::from("pipe");
        if !pipe.decl.is_empty() {
            let names: Vec<String> = pipe.decl.iter().map(|v| v.ident.join(".")).collect();
            let op = if pipe.is_assign { "=" } else { ":=" };
            let _ = write!(head, " {} {op}", names.join(", "));
        }
        self.line(&head);
        self.nested(|d| {
            for cmd in &pipe.cmds {
                d.command(cmd);
            }
        });
    }

    fn command(&mut self, cmd: &Command) {
        self.line("command");
        self.nested(|d| {
            for arg in &cmd.args {
                d.operand(arg);
            }
        });
    }

    fn operand(&mut self, op: &Operand) {
        let at = self.at(op.span());
        match op {
            Operand::Identifier(i) => self.line(&format!("func {at} {}", i.name)),
            Operand::Dot(_) => self.line(&format!("dot {at}")),
            Operand::Nil(_) => self.line(&format!("nil {at}")),
            Operand::Variable(v) => self.line(&format!("variable {at} {}", v.ident.join("."))),
            Operand::Field(f) => self.line(&format!("field {at} .{}", f.ident.join("."))),
            Operand::Chain(c) => {
                self.line(&format!("chain {at} .{}", c.fields.join(".")));
                self.nested(|d| d.operand(&c.node));
            }
            Operand::Bool(b, _) => self.line(&format!("bool {at} {b}")),
            Operand::Number(n) => {
                let mut kinds = Vec::new();
                if n.is_char {
                    kinds.push("char");
                }
                for (flag, name) in
                    [(n.is_int, "int"), (n.is_uint, "uint"), (n.is_float, "float"), (n.is_complex, "complex")]
                {
                    if flag {
                        kinds.push(name);
                    }
                }
                self.line(&format!("number {at} {} [{}]", n.text, kinds.join(" ")));
            }
            Operand::String(s) => self.line(&format!("string {at} {}", injit_strconv::quote(&s.value))),
            Operand::Pipe(p) => {
                self.line(&format!("paren {at}"));
                self.nested(|d| d.pipe(p));
            }
        }
    }
}
