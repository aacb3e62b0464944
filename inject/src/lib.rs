//! Sidecar injection as Istio does it: injector configs, the injection
//! decision, template data, merging the rendered sidecar into the pod.
#![forbid(unsafe_code)]

pub mod config;
mod embedded;
pub mod merge;
pub mod object;
pub mod validate;
pub mod yaml;

pub use embedded::{ConfigEra, EmbeddedTemplate, EmbeddedTemplates, OffsetMap, find_templates};
