//! When an injection gives up. The webhook's caller (the API server)
//! stops waiting at its `?timeout=`; work past that answers nobody and
//! holds a worker the next pod is waiting for. Injection checks its
//! deadline between its phases (each template rendered and merged, each
//! pass over the pod) and every few elements of the passes over a pod's
//! lists, and stops with an error.

use std::fmt;
use std::time::Instant;

/// How often (in elements) the passes over long lists look at the clock:
/// often enough to stop within a millisecond, rarely enough to cost
/// nothing measurable.
const EVERY: usize = 64;

/// An instant after which injection stops, or none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

/// Injection stopped because its deadline passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expired;

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the injection stopped: its deadline passed")
    }
}

impl std::error::Error for Expired {}

/// Why a step that checks its deadline did not finish: its own failure,
/// or the deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop<E> {
    Failed(E),
    Expired,
}

impl<E> From<Expired> for Stop<E> {
    fn from(_: Expired) -> Stop<E> {
        Stop::Expired
    }
}

impl<E> Stop<E> {
    /// The injector's error: a failure as `failed` describes it.
    pub fn into_error(self, failed: impl FnOnce(E) -> crate::Error) -> crate::Error {
        match self {
            Stop::Failed(e) => failed(e),
            Stop::Expired => Expired.into(),
        }
    }
}

impl Deadline {
    /// No deadline: injection runs to its end.
    pub const NONE: Deadline = Deadline(None);

    pub fn at(instant: Instant) -> Deadline {
        Deadline(Some(instant))
    }

    pub fn instant(self) -> Option<Instant> {
        self.0
    }

    /// `Err` once the deadline has passed.
    pub fn check(self) -> Result<(), Expired> {
        match self.0 {
            Some(at) if Instant::now() >= at => Err(Expired),
            _ => Ok(()),
        }
    }

    /// `check` for element `i` of a pass over a list: at every 64th
    /// element, so that the many short lists of a pod (a container's
    /// ports, an object's keys) cost no look at the clock.
    pub fn check_element(self, i: usize) -> Result<(), Expired> {
        if (i + 1).is_multiple_of(EVERY) { self.check() } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_passed_deadline_is_seen_within_a_few_elements() {
        assert_eq!(Deadline::NONE.check(), Ok(()));
        let passed = Deadline::at(Instant::now() - Duration::from_millis(1));
        assert_eq!(passed.check(), Err(Expired));
        let failing: Vec<usize> = (0..200).filter(|&i| passed.check_element(i).is_err()).collect();
        assert_eq!(failing, [EVERY - 1, 2 * EVERY - 1, 3 * EVERY - 1]);
        assert_eq!(Deadline::at(Instant::now() + Duration::from_secs(60)).check(), Ok(()));
    }
}
