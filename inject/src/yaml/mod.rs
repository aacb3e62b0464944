//! YAML as Kubernetes tooling reads it (`sigs.k8s.io/yaml` over go-yaml v2).

mod block;
#[cfg(test)]
mod mutations;
mod read;
mod reread;

pub(crate) use block::document as block_document;
pub use read::{YamlError, document, documents, full_documents};
pub use reread::LastRead;
