//! What the injection reads from the cluster for a set of pods, besides
//! the configuration: the ProxyConfig CRs of the root namespace and the
//! pods' namespaces, those Namespaces (OpenShift's UID/GID annotations),
//! and every Node (kubelet versions, for native sidecars `auto`). One call,
//! so `kube-inject` can hand the core the same plain JSON the webhook's
//! cache holds.

use serde_json::Value;

use crate::connect::Cluster;
use crate::error::Error;

/// The objects, as the API sent them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InjectionObjects {
    pub proxy_configs: Vec<Value>,
    /// The namespaces that exist, of those asked for.
    pub namespaces: Vec<Value>,
    pub nodes: Vec<Value>,
}

impl Cluster {
    /// The objects for pods in `namespaces`, with `root_namespace` (the
    /// mesh config's `rootNamespace`) for the mesh-wide ProxyConfigs. Lists
    /// ProxyConfigs per namespace, so a user allowed to read only those
    /// namespaces needs no cluster-wide grant for them.
    pub async fn injection_objects(
        &self,
        root_namespace: &str,
        namespaces: &[&str],
    ) -> Result<InjectionObjects, Error> {
        let mut wanted: Vec<&str> = std::iter::once(root_namespace).chain(namespaces.iter().copied()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut objects = InjectionObjects::default();
        for ns in wanted {
            objects.proxy_configs.extend(self.proxy_configs(Some(ns)).await?);
            if namespaces.contains(&ns) {
                objects.namespaces.extend(self.namespace(ns).await?);
            }
        }
        objects.nodes = self.nodes().await?;
        Ok(objects)
    }
}
