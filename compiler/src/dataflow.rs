//! Forward data-flow over a procedure's control-flow graph with one fact
//! per slot, paths merged by equality: a slot keeps its fact only where
//! every path to an instruction agrees. Partial evaluation (constants) and
//! native code's repeated calls (expressions) both run on it.

use crate::ir::{EntityVec, Inst, Proc, Slot};

/// What each slot is known to hold at some point.
pub(crate) type SlotFacts<T> = EntityVec<Slot, Option<T>>;

/// The facts before every reachable instruction (`None` where no path
/// reaches), starting from `entry`; `step` turns the facts before the
/// instruction at a position into those after it.
pub(crate) fn forward<T: Clone + PartialEq>(
    proc: &Proc,
    entry: SlotFacts<T>,
    mut step: impl FnMut(usize, &Inst, &mut SlotFacts<T>),
) -> Vec<Option<SlotFacts<T>>> {
    let n = proc.code.len();
    let mut before: Vec<Option<SlotFacts<T>>> = vec![None; n + 1];
    before[0] = Some(entry);
    let mut work = vec![0];
    let mut queued = vec![false; n + 1];
    queued[0] = true;
    while let Some(pc) = work.pop() {
        queued[pc] = false;
        if pc >= n {
            continue;
        }
        let Some(mut facts) = before[pc].clone() else { continue };
        let inst = &proc.code[pc];
        step(pc, inst, &mut facts);
        for next in inst.successors(pc) {
            let merged = match &before[next] {
                None => facts.clone(),
                Some(old) => old.iter().zip(&facts).map(|(a, b)| if a == b { a.clone() } else { None }).collect(),
            };
            if before[next].as_ref() != Some(&merged) {
                before[next] = Some(merged);
                if !queued[next] {
                    queued[next] = true;
                    work.push(next);
                }
            }
        }
    }
    before
}
