//! One admission request: decide, inject, and answer with the JSON Patch
//! that turns the pod as received into the injected pod.
//!
//! The injector works on the pod as Go types see it (Istio decodes it into
//! `corev1.Pod`), but the patch must not drop what those types do not
//! know: the changes injection made are computed between the typed views,
//! carried over to the pod as received (making parents as needed), and
//! the patch is the difference between the received pod and that.

use serde_json::{Map, Value};

use injit_inject::decision::{Rules, Skip};
use injit_inject::typed::Typed;
use injit_inject::{Caller, Injector, Outcome, Request as InjectRequest, Workload};

use crate::patch;
use crate::review::{Request, Response};

/// What to do when injection fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Refuse the pod (Istio's behaviour): it must not run without its
    /// sidecar.
    #[default]
    Deny,
    /// Let the pod through unchanged, with a warning.
    Allow,
}

impl OnError {
    /// The answer to a pod whose sidecar could not be injected.
    pub fn answer(self, message: String) -> Response {
        match self {
            OnError::Deny => Response::deny(message),
            OnError::Allow => {
                let mut response = Response::allow();
                response.warnings.push(format!("injit: the sidecar was not injected: {message}"));
                response
            }
        }
    }
}

/// What happened to a request, for metrics and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Not a pod being created: allowed untouched.
    Ignored,
    Skipped(&'static str),
    Injected,
    /// Injection failed (the reason's kind, for a metric label).
    Failed(&'static str),
}

impl Decision {
    pub fn label(&self) -> &'static str {
        match self {
            Decision::Ignored => "ignored",
            Decision::Skipped(_) => "skipped",
            Decision::Injected => "injected",
            Decision::Failed(_) => "failed",
        }
    }
}

fn skip_reason(skip: &Skip) -> &'static str {
    match skip {
        Skip::HostNetwork => "host_network",
        Skip::IgnoredNamespace(_) => "ignored_namespace",
        Skip::Disabled => "disabled",
        Skip::InvalidPolicy => "invalid_policy",
    }
}

/// Answers `request` (its URL path gives proxy environment overrides).
pub fn admit(injector: &Injector, request: &Request, path: &str, on_error: OnError) -> (Response, Decision) {
    if !request.is_pod_create() {
        return (Response::allow(), Decision::Ignored);
    }
    // Only error messages name the pod.
    let name = || format!("{}/{}", request.namespace, request.pod_name());
    let fail = |kind: &'static str, message: String| (on_error.answer(message), Decision::Failed(kind));
    let Some(Value::Object(object)) = &request.object else {
        return fail("invalid_pod", "request.object is not a Pod object".to_owned());
    };
    let mut parts = Map::new();
    parts.insert(
        "metadata".to_owned(),
        object.get("metadata").cloned().filter(Value::is_object).unwrap_or_else(|| Value::Object(Map::new())),
    );
    parts.insert(
        "spec".to_owned(),
        object.get("spec").cloned().filter(Value::is_object).unwrap_or_else(|| Value::Object(Map::new())),
    );
    let mut received = Value::Object(parts);
    if let Some(meta) = received.get_mut("metadata").and_then(Value::as_object_mut) {
        // Large, and no input to injection.
        meta.remove("managedFields");
        if meta.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty) && !request.namespace.is_empty() {
            meta.insert("namespace".to_owned(), Value::String(request.namespace.clone()));
        }
    }
    let typed = match Typed::pod().normalize(&received) {
        Ok(t) => t,
        Err(e) => return fail("invalid_pod", format!("pod {}: {e}", name())),
    };
    let rules = Rules::of(injector.config());
    let workload = Workload::of_pod(&received);
    let inject_request = InjectRequest {
        workload: &workload,
        pod: &received,
        rules,
        caller: Caller::Webhook,
        proxy_envs: crate::path_envs::parse(path),
    };
    let injected = match injector.inject(&inject_request) {
        Ok(Outcome::Injected(pod)) => pod,
        Ok(Outcome::Skipped(skip)) => return (Response::allow(), Decision::Skipped(skip_reason(&skip))),
        Err(e) => {
            let kind = match e.kind() {
                injit_inject::ErrorKind::InvalidAnnotation => "invalid_annotation",
                injit_inject::ErrorKind::UntrustedString => "untrusted_string",
                injit_inject::ErrorKind::TemplateExec | injit_inject::ErrorKind::TemplateSyntax => "template",
                injit_inject::ErrorKind::RenderedYaml => "rendered_yaml",
                _ => "invalid_pod",
            };
            return fail(kind, format!("injecting the sidecar into pod {}: {e}", name()));
        }
    };
    let changes = patch::diff(&typed, &injected);
    let mut desired = received.clone();
    patch::apply_lenient(&mut desired, &changes);
    let ops = patch::diff(&received, &desired);
    if ops.is_empty() {
        // Already injected, exactly so.
        return (Response::allow(), Decision::Injected);
    }
    let json = Value::Array(ops.iter().map(patch::Op::to_json).collect());
    let bytes = serde_json::to_vec(&json).expect("a patch serialises");
    (Response { allowed: true, patch: Some(bytes), ..Response::default() }, Decision::Injected)
}
