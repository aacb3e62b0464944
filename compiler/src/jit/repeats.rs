//! Repeated calls in native code.
//!
//! Istio's sidecar template asks `annotation .ObjectMeta
//! "sidecar.istio.io/interceptionMode" .ProxyConfig.InterceptionMode` six
//! times per render, and `isset .ObjectMeta.Annotations` of the same keys
//! over and over. A call of a deterministic function whose arguments are
//! the same expression of the frame's argument and constants gives the same
//! value every time within a frame, provided nothing can change a value
//! (the program calls none of `set`, `unset`, `merge`...): native code
//! keeps the first result in the frame's memo and reuses it.
//!
//! Which expression a slot holds is a forward data-flow analysis over the
//! procedure (a slot keeps its expression only where every path agrees).
//! Nothing needs to prove the first call ran: the memo entry is filled at
//! run time by whichever of the calls runs first.

use std::collections::HashMap;

use crate::ir::{FuncId, Inst, NameId, Proc, Program, Slot};

/// An expression of the frame's argument, interned: operands are the
/// indexes of other expressions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Expr {
    /// Slot 0 at entry: the template's argument.
    Argument,
    /// A constant, by its text (constants are not deduplicated).
    Const(String),
    Field(u32, NameId),
    Unbox(u32),
    /// A conversion for a parameter type, by the type's text.
    Validate(u32, String),
    Call(FuncId, Vec<u32>),
}

#[derive(Default)]
struct Exprs {
    ids: HashMap<Expr, u32>,
}

impl Exprs {
    fn id(&mut self, e: Expr) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(e).or_insert(next)
    }
}

/// Which expression each slot holds before an instruction, when known.
type Facts = crate::dataflow::SlotFacts<u32>;

/// The calls of `proc` that repeat an earlier one's expression, each with
/// its memo entry, numbered from `first`; and how many entries they use.
pub(crate) fn find(program: &Program, proc: &Proc, first: u32) -> (HashMap<usize, u32>, u32) {
    if program.mutates || proc.code.is_empty() {
        return (HashMap::new(), 0);
    }
    let mut exprs = Exprs::default();
    let before = analyse(program, proc, &mut exprs);
    let mut calls: Vec<(usize, u32)> = Vec::new();
    let mut count: HashMap<u32, u32> = HashMap::new();
    for (pc, facts) in before.iter().enumerate().take(proc.code.len()) {
        let Some(facts) = facts else { continue };
        if let Some(id) = call_expr(program, &proc.code[pc], facts, &mut exprs) {
            calls.push((pc, id));
            *count.entry(id).or_default() += 1;
        }
    }
    let mut entries: HashMap<u32, u32> = HashMap::new();
    let mut memos = HashMap::new();
    for (pc, id) in calls {
        if count[&id] >= 2 {
            let next = first + entries.len() as u32;
            memos.insert(pc, *entries.entry(id).or_insert(next));
        }
    }
    (memos, entries.len() as u32)
}

/// The expression a memoizable call computes.
fn call_expr(program: &Program, inst: &Inst, facts: &Facts, exprs: &mut Exprs) -> Option<u32> {
    let Inst::Call { func, args, argc, .. } = *inst else { return None };
    if !program.functions[func as usize].is_deterministic() {
        return None;
    }
    let operands = (args..args + argc).map(|s| facts[s as usize]).collect::<Option<Vec<u32>>>()?;
    Some(exprs.id(Expr::Call(func, operands)))
}

/// Facts before every reachable instruction.
fn analyse(program: &Program, proc: &Proc, exprs: &mut Exprs) -> Vec<Option<Facts>> {
    let mut entry = vec![None; proc.slots as usize];
    entry[0] = Some(exprs.id(Expr::Argument));
    crate::dataflow::forward(proc, entry, |inst, facts| {
        let result = transfer(program, inst, facts, exprs);
        inst.for_each_written(|s| facts[s as usize] = None);
        if let Some((slot, id)) = result {
            facts[slot as usize] = Some(id);
        }
    })
}

/// The slot an instruction sets to a known expression, and that expression.
fn transfer(program: &Program, inst: &Inst, facts: &Facts, exprs: &mut Exprs) -> Option<(Slot, u32)> {
    let known = |s: Slot| facts[s as usize];
    let (slot, expr) = match *inst {
        Inst::Const { dst, value } => (dst, Expr::Const(format!("{:?}", program.consts[value as usize]))),
        Inst::Copy { dst, src } => return Some((dst, known(src)?)),
        Inst::Field { dst, recv, name, args: 0 } => (dst, Expr::Field(known(recv)?, name)),
        Inst::Unbox(s) => (s, Expr::Unbox(known(s)?)),
        Inst::Validate { slot, to } => (slot, Expr::Validate(known(slot)?, format!("{to:?}"))),
        Inst::Call { dst, .. } => return call_expr(program, inst, facts, exprs).map(|id| (dst, id)),
        _ => return None,
    };
    Some((slot, exprs.id(expr)))
}
