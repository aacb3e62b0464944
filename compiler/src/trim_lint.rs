//! `trim-joins-lines`: a `-}}` that trims the newline ending a line of
//! YAML, so that line and the next come out as one (`key: value` then
//! `other: x` become `key: valueother: x`). Needs the source: the
//! syntax tree keeps text already trimmed, not what was trimmed.
//!
//! Said only where it is sure: the text before the action ends a line
//! with content (not indentation, which Istio's templates trim after on
//! purpose), the trimmed whitespace held a newline, the text after
//! starts a YAML entry (`key:` or `- `), the action is the only one
//! between the two texts, and the text before is followed in the output
//! by what the action prints and then the text after: an `if`, `with`
//! or `range` opening, an `end`, a comment, a declaration, or a printed
//! value that does not end in a newline. Left alone: a line ending in
//! `key:` joined by an action printing nothing (Istio 1.0 writes
//! `image: [[ if ... -]]` to put the value on the key's line), an `else`
//! (the two texts are never printed together), a `define`, and a
//! `template` call (whose output may end in a newline).

use std::collections::HashMap;

use injit_grammar::ast::{List, Node, Operand, Span};
use injit_grammar::{Delims, Templates};

use crate::diagnostic::Diagnostic;

/// Warnings for trim markers joining lines of YAML in `templates`,
/// parsed from `source` with `delims`.
pub fn check_trim_markers(templates: &Templates, source: &str, delims: &Delims) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for tree in templates.iter() {
        let mut walk = Walk::default();
        walk.list(&tree.root);
        walk.texts.sort_by_key(|s| s.start);
        for pair in walk.texts.windows(2) {
            if let Some(d) = joined(source, delims, pair[0], pair[1], &walk.actions) {
                diagnostics.push(d);
            }
        }
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diagnostics
}

/// One tree's texts, and what each action prints, by the action's span.
#[derive(Default)]
struct Walk {
    texts: Vec<Span>,
    actions: HashMap<(u32, u32), Output>,
}

/// What an action puts between the text before it and the text after.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    /// Control flow, comments and declarations: the texts meet.
    Nothing,
    /// A value on the line of the text before, never ending a line.
    Inline,
    /// Other texts (`else`), or what may end in a newline.
    Unknown,
}

impl Walk {
    fn list(&mut self, list: &List) {
        for node in &list.nodes {
            match node {
                Node::Text(span) => self.texts.push(*span),
                Node::Action(action) => {
                    let inline = action.pipe.cmds.last().is_some_and(|c| match c.args.as_slice() {
                        [single] => ends_without_newline(single),
                        [Operand::Identifier(f), ..] => matches!(f.name.as_str(), "quote" | "squote"),
                        _ => false,
                    });
                    let output = match () {
                        _ if !action.pipe.decl.is_empty() => Output::Nothing,
                        _ if inline => Output::Inline,
                        _ => Output::Unknown,
                    };
                    self.actions.insert((action.span.start, action.span.end), output);
                }
                Node::If(b) | Node::With(b) | Node::Range(b) => {
                    self.actions.insert((b.span.start, b.span.end), Output::Nothing);
                    self.list(&b.list);
                    if let Some(e) = &b.else_list {
                        self.list(e);
                    }
                }
                Node::Template(call) => {
                    self.actions.insert((call.span.start, call.span.end), Output::Unknown);
                }
                Node::Break(k) | Node::Continue(k) => {
                    self.actions.insert((k.span.start, k.span.end), Output::Unknown);
                }
            }
        }
    }
}

/// A printed operand whose output cannot end in a newline, as far as the
/// template says: data and constants other than strings ending in one.
fn ends_without_newline(operand: &Operand) -> bool {
    match operand {
        Operand::Field(_) | Operand::Variable(_) | Operand::Chain(_) | Operand::Dot(_) => true,
        Operand::Bool(..) | Operand::Number(_) | Operand::Nil(_) => true,
        Operand::String(s) => !s.value.ends_with(b"\n"),
        Operand::Identifier(_) | Operand::Pipe(_) => false,
    }
}

fn is_go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The warning for the action between texts `before` and `after`, when
/// its right trim joins the line `before` ends with the line `after`
/// starts.
fn joined(
    source: &str,
    delims: &Delims,
    before: Span,
    after: Span,
    actions: &HashMap<(u32, u32), Output>,
) -> Option<Diagnostic> {
    let gap = source.get(before.end as usize..after.start as usize)?;
    let start = before.end as usize + (gap.len() - gap.trim_start_matches(is_go_space).len());
    let end = after.start as usize - (gap.len() - gap.trim_end_matches(is_go_space).len());
    let action = source.get(start..end)?;
    let inner = action.strip_prefix(delims.left())?.strip_suffix(delims.right())?;
    let untrimmed = inner.strip_suffix('-').filter(|rest| rest.ends_with(is_go_space))?;
    if !source[end..after.start as usize].contains('\n') {
        return None;
    }
    let text = &source[before.range()];
    let last_line = text.rsplit('\n').next().unwrap_or(text);
    if last_line.trim().is_empty() {
        return None;
    }
    let next_line = source[after.range()].split('\n').next().unwrap_or_default();
    if !starts_entry(next_line.trim_start()) {
        return None;
    }
    let output = match actions.get(&(start as u32, end as u32)) {
        Some(&output) => output,
        None => {
            // `end`, `else` and comments have no node of their own.
            let keyword = untrimmed.strip_prefix('-').filter(|k| k.starts_with(is_go_space)).unwrap_or(untrimmed);
            let keyword = keyword.trim_matches(is_go_space);
            let comment = keyword.starts_with("/*") && keyword.ends_with("*/");
            let nothing = (keyword == "end" || comment) && !keyword.contains(delims.left());
            if nothing { Output::Nothing } else { Output::Unknown }
        }
    };
    let awaits_value = last_line.trim_end().ends_with(':');
    if output == Output::Unknown || (output == Output::Nothing && awaits_value) {
        return None;
    }
    let right = delims.right();
    Some(
        Diagnostic::warning(
            "trim-joins-lines",
            format!(
                "`-{right}` joins two lines of YAML: `{}` and `{}` come out as one",
                last_line.trim(),
                next_line.trim()
            ),
            Span::new(start, end),
        )
        .label(format!("`-{right}` trims the newline before `{}`", next_line.trim()))
        .help(format!("end the action with `{right}`, not `-{right}`, to keep the line break")),
    )
}

/// Whether a line starts a YAML entry: `key: ...`, `key:` or `- ...`.
fn starts_entry(line: &str) -> bool {
    if line == "-" || line.starts_with("- ") {
        return true;
    }
    let Some((key, rest)) = line.split_once(':') else { return false };
    !key.is_empty() && !key.contains(char::is_whitespace) && (rest.is_empty() || rest.starts_with(' '))
}
