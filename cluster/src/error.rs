//! Why talking to the cluster failed, with what a person needs to fix it:
//! the kubeconfig context and API server, and for refusals the RBAC verb
//! and resource. Each `Display` is one line.

use std::path::PathBuf;
use std::sync::Arc;

use kube::core::Status;

use crate::resources::Access;

/// Which cluster a request went to, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The kubeconfig context's name, or `in-cluster`.
    pub context: String,
    /// The API server's URL.
    pub server: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A kubeconfig file that cannot be read or parsed.
    #[error("kubeconfig {}: {source}", .path.display())]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The kubeconfig has no such context, no current context, or a
    /// context that cannot be used (no server URL, unreadable certificates).
    #[error("kubeconfig {files}: {why}")]
    Context { files: String, why: String },
    /// In a pod, but its service account cannot be read.
    #[error("in-cluster config: {0}")]
    InCluster(#[source] kube::config::InClusterError),
    /// The client cannot be built from the configuration (TLS, auth).
    #[error("context {:?}: cannot use {}: {source}", .endpoint.context, .endpoint.server)]
    Client {
        endpoint: Arc<Endpoint>,
        #[source]
        source: kube::Error,
    },
    /// The kubeconfig's credentials could not be obtained (an exec plugin
    /// or token file failed).
    #[error("context {:?}: cannot get credentials for {}: {cause}", .endpoint.context, .endpoint.server)]
    Credentials { endpoint: Arc<Endpoint>, cause: String },
    /// No answer: connection refused or reset, timeout, TLS failure.
    #[error("context {:?}: cannot reach the API server {}: {cause}", .endpoint.context, .endpoint.server)]
    Unreachable { endpoint: Arc<Endpoint>, cause: String },
    /// 401: the credentials were not accepted.
    #[error("context {:?}: the API server {} did not accept the credentials (401 Unauthorized): {message}", .endpoint.context, .endpoint.server)]
    Unauthorized { endpoint: Arc<Endpoint>, message: String },
    /// 403: RBAC does not grant `verb` on `resource`.
    #[error("context {:?}: forbidden: the credentials may not {verb} {resource}{scope} (grant RBAC verb {verb:?} on {resource:?}): {message}", .endpoint.context)]
    Forbidden { endpoint: Arc<Endpoint>, verb: String, resource: String, scope: String, message: String },
    /// 404 for an object injit needs.
    #[error("context {:?}: {what} not found", .endpoint.context)]
    NotFound { endpoint: Arc<Endpoint>, what: String },
    /// Any other refusal, as the API server's Status says.
    #[error("context {:?}: {what}: {code} {reason}: {message}", .endpoint.context)]
    Api { endpoint: Arc<Endpoint>, what: String, code: u16, reason: String, message: String },
    /// A 200 answer that is not the JSON expected.
    #[error("context {:?}: {what}: unexpected answer: {why}", .endpoint.context)]
    Decode { endpoint: Arc<Endpoint>, what: String, why: String },
    /// A ConfigMap without the key injit reads.
    #[error("context {:?}: configmap {config_map} has no data.{key}", .endpoint.context)]
    MissingKey { endpoint: Arc<Endpoint>, config_map: String, key: &'static str },
}

impl Error {
    /// The API's HTTP status code, for errors that have one.
    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A request's failure, told with the endpoint and what was asked.
    pub(crate) fn from_request(endpoint: &Arc<Endpoint>, access: &Access, e: kube::Error) -> Error {
        let endpoint = endpoint.clone();
        match e {
            kube::Error::Api(status) => Error::from_status(endpoint, access, &status),
            kube::Error::SerdeError(e) => Error::Decode { endpoint, what: access.target(), why: e.to_string() },
            kube::Error::Auth(e) => Error::credentials(&endpoint, &e),
            other => Error::Unreachable { endpoint, cause: root_cause(&other) },
        }
    }

    /// Credentials that could not be had (kube's `AuthError`).
    pub(crate) fn credentials(endpoint: &Arc<Endpoint>, e: &kube::client::AuthError) -> Error {
        Error::Credentials { endpoint: endpoint.clone(), cause: root_cause(e) }
    }

    /// A `Status` answer: 401, 403 with the verb and resource the message
    /// or details name (the request's own when they name none), 404.
    pub(crate) fn from_status(endpoint: Arc<Endpoint>, access: &Access, status: &Status) -> Error {
        let message = one_line(&status.message);
        match status.code {
            401 => Error::Unauthorized { endpoint, message },
            403 => {
                let details = status.details.as_ref();
                let plural = details.map(|d| d.kind.as_str()).filter(|k| !k.is_empty());
                let group = details.map(|d| d.group.as_str()).filter(|g| !g.is_empty());
                let resource = match (plural, group) {
                    (Some(p), Some(g)) => format!("{p}.{g}"),
                    (Some(p), None) => p.to_owned(),
                    _ => access.resource.to_string(),
                };
                let verb = verb_in(&status.message).unwrap_or(access.verb).to_owned();
                let scope = match &access.namespace {
                    Some(ns) if access.resource.namespaced => format!(" in namespace {ns:?}"),
                    _ if access.resource.namespaced => " in all namespaces".to_owned(),
                    _ => String::new(),
                };
                Error::Forbidden { endpoint, verb, resource, scope, message }
            }
            404 => Error::NotFound { endpoint, what: access.target() },
            code => Error::Api { endpoint, what: access.target(), code, reason: status.reason.clone(), message },
        }
    }
}

/// The verb of the API server's Forbidden message: `... cannot get
/// resource "configmaps" ...` (apiserver's `forbiddenMessage`).
fn verb_in(message: &str) -> Option<&str> {
    let rest = &message[message.find(" cannot ")? + " cannot ".len()..];
    let verb = rest.split(' ').next()?;
    (rest[verb.len()..].starts_with(" resource") || rest[verb.len()..].starts_with(" path")).then_some(verb)
}

/// The innermost error's text: `Connection refused (os error 111)` rather
/// than hyper's `client error (Connect)`.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    let text = one_line(&last.to_string());
    match text.as_str() {
        // hyper-timeout's connect deadline has no text of its own.
        "" | "deadline has elapsed" => "connection timed out".to_owned(),
        _ => text,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verb_comes_from_the_message() {
        let m = r#"configmaps "istio" is forbidden: User "dev" cannot get resource "configmaps" in API group "" in the namespace "istio-system""#;
        assert_eq!(verb_in(m), Some("get"));
        assert_eq!(verb_in("forbidden"), None);
    }
}
