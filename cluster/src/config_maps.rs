//! The injector's ConfigMaps as `istioctl kube-inject` names and reads
//! them (`istioctl/pkg/kubeinject/kubeinject.go`): `istio-sidecar-injector`
//! (keys `config` and `values`) and `istio` (key `mesh`) in the Istio
//! namespace, each with `-<revision>` appended when the name is the
//! default and a revision is asked for.

use std::fmt;

use serde_json::Value;

use crate::connect::Cluster;
use crate::error::Error;

pub const DEFAULT_INJECTOR_CONFIG_MAP: &str = "istio-sidecar-injector";
pub const DEFAULT_MESH_CONFIG_MAP: &str = "istio";
pub const DEFAULT_ISTIO_NAMESPACE: &str = "istio-system";

/// The three texts the injector is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigKey {
    /// The injector config (templates, policy, selectors).
    Config,
    /// The Helm values, as JSON.
    Values,
    /// The mesh config.
    Mesh,
}

impl ConfigKey {
    /// The key under the ConfigMap's `data`.
    pub fn key(self) -> &'static str {
        match self {
            ConfigKey::Config => "config",
            ConfigKey::Values => "values",
            ConfigKey::Mesh => "mesh",
        }
    }
}

/// Where the ConfigMaps are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigMapNames {
    pub namespace: String,
    /// Holds `config` and `values`.
    pub injector: String,
    /// Holds `mesh`.
    pub mesh: String,
}

impl ConfigMapNames {
    /// istioctl's names: `revision` (`""` and `default` mean none) is
    /// appended to a name left at its default; a name given explicitly is
    /// used as it is. (istioctl reads the values from
    /// `istio-sidecar-injector-<rev>` even when `--injectConfigMapName` is
    /// given; here config and values come from the same ConfigMap.)
    pub fn new(namespace: &str, injector: &str, mesh: &str, revision: &str) -> ConfigMapNames {
        let revision = if revision == "default" { "" } else { revision };
        let name = |given: &str, default: &str| match revision {
            "" => given.to_owned(),
            rev if given == default => format!("{default}-{rev}"),
            _ => given.to_owned(),
        };
        ConfigMapNames {
            namespace: namespace.to_owned(),
            injector: name(injector, DEFAULT_INJECTOR_CONFIG_MAP),
            mesh: name(mesh, DEFAULT_MESH_CONFIG_MAP),
        }
    }

    /// The ConfigMap holding `key`.
    pub fn config_map(&self, key: ConfigKey) -> &str {
        match key {
            ConfigKey::Config | ConfigKey::Values => &self.injector,
            ConfigKey::Mesh => &self.mesh,
        }
    }
}

/// A text read from a ConfigMap, and where from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigText {
    pub key: ConfigKey,
    /// `istio-system/istio-sidecar-injector`.
    pub config_map: String,
    pub text: String,
}

/// `configmap istio-system/istio-sidecar-injector (data.config)`: the name
/// messages about the text give it.
impl fmt::Display for ConfigText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configmap {} (data.{})", self.config_map, self.key.key())
    }
}

impl Cluster {
    /// The texts under `keys`, each ConfigMap read once, in the order
    /// asked.
    pub async fn config_texts(&self, names: &ConfigMapNames, keys: &[ConfigKey]) -> Result<Vec<ConfigText>, Error> {
        let mut read: Vec<(&str, Value)> = Vec::new();
        let mut texts = Vec::new();
        for &key in keys {
            let name = names.config_map(key);
            if !read.iter().any(|(n, _)| *n == name) {
                read.push((name, self.config_map(&names.namespace, name).await?));
            }
            let config_map = &read.iter().find(|(n, _)| *n == name).expect("read above").1;
            let qualified = format!("{}/{name}", names.namespace);
            let text = match config_map.get("data").and_then(|d| d.get(key.key())).and_then(Value::as_str) {
                Some(text) => text.to_owned(),
                None => {
                    return Err(Error::MissingKey {
                        endpoint: self.endpoint().clone(),
                        config_map: qualified,
                        key: key.key(),
                    });
                }
            };
            texts.push(ConfigText { key, config_map: qualified, text });
        }
        Ok(texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_suffix_default_names_only() {
        let n = ConfigMapNames::new("istio-system", DEFAULT_INJECTOR_CONFIG_MAP, DEFAULT_MESH_CONFIG_MAP, "canary");
        assert_eq!((n.injector.as_str(), n.mesh.as_str()), ("istio-sidecar-injector-canary", "istio-canary"));
        let n = ConfigMapNames::new("istio-system", "mine", DEFAULT_MESH_CONFIG_MAP, "canary");
        assert_eq!((n.injector.as_str(), n.mesh.as_str()), ("mine", "istio-canary"));
        let n = ConfigMapNames::new("istio-system", DEFAULT_INJECTOR_CONFIG_MAP, DEFAULT_MESH_CONFIG_MAP, "default");
        assert_eq!((n.injector.as_str(), n.mesh.as_str()), ("istio-sidecar-injector", "istio"));
    }
}
