//! Clean-ups of lowered code that both backends profit from.
//!
//! Lowering mirrors Go's executor step by step, which leaves copies behind:
//! each argument is computed into a slot of its own and then copied into the
//! block of consecutive slots a call reads. Where the copied temporary is
//! born and dies in the straight-line code just before the copy, it can be
//! computed in the block directly. Conversions that change nothing go too.

use injit_runtime::convert::Param;
use injit_runtime::types::Type;

use crate::ir::{Inst, Label, Proc, Slot};

/// How an instruction touches a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Reads it.
    Use,
    /// Writes it without reading it.
    Def,
    /// Reads and rewrites it in place.
    Modify,
    /// Reads it as part of a block of consecutive argument slots.
    Block,
}

impl Inst {
    /// Calls `f` on every slot the instruction touches, reads before writes.
    fn visit_slots(&mut self, mut f: impl FnMut(&mut Slot, Access)) {
        let block = |base: Slot, argc: u32, f: &mut dyn FnMut(&mut Slot, Access)| {
            for mut s in base..base + argc {
                f(&mut s, Access::Block);
            }
        };
        match self {
            Inst::At(_) | Inst::Text(_) | Inst::Jump(_) | Inst::Fail(_) | Inst::CheckDepth | Inst::RangeEnd { .. } => {}
            Inst::Print(s) | Inst::CallTemplate { dot: s, .. } => f(s, Access::Use),
            Inst::JumpIfTruth { src, .. } | Inst::JumpUnlessTrue { src, .. } | Inst::RangeStart { src, .. } => {
                f(src, Access::Use)
            }
            Inst::Const { dst, .. } => f(dst, Access::Def),
            Inst::Copy { dst, src } => {
                f(src, Access::Use);
                f(dst, Access::Def);
            }
            Inst::Unbox(s) | Inst::Validate { slot: s, .. } => f(s, Access::Modify),
            Inst::Field { dst, recv, .. } => {
                f(recv, Access::Use);
                f(dst, Access::Def);
            }
            Inst::Call { dst, args, argc, .. } | Inst::CallValue { dst, args, argc, .. } => {
                block(*args, *argc, &mut f);
                f(dst, Access::Def);
            }
            Inst::CallMethod { dst, method, args, argc, .. } => {
                f(method, Access::Use);
                block(*args, *argc, &mut f);
                f(dst, Access::Def);
            }
            Inst::RangeNext { key, elem, .. } => {
                if let Some(key) = key {
                    f(key, Access::Def);
                }
                f(elem, Access::Def);
            }
        }
    }

    /// The instruction's jump targets.
    fn targets_mut(&mut self) -> Vec<&mut Label> {
        match self {
            Inst::Jump(t)
            | Inst::JumpIfTruth { target: t, .. }
            | Inst::JumpUnlessTrue { target: t, .. }
            | Inst::RangeStart { empty: t, .. }
            | Inst::RangeNext { done: t, .. } => vec![t],
            _ => Vec::new(),
        }
    }
}

/// Optimizes one procedure in place; its behaviour, errors included, stays
/// the same.
pub(crate) fn optimize(proc: &mut Proc) {
    let mut keep: Vec<bool> = proc.code.iter().map(|i| !is_noop(i)).collect();
    remove(proc, &mut keep);
    // Each round merges copies whose slots no other merge of the round
    // touches; chains of copies take a few rounds.
    for _ in 0..8 {
        if !coalesce_copies(proc) {
            break;
        }
    }
}

/// Conversions to a parameter that accepts anything as it is.
fn is_noop(inst: &Inst) -> bool {
    matches!(inst, Inst::Validate { to: Param::Unchecked | Param::Type(Type::ReflectValue), .. })
}

/// Every reference to each slot, in code order.
fn references(code: &mut [Inst], slots: usize) -> Vec<Vec<(usize, Access)>> {
    let mut refs = vec![Vec::new(); slots];
    for (pc, inst) in code.iter_mut().enumerate() {
        inst.visit_slots(|s, access| refs[*s as usize].push((pc, access)));
    }
    refs
}

/// Merges `Copy { dst, src }` into the instructions computing `src` where
/// that is invisible: `src` lives only in straight-line code ending at the
/// copy (defined fresh at its start, so loops never see a stale value),
/// and `dst` is untouched before the copy. Returns whether anything changed.
fn coalesce_copies(proc: &mut Proc) -> bool {
    let refs = references(&mut proc.code, proc.slots as usize);
    let mut is_target = vec![false; proc.code.len() + 1];
    let mut is_jump = vec![false; proc.code.len()];
    for (pc, inst) in proc.code.iter_mut().enumerate() {
        for t in inst.targets_mut() {
            is_target[*t as usize] = true;
            is_jump[pc] = true;
        }
    }
    let mut touched = vec![false; proc.slots as usize];
    let mut renames: Vec<(Slot, Slot, usize, usize)> = Vec::new();
    for (copy_pc, inst) in proc.code.iter().enumerate() {
        let &Inst::Copy { dst, src } = inst else { continue };
        // Slot 0 is the template's argument, defined by the caller.
        if src == 0 || dst == 0 || src == dst || touched[src as usize] || touched[dst as usize] {
            continue;
        }
        let src_refs = &refs[src as usize];
        let Some(&(first, Access::Def)) = src_refs.first() else { continue };
        let confined = src_refs.iter().all(|&(pc, access)| pc <= copy_pc && access != Access::Block);
        let dst_fresh = refs[dst as usize].iter().all(|&(pc, _)| pc >= copy_pc);
        let straight = (first + 1..=copy_pc).all(|pc| !is_target[pc]) && (first..copy_pc).all(|pc| !is_jump[pc]);
        if confined && dst_fresh && straight {
            touched[src as usize] = true;
            touched[dst as usize] = true;
            renames.push((src, dst, first, copy_pc));
        }
    }
    if renames.is_empty() {
        return false;
    }
    let mut keep = vec![true; proc.code.len()];
    for &(src, dst, first, copy_pc) in &renames {
        for inst in &mut proc.code[first..copy_pc] {
            inst.visit_slots(|s, _| {
                if *s == src {
                    *s = dst;
                }
            });
        }
        keep[copy_pc] = false;
    }
    remove(proc, &mut keep);
    true
}

/// Drops the instructions not kept, redirecting jumps to what follows them.
fn remove(proc: &mut Proc, keep: &mut [bool]) {
    if keep.iter().all(|&k| k) {
        return;
    }
    let mut new_index = Vec::with_capacity(keep.len() + 1);
    let mut kept = 0u32;
    for &k in keep.iter() {
        new_index.push(kept);
        kept += u32::from(k);
    }
    new_index.push(kept);
    let code = std::mem::take(&mut proc.code);
    proc.code = code
        .into_iter()
        .zip(keep.iter())
        .filter(|(_, k)| **k)
        .map(|(mut inst, _)| {
            for t in inst.targets_mut() {
                *t = new_index[*t as usize];
            }
            inst
        })
        .collect();
}
