//! Warnings, not errors: what fails or misprints for some pods only
//! (a nil pointer, an absent map key), or does nothing (`default` of a
//! constant). Each is said only where the template guards nothing:
//! `{{with}}` and `{{if}}` on the chain (or on a longer one), and the
//! earlier operands of `and`, which stops at the first empty one.

use injit_grammar::ast::{Command, Operand, Pipe, Span};
use injit_runtime::types::{GoType, Kind, Type};

use super::TypeChecker;
use super::fields::{self, MemberKind};
use super::infer::Static;
use crate::diagnostic::Diagnostic;

/// Chains a `{{with}}`, `{{if}}` or an earlier `and` operand has tested,
/// spelled from their variable (`$`, `$x`) or from dot (`.`).
#[derive(Default)]
pub(super) struct Guards {
    tested: Vec<String>,
    /// Whether dot is still the template's data, so `.A` is `$.A`.
    dot_is_root: bool,
}

impl Guards {
    /// No chain tested, at the top of a template (dot is `$`).
    pub(super) fn at_template_root() -> Guards {
        Guards { tested: Vec::new(), dot_is_root: true }
    }

    pub(super) fn mark(&self) -> usize {
        self.tested.len()
    }

    pub(super) fn truncate(&mut self, mark: usize) {
        self.tested.truncate(mark);
    }

    pub(super) fn push(&mut self, chain: String) {
        self.tested.push(chain);
    }

    /// Whether `chain` is non-empty where it is used: tested itself, or
    /// a chain through it tested (which Go evaluates only through a
    /// non-nil `chain`).
    fn covers(&self, chain: &str) -> bool {
        self.tested.iter().any(|t| t == chain || t.strip_prefix(chain).is_some_and(|rest| rest.starts_with('.')))
    }

    /// What a new dot leaves: chains from variables, not from the old dot.
    pub(super) fn with_new_dot(&self) -> Guards {
        let tested = self.tested.iter().filter(|t| t.starts_with('$')).cloned().collect();
        Guards { tested, dot_is_root: false }
    }

    /// The spelling of a field chain operand, from its variable or dot.
    pub(super) fn spelling(&self, operand: &Operand) -> Option<String> {
        match operand {
            Operand::Field(f) => {
                let base = if self.dot_is_root { "$" } else { "" };
                Some(format!("{base}.{}", f.ident.join(".")))
            }
            Operand::Variable(v) => Some(v.ident.join(".")),
            _ => None,
        }
    }

