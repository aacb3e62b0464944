//! Stack for recursion over nested values.
//!
//! Printing, JSON and copies of a value recurse as deep as the value is
//! nested, and templates choose that depth: a recursive template builds
//! lists nested as deep as Go's 100,000 template calls allow, which Go's
//! growable stacks print without trouble. Such recursion goes through
//! [`deeper`]: when the thread's stack runs low, the rest continues on a
//! fresh heap-allocated segment, on either backend and at any depth of
//! template calls.

/// Stack kept free at each level.
const RED_ZONE: usize = 64 * 1024;
/// The size of each new segment.
const SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f`, one level deeper into a nested value.
#[inline]
pub(crate) fn deeper<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
