//! The memory requests in flight may take: their bodies as they are read,
//! then what the parsed review takes, held until the admission is
//! answered. A request waits for its share before reading (so bodies that
//! stall hold budget, not more memory), and gives up at its deadline.
//! Small bodies, what the API server sends for ordinary pods, have a pool
//! of their own, so that large stalled bodies cannot starve them. And one
//! client (a peer address) holds at most three quarters of the whole:
//! requests that stall their bodies, however many a client opens, leave
//! the rest to the others (the API server among them).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget is counted in KiB: a semaphore holds at most `u32::MAX`
/// permits per acquisition.
const UNIT: usize = 1024;

/// Bodies this large or smaller draw from the reserved pool first.
pub const SMALL_BODY: usize = 256 << 10;

/// The reserved pool for small bodies.
pub const SMALL_POOL: usize = 16 << 20;

/// Why a request got no budget.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Short {
    /// More than the whole pool: it can never be had.
    Never { needed: usize, pool: usize },
    /// Not before the request's deadline.
    Late { needed: usize },
}

/// Peers remembered past which those holding nothing are forgotten.
const PEERS_KEPT: usize = 4096;

pub(crate) struct Budget {
    general: Arc<Semaphore>,
    general_bytes: usize,
    small: Arc<Semaphore>,
    small_bytes: usize,
    /// What one peer may hold, and each peer's share (as a semaphore, so
    /// that a peer past it waits behind its own requests).
    peer_bytes: usize,
    peers: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

/// Budget held by one request, given back when dropped.
#[derive(Default)]
pub(crate) struct Charge {
    /// Whose request: its share is bounded. `None` for none.
    peer: Option<IpAddr>,
    /// That peer's share, once looked up.
    share: Option<Arc<Semaphore>>,
    permits: Vec<OwnedSemaphorePermit>,
    bytes: usize,
}

impl Charge {
    /// A request from `peer`.
    pub(crate) fn of(peer: Option<IpAddr>) -> Charge {
        Charge { peer, ..Charge::default() }
    }
}

impl Budget {
    pub(crate) fn new(general_bytes: usize, small_bytes: usize) -> Budget {
        let units = |bytes: usize| bytes / UNIT;
        Budget {
            general: Arc::new(Semaphore::new(units(general_bytes))),
            general_bytes,
            small: Arc::new(Semaphore::new(units(small_bytes))),
            small_bytes,
            peer_bytes: (general_bytes + small_bytes) / 4 * 3,
            peers: Mutex::default(),
        }
    }

    /// The most one request can ever hold.
    pub(crate) fn most(&self, small: bool, peer: Option<IpAddr>) -> usize {
        let pool = if small { self.general_bytes.max(self.small_bytes) } else { self.general_bytes };
        if peer.is_some() { pool.min(self.peer_bytes) } else { pool }
    }

    /// `peer`'s share.
    fn share_of(&self, peer: IpAddr) -> Arc<Semaphore> {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        if peers.len() >= PEERS_KEPT {
            // Forget the peers holding nothing (no permit keeps theirs).
            peers.retain(|_, share| Arc::strong_count(share) > 1);
        }
        let units = self.peer_bytes / UNIT;
        Arc::clone(peers.entry(peer).or_insert_with(|| Arc::new(Semaphore::new(units))))
    }

