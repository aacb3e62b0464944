//! Istio's test inputs under the default config, and the AdmissionReview
//! the API server sends for a pod.

use std::path::Path;

use injit_compiler::Backend;
use injit_inject::{ConfigSource, Injector, Options, Sources};
use injit_webhook::ReviewRequest;
use serde_json::{Value, json};

pub(crate) fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Istio's default config (`istio/configs/default`), on native code.
pub(crate) fn default_injector() -> Injector {
    let dir = super::data_dir().join("istio/configs/default");
    let source = |name: &str| Some(ConfigSource::new(name, read(&dir.join(name))));
    let sources = Sources { config: source("config.yaml"), mesh: source("mesh.yaml"), values: source("values.json") };
    let injector = sources.build(Options { backend: Backend::Jit, ..Options::default() }).expect("the default config");
    super::assert_backends(&injector, Backend::Jit, "the default config");
    injector
}

/// The review of `pod` being created in `namespace`, as parsed by the
/// webhook.
pub(crate) fn review(pod: &Value, namespace: &str) -> ReviewRequest {
    let body = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "0b1c5b8e-0000-4000-8000-000000000001",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "operation": "CREATE",
            "namespace": namespace,
            "object": pod,
        },
    });
    ReviewRequest::parse(&serde_json::to_vec(&body).expect("JSON")).expect("a review")
}

/// The test inputs of Istio's cases under the default config, each once.
pub(crate) fn default_inputs() -> Vec<String> {
    let cases = read(&super::data_dir().join("istio/cases.tsv"));
    let mut inputs: Vec<String> = cases
        .lines()
        .skip(1)
        .filter(|l| l.split('\t').nth(3) == Some("default"))
        .filter_map(|l| Some(l.split('\t').nth(1)?.to_owned()))
        .collect();
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}
