//! The cluster state Istio's injector reads besides its config, as plain
//! data (issue 21): ProxyConfig resources layered into each pod's
//! ProxyConfig, the Namespace's OpenShift UID and group ranges, and the
//! Nodes' kubelet versions for `ENABLE_NATIVE_SIDECARS=auto`.
//!
//! Nothing here talks to the API server. A `ClusterState` is built from
//! the JSON objects the API returns, by whoever reads them (the webhook's
//! watchers, `kube-inject` with a kubeconfig, tests), and handed to each
//! request (`Request::cluster`). Semantics follow Istio at commit
//! 86c9f01fd735fb01d8192f5bcaf0d424afb7f14c (`pilot/pkg/model/proxy_config.go`,
//! `pkg/kube/inject/{webhook,inject,openshift}.go`).

mod error;
mod go_scan;
pub mod kubelet_version;
mod meta;
mod native_sidecars;
pub mod openshift;
mod pod_settings;
mod precedence;
mod proxy_configs;
mod state;

pub use error::ClusterError;
pub use go_scan::ScanError;
pub use native_sidecars::{MIN_KUBELET_MINOR, NativeSidecars};
pub(crate) use pod_settings::PodSettings;
pub use precedence::{as_written, default_proxy_config, merge_with_precedence};
pub use proxy_configs::{MeshProxyConfig, PodMeta, ProxyConfigResource, ProxyConfigs};
pub use state::{ClusterState, Namespace, Node, Nodes};

/// Calls `f` with every four-character string over the characters version
/// and range parsers care about, and a few they must not trip on.
#[cfg(test)]
pub(crate) fn short_strings(mut f: impl FnMut(&str)) {
    let alphabet = ['1', '0', '.', '-', '+', '/', 'v', 'a', '~', ' ', '\r', '\n', 'é', '\u{2000}'];
    let mut text = String::new();
    for a in alphabet {
        for b in alphabet {
            for c in alphabet {
                for d in alphabet {
                    text.clear();
                    text.extend([a, b, c, d]);
                    f(&text);
                }
            }
        }
    }
}
