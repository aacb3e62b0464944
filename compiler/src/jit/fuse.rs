//! Superinstructions: short runs of IR that native code executes in one
//! helper call, chosen where the intermediate values are dead afterwards
//! (see `liveness.rs`) and no jump lands inside the run.

use std::collections::HashMap;

use crate::ir::{Inst, NodeId, Proc, Program, Slot};
use crate::jit::chains::{FieldChain, Link, Tail, assign_memos};
use crate::jit::liveness::Liveness;

/// A fused run of instructions.
#[derive(Debug)]
pub(crate) enum Fused {
    /// Key lookups, with what follows them (`chains.rs`).
    Chain(FieldChain),
    /// `[Copy { dst, src }] Unbox(dst) At(node) Print(dst)` with `dst`
    /// dead afterwards: the unboxed value of `src` printed at `node`.
    PrintUnboxed { src: Slot, node: NodeId },
    /// `Copy { dst, src }` with `src` dead afterwards: a move, no clone.
    Move { dst: Slot, src: Slot },
    /// A `Call` whose result the frame's memo entry `memo` keeps for the
    /// calls that repeat it (`repeats.rs`).
    RepeatedCall { memo: u32 },
    /// `Call { dst, .. } [Unbox(dst)] At(node) Print(dst)` with `dst` dead
    /// afterwards, of a function that can print its result itself
    /// (`Function::write`): the result goes straight into the output.
    CallPrint { node: NodeId },
    /// A `RangeNext` that first forgets the memo entries computed from the
    /// previous element (`repeats.rs`).
    NextElement { forget: Box<[u32]> },
}

/// A fused run and the instructions it stands for.
#[derive(Debug)]
pub(crate) struct Run {
    /// Index of its first instruction.
    pub(crate) start: usize,
    /// How many instructions it covers.
    pub(crate) len: usize,
    pub(crate) fused: Fused,
}

/// What native code for a procedure does beyond one helper per instruction.
#[derive(Debug, Default)]
pub(crate) struct Fusion {
    pub(crate) runs: Vec<Run>,
    /// Where a repeated call's argument work starts, by position: the
    /// checks to make there (`Recall`), outermost call first.
    pub(crate) recalls: HashMap<usize, Vec<Recall>>,
    /// The size of the memo its frames need (`chains.rs`, `repeats.rs`).
    pub(crate) memo: u32,
}

/// Before the instructions computing a repeated call's arguments: if the
/// memo already holds the call's result, it goes to `dst` and execution
/// resumes after the call, skipping the arguments and the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Recall {
    pub(crate) memo: u32,
    pub(crate) dst: Slot,
    /// The instruction after the call.
    pub(crate) resume: usize,
    /// The error position the skipped instructions would have left (their
    /// last `At`).
    pub(crate) node: Option<NodeId>,
}

pub(crate) fn find(program: &Program, proc: &Proc, is_target: &[bool]) -> Fusion {
    let live = Liveness::of(proc);
    let mut runs = fuse(program, proc, is_target, &live);
    let argument_kept = !proc.code.iter().any(|inst| inst.writes(Slot::ARGUMENT));
    let chain_memo = if argument_kept {
        let mut root_chains: Vec<&mut FieldChain> = runs
            .iter_mut()
            .filter_map(|run| match &mut run.fused {
                Fused::Chain(chain) if chain.recv == Slot::ARGUMENT => Some(chain),
                _ => None,
            })
            .collect();
        assign_memos(&mut root_chains)
    } else {
        0
    };
    let repeats = crate::jit::repeats::find(program, proc, chain_memo);
    let mut calls: Vec<(usize, u32)> = repeats.calls.into_iter().collect();
    calls.sort_unstable();
    // A repeated call keeps its result for the calls that repeat it.
    runs.retain(|run| {
        !matches!(run.fused, Fused::CallPrint { .. }) || calls.binary_search_by_key(&run.start, |&(pc, _)| pc).is_err()
    });
    runs.extend(calls.iter().map(|&(pc, memo)| Run { start: pc, len: 1, fused: Fused::RepeatedCall { memo } }));
    runs.extend(repeats.forget.into_iter().map(|(pc, forget)| Run {
        start: pc,
        len: 1,
        fused: Fused::NextElement { forget: forget.into_boxed_slice() },
    }));
    let mut recalls: HashMap<usize, Vec<Recall>> = HashMap::new();
    for &(pc, memo) in calls.iter().rev() {
        if let Some((start, recall)) = recall(program, proc, pc, memo, &live, &runs) {
            recalls.entry(start).or_default().push(recall);
        }
    }
    Fusion { runs, recalls, memo: chain_memo + repeats.entries }
}

