//! Objects for the fake API server, from the recorded shapes in
//! `../data/` (see its README for where each comes from).
#![allow(dead_code)]

use serde_json::{Value, json};

fn recorded(text: &str) -> Value {
    serde_json::from_str(text).expect("recorded JSON")
}

/// Istio's default injector config, values and mesh config: injit's
/// embedded defaults.
pub const DEFAULT_CONFIG: &str = include_str!("../../../inject/defaults/config.yaml");
pub const DEFAULT_VALUES: &str = include_str!("../../../inject/defaults/values.json");
pub const DEFAULT_MESH: &str = include_str!("../../../inject/defaults/mesh.yaml");

/// A ConfigMap with `data`.
pub fn config_map(namespace: &str, name: &str, data: &[(&str, &str)]) -> Value {
    let mut cm = recorded(include_str!("../data/configmap.json"));
    cm["metadata"]["name"] = json!(name);
    cm["metadata"]["namespace"] = json!(namespace);
    cm["data"] = data.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>().into();
    cm
}

/// `istio-sidecar-injector[-rev]` with `config` and `values`.
pub fn injector_config_map(namespace: &str, name: &str, config: &str, values: &str) -> Value {
    config_map(namespace, name, &[("config", config), ("values", values)])
}

/// `istio[-rev]` with `mesh`.
pub fn mesh_config_map(namespace: &str, name: &str, mesh: &str) -> Value {
    config_map(namespace, name, &[("mesh", mesh)])
}

/// A revision's two ConfigMaps in `istio-system` (`istio-sidecar-injector`
/// and `istio`, `-REV` appended unless `revision` is `default`) with the
/// embedded config and mesh config and `values`.
pub fn revision_config_maps(revision: &str, values: &str) -> [Value; 2] {
    let suffix = if revision == "default" { String::new() } else { format!("-{revision}") };
    let ns = "istio-system";
    [
        injector_config_map(ns, &format!("istio-sidecar-injector{suffix}"), DEFAULT_CONFIG, values),
        mesh_config_map(ns, &format!("istio{suffix}"), DEFAULT_MESH),
    ]
}

/// Istio's default and `canary` revisions as Istio's chart installs them
/// (ConfigMaps from the embedded defaults, and registrations), with
/// namespace `shop` labelled `istio.io/rev=canary` and `default`
/// unlabelled: the cluster of check-inject's tests and README example.
pub fn two_revisions() -> Vec<Value> {
    let mut objects = Vec::new();
    for revision in ["default", "canary"] {
        objects.extend(revision_config_maps(revision, DEFAULT_VALUES));
        objects.push(istio_webhook_configuration(revision));
    }
    objects.push(labelled_namespace("shop", &[("istio.io/rev", "canary")]));
    objects.push(labelled_namespace("default", &[]));
    objects
}

/// A Namespace with the OpenShift annotations of Istio's tests.
pub fn namespace(name: &str) -> Value {
    let mut ns = recorded(include_str!("../data/namespace.json"));
    ns["metadata"]["name"] = json!(name);
    ns["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
    ns
}

/// A Node whose kubelet is `kubelet_version` (`v1.33.0`).
pub fn node(name: &str, kubelet_version: &str) -> Value {
    let mut node = recorded(include_str!("../data/node.json"));
    node["metadata"]["name"] = json!(name);
    node["metadata"]["labels"]["kubernetes.io/hostname"] = json!(name);
    node["status"]["nodeInfo"]["kubeletVersion"] = json!(kubelet_version);
    node
}

/// A ProxyConfig CR with `spec` (the recorded one's when `None`).
pub fn proxy_config(namespace: &str, name: &str, spec: Option<Value>) -> Value {
    let mut pc = recorded(include_str!("../data/proxyconfig.json"));
    pc["metadata"]["name"] = json!(name);
    pc["metadata"]["namespace"] = json!(namespace);
    if let Some(spec) = spec {
        pc["spec"] = spec;
    }
    pc
}

/// A running Pod in `namespace` with `labels` (the recorded one's
/// `pod-template-hash` kept).
pub fn pod(namespace: &str, name: &str, labels: &[(&str, &str)]) -> Value {
    let mut pod = recorded(include_str!("../data/pod.json"));
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["namespace"] = json!(namespace);
    for (k, v) in labels {
        pod["metadata"]["labels"][*k] = json!(v);
    }
    pod
}

/// An `apps/v1` Deployment whose pod template has `labels`.
pub fn deployment(namespace: &str, name: &str, labels: &[(&str, &str)]) -> Value {
    let mut deployment = recorded(include_str!("../data/deployment.json"));
    deployment["metadata"]["name"] = json!(name);
    deployment["metadata"]["namespace"] = json!(namespace);
    for (k, v) in labels {
        deployment["spec"]["template"]["metadata"]["labels"][*k] = json!(v);
    }
    deployment
}

/// A Namespace labelled `labels` (besides the API server's
/// `kubernetes.io/metadata.name`), without OpenShift's annotations.
pub fn labelled_namespace(name: &str, labels: &[(&str, &str)]) -> Value {
    let mut ns = namespace(name);
    ns["metadata"].as_object_mut().unwrap().remove("annotations");
    for (k, v) in labels {
        ns["metadata"]["labels"][*k] = json!(v);
    }
    ns
}

/// Istio's injector registration for `revision` (`default` or another) as
/// its chart renders it: the default revision's `istio-sidecar-injector`
/// has four webhooks; another revision's `istio-sidecar-injector-REV`
/// only the two `rev.*` ones, selecting `istio.io/rev=REV` and calling
/// `istiod-REV`.
pub fn istio_webhook_configuration(revision: &str) -> Value {
    let mut mwc = recorded(include_str!("../data/mutatingwebhookconfiguration.json"));
    if revision == "default" {
        return mwc;
    }
    mwc["metadata"]["name"] = json!(format!("istio-sidecar-injector-{revision}"));
    mwc["metadata"]["labels"]["istio.io/rev"] = json!(revision);
    let webhooks = mwc["webhooks"].as_array_mut().unwrap();
    webhooks.retain(|w| w["name"].as_str().unwrap().starts_with("rev."));
    let text = serde_json::to_string(webhooks).unwrap();
    let text = text
        .replace(r#"["default"]"#, &format!("[{revision:?}]"))
        .replace(r#""istiod""#, &format!("\"istiod-{revision}\""));
    mwc["webhooks"] = serde_json::from_str(&text).unwrap();
    mwc
}
