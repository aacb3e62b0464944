//! One admission, as the server runs it: the review parsed, the sidecar
//! injected, the patch computed and the answer serialised — for the sleep
//! pod, and for pods of 20,000 containers (the work must grow linearly
//! with the pod: `tests/large_pods.rs`).

use criterion::{Criterion, criterion_group, criterion_main};
use injit_inject::typed::Typed;
use injit_inject::{ClusterState, Deadline, Sources};
use injit_webhook::{OnError, ReviewRequest, admit, admit_object};
use serde_json::{Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REVIEW: &str = include_str!("sleep-review.json");

/// A review of a pod of `n` containers; `with_probes`: each with a named
/// port and an HTTP and a TCP probe (rewritten for the sidecar), sent as
/// written; otherwise plain, as the API server sends pods (every field Go
/// writes).
fn large_review(n: usize, with_probes: bool) -> Vec<u8> {
    let container = |i: usize| {
        if with_probes {
            json!({"name": format!("c{i}"), "image": "busybox",
                   "ports": [{"name": "http", "containerPort": 8080}],
                   "readinessProbe": {"httpGet": {"port": "http", "path": "/ready"}},
                   "livenessProbe": {"tcpSocket": {"port": 9000}}})
        } else {
            json!({"name": format!("c{i}"), "image": "busybox"})
        }
    };
    let containers: Vec<Value> = (0..n).map(container).collect();
    let mut pod = json!({"metadata": {"name": "large", "namespace": "default"}, "spec": {"containers": containers}});
    if !with_probes {
        pod = Typed::pod().normalize(&pod).expect("a pod");
    }
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u", "kind": {"kind": "Pod"}, "resource": {"resource": "pods"}, "operation": "CREATE",
                    "namespace": "default", "object": pod}});
    serde_json::to_vec(&review).expect("JSON")
}

fn bench(c: &mut Criterion) {
    let injector = Sources::default().build(Default::default()).expect("the default config");
    injector.compile_all();
    c.bench_function("admit/sleep", |b| {
        b.iter(|| {
            let request = ReviewRequest::parse(REVIEW.as_bytes()).expect("a review");
            let (response, _) = admit(&injector, &request, "/inject", OnError::Deny);
            serde_json::to_vec(&response.to_review(&request.api_version, &request.uid)).expect("JSON")
        })
    });
    let mut large = c.benchmark_group("admit/20000 containers");
    large.sample_size(10);
    for (name, with_probes) in [("plain", false), ("with probes", true)] {
        let body = large_review(20_000, with_probes);
        large.bench_function(name, |b| {
            b.iter(|| {
                let mut request = ReviewRequest::parse(&body).expect("a review");
                let object = request.object.take();
                let (response, _) = admit_object(
                    &injector,
                    &ClusterState::default(),
                    &request,
                    object,
                    "/inject",
                    OnError::Deny,
                    Deadline::NONE,
                );
                serde_json::to_vec(&response.to_review(&request.api_version, &request.uid)).expect("JSON")
            })
        });
    }
    large.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
