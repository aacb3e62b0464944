//! Pods with thousands of containers, volumes, variables or annotations:
//! admission does work in proportion to the pod's size, and stops at its
//! deadline.
//!
//! Growth from 2,000 to 20,000 items is measured in ways a busy machine
//! cannot disturb, or barely:
//! - the bytes allocated, and the most alive at once: the same on every
//!   run. Linear growth is 10x (measured 8-10x), quadratic 100x; the
//!   bound is 20x.
//! - the CPU time of the admitting thread: time spent waiting for a core
//!   is not counted, the sizes alternate so that both see the same load,
//!   the least of three runs counts, and a ratio over the bound is
//!   measured three times more before it fails. Linear growth measured
//!   10-13x (the larger pods outgrow the caches), the quadratic lookups
//!   this test was written against 30-140x; the bound is 25x.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use injit_inject::{ClusterState, Deadline, Injector, Sources};
use injit_webhook::{Decision, OnError, ReviewRequest, admit_object};
use serde_json::{Map, Value, json};

/// Counts what this thread allocates (tests run on threads of their own).
struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn count(bytes: i64) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
    if bytes > 0 {
        let _ = ALLOCATED.try_with(|a| a.set(a.get() + bytes as u64));
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// counters are thread-local cells without destructors.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as i64));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The CPU time this thread has run (`CLOCK_THREAD_CPUTIME_ID`, to the
/// nanosecond: not `/proc`'s schedstat, which some kernels count in
/// ticks of 4 ms).
fn thread_cpu() -> Option<Duration> {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0;
    ok.then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}

fn plain(i: usize) -> Value {
    json!({"name": format!("c{i}"), "image": "busybox"})
}

fn app(i: usize) -> Value {
    json!({
        "name": format!("c{i}"), "image": "busybox",
        "ports": [{"name": "http", "containerPort": 8080}],
        "readinessProbe": {"httpGet": {"port": "http", "path": "/ready"}},
        "livenessProbe": {"tcpSocket": {"port": 9000}},
    })
}

/// A pod with `n` of something.
fn pod(shape: &str, n: usize) -> Value {
    let mut spec = json!({"containers": [app(0)]});
    let mut annotations = Map::new();
    match shape {
        "containers" => spec["containers"] = (0..n).map(plain).collect(),
        "containers with probes" => spec["containers"] = (0..n).map(app).collect(),
        "init containers" => spec["initContainers"] = (0..n).map(plain).collect(),
        "variables" => {
            spec["containers"][0]["env"] = (0..n).map(|i| json!({"name": format!("V{i}"), "value": "x"})).collect();
        }
        "volumes" => {
            spec["volumes"] = (0..n).map(|i| json!({"name": format!("v{i}"), "emptyDir": {}})).collect();
            spec["containers"][0]["volumeMounts"] =
                (0..n).map(|i| json!({"name": format!("v{i}"), "mountPath": format!("/v/{i}")})).collect();
        }
        "annotations" => {
            annotations = (0..n).map(|i| (format!("example.com/a{i}"), json!("v"))).collect();
        }
        "status" => {
            // A previous injection's record naming every container.
            spec["containers"] = (0..n).map(plain).collect();
            let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            annotations.insert("sidecar.istio.io/status".to_owned(), json!(json!({"containers": names}).to_string()));
        }
        other => panic!("no shape {other}"),
    }
    json!({"metadata": {"name": "large", "namespace": "default", "annotations": annotations}, "spec": spec})
}

fn review(object: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u", "kind": {"kind": "Pod"}, "resource": {"resource": "pods"}, "operation": "CREATE",
                    "namespace": "default", "object": object},
    }))
    .expect("JSON")
}

/// What one admission of `body` costs: bytes allocated, the most bytes
/// alive at once above those at the start, and CPU time.
fn admit_cost(injector: &Injector, body: &[u8]) -> (u64, i64, Option<Duration>) {
    let (allocated, live) = (ALLOCATED.with(Cell::get), LIVE.with(Cell::get));
    PEAK.with(|p| p.set(live));
    let cpu = thread_cpu();
    let mut request = ReviewRequest::parse(body).expect("a review");
    let object = request.object.take();
    let (response, decision) =
        admit_object(injector, &ClusterState::default(), &request, object, "/inject", OnError::Deny, Deadline::NONE);
    assert_eq!(decision, Decision::Injected, "{:?}", response.message);
    drop((request, response));
    let cpu = cpu.zip(thread_cpu()).map(|(before, after)| after - before);
    (ALLOCATED.with(Cell::get) - allocated, PEAK.with(Cell::get) - live, cpu)
}