    /// The chains a `{{with}}` or `{{if}}` pipeline tests: its one
    /// operand, or each operand of `and`.
    pub(super) fn tested_by(&self, pipe: &Pipe) -> Vec<String> {
        let [cmd] = pipe.cmds.as_slice() else { return Vec::new() };
        match cmd.args.as_slice() {
            [single] => self.spelling(single).into_iter().collect(),
            [Operand::Identifier(f), operands @ ..] if f.name == "and" => {
                operands.iter().filter_map(|o| self.spelling(o)).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The span of `.field` number `i` of a chain whose first `.field` starts
/// at `span.start + offset`.
fn field_span(fields: &[String], span: Span, offset: u32, i: usize) -> Span {
    let start = span.start + offset + fields[..i].iter().map(|f| f.len() as u32 + 1).sum::<u32>();
    Span { start, end: start + 1 + fields[i].len() as u32 }
}

impl TypeChecker<'_> {
    /// `nil-pointer`: a chain reading a field through a pointer field
    /// nothing tested. Methods on the pointer (protobuf's getters return
    /// zero values on nil receivers) and a pointer at the chain's end,
    /// only a value, are left alone.
    pub(super) fn lint_nil_pointer(&mut self, operand: &Operand, start: Static, span: Span, offset: u32) {
        let (Some(Type::Go(mut t)), Some(spelled)) = (start, self.guards.spelling(operand)) else { return };
        let fields = match operand {
            Operand::Field(f) => &f.ident[..],
            Operand::Variable(v) => &v.ident[1..],
            _ => return,
        };
        let base_len = spelled.len() - fields.iter().map(|f| f.len() + 1).sum::<usize>();
        let mut prefix_len = base_len;
        for (i, name) in fields.iter().enumerate() {
            let Ok(member) = fields::step(t, name) else { return };
            let Some(next) = member.ty else { return };
            prefix_len += 1 + name.len();
            // Go looks methods up before it follows the pointer: only a
            // field read through a nil one fails.
            let read_through = fields.get(i + 1).is_some_and(|field| {
                fields::step(next, field).is_ok_and(|m| matches!(m.kind, MemberKind::Field | MemberKind::MapKey))
            });
            if read_through
                && member.kind == MemberKind::Field
                && next.pointee().is_some()
                && !set_by_the_injector(t)
                && !self.guards.covers(&spelled[..prefix_len])
            {
                let shown = written(operand, i + 1);
                let step = &fields[i + 1];
                let at = field_span(fields, span, offset, i + 1);
                self.diagnostics.push(
                    Diagnostic::warning(
                        "nil-pointer",
                        format!("`{shown}` may be nil: Go fails with `nil pointer evaluating {}.{step}`", next.name()),
                        Span { start: span.start, end: at.end },
                    )
                    .label(format!("`{shown}` is a `{}`, nil where the data does not set it", next.name()))
                    .help(format!(
                        "test it first: `{{{{ with {shown} }}}}{{{{ .{step} }}}}{{{{ end }}}}`, or `{{{{ if {shown} }}}}`"
                    )),
                );
                return;
            }
            t = next;
        }
    }

    /// `no-value`: an action printing `.key` of a typed map, which prints
    /// `<no value>` for a pod without the key. A chain piped on is left
    /// alone: functions get the zero value of their parameter's type.
    pub(super) fn lint_no_value(&mut self, pipe: &Pipe, dot: Static) {
        if !pipe.decl.is_empty() {
            return;
        }
        let [Command { args, .. }] = pipe.cmds.as_slice() else { return };
        let [operand] = args.as_slice() else { return };
        let (start, fields) = match operand {
            Operand::Field(f) => (dot, &f.ident[..]),
            Operand::Variable(v) => (self.variable(&v.ident[0]), &v.ident[1..]),
            _ => return,
        };
        let Some(Type::Go(mut t)) = start else { return };
        let Some(spelled) = self.guards.spelling(operand) else { return };
        for (i, field) in fields.iter().enumerate() {
            let Ok(member) = fields::step(t, field) else { return };
            if i + 1 == fields.len() {
                // Maps of interfaces are generic data (`.Values`), whose
                // keys the config sets, not the pod.
                let generic = t.elem().is_some_and(|e| e.kind() == Kind::Interface);
                if member.kind != MemberKind::MapKey || generic || self.guards.covers(&spelled) {
                    return;
                }
                break;
            }
            let Some(next) = member.ty else { return };
            t = next;
        }
        let Some(key) = fields.last() else { return };
        let map = written(operand, fields.len() - 1);
        self.diagnostics.push(
            Diagnostic::warning(
                "no-value",
                format!("prints `<no value>` for a pod without the key `{key}`"),
                operand.span(),
            )
            .label(format!("`{key}` is a key of a `{}`", t.name()))
            .help(format!(
                "`index {map} \"{key}\"` prints \"\" for an absent key, or give it one: `{} | default \"...\"`",
                written(operand, usize::MAX)
            )),
        );
    }

    /// `default-never-empty`: `default X Y` (or `Y | default X`) where `Y`
    /// is a non-empty constant, so `X` is never used.
    pub(super) fn lint_default_never_empty(&mut self, pipe: &Pipe) {
        for (i, cmd) in pipe.cmds.iter().enumerate() {
            let Some(Operand::Identifier(f)) = cmd.args.first() else { continue };
            if f.name != "default" {
                continue;
            }
            let tested = match cmd.args.len() {
                3 => &cmd.args[2],
                2 if i > 0 => match pipe.cmds[i - 1].args.as_slice() {
                    [single] => single,
                    _ => continue,
                },
                _ => continue,
            };
            if !is_non_empty_constant(tested) {
                continue;
            }
            self.diagnostics.push(
                Diagnostic::warning(
                    "default-never-empty",
                    "`default` of a constant that is never empty",
                    tested.span(),
                )
                .label("never empty, so the default is never used")
                .help("drop `default` and write the value, or give `default` a value that can be empty"),
            );
        }
    }

    fn variable(&self, name: &str) -> Static {
        self.vars.iter().rev().find(|(n, _)| n == name).and_then(|(_, t)| *t)
    }
}

/// The injector's template data, whose pointers (`.ProxyConfig`,
/// `.MeshConfig`) Istio sets for every pod: the mesh config's defaults
/// always carry a `defaultConfig`.
fn set_by_the_injector(t: GoType) -> bool {
    t.name().starts_with("inject.")
}

/// A constant `default` treats as set: a non-empty string, a non-zero
/// number, `true`.
fn is_non_empty_constant(operand: &Operand) -> bool {
    match operand {
        Operand::String(s) => !s.value.is_empty(),
        Operand::Bool(b, _) => *b,
        // As Go's `idealConstant` makes it: an int when it is one.
        Operand::Number(n) if n.is_int => n.int64 != 0,
        Operand::Number(n) if n.is_float => n.float64 != 0.0,
        Operand::Number(n) => n.complex128 != (0.0, 0.0),
        _ => false,
    }
}

/// A field chain operand as written, up to its `fields`th field.
fn written(operand: &Operand, fields: usize) -> String {
    match operand {
        Operand::Field(f) => format!(".{}", f.ident[..fields.min(f.ident.len())].join(".")),
        Operand::Variable(v) => v.ident[..fields.saturating_add(1).min(v.ident.len())].join("."),
        _ => String::new(),
    }
}
