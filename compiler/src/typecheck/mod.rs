//! Type inference over templates whose data's Go type is known (an
//! injector template's `SidecarTemplateData`): what Go finds only when a
//! template runs on a pod, found before any pod exists.
//!
//! Each pipeline gets a static type where it is known for every pod:
//! typed fields and methods, constants (as Go's `idealConstant` makes
//! them), function results by their signatures, variables, `with`,
//! `range` keys and elements, `index`, and values piped into the next
//! command. Where a type is not known (`interface {}`, generic data such
//! as `.Values`, `fromJson` results, map keys that may be absent,
//! variables assigned a value of another type anywhere in their template)
//! the checker says nothing: every error it reports fails on every pod.
//!
//! Reported, with Go's run-time error (see `rules`): unknown fields,
//! arguments of the wrong type, comparisons of incompatible kinds,
//! `len`, `index`, `slice` and `range` of what has no length, elements
//! or order, and arguments given to fields and niladic methods.
//! `{{template}}` bodies are checked with the type of their first call's
//! argument.
//!
//! Left alone on purpose: what depends on the data (index out of range,
//! nil pointers and absent map keys, which `lints` warns of where
//! nothing tests them, comparing maps or slices, `eq`'s comparands after
//! the first, which it may never reach), what depends on the Go version
//! (ranging over integers and pointers), types with semantics of their
//! own (`resource.Quantity`, `metav1.Time`, durations, wrappers), and
//! the rules of functions other than Go's builtins beyond their
//! parameter types (sprig's `slice` replaces Go's).
//!
//! Like the rest of `check`, an error is reported where the expression
//! is, whether or not the branch holding it runs: such an expression
//! fails each time it is evaluated, and a branch no pod takes is a
//! mistake of its own.

mod assignments;
mod fields;
mod infer;
mod lints;
mod rules;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use injit_grammar::Templates;
use injit_grammar::ast::{Command, Identifier, List, Node, Operand, Pipe, Span, Tree};
use injit_runtime::Library;
use injit_runtime::types::{GoType, Kind, Type};

use crate::check::FunctionSet;
use crate::diagnostic::Diagnostic;
use crate::suggest::closest;
use assignments::Assignments;
use fields::MemberKind;
use infer::Static;
use lints::Guards;
use rules::Violation;

/// Checks every template whose data type is known, calls resolved in
/// `functions`: the main template's data is `root`; `define`d templates
/// get the type of the argument at their first call with a known type.
pub fn check_types(templates: &Templates, main: &str, root: GoType, functions: &FunctionSet) -> Vec<Diagnostic> {
    let mut checker = TypeChecker {
        templates,
        functions,
        diagnostics: Vec::new(),
        vars: Vec::new(),
        assignments: Assignments::default(),
        done: HashMap::new(),
        guards: Guards::default(),
    };
    checker.template(main, infer::of_data(root));
    checker.diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    checker.diagnostics.dedup_by(|a, b| a.span == b.span && a.message == b.message);
    checker.diagnostics
}

/// [`check_types`] with Istio's functions, the set injector templates
/// are parsed with.
pub fn check_fields(templates: &Templates, main: &str, root: GoType) -> Vec<Diagnostic> {
    check_types(templates, main, root, &FunctionSet::new(Library::Istio))
}

struct TypeChecker<'a> {
    templates: &'a Templates,
    functions: &'a FunctionSet,
    diagnostics: Vec<Diagnostic>,
    /// Variables in scope with what they are known to hold.
    vars: Vec<(String, Static)>,
    /// Variables assigned (`$x = ...`) in the template being checked.
    assignments: Assignments,
    /// Templates already checked (with a known dot), to stop recursion.
    done: HashMap<String, Type>,
    /// Chains tested where the walk is, for the lints.
    guards: Guards,
}

/// The value piped into a command, and the command it came from.
#[derive(Clone, Copy)]
struct Piped {
    ty: Static,
    span: Span,
}

/// What a branch's list may rely on: the chains its pipeline tested,
/// and whether it runs with a dot of its own.
struct Then {
    tested: Vec<String>,
    new_dot: bool,
}

/// An argument of a call: its type and where it is.
#[derive(Clone, Copy)]
struct Argument {
    ty: Static,
    span: Span,
    /// A constant, which Go converts to the parameter's kind.
    constant: bool,
}

