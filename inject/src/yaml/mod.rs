//! YAML as Kubernetes tooling reads it (`sigs.k8s.io/yaml` over go-yaml v2).

mod read;

pub use read::{YamlError, document, documents};
