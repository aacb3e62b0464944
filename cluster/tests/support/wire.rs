//! The JSON the Kubernetes API server writes, for the requests injit
//! makes. Shapes and sources (see `../data/README.md`):
//! - lists: `{"kind":"ConfigMapList","apiVersion":"v1","metadata":
//!   {"resourceVersion":"…"},"items":[…]}`; items of built-in kinds carry
//!   no `kind`/`apiVersion`, custom resources' items do (Kubernetes API
//!   concepts, "Collections"; client-go's unstructured lists);
//! - watch events: one JSON object a line, `{"type":"ADDED","object":…}`
//!   with MODIFIED, DELETED, BOOKMARK and ERROR (k8s.io/apimachinery
//!   `metav1.WatchEvent`; API concepts, "Efficient detection of changes"
//!   and "Watch bookmarks");
//! - failures: a `Status` object with `code`, `reason`, `message` and
//!   `details` (API conventions, "Response Status Kind"); the Forbidden
//!   message as k8s.io/apiserver's `forbiddenMessage` words it; an expired
//!   watch version as `metav1.StatusReasonExpired`, 410, "too old resource
//!   version".
#![allow(dead_code)]

use serde_json::{Value, json};

/// A Status failure.
pub fn status(code: u16, reason: &str, message: &str, details: Value) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if !details.is_null() {
        s["details"] = details;
    }
    s
}

/// 404 for a named object: `configmaps "istio" not found`.
pub fn not_found(plural: &str, group: &str, name: &str) -> Value {
    let mut details = json!({"name": name, "kind": plural});
    if !group.is_empty() {
        details["group"] = json!(group);
    }
    let what = if group.is_empty() { plural.to_owned() } else { format!("{plural}.{group}") };
    status(404, "NotFound", &format!("{what} {name:?} not found"), details)
}

/// 404 for a path the server does not serve (a CRD not installed).
pub fn no_such_path() -> Value {
    status(404, "NotFound", "the server could not find the requested resource", json!({}))
}

/// 403 as the API server's authorizer words it.
pub fn forbidden(
    user: &str,
    verb: &str,
    plural: &str,
    group: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Value {
    let what = if group.is_empty() { plural.to_owned() } else { format!("{plural}.{group}") };
    let subject = match name {
        Some(n) => format!("{what} {n:?}"),
        None => what,
    };
    let scope = match namespace {
        Some(ns) => format!("in the namespace {ns:?}"),
        None => "at the cluster scope".to_owned(),
    };
    let message = format!(
        "{subject} is forbidden: User {user:?} cannot {verb} resource {plural:?} in API group {group:?} {scope}"
    );
    let mut details = json!({"kind": plural});
    if let Some(n) = name {
        details["name"] = json!(n);
    }
    if !group.is_empty() {
        details["group"] = json!(group);
    }
    status(403, "Forbidden", &message, details)
}

/// 401 for credentials the server does not accept.
pub fn unauthorized() -> Value {
    status(401, "Unauthorized", "Unauthorized", Value::Null)
}

/// The ERROR event a watch from a compacted version gets.
pub fn expired(asked: u64, oldest: u64) -> Value {
    json!({
        "type": "ERROR",
        "object": status(410, "Expired", &format!("too old resource version: {asked} ({oldest})"), Value::Null),
    })
}

/// A list answer.
pub fn list(kind: &str, api_version: &str, resource_version: u64, items: Vec<Value>) -> Value {
    json!({
        "kind": format!("{kind}List"),
        "apiVersion": api_version,
        "metadata": {"resourceVersion": resource_version.to_string()},
        "items": items,
    })
}

/// A watch event line's object.
pub fn event(kind: &str, object: &Value) -> Value {
    json!({"type": kind, "object": object})
}

/// A BOOKMARK: only the kind and the resourceVersion.
pub fn bookmark(kind: &str, api_version: &str, resource_version: u64) -> Value {
    json!({
        "type": "BOOKMARK",
        "object": {"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": resource_version.to_string()}},
    })
}