impl TypeChecker<'_> {
    fn template(&mut self, name: &str, dot: Static) {
        let Some(dot) = dot else { return };
        if self.done.contains_key(name) {
            return;
        }
        let Some(tree) = self.templates.get(name) else { return };
        self.done.insert(name.to_owned(), dot);
        let saved_assignments = std::mem::replace(&mut self.assignments, Assignments::of(&tree.root));
        let saved = std::mem::replace(&mut self.vars, vec![("$".to_owned(), Some(dot))]);
        let saved_guards = std::mem::replace(&mut self.guards, Guards::at_template_root());
        if self.assignments.any() {
            // The first pass only records assignments.
            let reported = self.diagnostics.len();
            self.tree(tree, dot);
            self.diagnostics.truncate(reported);
            self.vars = vec![("$".to_owned(), Some(dot))];
        }
        self.assignments.recording = false;
        self.tree(tree, dot);
        self.vars = saved;
        self.guards = saved_guards;
        self.assignments = saved_assignments;
    }

    fn tree(&mut self, tree: &Tree, dot: Type) {
        self.list(&tree.root, Some(dot));
    }

    fn list(&mut self, list: &List, dot: Static) {
        for node in &list.nodes {
            self.node(node, dot);
        }
    }

    fn report(&mut self, violation: Violation, span: Span) {
        self.diagnostics.push(
            Diagnostic::error(violation.code, violation.message, span)
                .label(violation.label)
                .maybe_help(violation.help),
        );
    }

    fn declare(&mut self, name: &str, ty: Static) {
        let ty = self.assignments.kept(name, ty);
        self.vars.push((name.to_owned(), ty));
    }

    fn node(&mut self, node: &Node, dot: Static) {
        match node {
            Node::Action(action) => {
                self.lint_no_value(&action.pipe, dot);
                self.pipe(&action.pipe, dot);
            }
            Node::If(b) => {
                let mark = self.vars.len();
                self.pipe(&b.pipe, dot);
                let tested = self.guards.tested_by(&b.pipe);
                self.branches(&b.list, dot, b.else_list.as_ref(), dot, Then { tested, new_dot: false });
                self.vars.truncate(mark);
            }
            Node::With(b) => {
                let mark = self.vars.len();
                let inner = self.pipe(&b.pipe, dot);
                let tested = self.guards.tested_by(&b.pipe);
                self.branches(&b.list, inner, b.else_list.as_ref(), dot, Then { tested, new_dot: true });
                self.vars.truncate(mark);
            }
            Node::Range(b) => {
                let mark = self.vars.len();
                let over = self.pipe_value(&b.pipe, dot);
                let (key, elem) = match over.map(rules::range) {
                    Some(Ok(types)) => types,
                    Some(Err(violation)) => {
                        self.report(violation, b.pipe.span);
                        (None, None)
                    }
                    None => (None, None),
                };
                // Range variables: the element last, the key or index first.
                let n = b.pipe.decl.len();
                for (i, var) in b.pipe.decl.iter().enumerate() {
                    let ty = if i + 1 == n { elem } else { key };
                    if b.pipe.is_assign {
                        self.assignments.record(&var.ident[0], ty);
                    } else {
                        self.declare(&var.ident[0], ty);
                    }
                }
                self.branches(&b.list, elem, b.else_list.as_ref(), dot, Then { tested: Vec::new(), new_dot: true });
                self.vars.truncate(mark);
            }
            Node::Template(call) => {
                let arg = call.pipe.as_ref().and_then(|p| self.pipe(p, dot));
                // Called templates have variables of their own.
                if !self.assignments.recording {
                    self.template(&call.name, arg);
                }
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }

    /// A branch's list and its `else`, each with its own variables; what
    /// the branch tested guards its list only.
    fn branches(&mut self, list: &List, dot: Static, else_list: Option<&List>, else_dot: Static, then: Then) {
        let mark = self.vars.len();
        let guarded = self.guards.mark();
        for chain in then.tested {
            self.guards.push(chain);
        }
        let outer = then.new_dot.then(|| {
            let inner = self.guards.with_new_dot();
            std::mem::replace(&mut self.guards, inner)
        });
        self.list(list, dot);
        if let Some(outer) = outer {
            self.guards = outer;
        }
        self.guards.truncate(guarded);
        self.vars.truncate(mark);
        if let Some(e) = else_list {
            self.list(e, else_dot);
            self.vars.truncate(mark);
        }
    }

    /// Checks a pipeline and declares its variables; returns its type.
    fn pipe(&mut self, pipe: &Pipe, dot: Static) -> Static {
        let value = self.pipe_value(pipe, dot);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.assignments.record(&var.ident[0], value);
            } else {
                self.declare(&var.ident[0], value);
            }
        }
        value
    }

    /// Checks a pipeline's commands, each given the one before's value.
    fn pipe_value(&mut self, pipe: &Pipe, dot: Static) -> Static {
        self.lint_default_never_empty(pipe);
        let mut piped: Option<Piped> = None;
        for cmd in &pipe.cmds {
            let ty = self.command(cmd, dot, piped);
            piped = Some(Piped { ty, span: cmd.span });
        }
        piped.and_then(|p| p.ty)
    }

    fn command(&mut self, cmd: &Command, dot: Static, piped: Option<Piped>) -> Static {
        let head = cmd.args.first()?;
        let given = cmd.args.len() - 1 + usize::from(piped.is_some());
        match head {
            Operand::Identifier(function) => self.call(function, cmd, dot, piped),
            Operand::Field(_) | Operand::Variable(_) | Operand::Chain(_) => {
                for arg in &cmd.args[1..] {
                    self.operand(arg, dot, 0);
                }
                self.operand(head, dot, given)
            }
            _ => {
                for arg in &cmd.args[1..] {
                    self.operand(arg, dot, 0);
                }
                let ty = self.operand(head, dot, 0);
                // A constant given arguments is the generic checker's
                // error (`not-a-function`).
                (given == 0).then_some(ty).flatten()
            }
        }
    }

    /// The type of an operand; `given` is how many arguments it is
    /// called with when it heads a command.
    fn operand(&mut self, operand: &Operand, dot: Static, given: usize) -> Static {
        match operand {
            Operand::Dot(_) => dot,
            Operand::Field(f) => {
                self.lint_nil_pointer(operand, dot, f.span, 0);
                self.chain(dot, &f.ident, f.span, 0, given)
            }
            Operand::Variable(v) => {
                let held = self.vars.iter().rev().find(|(n, _)| *n == v.ident[0]).and_then(|(_, t)| *t);
                let offset = v.ident[0].len() as u32;
                self.lint_nil_pointer(operand, held, v.span, offset);
                self.chain(held, &v.ident[1..], v.span, offset, given)
            }
            Operand::Pipe(p) => {
                let mark = self.vars.len();
                let t = self.pipe_value(p, dot);
                self.vars.truncate(mark);
                t
            }
            Operand::Chain(c) => {
                let base = self.operand(&c.node, dot, 0);
                // The fields follow the parenthesised term; spans are not
                // kept per field here, so report at the chain.
                let offset = (c.span.end - c.span.start)
                    .saturating_sub(c.fields.iter().map(|f| f.len() as u32 + 1).sum::<u32>());
                self.chain(base, &c.fields, c.span, offset, given)
            }
            Operand::Identifier(function) => {
                // A function anywhere but at a command's head is called
                // with no arguments.
                let signature = self.functions.signature(&function.name)?;
                signature.arity().accepts(0).then(|| infer::result(signature)).flatten()
            }
            Operand::Bool(..) | Operand::Number(_) | Operand::String(_) | Operand::Nil(_) => infer::constant(operand),
        }
    }

    /// Follows `.a.b.c` from `start`, reporting the first impossible step
    /// and arguments given to the last member. `offset` is where the first
    /// `.field` starts within `span`.
    fn chain(&mut self, start: Static, fields: &[String], span: Span, offset: u32, given: usize) -> Static {
        let mut t = start?;
        let mut at = span.start + offset;
        // Past an absent map key the value is Go's invalid one.
        let mut maybe_absent = false;
        for (i, name) in fields.iter().enumerate() {
            // Past a key a pod may lack, Go reads the invalid value's fields
            // without an error: what follows fails only for some pods.
            if maybe_absent {
                return None;
            }
            let field_span = Span { start: at, end: at + 1 + name.len() as u32 };
            at = field_span.end;
            let go = match t {
                Type::Go(go) => go,
                plain if is_scalar(plain) => {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "unknown-field",
                            format!("can't evaluate field {name} in type {plain}"),
                            field_span,
                        )
                        .label(format!("`{plain}` has no fields")),
                    );
                    return None;
                }
                _ => return None,
            };
            let member = match fields::step(go, name) {
                Ok(member) => member,
                Err(on) => {
                    let candidates = fields::names(on);
                    let help =
                        closest(name, candidates.iter().map(String::as_str)).map(|n| format!("did you mean `{n}`?"));
                    self.diagnostics.push(
                        Diagnostic::error(
                            "unknown-field",
                            format!("can't evaluate field {name} in type {}", go.name()),
                            field_span,
                        )
                        .label(format!("`{}` has no field or method `{name}`", on.name()))
                        .maybe_help(help),
                    );
                    return None;
                }
            };
            if i + 1 == fields.len() && given > 0 {
                self.arguments_to_member(name, member.kind, given, field_span);
            }
            maybe_absent |= member.kind == MemberKind::MapKey;
            t = infer::of_data(member.ty?)?;
        }
        if fields.is_empty() && given > 0 {
            return None;
        }
        (!maybe_absent).then_some(t)
    }

    /// Arguments given to a field or to a getter (which takes none).
    fn arguments_to_member(&mut self, name: &str, kind: MemberKind, given: usize, span: Span) {
        let (code, message, label) = match kind {
            MemberKind::Getter => (
                "method-arguments",
                format!("wrong number of args for {name}: want 0 got {given}"),
                format!("`{name}` is a method without parameters"),
            ),
            MemberKind::Field => (
                "field-arguments",
                format!("{name} has arguments but cannot be invoked as function"),
                format!("`{name}` is a field"),
            ),
            MemberKind::Method | MemberKind::MapKey | MemberKind::Unknown => return,
        };
        self.diagnostics.push(
            Diagnostic::error(code, message, span)
                .label(label)
                .help("to pass the value to a function, put the function first: `f .Field arg`"),
        );
    }

    /// A function call: arguments checked against the parameters, and the
    /// builtins' own rules.
    fn call(&mut self, function: &Identifier, cmd: &Command, dot: Static, piped: Option<Piped>) -> Static {
        // `and` evaluates an operand only when those before are non-empty.
        let guarded = self.guards.mark();
        let mut args = Vec::with_capacity(cmd.args.len());
        for a in &cmd.args[1..] {
            args.push(Argument { ty: self.operand(a, dot, 0), span: a.span(), constant: infer::is_constant(a) });
            if function.name == "and"
                && let Some(chain) = self.guards.spelling(a)
            {
                self.guards.push(chain);
            }
        }
        self.guards.truncate(guarded);
        if let Some(p) = piped {
            args.push(Argument { ty: p.ty, span: p.span, constant: false });
        }
        let signature = self.functions.signature(&function.name)?;
        if !signature.arity().accepts(args.len()) {
            // The generic checker reports the count.
            return None;
        }
        // Go's builtins take `reflect.Value`s and apply rules of their own;
        // a function set may replace them (Go looks user functions up first).
        if signature.params.first() == Some(&"reflect.Value") {
            return self.builtin(&function.name, cmd.span, &args);
        }
        for (i, arg) in args.iter().enumerate() {
            if arg.constant {
                continue;
            }
            if let (Some(value), Some(param)) = (arg.ty, infer::parameter(signature, i))
                && let Some(mut violation) = rules::argument(value, param)
            {
                violation.label = format!("{}: argument {} of `{}`", violation.label, i + 1, function.name);
                self.report(violation, arg.span);
            }
        }
        infer::result(signature)
    }

    fn builtin(&mut self, name: &str, span: Span, args: &[Argument]) -> Static {
        let types: Vec<Static> = args.iter().map(|a| a.ty).collect();
        match name {
            "and" | "or" => infer::union(types.into_iter()),
            "not" => Some(Type::Bool),
            "len" => {
                if let Some(t) = types[0]
                    && let Some(violation) = rules::length(t)
                {
                    self.report(violation, args[0].span);
                }
                Some(Type::Int)
            }
            "index" => {
                let mut item = types[0];
                for arg in &args[1..] {
                    let t = item?;
                    match rules::index_step(t, arg.ty) {
                        Ok(next) => item = next,
                        Err(violation) => {
                            self.report(violation, arg.span);
                            return None;
                        }
                    }
                }
                item
            }
            "slice" => {
                let item = types[0]?;
                if let Some(violation) = rules::slice(item, &types[1..]) {
                    self.report(violation, span);
                    return None;
                }
                matches!(item.kind(), Kind::String | Kind::Slice).then_some(item)
            }
            // `eq` stops at the first comparand equal to its first argument:
            // only the first is compared on every run.
            "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
                if let (Some(a), Some(Some(b))) = (types[0], types.get(1).copied()) {
                    let found = match name {
                        "eq" | "ne" => rules::equality(name, a, b),
                        _ => rules::ordering(name, a, b),
                    };
                    if let Some(violation) = found {
                        self.report(violation, span);
                    }
                }
                Some(Type::Bool)
            }
            _ => None,
        }
    }
}

/// A value of a kind without fields or methods: `.x` on it fails.
fn is_scalar(t: Type) -> bool {
    let kind = t.kind();
    infer::is_modelled(t)
        && (kind == Kind::Bool
            || kind == Kind::String
            || kind.is_int()
            || kind.is_uint()
            || kind.is_float()
            || kind.is_complex())
}
