//! Field access checked against the data's Go type, when it is known (an
//! injector template's `SidecarTemplateData`): `.ProxyImg` is an error
//! with a did-you-mean here, not a failed injection in a cluster.
//!
//! The checker follows what `.` and variables hold through `with`, `range`
//! and declarations when a pipeline is a plain field chain; where it cannot
//! know (function results, generic maps such as `.Values`) it stops
//! checking rather than guess.

use std::collections::HashMap;

use injit_grammar::Templates;
use injit_grammar::ast::{List, Node, Operand, Pipe, Span, Tree};
use injit_runtime::types::Kind;
use injit_runtime::types::{DefKind, GoType, Ty};
use injit_runtime::value::typed_field;

use crate::diagnostic::Diagnostic;
use crate::suggest::closest;

/// Checks field chains of every template whose data type is known: the
/// main template's is `root`; `define`d templates get the type of the
/// argument at their first call with a known type.
pub fn check_fields(templates: &Templates, main: &str, root: GoType) -> Vec<Diagnostic> {
    let mut checker = TypeChecker { templates, diagnostics: Vec::new(), vars: Vec::new(), done: HashMap::new() };
    checker.template(main, Some(root));
    checker.diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    checker.diagnostics.dedup_by(|a, b| a.span == b.span && a.message == b.message);
    checker.diagnostics
}

struct TypeChecker<'a> {
    templates: &'a Templates,
    diagnostics: Vec<Diagnostic>,
    /// Variables in scope with what they are known to hold.
    vars: Vec<(String, Option<GoType>)>,
    /// Templates already checked (with a known dot), to stop recursion.
    done: HashMap<String, GoType>,
}

/// A method templates may call, and its result type when checks can
/// follow it: protobuf getters and field getters by their fields' types,
/// the rest as the runtime's typed methods answer without data.
fn method(t: GoType, name: &str) -> Option<Option<GoType>> {
    if t.is_message()
        && let Some(field) = name.strip_prefix("Get")
        && let Some(found) = t.member(field)
    {
        return Some(Some(found.ty));
    }
    if let Some(found) = t.getter(name) {
        return Some(Some(found.ty));
    }
    // Generated (`&Container{...}`) `String` methods live in `fmt`, enum
    // and protobuf message ones in `ops`.
    let is_enum = matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..)));
    let protobuf = t.special().is_some_and(|k| k.starts_with("durationpb.") || k.starts_with("wrapperspb."));
    if (name == "String" && (t.proto_string().is_some() || is_enum || protobuf)) || (is_enum && name == "Number") {
        return Some(None);
    }
    let pointer = t.pointer_to().unwrap_or(t);
    typed_field::method_result(pointer, name)
}

/// Candidate names for a did-you-mean on type `t`.
fn names(t: GoType) -> Vec<String> {
    let mut names: Vec<String> = t.field_names().into_iter().map(str::to_owned).collect();
    names.extend(t.getter_names().into_iter().map(str::to_owned));
    if t.is_message() {
        names.extend(t.fields().iter().map(|f| format!("Get{}", f.go)));
    }
    names
}

/// What `.name` gives on a value of type `t`: `Ok(Some(type))`, `Ok(None)`
/// when the result is not statically known, or `Err` when Go would fail.
fn step(t: GoType, name: &str) -> Result<Option<GoType>, GoType> {
    let mut target = t;
    while let Ty::Ptr(e) = target.underlying().expr() {
        target = GoType(e);
    }
    if let Some(result) = method(target, name) {
        return Ok(result);
    }
    match target.kind() {
        Kind::Struct if target.def().is_some_and(|d| matches!(d.kind, DefKind::Opaque | DefKind::Special)) => Ok(None),
        Kind::Struct => match target.field(name) {
            Some(found) => Ok(Some(found.ty)),
            None => Err(target),
        },
        Kind::Map => match target.key().map(GoType::expr) {
            Some(Ty::Basic(injit_runtime::types::Kind::String)) => Ok(target.elem()),
            _ => Err(target),
        },
        Kind::Interface => Ok(None),
        _ => Err(target),
    }
}

