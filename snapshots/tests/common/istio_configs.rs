//! Istio's test configurations (`istio/configs/<config>/`): the three
//! ConfigMap files and the settings of `env.yaml`.

use std::path::{Path, PathBuf};

use injit_inject::{ConfigSource, Sources};

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
