//! The webhook's cache against the fake API server: first sync, events,
//! 410 Gone, and the API server going away and coming back.

mod support;

use std::time::{Duration, Instant};

use injit_cluster::{
    Access, Cluster, ClusterCache, ClusterSnapshot, ConnectOptions, Connection, SyncStatus, WatchOptions,
};
use serde_json::json;
use support::{FakeApi, objects};

fn quick() -> WatchOptions {
    WatchOptions {
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        watch_timeout_secs: 30,
        ..WatchOptions::default()
    }
}

async fn cache(api: &FakeApi, dir: &std::path::Path) -> ClusterCache {
    cache_with(api, dir, quick()).await
}

async fn cache_with(api: &FakeApi, dir: &std::path::Path, options: WatchOptions) -> ClusterCache {
    let connect = ConnectOptions::new(Some(api.kubeconfig(dir, "kind-test")), None).for_watching();
    let Connection::Cluster(cluster) = Cluster::connect(&connect).await.expect("connects") else {
        panic!("configured")
    };
    ClusterCache::start(cluster, options)
}

/// A cache over `api`, synced (and the directory of its kubeconfig).
async fn ready_cache(api: &FakeApi) -> (tempfile::TempDir, ClusterCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(api, dir.path()).await;
    tokio::time::timeout(Duration::from_secs(5), cache.ready()).await.expect("ready");
    (dir, cache)
}

/// Waits up to 5 s for `done` to hold of the snapshot and status.
async fn eventually(cache: &ClusterCache, what: &str, done: impl Fn(&ClusterSnapshot, &SyncStatus) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done(&cache.snapshot(), &cache.status()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {:?}", cache.status());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn concurrency(snapshot: &ClusterSnapshot, name: &str) -> Option<i64> {
    snapshot.proxy_configs().find(|p| p["metadata"]["name"] == name)?["spec"]["concurrency"].as_i64()
}

fn seeded() -> FakeApi {
    let api = FakeApi::start();
    api.put(objects::namespace("test-ns"));
    api.put(objects::node("node-1", "v1.33.0"));
    api.put(objects::node("node-2", "v1.28.0"));
    api.put(objects::proxy_config("istio-system", "root", Some(json!({"concurrency": 1}))));
    api
}

#[tokio::test]
async fn ready_only_after_every_kind_is_listed() {
    let api = seeded();
    api.forbid("proxyconfigs");
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&api, dir.path()).await;
    eventually(&cache, "the forbidden list to be reported", |_, s| s.last_error.is_some()).await;
    let status = cache.status();
    assert!(!status.ready);
    assert!(
        status.last_error.as_deref().unwrap().contains("may not list proxyconfigs.networking.istio.io"),
        "{status:?}"
    );
    api.allow("proxyconfigs");
    tokio::time::timeout(Duration::from_secs(5), cache.ready()).await.expect("ready once listed");
    let snapshot = cache.snapshot();
    assert_eq!(snapshot.nodes().count(), 2);
    assert_eq!(
        snapshot.namespace("test-ns").unwrap()["metadata"]["annotations"]["openshift.io/sa.scc.uid-range"],
        "1000620000/10000"
    );
    assert_eq!(concurrency(&snapshot, "root"), Some(1));
    let status = cache.status();
    assert!(status.ready && status.live && status.last_sync.is_some(), "{status:?}");
    assert_eq!(status.cache_age(std::time::SystemTime::now()), Some(Duration::ZERO));
}

#[tokio::test]
async fn added_modified_and_deleted_objects_are_reflected() {
    let api = seeded();
    let (_dir, cache) = ready_cache(&api).await;
    api.put(objects::proxy_config("test-ns", "local", Some(json!({"concurrency": 2}))));
    eventually(&cache, "ADDED", |s, _| concurrency(s, "local") == Some(2)).await;
    api.put(objects::proxy_config("test-ns", "local", Some(json!({"concurrency": 3}))));
    eventually(&cache, "MODIFIED", |s, _| concurrency(s, "local") == Some(3)).await;
    api.delete("Node", None, "node-2");
    eventually(&cache, "DELETED", |s, _| s.nodes().count() == 1).await;
    // Every read was a list or a watch across the cluster.
    for request in api.requests() {
        assert!(!request.contains("/namespaces/test-ns/"), "{request}");
    }
}

