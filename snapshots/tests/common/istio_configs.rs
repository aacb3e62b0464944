//! Istio's test configurations (`istio/configs/<config>/`): the three
//! ConfigMap files and the settings of `env.yaml`.

use std::path::{Path, PathBuf};

use injit_inject::{ClusterState, ConfigSource, NativeSidecars, Sources};

use super::istio::read;

/// The folder of configuration `config`.
pub(crate) fn config_dir(config: &str) -> PathBuf {
    super::data_dir().join("istio/configs").join(config)
}

/// `config.yaml`, `mesh.yaml` and `values.json` of a configuration folder.
pub(crate) fn config_sources(dir: &Path) -> Sources {
    let source = |name: &str| Some(ConfigSource::new(name, read(&dir.join(name))));
    Sources { config: source("config.yaml"), mesh: source("mesh.yaml"), values: source("values.json") }
}

/// A top-level scalar of a configuration's `env.yaml` (`nativeSidecars`,
/// `compliancePolicy`, `platform`).
pub(crate) fn env_setting(dir: &Path, key: &str) -> String {
    read(&dir.join("env.yaml"))
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .unwrap_or_default()
}

/// The revision the webhook runs with (`revision: {webhook: ...}` of
/// `env.yaml`; kube-inject's is `""`).
pub(crate) fn webhook_revision(dir: &Path) -> String {
    let env = read(&dir.join("env.yaml"));
    let block = env.split("\nrevision:\n").nth(1).expect("env.yaml has revision:");
    block
        .lines()
        .take_while(|l| l.starts_with(' '))
        .find_map(|l| l.trim().strip_prefix("webhook:"))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .expect("env.yaml has revision.webhook")
}

/// `env.yaml` as JSON.
fn env(dir: &Path) -> serde_json::Value {
    let text = read(&dir.join("env.yaml"));
    injit_inject::object::yaml_documents(&text).expect("env.yaml parses").into_iter().next().expect("a document")
}

/// The `NativeSidecars` outcome `env.yaml` records for a pod without
/// `spec.nodeName` (`nativeSidecars`), as a fixed setting.
pub(crate) fn native_sidecars(dir: &Path) -> NativeSidecars {
    if env_setting(dir, "nativeSidecars") == "true" { NativeSidecars::On } else { NativeSidecars::Off }
}

/// The `ENABLE_NATIVE_SIDECARS` setting of the configuration
/// (`enableNativeSidecars`), resolved per pod from the cluster's nodes.
pub(crate) fn enable_native_sidecars(dir: &Path) -> NativeSidecars {
    NativeSidecars::from_env(Some(&env_setting(dir, "enableNativeSidecars")))
}

/// Whether the configuration runs on OpenShift (`platform: openshift`).
pub(crate) fn openshift(dir: &Path) -> bool {
    env_setting(dir, "platform") == "openshift"
}

/// The fake cluster of Istio's test (`nodes`, `namespaces`,
/// `proxyConfigCRs` of `env.yaml`), as the API would return its objects.
pub(crate) fn cluster_state(dir: &Path) -> ClusterState {
    let env = env(dir);
    let list = |key: &str| env.get(key).and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    let nodes: Vec<serde_json::Value> = list("nodes")
        .iter()
        .map(|n| {
            serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n["name"]},
                "status": {"nodeInfo": {"kubeletVersion": n["kubeletVersion"]}}})
        })
        .collect();
    let namespaces: Vec<serde_json::Value> = list("namespaces")
        .iter()
        .map(|n| {
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": n["name"], "annotations": n["annotations"]}})
        })
        .collect();
    ClusterState::listed(&list("proxyConfigCRs"), &namespaces, &nodes).expect("env.yaml's cluster objects")
}
