//! One admission, as the server runs it: the review parsed, the sidecar
//! injected, the patch computed and the answer serialised — for the sleep
//! pod; for pods never seen before (each iteration another workload,
//! labels and port, so that nothing keyed on a pod's content is reused),
//! written by a ReplicaSet and as an API server sends them (defaulted);
//! for a pod of 2,000 environment variables, one of 50 containers, one
//! with its own `proxy.istio.io/config` (the templates' general form);
//! and for pods of 20,000 containers (the work must grow linearly with the
//! pod: `tests/large_pods.rs`).

use criterion::{Criterion, criterion_group, criterion_main};
use injit_inject::typed::Typed;
use injit_inject::{ClusterState, Deadline, Sources};
use injit_webhook::answers::Key;
use injit_webhook::{MAX_REUSED_BODY, OnError, ReviewRequest, admit_object};
use serde_json::{Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REVIEW: &str = include_str!("sleep-review.json");
/// The sleep pod as an API server sends it to webhooks: defaulted, the
/// service account's token volume mounted.
const SENT_REVIEW: &str = include_str!("sleep-review-sent.json");

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

/// The sleep review with `edit` applied to its pod, which is then sent as
/// the API server sends pods (every field Go writes).
fn sleep_review(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    edited_review(REVIEW, edit)
}

/// `review` with `edit` applied to its pod, which is then written as Go
/// writes it.
fn edited_review(review: &str, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut review: Value = serde_json::from_str(review).expect("a review");
    let pod = &mut review["request"]["object"];
    edit(pod);
    *pod = Typed::pod().normalize(pod).expect("a pod");
    serde_json::to_vec(&review).expect("JSON")
}

/// The sleep pod of `review` as the `i`th workload of its own: another
/// name, `app` label and container port, as pods of a new Deployment
/// differ.
fn new_pod(review: &str, i: usize) -> Vec<u8> {
    edited_review(review, |pod| {
        let name = format!("sleep-{i}");
        pod["metadata"]["generateName"] = json!(format!("{name}-5d8c6b7f9-"));
        pod["metadata"]["labels"]["app"] = json!(name);
        pod["metadata"]["ownerReferences"][0]["name"] = json!(format!("{name}-5d8c6b7f9"));
        pod["spec"]["containers"][0]["ports"] = json!([{"containerPort": 8000 + i % 1000, "protocol": "TCP"}]);
    })
}

/// Admits `body` as the server does, returning the answer's bytes: the
/// pod of a small review is hashed and its JSON copied (the server keeps
/// it, to reuse the answer for identical pods).
fn admit_body(injector: &injit_inject::Injector, body: &[u8]) -> Vec<u8> {
    let mut request = ReviewRequest::parse(body).expect("a review");
    if body.len() <= MAX_REUSED_BODY {
        let sent: Box<[u8]> = request.object_json(body).expect("a pod").into();
        std::hint::black_box(Key::new(&request.namespace, "/inject", &sent).hash());
    }
    let object = request.object.take();
    let cluster = ClusterState::default();
    let (response, _) = admit_object(injector, &cluster, &request, object, "/inject", OnError::Deny, Deadline::NONE);
    response.review_json(&request.api_version, &request.uid)
}

/// Admits `body`, which must be injected: a case that is skipped or
/// refused would measure something else.
fn injected(injector: &injit_inject::Injector, body: &[u8]) {
    let answer: Value = serde_json::from_slice(&admit_body(injector, body)).expect("JSON");
    let response = &answer["response"];
    assert!(response["allowed"] == true && response["patch"].is_string(), "not injected: {response}");
}

fn bench(c: &mut Criterion) {
    let injector = Sources::default().build(Default::default()).expect("the default config");
    injector.compile_all();
    c.bench_function("admit/sleep", |b| b.iter(|| admit_body(&injector, REVIEW.as_bytes())));
    for (name, review) in [("admit/new pods", REVIEW), ("admit/new pods, as an API server sends them", SENT_REVIEW)] {
        let new_pods: Vec<Vec<u8>> = (0..4096).map(|i| new_pod(review, i)).collect();
        new_pods.iter().take(3).for_each(|body| injected(&injector, body));
        let mut next = new_pods.iter().cycle();
        c.bench_function(name, |b| b.iter(|| admit_body(&injector, next.next().expect("cycles"))));
    }
    let env_vars = sleep_review(|pod| {
        let env: Vec<Value> =
            (0..2000).map(|i| json!({"name": format!("VAR_{i}"), "value": format!("value {i}")})).collect();
        pod["spec"]["containers"][0]["env"] = json!(env);
    });
    injected(&injector, &env_vars);
    c.bench_function("admit/2000 env vars", |b| b.iter(|| admit_body(&injector, &env_vars)));
    let containers = sleep_review(|pod| {
        let containers: Vec<Value> = (0..50)
            .map(|i| json!({"name": format!("c{i}"), "image": "tutum/curl", "ports": [{"containerPort": 9000 + i}]}))
            .collect();
        pod["spec"]["containers"] = json!(containers);
    });
    injected(&injector, &containers);
    c.bench_function("admit/50 containers", |b| b.iter(|| admit_body(&injector, &containers)));
    let proxy_config = sleep_review(|pod| {
        pod["metadata"]["annotations"] =
            json!({"proxy.istio.io/config": "{\"holdApplicationUntilProxyStarts\": true, \"concurrency\": 4}"});
    });
    injected(&injector, &proxy_config);
    c.bench_function("admit/proxy.istio.io config", |b| b.iter(|| admit_body(&injector, &proxy_config)));
    let mut large = c.benchmark_group("admit/20000 containers");
    large.sample_size(10);
    for (name, with_probes) in [("plain", false), ("with probes", true)] {
        let body = large_review(20_000, with_probes);
        large.bench_function(name, |b| b.iter(|| admit_body(&injector, &body)));
    }
    large.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
