//! The injector's two pipelines side by side, interleaved in one process
//! (the machine is noisy): the fast one (each round trip through
//! `corev1.Pod` covers what a step changed; a pod that arrives as Go
//! encodes it is its own typed view) and the reference one (every round
//! trip of the whole pod, as Istio's), admitting the bench's pods as the
//! server does. Prints each pipeline's best batch mean and their ratio.
//!
//!   cargo run --release -p injit-webhook --example pipelines [-- ROUNDS]

use injit_inject::typed::Typed;
use injit_inject::{Injector, Options, Pipeline, Sources};
use injit_webhook::{OnError, ReviewRequest, admit};
use serde_json::{Value, json};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REVIEW: &str = include_str!("../benches/sleep-review.json");

/// The sleep review with `edit` applied to its pod, sent as the API
/// server sends pods (every field Go writes).
fn review(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut review: Value = serde_json::from_str(REVIEW).expect("the sleep review");
    let pod = &mut review["request"]["object"];
    edit(pod);
    *pod = Typed::pod().normalize(pod).expect("a pod");
    serde_json::to_vec(&review).expect("JSON")
}

fn injector(pipeline: Pipeline) -> Injector {
    let injector = Sources::default().build(Options { pipeline, ..Options::default() }).expect("the default config");
    injector.compile_all();
    injector
}

/// Mean microseconds per admission of `body`, over `n`.
fn admissions(injector: &Injector, body: &[u8], n: usize) -> f64 {
    let start = std::time::Instant::now();
    for _ in 0..n {
        let request = ReviewRequest::parse(body).expect("a review");
        let (response, _) = admit(injector, &request, "/inject", OnError::Deny);
        assert!(response.patch.is_some(), "injected");
        std::hint::black_box(
            serde_json::to_vec(&response.to_review(&request.api_version, &request.uid)).expect("JSON"),
        );
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(20, |r| r.parse().expect("ROUNDS is a number"));
    let (fast, reference) = (injector(Pipeline::Fast), injector(Pipeline::Reference));
    let cases: Vec<(&str, Vec<u8>, usize)> = vec![
        ("sleep, as the bench sends it", REVIEW.as_bytes().to_vec(), 100),
        ("sleep", review(|_| {}), 100),
        (
            "2,000 env vars",
            review(|pod| {
                let env: Vec<Value> =
                    (0..2000).map(|i| json!({"name": format!("VAR_{i}"), "value": format!("value {i}")})).collect();
                pod["spec"]["containers"][0]["env"] = json!(env);
            }),
            10,
        ),
        (
            "50 containers",
            review(|pod| {
                let containers: Vec<Value> = (0..50)
                    .map(|i| json!({"name": format!("c{i}"), "image": "tutum/curl", "ports": [{"containerPort": 9000 + i}]}))
                    .collect();
                pod["spec"]["containers"] = json!(containers);
            }),
            20,
        ),
        (
            "proxy.istio.io/config",
            review(|pod| {
                pod["metadata"]["annotations"] =
                    json!({"proxy.istio.io/config": "{\"holdApplicationUntilProxyStarts\": true}"});
            }),
            100,
        ),
    ];
    for (name, body, batch) in &cases {
        let (mut best_fast, mut best_reference) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            best_fast = best_fast.min(admissions(&fast, body, *batch));
            best_reference = best_reference.min(admissions(&reference, body, *batch));
        }
        println!(
            "{name:32} fast {best_fast:8.1} µs   reference {best_reference:8.1} µs   {:.2}×",
            best_reference / best_fast
        );
    }
}
