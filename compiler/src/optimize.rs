//! Clean-ups of lowered code that both backends profit from.
//!
//! Lowering mirrors Go's executor step by step, which leaves copies behind:
//! each argument is computed into a slot of its own and then copied into the
//! block of consecutive slots a call reads. Where the copied temporary is
//! born and dies in the straight-line code just before the copy, it can be
//! computed in the block directly. Conversions that change nothing go too.
//! Finally slots whose lifetimes do not overlap share storage, so a frame
//! is a few dozen values rather than one per expression (frames are made
//! and dropped on every template call).

use injit_runtime::convert::Param;
use injit_runtime::types::Type;

use injit_runtime::funcs::Function;
use injit_runtime::types::Kind;

use crate::ir::{Const, ConstId, EntityVec, FuncId, Inst, Label, Proc, Slot};

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
            for mut s in base.block(argc) {
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

    /// Calls `f` on every slot the instruction writes (defines or changes).
    pub(crate) fn for_each_written(&self, mut f: impl FnMut(Slot)) {
        self.clone().visit_slots(|s, access| {
            if matches!(access, Access::Def | Access::Modify) {
                f(*s);
            }
        });
    }

    /// Where control can go after this instruction at `pc` (the end of
    /// the code is `len`).
    pub(crate) fn successors(&self, pc: usize) -> Vec<usize> {
        match *self {
            Inst::Jump(t) => vec![t.index()],
            Inst::Fail(_) => Vec::new(),
            Inst::JumpIfTruth { target: t, .. }
            | Inst::JumpUnlessTrue { target: t, .. }
            | Inst::RangeStart { empty: t, .. }
            | Inst::RangeNext { done: t, .. } => vec![pc + 1, t.index()],
            _ => vec![pc + 1],
        }
    }

    /// Whether the instruction writes (defines or changes) `slot`.
    pub(crate) fn writes(&self, slot: Slot) -> bool {
        let mut hit = false;
        self.for_each_written(|s| hit |= s == slot);
        hit
    }

    /// Calls `f` on every slot the instruction defines without reading.
    pub(crate) fn for_each_defined(&self, mut f: impl FnMut(Slot)) {
        self.clone().visit_slots(|s, access| {
            if access == Access::Def {
                f(*s);
            }
        });
    }

    /// Calls `f` on every slot the instruction reads.
    pub(crate) fn for_each_read(&self, mut f: impl FnMut(Slot)) {
        self.clone().visit_slots(|s, access| {
            if access != Access::Def {
                f(*s);
            }
        });
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
pub(crate) fn optimize(
    proc: &mut Proc,
    functions: &EntityVec<FuncId, &'static Function>,
    consts: &EntityVec<ConstId, Const>,
) {
    let mut keep: Vec<bool> = proc.code.iter().map(|i| !is_noop(i)).collect();
    remove(proc, &mut keep);
    drop_known_conversions(proc, functions, consts);
    // Each round merges copies whose slots no other merge of the round
    // touches; chains of copies take a few rounds.
    for _ in 0..8 {
        if !coalesce_copies(proc) {
            break;
        }
    }
    compact_slots(proc);
}

/// Conversions to a parameter that accepts anything as it is.
fn is_noop(inst: &Inst) -> bool {
    matches!(inst, Inst::Validate { to: Param::Unchecked | Param::Type(Type::ReflectValue), .. })
}

/// Drops `Unbox` and `Validate` of values whose Go type is known where
/// they are converted: a function's concrete result, a typed constant.
/// Such a value is valid and not held in an interface, so unboxing it, or
/// checking it against its own type or `interface{}`, changes nothing. What
/// is known is forgotten at every jump target (paths merge there).
fn drop_known_conversions(
    proc: &mut Proc,
    functions: &EntityVec<FuncId, &'static Function>,
    consts: &EntityVec<ConstId, Const>,
) {
    let mut is_target = vec![false; proc.code.len() + 1];
    for inst in &mut proc.code {
        for t in inst.targets_mut() {
            is_target[t.index()] = true;
        }
    }
    let concrete = |t: Type| t.kind() != Kind::Interface && t != Type::ReflectValue;
    let mut known: EntityVec<Slot, Option<Type>> = EntityVec::from(vec![None; proc.slots as usize]);
    let mut keep = vec![true; proc.code.len()];
    for (pc, inst) in proc.code.iter_mut().enumerate() {
        if is_target[pc] {
            known.fill(None);
        }
        let fact = match inst {
            Inst::Unbox(s) if known[*s].is_some() => {
                keep[pc] = false;
                continue;
            }
            Inst::Validate { slot, to: Param::Type(t) } => {
                if let Some(ty) = known[*slot]
                    && (*t == Type::Any || *t == ty)
                {
                    keep[pc] = false;
                    continue;
                }
                // A successful conversion to a concrete type leaves a
                // valid, unboxed value of that type.
                concrete(*t).then_some(*t)
            }
            Inst::Const { value, .. } => match &consts[*value] {
                Const::Bool(_) => Some(Type::Bool),
                Const::Int(_, t)
                | Const::Uint(_, t)
                | Const::Float(_, t)
                | Const::Complex(_, _, t)
                | Const::Str(_, t) => concrete(*t).then_some(*t),
                Const::Invalid | Const::NilInterface | Const::Boxed(_) | Const::Bound(_) | Const::Typed(..) => None,
            },
            Inst::Call { func, .. } => {
                let function = functions[*func];
                let result = function.result();
                (!function.results.is_empty() && concrete(result)).then_some(result)
            }
            Inst::Copy { src, .. } => known[*src],
            _ => None,
        };
        inst.visit_slots(|s, access| {
            if matches!(access, Access::Def | Access::Modify) {
                known[*s] = fact;
            }
        });
    }
    remove(proc, &mut keep);
}

/// Every reference to each slot, in code order.
fn references(code: &mut [Inst], slots: usize) -> EntityVec<Slot, Vec<(usize, Access)>> {
    let mut refs = EntityVec::from(vec![Vec::new(); slots]);
    for (pc, inst) in code.iter_mut().enumerate() {
        inst.visit_slots(|s, access| refs[*s].push((pc, access)));
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
            is_target[t.index()] = true;
            is_jump[pc] = true;
        }
    }
    let mut touched: EntityVec<Slot, bool> = EntityVec::from(vec![false; proc.slots as usize]);
    let mut renames: Vec<(Slot, Slot, usize, usize)> = Vec::new();
    for (copy_pc, inst) in proc.code.iter().enumerate() {
        let &Inst::Copy { dst, src } = inst else { continue };
        // Slot 0 is the template's argument, defined by the caller.
        if src == Slot::ARGUMENT || dst == Slot::ARGUMENT || src == dst || touched[src] || touched[dst] {
            continue;
        }
        let src_refs = &refs[src];
        let Some(&(first, Access::Def)) = src_refs.first() else { continue };
        let confined = src_refs.iter().all(|&(pc, access)| pc <= copy_pc && access != Access::Block);
        let dst_fresh = refs[dst].iter().all(|&(pc, _)| pc >= copy_pc);
        let straight = (first + 1..=copy_pc).all(|pc| !is_target[pc]) && (first..copy_pc).all(|pc| !is_jump[pc]);
        if confined && dst_fresh && straight {
            touched[src] = true;
            touched[dst] = true;
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
pub(crate) fn remove_instructions(proc: &mut Proc, keep: &mut [bool]) {
    remove(proc, keep);
}

fn remove(proc: &mut Proc, keep: &mut [bool]) {
    if keep.iter().all(|&k| k) {
        return;
    }
    let mut new_index = Vec::with_capacity(keep.len() + 1);
    let mut kept = 0;
    for &k in keep.iter() {
        new_index.push(Label::new(kept));
        kept += usize::from(k);
    }
    new_index.push(Label::new(kept));
    let code = std::mem::take(&mut proc.code);
    proc.code = code
        .into_iter()
        .zip(keep.iter())
        .filter(|(_, k)| **k)
        .map(|(mut inst, _)| {
            for t in inst.targets_mut() {
                *t = new_index[t.index()];
            }
            inst
        })
        .collect();
}

/// A unit of slot storage: one slot, or a block of consecutive argument
/// slots that must stay consecutive.
#[derive(Clone, Debug)]
struct Unit {
    /// The index of its first slot.
    first: usize,
    len: usize,
    start: usize,
    end: usize,
}

/// Packs slots into as few as the overlap of their live ranges allows
/// (linear scan over code order; values live across a loop's back edge
/// stay live for the whole loop).
fn compact_slots(proc: &mut Proc) {
    let slots = proc.slots as usize;
    if slots <= 1 {
        return;
    }
    // Units: argument blocks merged where they overlap, then single slots.
    let mut unit_of: EntityVec<Slot, Option<usize>> = EntityVec::from(vec![None; slots]);
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    for inst in &proc.code {
        match *inst {
            Inst::Call { args, argc, .. }
            | Inst::CallValue { args, argc, .. }
            | Inst::CallMethod { args, argc, .. }
                if argc > 0 =>
            {
                blocks.push((args.index(), argc as usize));
            }
            _ => {}
        }
    }
    blocks.sort_unstable();
    let mut units: Vec<Unit> = Vec::new();
    for (base, argc) in blocks {
        match units.last_mut() {
            Some(u) if base < u.first + u.len => u.len = u.len.max(base + argc - u.first),
            _ => units.push(Unit { first: base, len: argc, start: usize::MAX, end: 0 }),
        }
    }
    for (i, u) in units.iter().enumerate() {
        for s in u.first..u.first + u.len {
            unit_of[Slot::new(s)] = Some(i);
        }
    }
    for s in unit_of.keys().skip(1) {
        if unit_of[s].is_none() {
            unit_of[s] = Some(units.len());
            units.push(Unit { first: s.index(), len: 1, start: usize::MAX, end: 0 });
        }
    }
    // Live ranges in code order. A unit read before it is written holds
    // its initial (invalid) value and so must start with the frame.
    let mut first_access: Vec<Option<Access>> = vec![None; units.len()];
    for (pc, inst) in proc.code.iter_mut().enumerate() {
        inst.visit_slots(|s, access| {
            let Some(u) = unit_of[*s] else { return };
            let unit = &mut units[u];
            unit.start = unit.start.min(pc);
            unit.end = unit.end.max(pc);
            first_access[u].get_or_insert(access);
        });
    }
    for (u, access) in first_access.iter().enumerate() {
        if *access != Some(Access::Def) && units[u].start != usize::MAX {
            units[u].start = 0;
        }
    }
    // Loops: a value live into a loop's head stays live to its back edge.
    let mut loops: Vec<(usize, usize)> = Vec::new();
    for (pc, inst) in proc.code.iter_mut().enumerate() {
        for t in inst.targets_mut() {
            if t.index() <= pc {
                loops.push((t.index(), pc));
            }
        }
    }
    let mut changed = true;
    while changed {
        changed = false;
        for &(head, back) in &loops {
            for u in units.iter_mut().filter(|u| u.start != usize::MAX) {
                if u.start < head && u.end >= head && u.end < back {
                    u.end = back;
                    changed = true;
                }
            }
        }
    }
    // Linear scan: lowest free run of physical slots; slot 0 stays the
    // template's argument.
    let mut order: Vec<usize> = (0..units.len()).filter(|&u| units[u].start != usize::MAX).collect();
    order.sort_by_key(|&u| (units[u].start, units[u].first));
    let mut busy_until: Vec<Option<usize>> = vec![Some(usize::MAX)];
    let mut placed: Vec<Option<usize>> = vec![None; units.len()];
    for u in order {
        let Unit { len, start, end, .. } = units[u];
        let free = |p: usize, busy: &Vec<Option<usize>>| busy.get(p).is_none_or(|b| b.is_none_or(|e| e < start));
        let mut p = 1;
        while !(p..p + len).all(|k| free(k, &busy_until)) {
            p += 1;
        }
        if busy_until.len() < p + len {
            busy_until.resize(p + len, None);
        }
        busy_until[p..p + len].fill(Some(end));
        placed[u] = Some(p);
    }
    let new_slot = |s: Slot| -> Slot {
        if s == Slot::ARGUMENT {
            return Slot::ARGUMENT;
        }
        let u = unit_of[s].expect("every slot has a unit");
        // A slot never referenced keeps a harmless place (it is never read).
        placed[u].map_or(Slot::ARGUMENT, |p| Slot::new(p + (s.index() - units[u].first)))
    };
    for inst in &mut proc.code {
        match inst {
            Inst::Call { args, .. } | Inst::CallValue { args, .. } | Inst::CallMethod { args, .. } => {
                *args = new_slot(*args);
            }
            _ => {}
        }
        inst.visit_slots(|s, access| {
            if access != Access::Block {
                *s = new_slot(*s);
            }
        });
    }
    proc.slots = busy_until.len().max(1) as u32;
}
