//! injit's side of the Kubernetes API, on kube-rs: connecting as kubectl
//! does ([`Cluster::connect`]), the injector's ConfigMaps as `istioctl
//! kube-inject` reads them ([`Cluster::config_texts`]), the ProxyConfigs,
//! Namespace and Nodes the injection depends on ([`Cluster::injection_objects`],
//! or one kind at a time) as the API's JSON, and the
//! webhook's list-and-watch cache of them ([`ClusterCache`]); for
//! `check-inject`, pods, Deployments and the MutatingWebhookConfigurations.
//!
//! Objects stay `serde_json::Value`: the injection core takes plain JSON
//! (and tests feed it the same way), and a typed round trip would drop
//! fields newer than the Kubernetes version this build knows.
#![forbid(unsafe_code)]

mod backoff;
mod config_maps;
mod connect;
mod error;
mod injection_objects;
mod kubeconfig;
mod objects;
mod resources;
mod snapshot;
mod watch;
mod webhook_configurations;
mod workloads;

pub use config_maps::{
    ConfigKey, ConfigMapNames, ConfigText, DEFAULT_INJECTOR_CONFIG_MAP, DEFAULT_ISTIO_NAMESPACE,
    DEFAULT_MESH_CONFIG_MAP,
};
pub use connect::{Cluster, ConnectOptions, Connection};
pub use error::{Endpoint, Error};
pub use injection_objects::InjectionObjects;
pub use objects::ObjectList;
pub use resources::{Access, Resource};
pub use snapshot::{ClusterSnapshot, Objects, SyncStatus, Watched};
pub use watch::{ClusterCache, WatchOptions};
