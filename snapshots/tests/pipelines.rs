//! The injector's fast pipeline (each round trip through `corev1.Pod`
//! covering only what a step changed; a pod that arrives as Go encodes it
//! taken as its own typed view) answers exactly as the reference pipeline
//! (Istio's steps, every round trip of the whole pod): the same webhook
//! answer, byte for byte, and the same `kube-inject` pod, for every pod of
//! Istio's test inputs under each of its test configurations, for those
//! pods changed at random in the ways pods differ, and for each injected
//! pod submitted again.

mod common;

use common::istio::{read, review};
use common::istio_configs::{config_dir, config_sources, native_sidecars};
use common::mix::Mix;
use injit_inject::manifest::{objects, pod_template};
use injit_inject::{Caller, Injector, Options, Pipeline, Request, Workload};
use injit_webhook::{OnError, admit};
use serde_json::{Value, json};

fn injector(config: &str, pipeline: Pipeline) -> Injector {
    let dir = config_dir(config);
    let options = Options { native_sidecars: native_sidecars(&dir), pipeline, ..Options::default() };
    config_sources(&dir).build(options).unwrap_or_else(|e| panic!("config {config}: {e}"))
}

/// The pods of Istio's test inputs, as a controller would create them.
fn input_pods() -> Vec<(String, Value)> {
    let cases = read(&common::data_dir().join("istio/cases.tsv"));
    let mut inputs: Vec<&str> = cases.lines().skip(1).filter_map(|l| l.split('\t').nth(1)).collect();
    inputs.sort_unstable();
    inputs.dedup();
    let mut out = Vec::new();
    for input in inputs {
        let Ok(objects) = objects(&read(&common::data_dir().join("istio/testdata").join(input))) else { continue };
        for object in objects {
            let Some(template) = pod_template(&object.value) else { continue };
            // The API server always sends metadata.
            let metadata = if template.metadata.is_object() { template.metadata.clone() } else { json!({}) };
            let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.spec});
            out.push((format!("{input}: {}", object.name()), pod));
        }
    }
    out
}

/// `pod` with one change of the kinds pods differ by.
fn changed(pod: &Value, mix: &mut Mix) -> Value {
    let mut pod = pod.clone();
    if !pod["metadata"]["annotations"].is_object() {
        pod["metadata"]["annotations"] = json!({});
    }
    let annotate = |pod: &mut Value, key: &str, value: &str| {
        pod["metadata"]["annotations"][key] = json!(value);
    };
    let first = "/spec/containers/0";
    match mix.below(17) {
        0 => {
            if let Some(c) = pod.pointer_mut(first) {
                c["ports"] = json!([{"name": "http", "containerPort": 8080}]);
                c["readinessProbe"] = json!({"httpGet": {"port": "http", "path": "/ready"}});
                c["livenessProbe"] = json!({"tcpSocket": {"port": 8080}, "periodSeconds": 5});
            }
        }
        1 => {
            if let Some(c) = pod.pointer_mut(first) {
                c["env"] = json!([{"name": "A", "value": "1"}, {"name": "EMPTY", "value": ""}, {"name": "B"}]);
            }
        }
        2 => {
            if let Some(list) = pod.pointer_mut("/spec/containers").and_then(Value::as_array_mut) {
                list.push(
                    json!({"name": "istio-proxy", "image": "auto", "resources": {"limits": {"memory": "1024Mi"}}}),
                );
            }
        }
        3 => annotate(
            &mut pod,
            "proxy.istio.io/config",
            "{\"holdApplicationUntilProxyStarts\": true, \"concurrency\": 3}",
        ),
        4 => annotate(&mut pod, "sidecar.istio.io/nativeSidecar", if mix.below(2) == 0 { "true" } else { "false" }),
        5 => {
            annotate(&mut pod, "prometheus.io/scrape", "true");
            annotate(&mut pod, "prometheus.io/port", "9090");
        }
        6 => annotate(
            &mut pod,
            "sidecar.istio.io/rewriteAppHTTPProbers",
            if mix.below(2) == 0 { "true" } else { "false" },
        ),
        7 => {
            annotate(&mut pod, "traffic.sidecar.istio.io/excludeOutboundPorts", "1234,5678");
            annotate(&mut pod, "sidecar.istio.io/interceptionMode", "TPROXY");
        }
        8 => {
            if let Some(c) = pod.pointer_mut(first) {
                c["securityContext"] = json!({"runAsUser": 1234, "runAsGroup": 1234});
            }
        }
        9 => {
            pod["spec"]["initContainers"] = json!([{"name": "setup", "image": "busybox", "command": ["true"]}]);
        }
        10 => {
            pod["spec"]["volumes"] =
                json!([{"name": "scratch", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "x"}}]);
        }
        11 => {
            if let Some(c) = pod.pointer_mut(first) {
                c["resources"] = json!({"requests": {"cpu": "0.5", "memory": "1024Mi"}});
                c["notAField"] = json!(1);
            }
        }
        12 => pod["metadata"]["labels"]["topology.istio.io/network"] = json!("net-1"),
        13 => annotate(&mut pod, "sidecar.istio.io/proxyCPU", "200m"),
        // Rendered where an integer goes (the template pod fails to
        // decode), and a string with quotes and a colon.
        14 => annotate(&mut pod, "readiness.status.sidecar.istio.io/periodSeconds", "soon"),
        15 => annotate(&mut pod, "sidecar.istio.io/proxyImage", "registry:5000/proxy:\"1.0\" # x"),
        // Rendered into the sidecar's resources, which then fail to decode.
        _ => annotate(&mut pod, "sidecar.istio.io/proxyMemory", "lots"),
    }
    pod
}

