//! The connections being served: each one's peer, its requests in flight
//! and when it was last active, so that the connection cap is enforced by
//! closing an idle connection of whoever holds the most rather than by
//! refusing newcomers (which let one client that opened connections and
//! sent nothing lock everyone else out), and so that shutdown knows how
//! many requests are really in flight.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use crate::metrics::Metrics;

/// Why a connection was closed on arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Every connection has a request in flight.
    Full,
    /// This peer holds its share and none of its connections is idle.
    PeerFull,
}

impl Refusal {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::Full => "refused",
            Refusal::PeerFull => "refused_peer",
        }
    }
}

pub(crate) struct Table {
    max: usize,
    max_per_peer: usize,
    epoch: Instant,
    inner: Mutex<Inner>,
    /// Requests being answered, over every connection.
    in_flight: AtomicUsize,
    /// Notified when `in_flight` drops to 0.
    answered: Notify,
    metrics: Arc<Metrics>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    open: usize,
    peers: HashMap<IpAddr, HashMap<u64, Arc<Connection>>>,
}

/// One connection's entry.
pub(crate) struct Connection {
    id: u64,
    peer: IpAddr,
    in_flight: AtomicUsize,
    /// Whether a request ever started (its headers arrived).
    started: AtomicBool,
    /// Milliseconds after the table's epoch.
    last_active: AtomicU64,
    /// Notified when the connection must close (evicted, shutting down).
    close: Notify,
    /// Notified when `in_flight` drops to 0.
    idle: Notify,
}

impl Connection {
    pub(crate) fn started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Resolves when the connection must close.
    pub(crate) async fn closed(&self) {
        self.close.notified().await;
    }

    /// Resolves once no request is in flight.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// A connection's place in the table, given up when dropped.
pub(crate) struct Slot {
    table: Arc<Table>,
    connection: Arc<Connection>,
}

impl Slot {
    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }

    /// Counts a request from its start to its answer (the guard's drop).
    pub(crate) fn begin(&self) -> Request {
        let c = &self.connection;
        c.started.store(true, Ordering::Relaxed);
        c.in_flight.fetch_add(1, Ordering::AcqRel);
        self.table.in_flight.fetch_add(1, Ordering::AcqRel);
        self.table.metrics.requests_in_flight.inc();
        c.last_active.store(self.table.now(), Ordering::Relaxed);
        Request { table: Arc::clone(&self.table), connection: Arc::clone(c) }
    }

    /// Leaves the table now (the connection closes for lack of a request);
    /// its place goes to the next newcomer.
    pub(crate) fn leave(&self) {
        self.table.remove(&self.connection);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.table.remove(&self.connection);
    }
}

/// A request in flight.
pub(crate) struct Request {
    table: Arc<Table>,
    connection: Arc<Connection>,
}

impl Drop for Request {
    fn drop(&mut self) {
        let c = &self.connection;
        c.last_active.store(self.table.now(), Ordering::Relaxed);
        if c.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            c.idle.notify_waiters();
        }
        self.table.metrics.requests_in_flight.dec();
        if self.table.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.table.answered.notify_waiters();
        }
    }
}

