//! A coarse signal for libFuzzer when a target is built without coverage
//! instrumentation (CI's build, which `run.sh` fuzzes): each run marks one
//! of these counters, chosen by what the input did, so libFuzzer keeps the
//! inputs that behave differently and has a corpus to mutate (with no
//! signal at all it stops on an assertion). Instrumented builds (`cargo
//! fuzz`) see real coverage besides.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU8, Ordering};

const COUNTERS_LEN: usize = 4096;

#[used]
#[unsafe(link_section = "__libfuzzer_extra_counters")]
static COUNTERS: [AtomicU8; COUNTERS_LEN] = [const { AtomicU8::new(0) }; COUNTERS_LEN];

/// Marks the counter of `what` (a fixed hash: the same input, the same
/// counter, run after run).
pub fn mark(what: impl Hash) {
    let mut hasher = DefaultHasher::new();
    what.hash(&mut hasher);
    COUNTERS[(hasher.finish() % COUNTERS_LEN as u64) as usize].fetch_add(1, Ordering::Relaxed);
}

/// A size's order of magnitude, as a signal.
pub fn magnitude(n: usize) -> u32 {
    usize::BITS - n.leading_zeros()
}
