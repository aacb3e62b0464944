//! Whether the webhook would inject a pod, and which rule decided, as
//! `istioctl x check-inject` answers it: first the webhook registration's
//! selectors (which pods the API server sends at all, from the namespace's
//! and the pod's labels), then the injector's own decision
//! (`decision::explain`, the code the webhook runs).

use serde_json::{Value, json};

use crate::config::Policy;
use crate::decision::{self, Rule, Rules, Source};
use crate::json_pointer::Pointer;
use crate::pod;
use crate::selector;
use crate::status::STATUS_ANNOTATION;

/// One webhook of a `MutatingWebhookConfiguration`.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub name: String,
    pub namespace_selector: Value,
    pub object_selector: Value,
}

/// The webhooks that send pods to the injector.
#[derive(Clone, Debug)]
pub struct Webhooks(pub Vec<Webhook>);

impl Webhooks {
    /// Istio's registration for the default revision (its chart's
    /// `mutatingwebhook.yaml`).
    pub fn istio_default() -> Webhooks {
        Webhooks::istio_revision("")
    }

    /// Istio's registration for control plane revision `revision` (`""`
    /// or `default` for the default one): the `rev.*` webhooks select its
    /// `istio.io/rev` value; only the default revision also answers
    /// `istio-injection=enabled` namespaces and `sidecar.istio.io/inject`
    /// pods (`namespace.*`, `object.*`).
    pub fn istio_revision(revision: &str) -> Webhooks {
        let default = revision.is_empty() || revision == "default";
        let revision = if default { "default" } else { revision };
        // Each selector: (key, operator, values), ANDed.
        type Terms<'t> = &'t [(&'t str, &'t str, &'t [&'t str])];
        let selector = |terms: Terms<'_>| {
            let exprs: Vec<Value> =
                terms.iter().map(|(k, op, v)| json!({"key": k, "operator": op, "values": v})).collect();
            json!({ "matchExpressions": exprs })
        };
        let entry = |name: &str, namespace: Terms<'_>, object: Terms<'_>| Webhook {
            name: name.to_owned(),
            namespace_selector: selector(namespace),
            object_selector: selector(object),
        };
        const INJECT: &str = "sidecar.istio.io/inject";
        let (rev, injection) = ("istio.io/rev", "istio-injection");
        let mut webhooks = vec![
            entry(
                "rev.namespace.sidecar-injector.istio.io",
                &[(rev, "In", &[revision]), (injection, "DoesNotExist", &[])],
                &[(INJECT, "NotIn", &["false"])],
            ),
            entry(
                "rev.object.sidecar-injector.istio.io",
                &[(rev, "DoesNotExist", &[]), (injection, "DoesNotExist", &[])],
                &[(INJECT, "NotIn", &["false"]), (rev, "In", &[revision])],
            ),
        ];
        if !default {
            return Webhooks(webhooks);
        }
        webhooks.extend([
            entry(
                "namespace.sidecar-injector.istio.io",
                &[(injection, "In", &["enabled"])],
                &[(INJECT, "NotIn", &["false"])],
            ),
            entry(
                "object.sidecar-injector.istio.io",
                &[(injection, "DoesNotExist", &[]), (rev, "DoesNotExist", &[])],
                &[(INJECT, "In", &["true"]), (rev, "DoesNotExist", &[])],
            ),
        ]);
        Webhooks(webhooks)
    }

    /// The revision these webhooks serve when they are a non-default
    /// revision's (no `istio-injection=enabled` webhook, and a namespace
    /// selector `istio.io/rev In [REV]`): what a namespace must be
    /// labelled with to reach them.
    fn revision_only(&self) -> Option<&str> {
        if self.0.iter().any(|w| w.name.starts_with("namespace.")) {
            return None;
        }
        self.0.iter().find_map(|w| {
            let exprs = w.namespace_selector.get("matchExpressions")?.as_array()?;
            exprs.iter().find_map(|e| {
                let rev = e.get("key")? == "istio.io/rev" && e.get("operator")? == "In";
                rev.then(|| e.get("values")?.as_array()?.first()?.as_str()).flatten()
            })
        })
    }

    /// The webhooks of `MutatingWebhookConfiguration` objects (pod CREATE
    /// rules only; absent selectors select everything).
    pub fn from_configurations(objects: &[Value]) -> Result<Webhooks, String> {
        let mut out = Vec::new();
        for object in objects.iter().filter(|o| o["kind"] == "MutatingWebhookConfiguration") {
            for webhook in object["webhooks"].as_array().into_iter().flatten() {
                let creates_pods = webhook["rules"].as_array().into_iter().flatten().any(|rule| {
                    let has = |key: &str, want: &str| {
                        rule[key].as_array().into_iter().flatten().any(|v| v == want || v == "*")
                    };
                    has("resources", "pods") && has("operations", "CREATE")
                });
                if !creates_pods {
                    continue;
                }
                out.push(Webhook {
                    name: webhook["name"].as_str().unwrap_or_default().to_owned(),
                    namespace_selector: webhook.get("namespaceSelector").cloned().unwrap_or(json!({})),
                    object_selector: webhook.get("objectSelector").cloned().unwrap_or(json!({})),
                });
            }
        }
        if out.is_empty() {
            return Err("no MutatingWebhookConfiguration with a webhook for pod CREATEs".to_owned());
        }
        Ok(Webhooks(out))
    }
}

