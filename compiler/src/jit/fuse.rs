//! Superinstructions: short runs of IR that native code executes in one
//! helper call, chosen where the intermediate values are dead afterwards
//! (see `liveness.rs`) and no jump lands inside the run.

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

/// The fused runs of `proc`, and the size of the memo its frames need
/// (`chains.rs`, `repeats.rs`).
pub(crate) fn find(program: &Program, proc: &Proc, is_target: &[bool]) -> (Vec<Run>, u32) {
    let mut runs = fuse(proc, is_target);
    let argument_kept = !proc.code.iter().any(|inst| inst.writes(0));
    let memo = if argument_kept {
        let mut root_chains: Vec<&mut FieldChain> = runs
            .iter_mut()
            .filter_map(|run| match &mut run.fused {
                Fused::Chain(chain) if chain.recv == 0 => Some(chain),
                _ => None,
            })
            .collect();
        assign_memos(&mut root_chains)
    } else {
        0
    };
    let repeats = crate::jit::repeats::find(program, proc, memo);
    runs.extend(repeats.calls.into_iter().map(|(pc, memo)| Run {
        start: pc,
        len: 1,
        fused: Fused::RepeatedCall { memo },
    }));
    runs.extend(repeats.forget.into_iter().map(|(pc, forget)| Run {
        start: pc,
        len: 1,
        fused: Fused::NextElement { forget: forget.into_boxed_slice() },
    }));
    (runs, memo + repeats.entries)
}

fn fuse(proc: &Proc, is_target: &[bool]) -> Vec<Run> {
    let live = Liveness::of(proc);
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
                let chain = FieldChain { recv, links: links.into_boxed_slice(), tail };
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
