//! The webhook's cache of ProxyConfigs, Namespaces and Nodes: for each
//! kind a list, then a watch from the list's resourceVersion, as client-go's
//! reflector does. A watch that ends is reopened where it stopped; a 410
//! Gone (the version was compacted away) or any other failed watch lists
//! again, after a backoff unless the watch had been running well. A watch
//! still open well past the timeout it asked for is a dead connection
//! (the API server's node gone, a flow dropped on the way) and is dropped
//! too; so is a list that takes too long. The snapshot keeps the last
//! state while the API server is away, and a re-list replaces a kind
//! only once it has succeeded. Only what injection reads of each object
//! is kept (`Watched::kept`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use kube::core::WatchEvent;
use kube::core::params::WatchParams;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backoff::Backoff;
use crate::connect::Cluster;
use crate::error::Error;
use crate::objects::resource_version;
use crate::resources::Access;
use crate::snapshot::{ClusterSnapshot, Objects, SyncStatus, Watched, key_of};

/// The cache's timing.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// The first wait after a failure, doubled up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How long the API server keeps one watch open (`timeoutSeconds`);
    /// client-go's reflector picks 5 to 10 minutes, kube-rs 290 s.
    pub watch_timeout_secs: u32,
    /// How long past `watch_timeout_secs` a watch may stay open before it
    /// is taken for a dead connection, which sends no error (kube-rs
    /// bounds a watch by a read timeout 5 s past its own).
    pub stall_grace: Duration,
    /// How long one list may take.
    pub list_timeout: Duration,
}

impl Default for WatchOptions {
    fn default() -> WatchOptions {
        WatchOptions {
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            watch_timeout_secs: 290,
            stall_grace: Duration::from_secs(30),
            list_timeout: Duration::from_secs(120),
        }
    }
}

/// The cache: a snapshot the webhook reads, and the tasks keeping it in
/// step with the cluster (stopped when the cache is dropped).
pub struct ClusterCache {
    snapshot: watch::Receiver<Arc<ClusterSnapshot>>,
    status: watch::Receiver<SyncStatus>,
    tasks: Vec<JoinHandle<()>>,
}

impl ClusterCache {
    /// Starts listing and watching every [`Watched`] kind across the
    /// cluster. Must be called inside a Tokio runtime; `cluster` should be
    /// connected with [`ConnectOptions::for_watching`](crate::ConnectOptions::for_watching),
    /// or quiet watches end at the read timeout and are reopened.
    pub fn start(cluster: Cluster, options: WatchOptions) -> ClusterCache {
        let (snapshot_tx, snapshot) = watch::channel(Arc::new(ClusterSnapshot::default()));
        let (status_tx, status) = watch::channel(SyncStatus::default());
        let shared = Arc::new(Shared { snapshot: snapshot_tx, status: status_tx, tracker: Mutex::default() });
        let tasks = Watched::ALL
            .into_iter()
            .map(|kind| {
                let reflector =
                    Reflector { kind, cluster: cluster.clone(), shared: shared.clone(), options: options.clone() };
                tokio::spawn(reflector.run())
            })
            .collect();
        ClusterCache { snapshot, status, tasks }
    }

    /// Every request the cache makes, as RBAC sees them: `list` and
    /// `watch` of each kind across the cluster. The webhook's ClusterRole
    /// grants these and nothing else.
    pub fn access() -> Vec<Access> {
        Watched::ALL
            .into_iter()
            .flat_map(|kind| [Access::list(kind.resource(), None), Access::watch(kind.resource(), None)])
            .collect()
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<ClusterSnapshot> {
        self.snapshot.borrow().clone()
    }

    /// Snapshots as they change.
    pub fn subscribe(&self) -> watch::Receiver<Arc<ClusterSnapshot>> {
        self.snapshot.clone()
    }

    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Waits for the first full sync (every kind listed once).
    pub async fn ready(&self) {
        let mut status = self.status.clone();
        // The sender lives as long as the tasks; if they are gone, so is
        // any hope of becoming ready.
        let _ = status.wait_for(|s| s.ready).await;
    }
}

impl Drop for ClusterCache {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What the tasks share.
struct Shared {
    snapshot: watch::Sender<Arc<ClusterSnapshot>>,
    status: watch::Sender<SyncStatus>,
    tracker: Mutex<Tracker>,
}

/// Each kind's state, from which [`SyncStatus`] is derived.
#[derive(Default)]
struct Tracker {
    listed: [bool; 3],
    failing: [Option<String>; 3],
    last_sync: Option<SystemTime>,
}

impl Shared {
    /// The API server answered for `kind`.
    fn succeeded(&self, kind: Watched) {
        let mut t = self.tracker.lock().expect("tracker lock");
        t.last_sync = Some(SystemTime::now());
        if t.failing[kind.index()].take().is_some() && t.failing.iter().all(Option::is_none) {
            tracing::info!("cluster cache: the API server answers again");
        }
        self.publish(&t);
    }