#[tokio::test]
async fn gone_lists_again() {
    let api = seeded();
    let (_dir, cache) = ready_cache(&api).await;
    let lists =
        |api: &FakeApi| api.requests().iter().filter(|r| r.contains("/proxyconfigs?") && !r.contains("watch=")).count();
    assert_eq!(lists(&api), 1);
    api.put(objects::proxy_config("istio-system", "root", Some(json!({"concurrency": 4}))));
    eventually(&cache, "the event", |s, _| concurrency(s, "root") == Some(4)).await;
    // Other kinds move on, the history is compacted, and the connection
    // drops: the ProxyConfig watch's version is too old to resume from.
    api.put(objects::namespace("other-ns"));
    api.compact();
    api.drop_watches();
    eventually(&cache, "a second list", |_, _| lists(&api) == 2).await;
    eventually(&cache, "the listed state", |s, st| concurrency(s, "root") == Some(4) && st.live).await;
    // Watching resumes from the new list's version.
    api.put(objects::proxy_config("istio-system", "root", Some(json!({"concurrency": 5}))));
    eventually(&cache, "an event after the re-list", |s, _| concurrency(s, "root") == Some(5)).await;
}

#[tokio::test]
async fn the_last_state_is_kept_while_the_server_is_down() {
    let api = seeded();
    let (_dir, cache) = ready_cache(&api).await;
    api.set_down(true);
    eventually(&cache, "the outage to be noticed", |_, s| !s.live).await;
    let status = cache.status();
    assert!(status.ready, "still ready: serving the last state");
    let before = status.last_sync.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let age = cache.status().cache_age(std::time::SystemTime::now()).unwrap();
    assert!(age >= Duration::from_millis(100), "{age:?}");
    let snapshot = cache.snapshot();
    assert_eq!((snapshot.nodes().count(), concurrency(&snapshot, "root")), (2, Some(1)));
    // Changed while down, seen once it is back, in one watch event.
    api.put(objects::proxy_config("istio-system", "root", Some(json!({"concurrency": 7}))));
    api.set_down(false);
    eventually(&cache, "the change made while down", |s, st| concurrency(s, "root") == Some(7) && st.live).await;
    assert!(cache.status().last_sync.unwrap() > before);
}

#[tokio::test]
async fn the_cache_makes_exactly_the_requests_it_declares() {
    let api = seeded();
    let (_dir, cache) = ready_cache(&api).await;
    api.put(objects::node("node-3", "v1.34.0"));
    eventually(&cache, "the event", |s, _| s.nodes().count() == 3).await;
    let mut made: Vec<String> = api
        .requests()
        .iter()
        .map(|r| {
            let (path, query) = r.trim_start_matches("GET ").split_once('?').unwrap_or((r, ""));
            let verb = if query.contains("watch=true") { "watch" } else { "list" };
            format!("{verb} {path}")
        })
        .collect();
    made.sort();
    made.dedup();
    let mut declared: Vec<String> = ClusterCache::access()
        .iter()
        .map(|a: &Access| format!("{} {}", a.verb, a.resource.collection_path(None)))
        .collect();
    declared.sort();
    assert_eq!(made, declared);
    assert!(api.requests().iter().all(|r| r.starts_with("GET ")));
}

#[tokio::test]
async fn bookmarks_keep_a_quiet_watch_resumable() {
    let api = seeded();
    let (_dir, cache) = ready_cache(&api).await;
    api.put(objects::namespace("other-ns"));
    eventually(&cache, "the namespace", |s, _| s.namespace("other-ns").is_some()).await;
    // The ProxyConfig watch saw nothing since its list; a bookmark moves it
    // to the current version, so after compaction and a dropped
    // connection it resumes without listing again.
    api.bookmark();
    tokio::time::sleep(Duration::from_millis(100)).await;
    api.compact();
    api.drop_watches();
    api.put(objects::proxy_config("istio-system", "root", Some(json!({"concurrency": 9}))));
    eventually(&cache, "the change after the drop", |s, _| concurrency(s, "root") == Some(9)).await;
    let lists = api.requests().iter().filter(|r| r.contains("/proxyconfigs?") && !r.contains("watch=")).count();
    assert_eq!(lists, 1, "{:?}", api.requests());
}

