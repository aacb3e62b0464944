//! Waits between retries: doubling from a minimum to a maximum, with
//! jitter so that many injectors do not return to a recovering API server
//! at the same instant.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Backoff {
        Backoff { min, max: max.max(min), next: min }
    }

    /// The next wait: the current step, less up to a quarter of jitter.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let step = self.next;
        self.next = (self.next * 2).min(self.max);
        let quarter = step.as_nanos() as u64 / 4;
        step - Duration::from_nanos(if quarter == 0 { 0 } else { jitter() % quarter })
    }

    /// After a success: start again from the minimum.
    pub(crate) fn reset(&mut self) {
        self.next = self.min;
    }
}

/// A cheap varying number (no randomness crate for this).
fn jitter() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().subsec_nanos() as u64;
    nanos.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_maximum_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let waits: Vec<_> = (0..4).map(|_| b.next_wait()).collect();
        for (w, step) in waits.iter().zip([100, 200, 400, 400]) {
            assert!(*w <= Duration::from_millis(step) && *w >= Duration::from_millis(step * 3 / 4), "{waits:?}");
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(100));
    }
}
