//! What variables hold when templates assign to them (`$x = ...`): Go
//! variables are mutable, so a declaration's type holds only if every
//! assignment keeps it.

use std::collections::{HashMap, HashSet};

use injit_grammar::ast::{List, Node, Operand, Pipe};

use super::infer::Static;

/// Variables assigned (`$x = ...`) in the template being checked, with
/// the types assigned to them: what such a variable holds depends on the
/// path taken, so it keeps its declared type only when every assignment
/// gives it that type again. A first pass over the template records the
/// assignments with every assigned variable unknown; types only become
/// known between the passes, so what it records stays true.
#[derive(Default)]
pub(super) struct Assignments {
    types: HashMap<String, Vec<Static>>,
    pub(super) recording: bool,
}

impl Assignments {
    pub(super) fn of(list: &List) -> Assignments {
        let mut names = HashSet::new();
        assigned_in(list, &mut names);
        Assignments { types: names.into_iter().map(|n| (n, Vec::new())).collect(), recording: true }
    }

    /// Whether the template assigns to any variable.
    pub(super) fn any(&self) -> bool {
        !self.types.is_empty()
    }

    /// The type a variable declared with type `declared` holds everywhere.
    pub(super) fn kept(&self, name: &str, declared: Static) -> Static {
        match self.types.get(name) {
            None => declared,
            Some(_) if self.recording => None,
            Some(assigned) => declared.filter(|t| assigned.iter().all(|a| *a == Some(*t))),
        }
    }

    pub(super) fn record(&mut self, name: &str, ty: Static) {
        if self.recording
            && let Some(assigned) = self.types.get_mut(name)
        {
            assigned.push(ty);
        }
    }
}

/// Variables the pipelines of `list` assign to.
fn assigned_in(list: &List, out: &mut HashSet<String>) {
    fn pipe(p: &Pipe, out: &mut HashSet<String>) {
        if p.is_assign {
            out.extend(p.decl.iter().map(|v| v.ident[0].clone()));
        }
        for arg in p.cmds.iter().flat_map(|c| &c.args) {
            operand(arg, out);
        }
    }
    fn operand(o: &Operand, out: &mut HashSet<String>) {
        match o {
            Operand::Pipe(p) => pipe(p, out),
            Operand::Chain(c) => operand(&c.node, out),
            _ => {}
        }
    }
    for node in &list.nodes {
        match node {
            Node::Action(a) => pipe(&a.pipe, out),
            Node::If(b) | Node::With(b) | Node::Range(b) => {
                pipe(&b.pipe, out);
                assigned_in(&b.list, out);
                if let Some(e) = &b.else_list {
                    assigned_in(e, out);
                }
            }
            Node::Template(call) => {
                if let Some(p) = &call.pipe {
                    pipe(p, out);
                }
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
}