#[tokio::test]
async fn a_missing_crd_counts_as_none_until_it_is_installed() {
    let api = seeded();
    api.uninstall("proxyconfigs");
    let (_dir, cache) = ready_cache(&api).await;
    assert_eq!(cache.snapshot().proxy_configs().count(), 0);
    assert_eq!(cache.snapshot().nodes().count(), 2);
    api.install("proxyconfigs");
    eventually(&cache, "the CRD's objects once installed", |s, _| concurrency(s, "root") == Some(1)).await;
}

#[tokio::test]
async fn a_watch_gone_silent_is_given_up_and_reopened() {
    let api = seeded();
    let dir = tempfile::tempdir().unwrap();
    // The fake server keeps watches open past their timeout, as a dead
    // connection does: each is given up 1.3 s after it opened.
    let options = WatchOptions { watch_timeout_secs: 1, stall_grace: Duration::from_millis(300), ..quick() };
    let cache = cache_with(&api, dir.path(), options).await;
    tokio::time::timeout(Duration::from_secs(5), cache.ready()).await.expect("ready");
    api.stall_watches();
    api.put(objects::proxy_config("istio-system", "root", Some(json!({"concurrency": 6}))));
    eventually(&cache, "the change made while the watch was silent", |s, _| concurrency(s, "root") == Some(6)).await;
}

#[tokio::test]
async fn a_watch_refused_lists_again_so_the_state_still_follows() {
    let api = seeded();
    // RBAC granting `list` but not `watch`.
    api.forbid_watch("proxyconfigs");
    let (_dir, cache) = ready_cache(&api).await;
    eventually(&cache, "the refused watch to be reported", |_, s| {
        s.last_error.as_deref().is_some_and(|e| e.contains("may not watch proxyconfigs"))
    })
    .await;
    api.put(objects::proxy_config("istio-system", "root", Some(json!({"concurrency": 8}))));
    eventually(&cache, "the change, through a list", |s, _| concurrency(s, "root") == Some(8)).await;
    // Listing again after each refusal, with a backoff, not in a loop.
    let lists = api.requests().iter().filter(|r| r.contains("/proxyconfigs?") && !r.contains("watch=")).count();
    assert!((2..100).contains(&lists), "{lists} lists");
}

#[tokio::test]
async fn only_what_injection_reads_is_kept() {
    let api = seeded();
    let mut node = objects::node("node-3", "v1.34.1");
    node["metadata"]["managedFields"] = json!([{"manager": "kubelet", "fieldsV1": {"f:status": {}}}]);
    node["status"]["images"] = json!([{"names": ["registry.example/huge@sha256:0"], "sizeBytes": 1_000_000}]);
    node["status"]["conditions"] = json!([{"type": "Ready", "status": "True"}]);
    api.put(node);
    let (_dir, cache) = ready_cache(&api).await;
    let snapshot = cache.snapshot();
    let node = snapshot.nodes().find(|n| n["metadata"]["name"] == "node-3").expect("listed");
    assert_eq!(node["status"], json!({"nodeInfo": {"kubeletVersion": "v1.34.1"}}));
    assert!(node["metadata"].get("managedFields").is_none(), "{node}");
    assert_eq!(concurrency(&snapshot, "root"), Some(1), "a ProxyConfig keeps its spec");
    let root = snapshot.proxy_configs().next().unwrap();
    assert!(root["metadata"]["creationTimestamp"].is_string(), "the oldest ProxyConfig wins: {root}");
    // And so for objects a watch brings.
    let mut namespace = objects::namespace("watched-ns");
    namespace["status"] = json!({"phase": "Active"});
    namespace["metadata"]["managedFields"] = json!([{"manager": "kubectl"}]);
    api.put(namespace);
    eventually(&cache, "the namespace", |s, _| s.namespace("watched-ns").is_some()).await;
    let snapshot = cache.snapshot();
    let namespace = snapshot.namespace("watched-ns").unwrap();
    assert!(namespace.get("status").is_none() && namespace["metadata"].get("managedFields").is_none(), "{namespace}");
    assert_eq!(namespace["metadata"]["name"], "watched-ns");
}