    /// A request for `kind` failed. Logged once an outage, when the first
    /// kind starts failing, not on every retry of every kind.
    fn failed(&self, kind: Watched, error: &Error) {
        let mut t = self.tracker.lock().expect("tracker lock");
        if t.failing.iter().all(Option::is_none) {
            tracing::warn!(resource = %kind.resource(), %error, "cluster cache: serving the last synced state until the API server answers");
        }
        t.failing[kind.index()] = Some(error.to_string());
        self.publish(&t);
    }

    fn listed(&self, kind: Watched, objects: Objects) {
        self.snapshot.send_modify(|s| *Arc::make_mut(s).kind_mut(kind) = Arc::new(objects));
        let mut t = self.tracker.lock().expect("tracker lock");
        t.listed[kind.index()] = true;
        drop(t);
        self.succeeded(kind);
    }

    fn changed(&self, kind: Watched, change: impl FnOnce(&mut Objects)) {
        self.snapshot.send_modify(|s| change(Arc::make_mut(Arc::make_mut(s).kind_mut(kind))));
        self.succeeded(kind);
    }

    fn publish(&self, t: &Tracker) {
        let status = SyncStatus {
            ready: t.listed.iter().all(|l| *l),
            live: t.failing.iter().all(Option::is_none),
            last_sync: t.last_sync,
            last_error: t.failing.iter().flatten().next_back().cloned(),
        };
        self.status.send_if_modified(|s| std::mem::replace(s, status.clone()) != status);
    }
}

/// How one watch request ended.
enum WatchEnd {
    /// The stream closed (timeout, or the connection dropped); `progress`
    /// says whether anything arrived on it.
    Closed {
        progress: bool,
    },
    /// 410: the resourceVersion is too old; list again.
    Gone,
    Failed(Error),
}

/// One kind's list-and-watch loop.
struct Reflector {
    kind: Watched,
    cluster: Cluster,
    shared: Arc<Shared>,
    options: WatchOptions,
}

impl Reflector {
    async fn run(self) {
        let mut backoff = Backoff::new(self.options.min_backoff, self.options.max_backoff);
        loop {
            let listing = self.cluster.list(self.kind.resource(), None);
            let list = match tokio::time::timeout(self.options.list_timeout, listing).await {
                Ok(Ok(list)) => list,
                // A custom resource whose CRD is not installed (yet): none
                // of its objects exist. Look again later, as Istio's
                // delayed informers do, rather than never becoming ready.
                Ok(Err(Error::NotFound { .. })) if !self.kind.resource().group.is_empty() => {
                    self.shared.listed(self.kind, Objects::new());
                    tokio::time::sleep(self.options.max_backoff).await;
                    continue;
                }
                Ok(Err(e)) => {
                    self.shared.failed(self.kind, &e);
                    tokio::time::sleep(backoff.next_wait()).await;
                    continue;
                }
                Err(_) => {
                    let took = self.options.list_timeout;
                    self.shared.failed(self.kind, &stalled(&self.cluster, self.kind, "list", took));
                    tokio::time::sleep(backoff.next_wait()).await;
                    continue;
                }
            };
            let kind = self.kind;
            let objects = list.items.into_iter().filter_map(|o| Some((key_of(&o)?, Arc::new(kind.kept(o))))).collect();
            self.shared.listed(self.kind, objects);
            let mut version = list.resource_version;
            loop {
                let opened = Instant::now();
                let end = self.watch(&mut version).await;
                // A watch that ran well resets the backoff. One that ended
                // at once waits before the next request (which for a 410
                // or a failure is a whole list): a server that refuses
                // watches must not be asked in a tight loop.
                let ran_well = match &end {
                    WatchEnd::Closed { progress } => *progress || opened.elapsed() > Duration::from_secs(5),
                    WatchEnd::Gone | WatchEnd::Failed(_) => opened.elapsed() > Duration::from_secs(5),
                };
                if let WatchEnd::Failed(e) = &end {
                    self.shared.failed(self.kind, e);
                }
                if ran_well {
                    backoff.reset();
                } else {
                    tokio::time::sleep(backoff.next_wait()).await;
                }
                match end {
                    WatchEnd::Closed { .. } => {}
                    // As client-go's reflector: any watch that fails lists
                    // again (a watch RBAC forbids, say, still refreshes the
                    // state at every list).
                    WatchEnd::Gone | WatchEnd::Failed(_) => break,
                }
            }
        }
    }

