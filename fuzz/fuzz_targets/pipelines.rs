//! A pod injected by both of the injector's pipelines — the fast one and
//! the reference one that follows Istio step by step — under Istio's
//! default configuration: both must give the same webhook answer, byte for
//! byte, and the same `kube-inject` pod or error, and neither may crash.
//! Input: one byte choosing native sidecars (even: off, odd: on), then
//! the pod as JSON (`{"metadata": ..., "spec": ...}`).
#![no_main]

use std::sync::LazyLock;

use injit_inject::{Caller, Injector, NativeSidecars, Options, Pipeline, Request, Sources, Workload};
use injit_webhook::{OnError, ReviewRequest, admit};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

mod signal;

/// For native sidecars off and on: the fast injector and the reference.
static INJECTORS: LazyLock<[(Injector, Injector); 2]> = LazyLock::new(|| {
    let build = |native_sidecars, pipeline| {
        let options = Options { native_sidecars, pipeline, ..Options::default() };
        Sources::default().build(options).expect("the default config")
    };
    [NativeSidecars::Off, NativeSidecars::On]
        .map(|native| (build(native, Pipeline::Fast), build(native, Pipeline::Reference)))
});

fn answer_of(injector: &Injector, review: &ReviewRequest) -> Vec<u8> {
    let (response, _) = admit(injector, review, "/inject", OnError::Deny);
    serde_json::to_vec(&response.to_review(&review.api_version, &review.uid)).expect("JSON")
}

fn injected(injector: &Injector, pod: &Value) -> String {
    let workload = Workload::of_pod(pod);
    match injector.inject(&Request::new(&workload, pod, Caller::KubeInject)) {
        Ok(outcome) => format!("{outcome:?}"),
        Err(e) => format!("error: {e}"),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&choice, json)) = input.split_first() else { return };
    let Ok(pod @ Value::Object(_)) = serde_json::from_slice::<Value>(json) else { return };
    let (fast, reference) = &INJECTORS[usize::from(choice % 2)];
    let body = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u", "kind": {"kind": "Pod"}, "resource": {"resource": "pods"},
                    "operation": "CREATE", "namespace": "default", "object": pod},
    });
    if let Ok(review) = ReviewRequest::parse(&serde_json::to_vec(&body).expect("JSON")) {
        let answer = answer_of(fast, &review);
        assert_eq!(answer, answer_of(reference, &review), "webhook answers differ");
        signal::mark(("webhook", signal::magnitude(answer.len())));
    }
    let parts = json!({"metadata": pod.get("metadata"), "spec": pod.get("spec")});
    let outcome = injected(fast, &parts);
    assert_eq!(outcome, injected(reference, &parts), "kube-inject differs");
    signal::mark(("kube-inject", outcome.starts_with("error"), signal::magnitude(outcome.len())));
});
