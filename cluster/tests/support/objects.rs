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