/// The answer for one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The webhook that would call the injector, if any.
    pub webhook: Option<String>,
    pub inject: bool,
    /// The injector's rule, when a webhook calls it.
    pub rule: Option<Rule>,
    pub reason: String,
}

/// Whether `pod` (with `metadata.namespace` set), created in a namespace
/// labelled `namespace_labels`, would get a sidecar.
pub fn check(webhooks: &Webhooks, namespace_labels: &[(String, String)], rules: &Rules<'_>, pod: &Value) -> Answer {
    let namespace = pod.at("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
    // The API server labels every namespace with its name.
    let mut ns_labels = namespace_labels.to_vec();
    if !ns_labels.iter().any(|(k, _)| k == "kubernetes.io/metadata.name") {
        ns_labels.push(("kubernetes.io/metadata.name".to_owned(), namespace.to_owned()));
    }
    let pod_labels = pod::labels(pod);
    let namespace_matches: Vec<&Webhook> =
        webhooks.0.iter().filter(|w| selector::matches(&w.namespace_selector, &ns_labels)).collect();
    let Some(webhook) = namespace_matches.iter().find(|w| selector::matches(&w.object_selector, &pod_labels)) else {
        let shown = |labels: &[(String, String)]| {
            let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if pairs.is_empty() { "none".to_owned() } else { pairs.join(",") }
        };
        let user_labels: Vec<(String, String)> =
            namespace_labels.iter().filter(|(k, _)| k != "kubernetes.io/metadata.name").cloned().collect();
        let reason = if namespace_matches.is_empty() {
            format!("no webhook selects namespace {namespace} (labels: {})", shown(&user_labels))
        } else {
            let names: Vec<&str> = namespace_matches.iter().map(|w| w.name.as_str()).collect();
            format!(
                "namespace {namespace} (labels: {}) is selected by {}, but the pod's labels ({}) are outside its objectSelector",
                shown(&user_labels),
                names.join(", "),
                shown(&pod_labels),
            )
        };
        let reason = if pod::label(pod, decision::INJECT) == Some("false") {
            format!("{reason}: the pod opts out with the label {}=false", decision::INJECT)
        } else if let Some(revision) = webhooks.revision_only() {
            format!("{reason}: label the namespace istio.io/rev={revision}, or the pod istio.io/rev={revision}")
        } else {
            format!("{reason}: label the namespace istio-injection=enabled, or the pod {}=true", decision::INJECT)
        };
        return Answer { webhook: None, inject: false, rule: None, reason };
    };
    let verdict = decision::explain(rules, pod);
    let mut reason = match &verdict.rule {
        Rule::HostNetwork => "the pod uses the node's network (hostNetwork: true): never injected".to_owned(),
        Rule::IgnoredNamespace(ns) => format!("namespace {ns} is never injected"),
        Rule::Explicit(source, choice) => format!("{} {}={choice}", source.name(), decision::INJECT),
        Rule::NeverInjectSelector(i) => format!(
            "neverInjectSelector[{i}] {} matches the pod's labels",
            serde_json::to_string(&rules.never_inject[*i]).unwrap_or_default()
        ),
        Rule::AlwaysInjectSelector(i) => format!(
            "alwaysInjectSelector[{i}] {} matches the pod's labels",
            serde_json::to_string(&rules.always_inject[*i]).unwrap_or_default()
        ),
        Rule::Policy(Policy::Enabled) => "policy enabled: pods are injected unless they opt out".to_owned(),
        Rule::Policy(_) => format!("policy disabled: only pods with {}=true are injected", decision::INJECT),
        Rule::InvalidPolicy => {
            "the injector config's policy is neither enabled nor disabled: nothing is injected".to_owned()
        }
    };
    if let Some((source, value)) = &verdict.ignored_value {
        let kind = if *source == Source::Label { "label" } else { "annotation" };
        reason.push_str(&format!(
            "; the {kind} {}={value:?} is neither true nor false and was ignored",
            decision::INJECT
        ));
    }
    if verdict.inject && pod::annotation(pod, STATUS_ANNOTATION).is_some() {
        reason.push_str("; already injected: injecting again gives the same pod");
    }
    Answer { webhook: Some(webhook.name.clone()), inject: verdict.inject, rule: Some(verdict.rule), reason }
}