/// Where the argument work of the repeated call at `pc` starts, and the
/// check to make there: the instructions before the call that compute
/// values (constants, copies, lookups, conversions, deterministic calls)
/// whose results nothing reads after the call. The memo key of the call
/// says that the same expressions were evaluated before in this frame,
/// without error, so skipping them changes nothing but time.
fn recall(
    program: &Program,
    proc: &Proc,
    pc: usize,
    memo: u32,
    live: &Liveness,
    runs: &[Run],
) -> Option<(usize, Recall)> {
    let Inst::Call { dst, .. } = proc.code[pc] else { return None };
    let mut start = pc;
    while start > 0 {
        let inst = &proc.code[start - 1];
        let pure = match *inst {
            Inst::At(_) | Inst::Const { .. } | Inst::Copy { .. } | Inst::Unbox(_) | Inst::Validate { .. } => true,
            Inst::Field { args, .. } => args == 0,
            Inst::Call { func, .. } => program.functions[func].is_deterministic(),
            _ => false,
        };
        let mut dead = true;
        inst.for_each_written(|s| dead &= s == dst || !live.live_after(pc, s));
        if !pure || !dead {
            break;
        }
        start -= 1;
    }
    // Never start inside a fused run.
    while let Some(run) = runs.iter().find(|r| r.start < start && start < r.start + r.len) {
        start = run.start + run.len;
    }
    let skipped = &proc.code[start..pc];
    if !skipped.iter().any(|inst| !matches!(inst, Inst::At(_))) {
        return None;
    }
    let node = skipped.iter().rev().find_map(|inst| match *inst {
        Inst::At(node) => Some(node),
        _ => None,
    });
    Some((start, Recall { memo, dst, resume: pc + 1, node }))
}

fn fuse(program: &Program, proc: &Proc, is_target: &[bool], live: &Liveness) -> Vec<Run> {
    let code = &proc.code;
    // Whether `len` instructions from `at` exist with no jump target after the first.
    let straight = |at: usize, len: usize| at + len <= code.len() && (at + 1..at + len).all(|pc| !is_target[pc]);
    // `Unbox(s) At(n) Print(s)` at `at`, `s` dead after: the node.
    let unbox_print = |at: usize, s: Slot| match code.get(at..at + 3) {
        Some(&[Inst::Unbox(u), Inst::At(node), Inst::Print(p)])
            if u == s && p == s && straight(at, 3) && !is_target[at] && !live.live_after(at + 2, s) =>
        {
            Some(node)
        }
        _ => None,
    };
    let mut runs = Vec::new();
    let mut pc = 0;
    while pc < code.len() {
        match code[pc] {
            Inst::Field { dst, recv, name, args: 0 } => {
                let mut links = vec![Link::new(dst, name)];
                let mut end = pc + 1;
                while let Some(&Inst::Field { dst, recv, name, args: 0 }) = code.get(end) {
                    if is_target[end] || links.last().is_some_and(|l| l.dst != recv) {
                        break;
                    }
                    links.push(Link::new(dst, name));
                    end += 1;
                }
                let last = links.last().expect("a chain has a link").dst;
                let mut tail = Tail::None;
                if let Some(node) = unbox_print(end, last) {
                    tail = Tail::Print(node);
                    end += 3;
                } else if matches!(code.get(end), Some(&Inst::Unbox(s)) if s == last) && !is_target[end] {
                    tail = Tail::Unbox;
                    end += 1;
                }
                // A link's result is stored only if read after the run and
                // not overwritten by a later link; a printed result never.
                for i in 0..links.len() {
                    let dst = links[i].dst;
                    let overwritten = links[i + 1..].iter().any(|l| l.dst == dst);
                    let printed = i + 1 == links.len() && matches!(tail, Tail::Print(_));
                    links[i].store =
                        !overwritten && !printed && (i + 1 == links.len() || live.live_after(end - 1, dst));
                }
                let chain = FieldChain { recv, links: links.into_boxed_slice(), tail, remembered: Box::new([]) };
                runs.push(Run { start: pc, len: end - pc, fused: Fused::Chain(chain) });
                pc = end;
            }
            Inst::Copy { dst, src } => match unbox_print(pc + 1, dst) {
                Some(node) if straight(pc, 4) && !is_target[pc + 1] => {
                    runs.push(Run { start: pc, len: 4, fused: Fused::PrintUnboxed { src, node } });
                    pc += 4;
                }
                _ => {
                    if src != dst && !live.live_after(pc, src) {
                        runs.push(Run { start: pc, len: 1, fused: Fused::Move { dst, src } });
                    }
                    pc += 1;
                }
            },
            Inst::Call { dst, func, .. } if program.functions[func].write.is_some() => {
                let unboxed = matches!(code.get(pc + 1), Some(&Inst::Unbox(s)) if s == dst);
                let at = pc + 1 + usize::from(unboxed);
                match code.get(at..at + 2) {
                    Some(&[Inst::At(node), Inst::Print(p)])
                        if p == dst && straight(pc, at + 2 - pc) && !live.live_after(at + 1, dst) =>
                    {
                        runs.push(Run { start: pc, len: at + 2 - pc, fused: Fused::CallPrint { node } });
                        pc = at + 2;
                    }
                    _ => pc += 1,
                }
            }
            Inst::Unbox(s) => match unbox_print(pc, s) {
                Some(node) => {
                    runs.push(Run { start: pc, len: 3, fused: Fused::PrintUnboxed { src: s, node } });
                    pc += 3;
                }
                None => pc += 1,
            },
            _ => pc += 1,
        }
    }
    runs
}
