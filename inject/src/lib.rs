//! Sidecar injection as Istio does it: injector configs, the injection
//! decision, template data, merging the rendered sidecar into the pod.
#![forbid(unsafe_code)]

pub mod analyze;
pub mod check_inject;
pub mod cluster;
mod compiled;
pub mod config;
mod config_data;
pub mod deadline;
pub mod decision;
mod embedded;
mod error;
pub mod images;
pub mod injector;
pub mod json_pointer;
mod kept_element;
mod kept_render;
pub mod kube_inject;
pub mod legacy_types;
mod list_items;
pub mod manifest;
pub mod merge;
pub mod object;
pub mod pod;
pub mod pod_validity;
pub mod probes;
pub mod prometheus;
pub mod proxy_config;
pub mod reference_pods;
pub mod rendered_problems;
pub mod selector;
pub mod sources;
pub mod status;
pub mod template_data;
pub mod typed;
pub mod unknown_fields;
pub mod untrusted;
pub mod validate;
pub mod workload;
pub mod yaml;

pub use cluster::{ClusterError, ClusterState, NativeSidecars};
pub use deadline::{Deadline, Expired};
pub use embedded::{ConfigEra, EmbeddedTemplate, EmbeddedTemplates, OffsetMap, find_templates};
pub use error::{Error, ErrorKind, ManifestError, TemplateError};
pub use injector::{Caller, Injector, MAX_TEMPLATES, Options, Outcome, Pipeline, Request};
pub use kept_element::KeptElements;
pub use kube_inject::{Injected, kube_inject, kube_inject_in_cluster, kube_inject_observed};
pub use sources::{ConfigSource, Sources};
pub use workload::Workload;
