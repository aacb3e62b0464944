//! What is wrong with a cluster object: which object, which field.

/// An object of the cluster state that cannot be used: its kind, its
/// `namespace/name` (or `name` for cluster-scoped objects), the field and
/// what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {object}: {field}: {problem}")]
pub struct ClusterError {
    /// `ProxyConfig`, `Namespace` or `Node`.
    pub kind: &'static str,
    /// `namespace/name`, or `name` for cluster-scoped objects (`<unnamed>`
    /// when the object has no name).
    pub object: String,
    /// The JSON path of the field, `spec.concurrency`.
    pub field: String,
    pub problem: String,
}
