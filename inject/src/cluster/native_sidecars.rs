//! `ENABLE_NATIVE_SIDECARS`: whether the proxy runs as a native sidecar
//! (a restartable init container, Kubernetes 1.33+), and Istio's `auto`
//! detection from the cluster's nodes (`DetectNativeSidecar` in
//! `pkg/kube/inject/webhook.go`, Istio 86c9f01f).

use std::fmt;
use std::str::FromStr;

use super::state::Nodes;

/// The smallest kubelet minor version (of Kubernetes 1.x) that runs native
/// sidecars as Istio needs them (the feature is stable in 1.33).
pub const MIN_KUBELET_MINOR: i64 = 33;

/// The `ENABLE_NATIVE_SIDECARS` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NativeSidecars {
    /// Always native sidecars (`true`).
    On,
    /// Never (`false`).
    Off,
    /// Native sidecars when the pod's node, or every node, runs a kubelet
    /// 1.33 or later (`auto`, Istio's default).
    #[default]
    Auto,
}

impl NativeSidecars {
    /// `ENABLE_NATIVE_SIDECARS` as istiod reads it: exactly `true`,
    /// `false` or `auto` (unset is `auto`); any other value is `Off`
    /// (Istio logs "Unknown value ... defaulting to false").
    pub fn from_env(value: Option<&str>) -> NativeSidecars {
        match value {
            None => NativeSidecars::Auto,
            Some(v) => v.parse().unwrap_or(NativeSidecars::Off),
        }
    }

    /// Whether a pod scheduled on `node_name` (empty when not yet
    /// scheduled) gets native sidecars, given the cluster's nodes (`None`
    /// when the nodes are not known: Istio without a Kubernetes client,
    /// as `istioctl kube-inject` from files, enables them only when
    /// explicitly `On`).
    ///
    /// With `Auto`, the pod's node decides if it is known; otherwise every
    /// node must be recent enough (no nodes at all: yes). A node whose
    /// version cannot be read counts as too old.
    pub fn resolve(self, nodes: Option<&Nodes>, node_name: &str) -> bool {
        match (self, nodes) {
            (NativeSidecars::On, _) => true,
            (NativeSidecars::Off, _) | (NativeSidecars::Auto, None) => false,
            (NativeSidecars::Auto, Some(nodes)) => {
                if !node_name.is_empty()
                    && let Some(node) = nodes.get(node_name)
                {
                    return node.supports_native_sidecars();
                }
                nodes.all_support_native_sidecars()
            }
        }
    }
}

impl FromStr for NativeSidecars {
    type Err = String;

    /// `true`, `false` or `auto`.
    fn from_str(s: &str) -> Result<NativeSidecars, String> {
        match s {
            "true" => Ok(NativeSidecars::On),
            "false" => Ok(NativeSidecars::Off),
            "auto" => Ok(NativeSidecars::Auto),
            other => Err(format!("{other:?} is not one of true, false, auto")),
        }
    }
}

impl fmt::Display for NativeSidecars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NativeSidecars::On => "true",
            NativeSidecars::Off => "false",
            NativeSidecars::Auto => "auto",
        })
    }
}