/// The webhook paths answers are asked on: plain, and setting the proxy's
/// environment (an empty value, which the round trip drops, among it).
const PATHS: [&str; 3] = ["/inject", "/inject/cluster/c1/net/n1", "/inject/:ENV:cluster=:ENV:EXTRA=x"];

/// The webhook's answer to `pod` on `path`, as bytes, and its patch.
fn answer(injector: &Injector, pod: &Value, path: &str) -> (String, Option<Vec<u8>>) {
    let request = review(pod, "default");
    let (response, _) = admit(injector, &request, path, OnError::Deny);
    let bytes = serde_json::to_vec(&response.to_review(&request.api_version, &request.uid)).expect("JSON");
    (String::from_utf8(bytes).expect("UTF-8"), response.patch)
}

/// `kube-inject`'s pod (or error) for `pod`.
fn injected(injector: &Injector, pod: &Value) -> String {
    let parts = json!({"metadata": pod["metadata"], "spec": pod["spec"]});
    let workload = Workload::of_pod(&parts);
    match injector.inject(&Request::new(&workload, &parts, Caller::KubeInject)) {
        Ok(outcome) => format!("{outcome:?}"),
        Err(e) => format!("error: {e}"),
    }
}

/// `pod` with the webhook's patch applied.
fn patched(pod: &Value, patch: &[u8]) -> Value {
    let patch: json_patch::Patch = serde_json::from_slice(patch).expect("a JSON patch");
    let mut doc = pod.clone();
    json_patch::patch(&mut doc, &patch).expect("the patch applies");
    doc
}

#[test]
fn the_fast_pipeline_answers_as_the_reference() {
    let configs = read(&common::data_dir().join("istio/configs/configs.tsv"));
    let configs: Vec<&str> = configs.lines().skip(1).filter_map(|l| l.split('\t').next()).collect();
    let pods = input_pods();
    let mut mix = Mix(2025);
    let (mut answers, mut injections, mut reinjected) = (0, 0, 0);
    for (c, config) in configs.into_iter().enumerate() {
        let (fast, reference) = (injector(config, Pipeline::Fast), injector(config, Pipeline::Reference));
        // Every pod under the default configuration; a quarter of them,
        // another quarter each time, under each of the others.
        let every = if config == "default" { 1 } else { 4 };
        for (name, pod) in pods.iter().skip(c % every).step_by(every) {
            let mut pod = pod.clone();
            for (round, path) in PATHS.into_iter().enumerate() {
                let what = || format!("config {config}, {name}, round {round}: {pod}");
                let (answer_fast, patch) = answer(&fast, &pod, path);
                assert_eq!(answer_fast, answer(&reference, &pod, path).0, "{} on {path}", what());
                assert_eq!(injected(&fast, &pod), injected(&reference, &pod), "{}", what());
                answers += 1;
                injections += 1;
                // The injected pod, submitted again.
                if let Some(patch) = patch {
                    let again = patched(&pod, &patch);
                    assert_eq!(
                        answer(&fast, &again, path).0,
                        answer(&reference, &again, path).0,
                        "{} (injected again on {path})",
                        what()
                    );
                    reinjected += 1;
                }
                pod = changed(&pod, &mut mix);
            }
        }
    }
    assert!(
        answers > 2_400 && reinjected > 1_900,
        "{answers} answers, {injections} injections, {reinjected} re-injections"
    );
}
