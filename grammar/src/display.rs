//! Nodes printed as Go's `Node.String()` prints them; execution errors quote
//! them (`executing "t" at <.a.b>`), so the text must be Go's exactly.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{Branch, Command, List, Node, Operand, Pipe, TemplateCall};

/// Something that prints like its Go counterpart, given the template source
/// (text nodes are spans of it).
pub trait GoDisplay {
    fn write_go(&self, f: &mut dyn Write, source: &str) -> fmt::Result;

    /// A `Display` adapter.
    fn go_display<'a>(&'a self, source: &'a str) -> Shown<'a, Self>
    where
        Self: Sized,
    {
        Shown { node: self, source }
    }
}

/// See [`GoDisplay::go_display`].
pub struct Shown<'a, T> {
    node: &'a T,
    source: &'a str,
}

impl<T: GoDisplay> Display for Shown<'_, T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.node.write_go(f, self.source)
    }
}

impl GoDisplay for Operand {
    fn write_go(&self, f: &mut dyn Write, source: &str) -> fmt::Result {
        match self {
            Operand::Identifier(n) => f.write_str(&n.name),
            Operand::Dot(_) => f.write_str("."),
            Operand::Nil(_) => f.write_str("nil"),
            Operand::Variable(v) => f.write_str(&v.ident.join(".")),
            Operand::Field(field) => field.ident.iter().try_for_each(|id| write!(f, ".{id}")),
            Operand::Chain(chain) => {
                if let Operand::Pipe(pipe) = chain.node.as_ref() {
                    f.write_char('(')?;
                    pipe.write_go(f, source)?;
                    f.write_char(')')?;
                } else {
                    chain.node.write_go(f, source)?;
                }
                chain.fields.iter().try_for_each(|id| write!(f, ".{id}"))
            }
            Operand::Bool(b, _) => f.write_str(if *b { "true" } else { "false" }),
            Operand::Number(n) => f.write_str(&n.text),
            Operand::String(s) => f.write_str(&s.quoted),
            Operand::Pipe(pipe) => pipe.write_go(f, source),
        }
    }
}

impl GoDisplay for Command {
    fn write_go(&self, f: &mut dyn Write, source: &str) -> fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Operand::Pipe(pipe) = arg {
                f.write_char('(')?;
                pipe.write_go(f, source)?;
                f.write_char(')')?;
            } else {
                arg.write_go(f, source)?;
            }
        }
        Ok(())
    }
}

impl GoDisplay for Pipe {
    fn write_go(&self, f: &mut dyn Write, source: &str) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&v.ident.join("."))?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, cmd) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            cmd.write_go(f, source)?;
        }
        Ok(())
    }
}

impl GoDisplay for List {
    fn write_go(&self, f: &mut dyn Write, source: &str) -> fmt::Result {
        self.nodes.iter().try_for_each(|n| n.write_go(f, source))
    }
}

fn write_branch(f: &mut dyn Write, source: &str, name: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{name} ")?;
    b.pipe.write_go(f, source)?;
    f.write_str("}}")?;
    b.list.write_go(f, source)?;
    if let Some(else_list) = &b.else_list {
        f.write_str("{{else}}")?;
        else_list.write_go(f, source)?;
    }
    f.write_str("{{end}}")
}

impl GoDisplay for TemplateCall {
    fn write_go(&self, f: &mut dyn Write, source: &str) -> fmt::Result {
        write!(f, "{{{{template {}", injit_strconv::quote(self.name.as_bytes()))?;
        if let Some(pipe) = &self.pipe {
            f.write_char(' ')?;
            pipe.write_go(f, source)?;
        }
        f.write_str("}}")
    }
}

impl GoDisplay for Node {
    fn write_go(&self, f: &mut dyn Write, source: &str) -> fmt::Result {
        match self {
            Node::Text(span) => f.write_str(source.get(span.range()).unwrap_or_default()),
            Node::Action(a) => {
                f.write_str("{{")?;
                a.pipe.write_go(f, source)?;
                f.write_str("}}")
            }
            Node::If(b) => write_branch(f, source, "if", b),
            Node::Range(b) => write_branch(f, source, "range", b),
            Node::With(b) => write_branch(f, source, "with", b),
            Node::Template(t) => t.write_go(f, source),
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}