#[test]
fn admission_work_grows_linearly_with_the_pod() {
    let injector = Sources::default().build(Default::default()).expect("the default config");
    injector.compile_all();
    // Templates compile on first use: not part of what is measured.
    admit_cost(&injector, &review(&pod("containers", 1)));
    // Unoptimised builds take ten times as long: smaller pods there.
    let (small, large) = if cfg!(debug_assertions) { (300, 3_000) } else { (2_000, 20_000) };
    let ratio = |a: f64, b: f64| b / a.max(f64::MIN_POSITIVE);
    for shape in
        ["containers", "containers with probes", "init containers", "variables", "volumes", "annotations", "status"]
    {
        let bodies = [small, large].map(|n| review(&pod(shape, n)));
        // The sizes alternate, so that both see whatever else the machine
        // is doing; a ratio over the bound is measured again before it
        // counts.
        let mut least: [Option<Duration>; 2] = [None, None];
        let mut memory = [(0, 0); 2];
        for round in 0..6 {
            for (i, body) in bodies.iter().enumerate() {
                let (allocated, peak, cpu) = admit_cost(&injector, body);
                memory[i] = (allocated, peak);
                least[i] = match (least[i], cpu) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            let cpu = least[0].zip(least[1]).map(|(a, b)| ratio(a.as_secs_f64(), b.as_secs_f64()));
            if round >= 2 && cpu.is_none_or(|r| r < 25.0) {
                break;
            }
        }
        // The figures, for the README (`--nocapture`).
        eprintln!(
            "{shape}: {small} -> {large}: least CPU {:?} -> {:?}; peak {} -> {} KiB",
            least[0],
            least[1],
            memory[0].1 >> 10,
            memory[1].1 >> 10
        );
        let allocated = ratio(memory[0].0 as f64, memory[1].0 as f64);
        let peak = ratio(memory[0].1 as f64, memory[1].1 as f64);
        let costs = (memory, least);
        assert!(allocated < 20.0, "{shape}: 10x the size allocates {allocated:.1}x the bytes {costs:?}");
        assert!(peak < 20.0, "{shape}: 10x the size holds {peak:.1}x the memory at once {costs:?}");
        if let (Some(a), Some(b)) = (least[0], least[1]) {
            let cpu = ratio(a.as_secs_f64(), b.as_secs_f64());
            assert!(cpu < 25.0, "{shape}: 10x the size takes {cpu:.1}x the CPU time {costs:?}");
        }
    }
}

#[test]
fn admission_stops_at_its_deadline() {
    let injector = Sources::default().build(Default::default()).expect("the default config");
    injector.compile_all();
    // The most templates a pod may list, over 8,000 containers with
    // probes: most of a second of work, each round a full render and merge.
    let mut slow = pod("containers with probes", 8_000);
    slow["metadata"]["annotations"]["inject.istio.io/templates"] =
        json!(vec!["sidecar"; injit_inject::MAX_TEMPLATES].join(","));
    let body = review(&slow);
    for budget in [Duration::ZERO, Duration::from_millis(100)] {
        let mut request = ReviewRequest::parse(&body).expect("a review");
        let object = request.object.take();
        let start = Instant::now();
        let deadline = Deadline::at(start + budget);
        let (response, decision) =
            admit_object(&injector, &ClusterState::default(), &request, object, "/inject", OnError::Deny, deadline);
        let took = start.elapsed();
        assert_eq!(decision, Decision::Failed("timeout"), "{budget:?}");
        assert!(!response.allowed);
        let message = response.message.unwrap_or_default();
        assert!(message.contains("did not finish within the request's timeout"), "{message}");
        // Stopped within one round of work past the deadline (generous:
        // the machine may be busy).
        assert!(took < budget + Duration::from_secs(2), "{budget:?}: stopped after {took:?}");
    }
}

#[test]
fn a_pod_listing_more_templates_than_allowed_is_refused_by_its_annotation() {
    let injector = Sources::default().build(Default::default()).expect("the default config");
    let mut greedy = pod("containers", 1);
    // 64 KiB of annotation: every render held until merged would be
    // gigabytes.
    greedy["metadata"]["annotations"]["inject.istio.io/templates"] = json!(vec!["sidecar"; 8_000].join(","));
    let mut request = ReviewRequest::parse(&review(&greedy)).expect("a review");
    let object = request.object.take();
    let (response, decision) =
        admit_object(&injector, &ClusterState::default(), &request, object, "/inject", OnError::Deny, Deadline::NONE);
    assert_eq!(decision, Decision::Failed("invalid_annotation"));
    let message = response.message.unwrap_or_default();
    assert!(message.contains("annotation inject.istio.io/templates: names 8000 templates"), "{message}");
    // As many as allowed, the same one each time, inject as Istio does.
    greedy["metadata"]["annotations"]["inject.istio.io/templates"] =
        json!(vec!["sidecar"; injit_inject::MAX_TEMPLATES].join(","));
    let mut request = ReviewRequest::parse(&review(&greedy)).expect("a review");
    let object = request.object.take();
    let (_, decision) =
        admit_object(&injector, &ClusterState::default(), &request, object, "/inject", OnError::Deny, Deadline::NONE);
    assert_eq!(decision, Decision::Injected);
}
