//! Stack for recursion over nested values.
//!
//! Printing, JSON and copies of a value recurse as deep as the value is
//! nested, and templates choose that depth: a recursive template builds
//! lists nested as deep as Go's 100,000 template calls allow, which Go's
//! growable stacks print without trouble. Such recursion goes through
//! [`deeper`]: when the thread's stack runs low, the rest continues on a
//! fresh heap-allocated segment, on either backend and at any depth of
//! template calls. Values that hold themselves (only functions that change
//! maps in place make them) are caught by [`Walk`], as Go's JSON encoder
//! catches them.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use crate::value::{Repr, Value};

/// Stack kept free at each level.
const RED_ZONE: usize = 64 * 1024;
/// The size of each new segment.
const SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f`, one level deeper into a nested value.
#[inline]
pub(crate) fn deeper<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// Go's `encoding/json` starts looking for cycles this many levels down.
const CYCLE_CHECKS_AFTER: usize = 1000;

thread_local! {
    /// The containers being walked more than `CYCLE_CHECKS_AFTER` levels
    /// down, by address.
    static WALKED: RefCell<HashSet<usize>> = RefCell::new(HashSet::new());
}

/// A map or slice being walked at some nesting depth; dropping it ends the
/// walk. Functions that change maps in place (`set`, `merge`) can make a
/// map that holds itself, which a walk would follow forever.
pub(crate) struct Walk(Option<usize>);

impl Walk {
    /// `None` when `value` is already being walked further up: a cycle.
    pub(crate) fn enter(value: &Value<'_>, depth: usize) -> Option<Walk> {
        if depth < CYCLE_CHECKS_AFTER {
            return Some(Walk(None));
        }
        let address = match &value.repr {
            Repr::Map(m, _) => Rc::as_ptr(m).cast::<u8>() as usize,
            Repr::Slice(s, _) => Rc::as_ptr(s).cast::<u8>() as usize,
            _ => return Some(Walk(None)),
        };
        WALKED.with_borrow_mut(|walked| walked.insert(address)).then_some(Walk(Some(address)))
    }
}

impl Drop for Walk {
    fn drop(&mut self) {
        if let Some(address) = self.0 {
            WALKED.with_borrow_mut(|walked| walked.remove(&address));
        }
    }
}
