//! Whether a pod gets a sidecar (`injectRequired`, Istio's
//! `pkg/kube/inject/inject.go`).

use serde_json::Value;

use crate::config::{InjectorConfig, Policy};
use crate::json_pointer::Pointer;
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

impl<'c> Rules<'c> {
    /// What the webhook applies: the config's policy and selectors.
    pub fn of(config: &'c InjectorConfig) -> Rules<'c> {
        Rules {
            policy: config.policy,
            never_inject: &config.never_inject_selector,
            always_inject: &config.always_inject_selector,
        }
    }
}

/// Where a pod's choice came from: `sidecar.istio.io/inject` as a label
/// (which wins) or as an annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Label,
    Annotation,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Label => "label",
            Source::Annotation => "annotation",
        }
    }
}

/// The rule that decided, in the order Istio's `injectRequired` tries
/// them (what `istioctl x check-inject` reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    HostNetwork,
    IgnoredNamespace(String),
    /// `sidecar.istio.io/inject` is `true` or `false`.
    Explicit(Source, bool),
    /// The n-th `neverInjectSelector` matches the pod's labels.
    NeverInjectSelector(usize),
    /// The n-th `alwaysInjectSelector` matches.
    AlwaysInjectSelector(usize),
    /// Nothing chose: the policy's default.
    Policy(Policy),
    /// The config's policy is neither `enabled` nor `disabled`: nothing is
    /// injected.
    InvalidPolicy,
}

/// The decision with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub inject: bool,
    pub rule: Rule,
    /// A `sidecar.istio.io/inject` value other than `true`/`false`, which
    /// Istio ignores with a warning.
    pub ignored_value: Option<(Source, String)>,
}

impl Verdict {
    /// Why the pod is skipped, if it is.
    pub fn skip(&self) -> Option<Skip> {
        if self.inject {
            return None;
        }
        Some(match &self.rule {
            Rule::HostNetwork => Skip::HostNetwork,
            Rule::IgnoredNamespace(ns) => Skip::IgnoredNamespace(ns.clone()),
            Rule::InvalidPolicy => Skip::InvalidPolicy,
            _ => Skip::Disabled,
        })
    }
}

/// The pod's own `sidecar.istio.io/inject` value and where it is set:
/// the label wins over the annotation.
pub fn own_choice(pod: &Value) -> Option<(Source, &str)> {
    match pod::label(pod, INJECT) {
        Some(v) => Some((Source::Label, v)),
        None => pod::annotation(pod, INJECT).map(|v| (Source::Annotation, v)),
    }
}

/// Whether the pod opts out of injection itself (`"false"`; other values
/// than `"true"` are ignored, as Istio ignores them).
pub fn opts_out(pod: &Value) -> bool {
    matches!(own_choice(pod), Some((_, "false")))
}

/// Istio's `injectRequired`, with the rule that decided.
pub fn explain(rules: &Rules<'_>, pod: &Value) -> Verdict {
    let verdict = |inject, rule| Verdict { inject, rule, ignored_value: None };
    if pod.at("/spec/hostNetwork").and_then(Value::as_bool) == Some(true) {
        return verdict(false, Rule::HostNetwork);
    }
    let namespace = pod.at("/metadata/namespace").and_then(Value::as_str).unwrap_or_default();
    if IGNORED_NAMESPACES.contains(&namespace) {
        return verdict(false, Rule::IgnoredNamespace(namespace.to_owned()));
    }
    let choice = own_choice(pod);
    let mut ignored_value = None;
    let mut decided = match choice {
        Some((source, "true")) => Some((true, Rule::Explicit(source, true))),
        Some((source, "false")) => Some((false, Rule::Explicit(source, false))),
        Some((source, other)) if !other.is_empty() => {
            ignored_value = Some((source, other.to_owned()));
            None
        }
        _ => None,
    };
    if decided.is_none() {
        let labels = pod::labels(pod);
        if let Some(i) = rules.never_inject.iter().position(|s| selector_matches(s, &labels)) {
            decided = Some((false, Rule::NeverInjectSelector(i)));
        } else if let Some(i) = rules.always_inject.iter().position(|s| selector_matches(s, &labels)) {
            decided = Some((true, Rule::AlwaysInjectSelector(i)));
        }
    }
    let (inject, rule) = match (rules.policy, decided) {
        (Policy::Invalid, _) => (false, Rule::InvalidPolicy),
        (_, Some(decided)) => decided,
        (Policy::Enabled, None) => (true, Rule::Policy(Policy::Enabled)),
        (Policy::Disabled, None) => (false, Rule::Policy(Policy::Disabled)),
    };
    Verdict { inject, rule, ignored_value }
}

/// Whether to inject: `Ok` to inject, else why not.
pub fn decide(rules: &Rules<'_>, pod: &Value) -> Result<(), Skip> {
    match explain(rules, pod).skip() {
        None => Ok(()),
        Some(skip) => Err(skip),
    }
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
