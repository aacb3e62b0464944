//! Whether a pod gets a sidecar (`injectRequired`, Istio's
//! `pkg/kube/inject/inject.go`).

use serde_json::Value;

use crate::config::Policy;
use crate::pod;
use crate::validate::selector_matches;

/// Namespaces whose pods are never injected.
pub const IGNORED_NAMESPACES: [&str; 4] = ["kube-system", "kube-public", "kube-node-lease", "local-path-storage"];

/// The annotation (and label) that opts a pod in or out.
pub const INJECT: &str = "sidecar.istio.io/inject";

/// Why a pod is left alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    HostNetwork,
    IgnoredNamespace(String),
    /// `sidecar.istio.io/inject: "false"`, a never-inject selector, or the
    /// policy's default.
    Disabled,
    /// The config's policy is neither `enabled` nor `disabled`.
    InvalidPolicy,
}

/// The injector's selectors and policy; kube-inject uses `enabled` and no
/// selectors.
#[derive(Clone, Copy)]
pub struct Rules<'c> {
    pub policy: Policy,
    pub never_inject: &'c [Value],
    pub always_inject: &'c [Value],
}

impl Rules<'_> {
    /// What `istioctl kube-inject` applies: the annotation and label only.
    pub const KUBE_INJECT: Rules<'static> = Rules { policy: Policy::Enabled, never_inject: &[], always_inject: &[] };
}

/// Decides for a pod (`{"metadata", "spec"}`); `Ok` means inject.
pub fn decide(rules: &Rules<'_>, pod: &Value) -> Result<(), Skip> {
    if pod.pointer("/spec/hostNetwork").and_then(Value::as_bool) == Some(true) {
        return Err(Skip::HostNetwork);
    }
    let namespace = pod.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    if IGNORED_NAMESPACES.contains(&namespace) {
        return Err(Skip::IgnoredNamespace(namespace.to_owned()));
    }
    // The label wins over the annotation, even when empty.
    let choice = pod::label(pod, INJECT).or_else(|| pod::annotation(pod, INJECT)).unwrap_or_default();
    let mut explicit = match choice {
        "true" => Some(true),
        "false" => Some(false),
        // Empty or anything else: the default applies.
        _ => None,
    };
    if explicit.is_none() {
        let labels = pod::labels(pod);
        if rules.never_inject.iter().any(|s| selector_matches(s, &labels)) {
            explicit = Some(false);
        } else if rules.always_inject.iter().any(|s| selector_matches(s, &labels)) {
            explicit = Some(true);
        }
    }
    let inject = match (rules.policy, explicit) {
        (Policy::Invalid, _) => return Err(Skip::InvalidPolicy),
        (_, Some(choice)) => choice,
        (Policy::Enabled, None) => true,
        (Policy::Disabled, None) => false,
    };
    if inject { Ok(()) } else { Err(Skip::Disabled) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(annotation: Option<&str>, label: Option<&str>, labels: Value) -> Value {
        let mut p = json!({"metadata": {"labels": labels, "annotations": {}}, "spec": {}});
        if let Some(a) = annotation {
            p["metadata"]["annotations"][INJECT] = json!(a);
        }
        if let Some(l) = label {
            p["metadata"]["labels"][INJECT] = json!(l);
        }
        p
    }

    /// Istio's `TestInjectRequired` table.
    #[test]
    fn istios_decision_table() {
        let never = [json!({"matchLabels": {"foo": "bar"}})];
        let always = [json!({"matchLabels": {"foo": "bar"}})];
        let enabled = Rules { policy: Policy::Enabled, never_inject: &[], always_inject: &[] };
        let disabled = Rules { policy: Policy::Disabled, never_inject: &[], always_inject: &[] };
        assert!(decide(&enabled, &pod(Some("yes"), None, json!({}))).is_ok());
        assert!(decide(&disabled, &pod(Some("on"), None, json!({}))).is_err());
        assert!(decide(&enabled, &pod(None, Some("random"), json!({}))).is_ok());
        assert!(decide(&Rules { policy: Policy::Invalid, ..enabled }, &pod(Some("true"), None, json!({}))).is_err());
        let both = Rules { policy: Policy::Disabled, never_inject: &never, always_inject: &always };
        assert_eq!(decide(&both, &pod(None, None, json!({"foo": "bar"}))), Err(Skip::Disabled));
        assert!(
            decide(
                &Rules { policy: Policy::Enabled, never_inject: &never, always_inject: &[] },
                &pod(Some("true"), None, json!({"foo": "bar"}))
            )
            .is_ok()
        );
        assert!(
            decide(
                &Rules { policy: Policy::Enabled, never_inject: &[], always_inject: &always },
                &pod(Some("false"), None, json!({"foo": "bar"}))
            )
            .is_err()
        );
        assert!(decide(&enabled, &pod(Some("true"), Some("false"), json!({}))).is_err(), "the label wins");
        let host = json!({"metadata": {}, "spec": {"hostNetwork": true}});
        assert_eq!(decide(&enabled, &host), Err(Skip::HostNetwork));
        let system = json!({"metadata": {"namespace": "kube-system"}, "spec": {}});
        assert_eq!(decide(&enabled, &system), Err(Skip::IgnoredNamespace("kube-system".into())));
    }
}
