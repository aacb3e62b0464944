//! The cluster state injection reads, as plain data: ProxyConfig
//! resources, Namespaces and Nodes, built from the JSON objects the
//! Kubernetes API returns (list items, watch event objects). The injector
//! never talks to the API server: whoever does (the webhook's watchers,
//! `kube-inject` with a kubeconfig, tests) builds a `ClusterState` and
//! hands it to each request.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::ClusterError;
use super::kubelet_version;
use super::meta::ObjectRef;
use super::native_sidecars::MIN_KUBELET_MINOR;
use super::proxy_configs::{ProxyConfigResource, ProxyConfigs};

/// What injection knows of the cluster. `ClusterState::default()` knows
/// nothing: no ProxyConfig resources, and neither the namespaces nor the
/// nodes (as Istio without a Kubernetes client).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterState {
    proxy_configs: ProxyConfigs,
    /// `None`: not read (ProxyUID/ProxyGID stay 1337).
    namespaces: Option<BTreeMap<String, Namespace>>,
    /// `None`: not read (`ENABLE_NATIVE_SIDECARS=auto` is then off).
    nodes: Option<Nodes>,
}

impl ClusterState {
    /// A cluster that was listed: its ProxyConfig resources
    /// (`networking.istio.io/v1beta1`), Namespaces and Nodes, each as the
    /// API returns them. Empty lists mean the cluster has none (unlike
    /// `default()`, which has not looked).
    pub fn listed<'v>(
        proxy_configs: impl IntoIterator<Item = &'v Value>,
        namespaces: impl IntoIterator<Item = &'v Value>,
        nodes: impl IntoIterator<Item = &'v Value>,
    ) -> Result<ClusterState, ClusterError> {
        let mut state = ClusterState {
            proxy_configs: ProxyConfigs::default(),
            namespaces: Some(BTreeMap::new()),
            nodes: Some(Nodes::default()),
        };
        for object in proxy_configs {
            state.add_proxy_config(object)?;
        }
        for object in namespaces {
            state.add_namespace(object)?;
        }
        for object in nodes {
            state.add_node(object)?;
        }
        Ok(state)
    }

    /// Adds (or replaces, by namespace and name) a ProxyConfig resource.
    pub fn add_proxy_config(&mut self, object: &Value) -> Result<(), ClusterError> {
        self.proxy_configs.insert(ProxyConfigResource::from_object(object)?);
        Ok(())
    }

    /// Adds (or replaces, by name) a Namespace; the namespaces count as
    /// known from then on.
    pub fn add_namespace(&mut self, object: &Value) -> Result<(), ClusterError> {
        let namespace = Namespace::from_object(object)?;
        self.namespaces.get_or_insert_default().insert(namespace.name.clone(), namespace);
        Ok(())
    }

    /// Adds (or replaces, by name) a Node; the nodes count as known from
    /// then on.
    pub fn add_node(&mut self, object: &Value) -> Result<(), ClusterError> {
        let node = Node::from_object(object)?;
        self.nodes.get_or_insert_default().insert(node);
        Ok(())
    }

    /// Removes the ProxyConfig resource `namespace/name` (a watch's
    /// DELETED event).
    pub fn remove_proxy_config(&mut self, namespace: &str, name: &str) {
        self.proxy_configs.remove(namespace, name);
    }

    /// Removes the Namespace `name`.
    pub fn remove_namespace(&mut self, name: &str) {
        if let Some(namespaces) = &mut self.namespaces {
            namespaces.remove(name);
        }
    }

    /// Removes the Node `name`.
    pub fn remove_node(&mut self, name: &str) {
        if let Some(nodes) = &mut self.nodes {
            nodes.remove(name);
        }
    }

    pub fn proxy_configs(&self) -> &ProxyConfigs {
        &self.proxy_configs
    }

    /// The namespace named `name`: `None` when it does not exist or the
    /// namespaces are not known.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.as_ref()?.get(name)
    }

    /// Whether the namespaces were read (Istio reads a pod's namespace on
    /// OpenShift only when it has a client).
    pub fn knows_namespaces(&self) -> bool {
        self.namespaces.is_some()
    }

    /// The nodes, when known.
    pub fn nodes(&self) -> Option<&Nodes> {
        self.nodes.as_ref()
    }
}

/// What injection reads of a Namespace: its annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub annotations: BTreeMap<String, String>,
}

impl Namespace {
    pub fn from_object(object: &Value) -> Result<Namespace, ClusterError> {
        let id = ObjectRef::of("Namespace", object)?;
        let annotations = id.string_map(object, "metadata.annotations")?.unwrap_or_default();
        if id.name.is_empty() {
            return Err(id.error("metadata.name", "must be set"));
        }
        Ok(Namespace { name: id.name, annotations })
    }

    /// The proxy's UID and GID for pods in this namespace on OpenShift.
    pub fn proxy_ids(&self) -> (i64, i64) {
        super::openshift::proxy_ids(Some(&self.annotations))
    }
}

/// What injection reads of a Node: its kubelet version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// `status.nodeInfo.kubeletVersion` (`v1.33.0`).
    pub kubelet_version: String,
    native_sidecars: bool,
}

impl Node {
    pub fn from_object(object: &Value) -> Result<Node, ClusterError> {
        let id = ObjectRef::of("Node", object)?;
        let kubelet_version = id.optional_str(object, "status.nodeInfo.kubeletVersion")?.unwrap_or_default().to_owned();
        if id.name.is_empty() {
            return Err(id.error("metadata.name", "must be set"));
        }
        // Decided once: Istio's `checkNodeVersion`, only the minor version
        // (an unreadable version counts as too old).
        let native_sidecars = kubelet_version::minor(&kubelet_version).is_ok_and(|m| m >= MIN_KUBELET_MINOR);
        Ok(Node { name: id.name, kubelet_version, native_sidecars })
    }

    /// Whether this node's kubelet runs native sidecars (1.33 or later).
    pub fn supports_native_sidecars(&self) -> bool {
        self.native_sidecars
    }
}

/// The cluster's nodes, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nodes {
    by_name: BTreeMap<String, Node>,
    /// How many nodes are too old for native sidecars.
    too_old: usize,
}

impl Nodes {
    fn insert(&mut self, node: Node) {
        if !node.native_sidecars {
            self.too_old += 1;
        }
        if let Some(previous) = self.by_name.insert(node.name.clone(), node)
            && !previous.native_sidecars
        {
            self.too_old -= 1;
        }
    }

    fn remove(&mut self, name: &str) {
        if let Some(node) = self.by_name.remove(name)
            && !node.native_sidecars
        {
            self.too_old -= 1;
        }
    }

    pub fn get(&self, name: &str) -> Option<&Node> {
        self.by_name.get(name)
    }

    /// Whether every node runs native sidecars (true with no nodes).
    pub fn all_support_native_sidecars(&self) -> bool {
        self.too_old == 0
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