    /// One watch request from `version`, applying its events; `version`
    /// follows them, so the next watch resumes where this one stopped.
    /// Given up once open `stall_grace` past its timeout.
    async fn watch(&self, version: &mut String) -> WatchEnd {
        let allowed = Duration::from_secs(self.options.watch_timeout_secs.into()) + self.options.stall_grace;
        match tokio::time::timeout(allowed, self.watch_until_closed(version)).await {
            Ok(end) => end,
            Err(_) => WatchEnd::Failed(stalled(&self.cluster, self.kind, "watch", allowed)),
        }
    }

    async fn watch_until_closed(&self, version: &mut String) -> WatchEnd {
        let resource = self.kind.resource();
        let access = Access::watch(resource, None);
        let params = WatchParams::default().timeout(self.options.watch_timeout_secs);
        let request = match kube::core::Request::new(resource.collection_path(None)).watch(&params, version) {
            Ok(r) => r,
            Err(e) => return WatchEnd::Failed(self.cluster.decode_error(&access, e.to_string())),
        };
        let events = match self.cluster.client().request_events::<Value>(request).await {
            Ok(events) => events,
            Err(kube::Error::Api(status)) if status.code == 410 => return WatchEnd::Gone,
            Err(e) => return WatchEnd::Failed(Error::from_request(self.cluster.endpoint(), &access, e)),
        };
        self.shared.succeeded(self.kind);
        let mut events = std::pin::pin!(events);
        let mut progress = false;
        while let Some(event) = events.next().await {
            progress = true;
            match event {
                Ok(WatchEvent::Added(object) | WatchEvent::Modified(object)) => {
                    self.follow(version, &object);
                    if let Some(key) = key_of(&object) {
                        let object = Arc::new(self.kind.kept(object));
                        self.shared.changed(self.kind, |objects| {
                            objects.insert(key, object);
                        });
                    }
                }
                Ok(WatchEvent::Deleted(object)) => {
                    self.follow(version, &object);
                    if let Some(key) = key_of(&object) {
                        self.shared.changed(self.kind, |objects| {
                            objects.remove(&key);
                        });
                    }
                }
                Ok(WatchEvent::Bookmark(bookmark)) => {
                    *version = bookmark.metadata.resource_version;
                    self.shared.succeeded(self.kind);
                }
                Ok(WatchEvent::Error(status)) if status.code == 410 => return WatchEnd::Gone,
                Ok(WatchEvent::Error(status)) => {
                    return WatchEnd::Failed(Error::from_status(self.cluster.endpoint().clone(), &access, &status));
                }
                Err(kube::Error::Api(status)) if status.code == 410 => return WatchEnd::Gone,
                Err(e) => return WatchEnd::Failed(Error::from_request(self.cluster.endpoint(), &access, e)),
            }
        }
        WatchEnd::Closed { progress }
    }

    fn follow(&self, version: &mut String, object: &Value) {
        if let Some(v) = resource_version(object) {
            *version = v.to_owned();
        }
    }
}

/// A request that neither answered nor failed in time: taken for a dead
/// connection.
fn stalled(cluster: &Cluster, kind: Watched, verb: &str, after: Duration) -> Error {
    let cause = format!("the {verb} of {} did not end within {} s", kind.resource(), after.as_secs());
    Error::Unreachable { endpoint: cluster.endpoint().clone(), cause }
}
