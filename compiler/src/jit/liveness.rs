//! Which slots are live after each instruction: read later on some path
//! before being written again. Native code uses it to fuse instructions
//! whose intermediate values nothing reads afterwards.

use crate::ir::{Inst, Proc, Slot};

/// Live slots after each instruction, as bit sets.
pub(crate) struct Liveness {
    words: usize,
    live_out: Vec<u64>,
}

impl Liveness {
    pub(crate) fn of(proc: &Proc) -> Liveness {
        let n = proc.code.len();
        let words = (proc.slots as usize).div_ceil(64).max(1);
        let mut live_in = vec![0u64; (n + 1) * words];
        let mut live_out = vec![0u64; n * words];
        // Backward passes until nothing changes; loops need a few.
        let mut changed = true;
        while changed {
            changed = false;
            for pc in (0..n).rev() {
                let inst = &proc.code[pc];
                let mut out = vec![0u64; words];
                for succ in inst.successors(pc) {
                    for w in 0..words {
                        out[w] |= live_in[succ * words + w];
                    }
                }
                let mut inn = out.clone();
                // A `RangeNext` writes nothing when the range is done, so
                // it kills nothing; every other write kills the old value.
                if !matches!(inst, Inst::RangeNext { .. }) {
                    inst.for_each_defined(|s| inn[s.index() / 64] &= !(1u64 << (s.index() % 64)));
                }
                inst.for_each_read(|s| inn[s.index() / 64] |= 1u64 << (s.index() % 64));
                if live_out[pc * words..(pc + 1) * words] != out[..] || live_in[pc * words..(pc + 1) * words] != inn[..]
                {
                    live_out[pc * words..(pc + 1) * words].copy_from_slice(&out);
                    live_in[pc * words..(pc + 1) * words].copy_from_slice(&inn);
                    changed = true;
                }
            }
        }
        Liveness { words, live_out }
    }

    /// Whether `slot` may be read after instruction `pc` runs.
    pub(crate) fn live_after(&self, pc: usize, slot: Slot) -> bool {
        let word = self.live_out[pc * self.words + slot.index() / 64];
        word & (1u64 << (slot.index() % 64)) != 0
    }
}