impl TypeChecker<'_> {
    fn template(&mut self, name: &str, dot: Option<GoType>) {
        let Some(dot) = dot else { return };
        if self.done.contains_key(name) {
            return;
        }
        let Some(tree) = self.templates.get(name) else { return };
        self.done.insert(name.to_owned(), dot);
        let saved = std::mem::replace(&mut self.vars, vec![("$".to_owned(), Some(dot))]);
        self.tree(tree, dot);
        self.vars = saved;
    }

    fn tree(&mut self, tree: &Tree, dot: GoType) {
        self.list(&tree.root, Some(dot));
    }

    fn list(&mut self, list: &List, dot: Option<GoType>) {
        for node in &list.nodes {
            self.node(node, dot);
        }
    }

    fn node(&mut self, node: &Node, dot: Option<GoType>) {
        match node {
            Node::Action(action) => {
                self.pipe(&action.pipe, dot);
            }
            Node::If(b) => {
                let mark = self.vars.len();
                self.pipe(&b.pipe, dot);
                self.list(&b.list, dot);
                if let Some(e) = &b.else_list {
                    self.list(e, dot);
                }
                self.vars.truncate(mark);
            }
            Node::With(b) => {
                let mark = self.vars.len();
                let inner = self.pipe(&b.pipe, dot);
                self.list(&b.list, inner);
                if let Some(e) = &b.else_list {
                    self.list(e, dot);
                }
                self.vars.truncate(mark);
            }
            Node::Range(b) => {
                let mark = self.vars.len();
                let over = self.pipe_value(&b.pipe, dot);
                let elem = over.and_then(|t| match t.underlying().kind() {
                    Kind::Slice | Kind::Map => t.elem(),
                    _ => None,
                });
                // Range variables: the element last, the key or index first.
                if !b.pipe.is_assign {
                    let n = b.pipe.decl.len();
                    for (i, var) in b.pipe.decl.iter().enumerate() {
                        let ty = if i + 1 == n { elem } else { None };
                        self.vars.push((var.ident[0].clone(), ty));
                    }
                }
                self.list(&b.list, elem);
                if let Some(e) = &b.else_list {
                    self.list(e, dot);
                }
                self.vars.truncate(mark);
            }
            Node::Template(call) => {
                let arg = call.pipe.as_ref().and_then(|p| self.pipe(p, dot));
                self.template(&call.name, arg);
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }

    /// Checks a pipeline and declares its variables; returns its type.
    fn pipe(&mut self, pipe: &Pipe, dot: Option<GoType>) -> Option<GoType> {
        let value = self.pipe_value(pipe, dot);
        if !pipe.is_assign {
            for var in &pipe.decl {
                self.vars.push((var.ident[0].clone(), value));
            }
        }
        value
    }

    /// The type of a pipeline's value when it is a lone field chain.
    fn pipe_value(&mut self, pipe: &Pipe, dot: Option<GoType>) -> Option<GoType> {
        let mut value = None;
        for (i, cmd) in pipe.cmds.iter().enumerate() {
            value = None;
            for (j, arg) in cmd.args.iter().enumerate() {
                let t = self.operand(arg, dot);
                if i == 0 && j == 0 && cmd.args.len() == 1 && pipe.cmds.len() == 1 {
                    value = t;
                }
            }
        }
        value
    }

    fn operand(&mut self, operand: &Operand, dot: Option<GoType>) -> Option<GoType> {
        match operand {
            Operand::Dot(_) => dot,
            Operand::Field(f) => self.chain(dot, &f.ident, f.span, 0),
            Operand::Variable(v) => {
                let held = self.vars.iter().rev().find(|(n, _)| *n == v.ident[0]).and_then(|(_, t)| *t);
                self.chain(held, &v.ident[1..], v.span, v.ident[0].len() as u32)
            }
            Operand::Pipe(p) => {
                let mark = self.vars.len();
                let t = self.pipe_value(p, dot);
                self.vars.truncate(mark);
                t
            }
            Operand::Chain(c) => {
                let base = self.operand(&c.node, dot);
                // The fields follow the parenthesised term; spans are not
                // kept per field here, so report at the chain.
                self.chain(
                    base,
                    &c.fields,
                    c.span,
                    (c.span.end - c.span.start)
                        .saturating_sub(c.fields.iter().map(|f| f.len() as u32 + 1).sum::<u32>()),
                )
            }
            _ => None,
        }
    }

    /// Follows `.a.b.c` from `start`, reporting the first impossible step.
    /// `offset` is where the first `.field` starts within `span`.
    fn chain(&mut self, start: Option<GoType>, fields: &[String], span: Span, offset: u32) -> Option<GoType> {
        let mut t = start?;
        let mut at = span.start + offset;
        for name in fields {
            let field_span = Span { start: at, end: at + 1 + name.len() as u32 };
            at = field_span.end;
            match step(t, name) {
                Ok(Some(next)) => t = next,
                Ok(None) => return None,
                Err(on) => {
                    let candidates = names(on);
                    let help =
                        closest(name, candidates.iter().map(String::as_str)).map(|n| format!("did you mean `{n}`?"));
                    self.diagnostics.push(
                        Diagnostic::error(
                            "unknown-field",
                            format!("can't evaluate field {name} in type {}", t.name()),
                            field_span,
                        )
                        .label(format!("`{}` has no field or method `{name}`", on.name()))
                        .maybe_help(help),
                    );
                    return None;
                }
            }
        }
        Some(t)
    }
}