    /// Adds `bytes` to `charge`, waiting until `deadline` at most. A small
    /// request takes from whichever pool has room first, the reserved one
    /// when both do.
    pub(crate) async fn take(
        &self,
        charge: &mut Charge,
        bytes: usize,
        small: bool,
        deadline: tokio::time::Instant,
    ) -> Result<(), Short> {
        if bytes == 0 {
            return Ok(());
        }
        let needed = charge.bytes + bytes;
        let most = self.most(small, charge.peer);
        if needed > most {
            return Err(Short::Never { needed, pool: most });
        }
        let units = u32::try_from(bytes.div_ceil(UNIT)).map_err(|_| Short::Never { needed, pool: most })?;
        // The peer's share first: a peer past it waits behind its own
        // requests, holding none of the pools.
        let share = match charge.peer {
            Some(peer) => {
                let share = Arc::clone(charge.share.get_or_insert_with(|| self.share_of(peer)));
                match tokio::time::timeout_at(deadline, share.acquire_many_owned(units)).await {
                    Ok(Ok(permit)) => Some(permit),
                    Ok(Err(_)) | Err(_) => return Err(Short::Late { needed: bytes }),
                }
            }
            None => None,
        };
        let general = Arc::clone(&self.general).acquire_many_owned(units);
        let permit = if small && bytes <= self.small_bytes {
            let reserved = Arc::clone(&self.small).acquire_many_owned(units);
            tokio::time::timeout_at(deadline, async {
                tokio::select! {
                    biased;
                    permit = reserved => permit,
                    permit = general => permit,
                }
            })
            .await
        } else {
            tokio::time::timeout_at(deadline, general).await
        };
        match permit {
            Ok(Ok(permit)) => {
                charge.permits.extend(share);
                charge.permits.push(permit);
                charge.bytes = needed;
                Ok(())
            }
            // Closed: never, the semaphores live as long as the budget.
            Ok(Err(_)) | Err(_) => Err(Short::Late { needed: bytes }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn soon(ms: u64) -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn a_request_waits_for_room_until_its_deadline() {
        let budget = Budget::new(4 << 20, 1 << 20);
        let mut big = Charge::default();
        budget.take(&mut big, 3 << 20, false, soon(10)).await.unwrap();
        let mut other = Charge::default();
        assert_eq!(budget.take(&mut other, 2 << 20, false, soon(20)).await, Err(Short::Late { needed: 2 << 20 }));
        drop(big);
        budget.take(&mut other, 2 << 20, false, soon(20)).await.unwrap();
        assert_eq!(other.bytes, 2 << 20);
    }

    #[tokio::test]
    async fn more_than_the_pool_is_refused_at_once() {
        let budget = Budget::new(4 << 20, 1 << 20);
        let mut charge = Charge::default();
        budget.take(&mut charge, 3 << 20, false, soon(10)).await.unwrap();
        let short = budget.take(&mut charge, 2 << 20, false, soon(10_000)).await;
        assert_eq!(short, Err(Short::Never { needed: 5 << 20, pool: 4 << 20 }));
    }

    fn peer(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    /// One peer holding all it may (requests whose bodies stall, say)
    /// leaves a quarter of the whole to the others, and waits behind its
    /// own requests for more.
    #[tokio::test]
    async fn one_peer_cannot_hold_what_the_others_need() {
        let budget = Budget::new(6 << 20, 2 << 20);
        let mut greedy = Vec::new();
        for small in [true, false, false, false, false, false] {
            let mut charge = Charge::of(peer(1));
            budget.take(&mut charge, 1 << 20, small, soon(10)).await.unwrap();
            greedy.push(charge);
        }
        let mut more = Charge::of(peer(1));
        assert_eq!(budget.take(&mut more, 1 << 20, false, soon(20)).await, Err(Short::Late { needed: 1 << 20 }));
        let mut other = Charge::of(peer(2));
        budget.take(&mut other, 1 << 20, true, soon(10)).await.expect("another peer still gets in");
        budget.take(&mut other, 1 << 20, false, soon(10)).await.expect("and a large body too");
        // More than a peer's share is never had.
        let mut huge = Charge::of(peer(3));
        let short = budget.take(&mut huge, 7 << 20, false, soon(10)).await;
        assert_eq!(short, Err(Short::Never { needed: 7 << 20, pool: 6 << 20 }));
        // The peer's own requests done, it gets in again.
        greedy.pop();
        budget.take(&mut more, 1 << 20, false, soon(20)).await.unwrap();
    }

    #[tokio::test]
    async fn small_bodies_get_in_while_large_ones_hold_the_general_pool() {
        let budget = Budget::new(4 << 20, 1 << 20);
        let mut large = Charge::default();
        budget.take(&mut large, 4 << 20, false, soon(10)).await.unwrap();
        let mut small = Charge::default();
        budget.take(&mut small, 200 << 10, true, soon(10)).await.unwrap();
        let mut another_large = Charge::default();
        assert!(budget.take(&mut another_large, 1 << 20, false, soon(10)).await.is_err());
    }
}
