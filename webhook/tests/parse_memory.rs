//! The pre-scan's estimate of a body's parsed size, against what parsing
//! it really allocates at its peak (counted by this binary's allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use injit_webhook::scan::measure;
use serde_json::{Value, json};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's layout, as GlobalAlloc::alloc requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: ptr was allocated by System with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The counters are global: tests take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Peak bytes allocated while parsing `body` and holding the value.
fn parsed_peak(body: &[u8]) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let value: Value = serde_json::from_slice(body).unwrap();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    drop(value);
    peak
}

fn pod(containers: usize) -> Value {
    let containers: Vec<Value> = (0..containers)
        .map(|i| {
            json!({"name": format!("c{i}"), "image": "tutum/curl", "command": ["/bin/sleep", "infinity"],
                   "imagePullPolicy": "IfNotPresent", "resources": {}})
        })
        .collect();
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u", "object": {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "labels": {"app": "a"}},
        "spec": {"containers": containers}}}})
}

#[test]
fn the_estimate_is_within_a_factor_of_the_real_peak() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let sleep = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/sleep-review.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zeros", format!("[{}0]", "0,".repeat(300_000)).into_bytes()),
        ("small objects", format!("[{}{{\"a\":0}}]", "{\"a\":0},".repeat(50_000)).into_bytes()),
        (
            "wide object",
            serde_json::to_vec(&(0..20_000).map(|i| (format!("k{i}"), json!(i))).collect::<serde_json::Map<_, _>>())
                .unwrap(),
        ),
        ("strings", serde_json::to_vec(&vec!["abcdefghij"; 100_000]).unwrap()),
        ("nested arrays", format!("{}{}", "[".repeat(100), "]".repeat(100)).into_bytes()),
        ("the sleep review", sleep),
        ("a pod of 2000 containers", serde_json::to_vec(&pod(2000)).unwrap()),
    ];
    for (name, body) in cases {
        let real = parsed_peak(&body);
        let estimate = measure(&body).parsed_bytes;
        let ratio = estimate as f64 / real as f64;
        assert!((0.8..=2.5).contains(&ratio), "{name}: estimated {estimate} bytes, {real} really ({ratio:.2})");
    }
}

#[test]
fn a_pod_of_20000_containers_fits_the_limits() {
    let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let body = serde_json::to_vec(&pod(20_000)).unwrap();
    let shape = measure(&body);
    assert!(shape.values < injit_webhook::MAX_JSON_VALUES / 4, "{shape:?}");
    assert!(body.len() + shape.parsed_bytes < 32 << 20, "{} + {shape:?}", body.len());
}
