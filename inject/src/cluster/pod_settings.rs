//! What the cluster state decides for one pod besides its ProxyConfig:
//! native sidecars, and the proxy's user and group.

use serde_json::Value;

use super::openshift::DEFAULT_PROXY_ID;
use super::state::ClusterState;
use crate::injector::Options;
use crate::json_pointer::Pointer;

/// The cluster-dependent settings of one pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PodSettings {
    /// `NativeSidecars` of the template data (before the pod's
    /// `sidecar.istio.io/nativeSidecar` annotation).
    pub(crate) native_sidecars: bool,
    pub(crate) proxy_uid: i64,
    pub(crate) proxy_gid: i64,
}

impl PodSettings {
    /// For `pod` in `namespace`: native sidecars from the nodes (the
    /// pod's `spec.nodeName` first), and on OpenShift, when the namespaces
    /// are known, the proxy's IDs from the pod's Namespace (1337 when it is
    /// not found).
    pub(crate) fn of(pod: &Value, namespace: &str, cluster: Option<&ClusterState>, options: &Options) -> PodSettings {
        let node_name = pod.at("/spec/nodeName").and_then(Value::as_str).unwrap_or_default();
        let native_sidecars = options.native_sidecars.resolve(cluster.and_then(ClusterState::nodes), node_name);
        let (proxy_uid, proxy_gid) = match cluster {
            Some(cluster) if options.openshift => {
                cluster.namespace(namespace).map_or((DEFAULT_PROXY_ID, DEFAULT_PROXY_ID), |n| n.proxy_ids())
            }
            _ => (DEFAULT_PROXY_ID, DEFAULT_PROXY_ID),
        };
        PodSettings { native_sidecars, proxy_uid, proxy_gid }
    }

    /// Whether Istio's OpenShift handling of the pod applies: the platform
    /// is OpenShift and the namespaces are known (istiod with a client).
    pub(crate) fn openshift_applies(cluster: Option<&ClusterState>, options: &Options) -> bool {
        options.openshift && cluster.is_some_and(ClusterState::knows_namespaces)
    }
}
