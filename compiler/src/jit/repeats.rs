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
//!
//! A range's element (and key) is an expression too, standing for the
//! current one: `{{ if structToJSON $p }}{{ structToJSON $p }}` calls once
//! per element. Each step of the range forgets what was known of the
//! element before, both here (slots that hold it) and at run time (memo
//! entries computed from it).

use std::collections::HashMap;

use injit_runtime::convert::Param;

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
    /// A conversion for a parameter type.
    Validate(u32, Param),
    Call(FuncId, Vec<u32>),
    /// The element (or key) slot `RangeNext` at this position wrote last.
    Element(usize, Slot),
}

#[derive(Default)]
struct Exprs {
    ids: HashMap<Expr, u32>,
    /// For each expression, the positions of the `RangeNext`s whose
    /// current element it is computed from.
    elements: Vec<Vec<usize>>,
}

impl Exprs {
    fn id(&mut self, e: Expr) -> u32 {
        if let Some(&id) = self.ids.get(&e) {
            return id;
        }
        let mut elements: Vec<usize> = match &e {
            Expr::Element(pc, _) => vec![*pc],
            Expr::Field(a, _) | Expr::Unbox(a) | Expr::Validate(a, _) => self.elements[*a as usize].clone(),
            Expr::Call(_, args) => args.iter().flat_map(|a| self.elements[*a as usize].iter().copied()).collect(),
            Expr::Argument | Expr::Const(_) => Vec::new(),
        };
        elements.sort_unstable();
        elements.dedup();
        let id = self.ids.len() as u32;
        self.ids.insert(e, id);
        self.elements.push(elements);
        id
    }

    fn uses_element_of(&self, id: u32, range_next: usize) -> bool {
        self.elements[id as usize].contains(&range_next)
    }
}

/// The repeated calls of a procedure.
#[derive(Debug, Default)]
pub(crate) struct Repeats {
    /// The memo entry of each repeated call, by position.
    pub(crate) calls: HashMap<usize, u32>,
    /// The memo entries computed from a range's element, by the position
    /// of its `RangeNext`: forgotten at each step.
    pub(crate) forget: HashMap<usize, Vec<u32>>,
    /// How many memo entries the calls use.
    pub(crate) entries: u32,
}

/// Which expression each slot holds before an instruction, when known.
type Facts = crate::dataflow::SlotFacts<u32>;

/// The calls of `proc` that repeat an earlier one's expression, with memo
/// entries numbered from `first`.
pub(crate) fn find(program: &Program, proc: &Proc, first: u32) -> Repeats {
    if program.mutates || proc.code.is_empty() {
        return Repeats::default();
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
    let mut repeats = Repeats::default();
    for (pc, id) in calls {
        if count[&id] < 2 {
            continue;
        }
        let next = first + entries.len() as u32;
        let memo = *entries.entry(id).or_insert_with(|| {
            for &range_next in &exprs.elements[id as usize] {
                repeats.forget.entry(range_next).or_default().push(next);
            }
            next
        });
        repeats.calls.insert(pc, memo);
    }
    repeats.entries = entries.len() as u32;
    repeats
}

/// The expression a memoizable call computes.
fn call_expr(program: &Program, inst: &Inst, facts: &Facts, exprs: &mut Exprs) -> Option<u32> {
    let Inst::Call { func, args, argc, .. } = *inst else { return None };
    if !program.functions[func].is_deterministic() {
        return None;
    }
    let operands = args.block(argc).map(|s| facts[s]).collect::<Option<Vec<u32>>>()?;
    Some(exprs.id(Expr::Call(func, operands)))
}

/// Facts before every reachable instruction.
fn analyse(program: &Program, proc: &Proc, exprs: &mut Exprs) -> Vec<Option<Facts>> {
    let mut entry = Facts::from(vec![None; proc.slots as usize]);
    entry[Slot::ARGUMENT] = Some(exprs.id(Expr::Argument));
    crate::dataflow::forward(proc, entry, |pc, inst, facts| {
        let result = transfer(program, inst, facts, exprs);
        inst.for_each_written(|s| facts[s] = None);
        if let Some((slot, id)) = result {
            facts[slot] = Some(id);
        }
        if let Inst::RangeNext { key, elem, .. } = *inst {
            // Values computed from the previous element are no longer it.
            for fact in facts.iter_mut() {
                if fact.is_some_and(|id| exprs.uses_element_of(id, pc)) {
                    *fact = None;
                }
            }
            for slot in key.into_iter().chain([elem]) {
                facts[slot] = Some(exprs.id(Expr::Element(pc, slot)));
            }
        }
    })
}

/// The slot an instruction sets to a known expression, and that expression.
fn transfer(program: &Program, inst: &Inst, facts: &Facts, exprs: &mut Exprs) -> Option<(Slot, u32)> {
    let known = |s: Slot| facts[s];
    let (slot, expr) = match *inst {
        Inst::Const { dst, value } => (dst, Expr::Const(format!("{:?}", program.consts[value]))),
        Inst::Copy { dst, src } => return Some((dst, known(src)?)),
        Inst::Field { dst, recv, name, args: 0 } => (dst, Expr::Field(known(recv)?, name)),
        Inst::Unbox(s) => (s, Expr::Unbox(known(s)?)),
        Inst::Validate { slot, to } => (slot, Expr::Validate(known(slot)?, to)),
        Inst::Call { dst, .. } => return call_expr(program, inst, facts, exprs).map(|id| (dst, id)),
        _ => return None,
    };
    Some((slot, exprs.id(expr)))
}