impl Table {
    pub(crate) fn new(max: usize, max_per_peer: usize, metrics: Arc<Metrics>) -> Arc<Table> {
        Arc::new(Table {
            max: max.max(1),
            max_per_peer: max_per_peer.clamp(1, max.max(1)),
            epoch: Instant::now(),
            inner: Mutex::new(Inner::default()),
            in_flight: AtomicUsize::new(0),
            answered: Notify::new(),
            metrics,
        })
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a connection from `peer`. At the cap, the idle
    /// connection (no request in flight) of the peer holding the most
    /// connections that was active least recently is closed to make room;
    /// past its own share, a peer's own least recently active idle
    /// connection is. Only when none is idle is the newcomer refused.
    pub(crate) fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Refusal> {
        let mut inner = self.lock();
        let own = inner.peers.get(&peer).map_or(0, HashMap::len);
        let victim = if own >= self.max_per_peer {
            Some(inner.peers.get(&peer).and_then(least_recent_idle).ok_or(Refusal::PeerFull)?)
        } else if inner.open >= self.max {
            let mut peers: Vec<_> = inner.peers.values().collect();
            peers.sort_by_key(|conns| std::cmp::Reverse(conns.len()));
            Some(peers.into_iter().find_map(least_recent_idle).ok_or(Refusal::Full)?)
        } else {
            None
        };
        if let Some(victim) = victim {
            Self::unlink(&mut inner, &victim);
            victim.close.notify_one();
            self.metrics.connection_closed("evicted");
        }
        inner.next_id += 1;
        let connection = Arc::new(Connection {
            id: inner.next_id,
            peer,
            in_flight: AtomicUsize::new(0),
            started: AtomicBool::new(false),
            last_active: AtomicU64::new(self.now()),
            close: Notify::new(),
            idle: Notify::new(),
        });
        inner.peers.entry(peer).or_default().insert(connection.id, Arc::clone(&connection));
        inner.open += 1;
        self.metrics.connections.set(inner.open as i64);
        Ok(Slot { table: Arc::clone(self), connection })
    }

    fn unlink(inner: &mut Inner, connection: &Connection) -> bool {
        let Some(conns) = inner.peers.get_mut(&connection.peer) else { return false };
        if conns.remove(&connection.id).is_none() {
            return false;
        }
        if conns.is_empty() {
            inner.peers.remove(&connection.peer);
        }
        inner.open -= 1;
        true
    }

    fn remove(&self, connection: &Connection) {
        let mut inner = self.lock();
        if Self::unlink(&mut inner, connection) {
            self.metrics.connections.set(inner.open as i64);
        }
    }

    /// Tells every connection to close: each finishes its requests in
    /// flight first.
    pub(crate) fn close_all(&self) {
        let inner = self.lock();
        for connection in inner.peers.values().flat_map(HashMap::values) {
            connection.close.notify_one();
        }
    }

    /// Requests being answered now.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Resolves once no request is in flight.
    pub(crate) async fn answered(&self) {
        loop {
            let notified = self.answered.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Connections in the table.
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }
}

fn least_recent_idle(conns: &HashMap<u64, Arc<Connection>>) -> Option<Arc<Connection>> {
    conns.values().filter(|c| c.in_flight() == 0).min_by_key(|c| c.last_active.load(Ordering::Relaxed)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn evictions(metrics: &Metrics) -> String {
        metrics.encode().lines().filter(|l| l.starts_with("injit_connections_closed_total")).collect()
    }

    #[tokio::test]
    async fn at_the_cap_the_biggest_holders_idle_connection_makes_room() {
        let metrics = Arc::new(Metrics::default());
        let table = Table::new(4, 4, Arc::clone(&metrics));
        let attacker: Vec<_> = (0..3).map(|_| table.admit(ip(2)).unwrap()).collect();
        let client = table.admit(ip(1)).unwrap();
        let _busy = client.begin();
        // Full: the newcomer gets in, an attacker connection is closed.
        let newcomer = table.admit(ip(1)).expect("a place for the legitimate client");
        assert_eq!(table.open(), 4);
        let closed = attacker.iter().filter(|s| s.connection().close.notified().now_or_never_is_ready()).count();
        assert_eq!(closed, 1, "one attacker connection is told to close");
        assert!(evictions(&metrics).contains("evicted"), "{}", evictions(&metrics));
        drop(newcomer);
        drop(client);
    }

    #[tokio::test]
    async fn the_least_recently_active_idle_connection_goes_first() {
        let metrics = Arc::new(Metrics::default());
        let table = Table::new(2, 2, metrics);
        let old = table.admit(ip(1)).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let recent = table.admit(ip(1)).unwrap();
        drop(recent.begin());
        let _new = table.admit(ip(1)).unwrap();
        assert!(old.connection().close.notified().now_or_never_is_ready());
        assert!(!recent.connection().close.notified().now_or_never_is_ready());
    }

    #[tokio::test]
    async fn a_peer_past_its_share_evicts_its_own_or_is_refused() {
        let metrics = Arc::new(Metrics::default());
        let table = Table::new(10, 2, metrics);
        let a = table.admit(ip(2)).unwrap();
        let b = table.admit(ip(2)).unwrap();
        let (_ra, _rb) = (a.begin(), b.begin());
        assert_eq!(table.admit(ip(2)).err(), Some(Refusal::PeerFull), "both busy");
        assert!(table.admit(ip(1)).is_ok(), "another peer still gets in");
    }

    #[tokio::test]
    async fn when_every_connection_is_busy_the_newcomer_is_refused() {
        let metrics = Arc::new(Metrics::default());
        let table = Table::new(2, 2, metrics);
        let a = table.admit(ip(1)).unwrap();
        let b = table.admit(ip(2)).unwrap();
        let (ra, _rb) = (a.begin(), b.begin());
        assert_eq!(table.admit(ip(3)).err(), Some(Refusal::Full));
        assert_eq!(table.in_flight(), 2);
        drop(ra);
        assert_eq!(table.in_flight(), 1);
        assert!(table.admit(ip(3)).is_ok(), "a's connection is idle now");
    }

    #[tokio::test]
    async fn answered_waits_for_the_last_request() {
        let metrics = Arc::new(Metrics::default());
        let table = Table::new(2, 2, metrics);
        let slot = table.admit(ip(1)).unwrap();
        let request = slot.begin();
        let waiter = {
            let table = Arc::clone(&table);
            tokio::spawn(async move { table.answered().await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        drop(request);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter).await.unwrap().unwrap();
        drop(slot);
        assert_eq!(table.open(), 0);
    }

    trait NowOrNever {
        fn now_or_never_is_ready(self) -> bool;
    }

    impl<F: std::future::Future> NowOrNever for F {
        /// Whether the future is ready at its first poll.
        fn now_or_never_is_ready(self) -> bool {
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            std::pin::pin!(self).poll(&mut cx).is_ready()
        }
    }
}
