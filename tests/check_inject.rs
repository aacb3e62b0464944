//! `injit check-inject` against Istio's injection decision table
//! (`injectRequired`; the rows of ../shared/reference §2.2 and the cases
//! `TestInjectRequired` pins), one test per row. The answer comes from
//! `decision::explain`, the code the webhook decides with; each row also
//! checks that the webhook's admission of the same pod agrees: its patch,
//! applied as the API server applies it, adds the sidecar exactly when
//! the row says the pod is injected.

use injit_inject::check_inject::{Webhooks, check};
use injit_inject::config::Policy;
use injit_inject::decision::{Rule, Rules, Source};
use injit_inject::{ConfigSource, Injector, Options, Sources};
use injit_webhook::{Decision, OnError, ReviewRequest, admit};
use serde_json::{Value, json};

const NAMESPACE_ENABLED: &[(&str, &str)] = &[("istio-injection", "enabled")];

fn injector(policy: &str, never: &str, always: &str) -> Injector {
    let defaults =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/inject/defaults/config.yaml")).unwrap();
    let config = defaults
        .replacen("policy: enabled", &format!("policy: {policy}"), 1)
        .replacen("alwaysInjectSelector:\n  []", &format!("alwaysInjectSelector: {always}"), 1)
        .replacen("neverInjectSelector:\n  []", &format!("neverInjectSelector: {never}"), 1);
    let sources = Sources { config: Some(ConfigSource::new("config", config)), ..Sources::default() };
    sources.build(Options::default()).expect("the config builds")
}

const FOO_BAR: &str = "[{matchLabels: {foo: bar}}]";

fn pod(label: Option<&str>, annotation: Option<&str>, labels: Value) -> Value {
    let mut pod = json!({
        "metadata": {"name": "p", "namespace": "apps", "labels": labels, "annotations": {}},
        "spec": {"containers": [{"name": "app", "image": "app"}]}
    });
    if let Some(l) = label {
        pod["metadata"]["labels"]["sidecar.istio.io/inject"] = json!(l);
    }
    if let Some(a) = annotation {
        pod["metadata"]["annotations"]["sidecar.istio.io/inject"] = json!(a);
    }
    pod
}

/// check-inject's answer in a namespace labelled istio-injection=enabled;
/// asserts the webhook's patch agrees (each row then pins the answer to
/// Istio's table, so the webhook is held to it too).
fn answer(injector: &Injector, pod: &Value) -> (bool, Option<Rule>) {
    let rules = Rules::of(injector.config());
    let labels: Vec<(String, String)> = NAMESPACE_ENABLED.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let answer = check(&Webhooks::istio_default(), &labels, &rules, pod);
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u", "kind": {"kind": "Pod"}, "resource": {"resource": "pods"}, "operation": "CREATE",
        "namespace": "apps", "object": pod}});
    let request = ReviewRequest::parse(&serde_json::to_vec(&review).unwrap()).unwrap();
    let (response, decision) = admit(injector, &request, "/inject", OnError::Deny);
    if answer.webhook.is_some() {
        // What the API server would make of the webhook's answer: the pod
        // with its patch applied, holding the sidecar or not.
        assert!(response.allowed, "the webhook allows the pod: {response:?}");
        let mut patched = pod.clone();
        if let Some(patch) = &response.patch {
            let patch: json_patch::Patch = serde_json::from_slice(patch).expect("a JSON patch");
            json_patch::patch(&mut patched, &patch).expect("the patch applies");
        }
        let containers = patched["spec"]["containers"].as_array().into_iter().flatten();
        let sidecar = containers
            .chain(patched["spec"]["initContainers"].as_array().into_iter().flatten())
            .any(|c| c["name"] == "istio-proxy");
        assert_eq!(sidecar, answer.inject, "the webhook's patch injects as check-inject says: {answer:?}");
        // And the webhook records the rule's reason for skipping.
        let recorded = match &answer.rule {
            _ if answer.inject => Decision::Injected,
            Some(Rule::HostNetwork) => Decision::Skipped("host_network"),
            Some(Rule::IgnoredNamespace(_)) => Decision::Skipped("ignored_namespace"),
            Some(Rule::InvalidPolicy) => Decision::Skipped("invalid_policy"),
            _ => Decision::Skipped("disabled"),
        };
        assert_eq!(decision, recorded, "the webhook's decision for {answer:?}");
    }
    (answer.inject, answer.rule)
}

fn row(value: (Option<&str>, Option<&str>), labels: Value, never: &str, always: &str) -> [(bool, Option<Rule>); 3] {
    let pod = pod(value.0, value.1, labels);
    ["enabled", "disabled", "wrong_policy"].map(|policy| answer(&injector(policy, never, always), &pod))
}

#[test]
fn row_true_injects_unless_the_policy_is_invalid() {
    let [enabled, disabled, invalid] = row((None, Some("true")), json!({}), FOO_BAR, "[]");
    assert_eq!(enabled, (true, Some(Rule::Explicit(Source::Annotation, true))));
    assert_eq!(disabled, (true, Some(Rule::Explicit(Source::Annotation, true))));
    assert_eq!(invalid, (false, Some(Rule::InvalidPolicy)));
}

#[test]
fn row_false_never_injects() {
    for (inject, _) in row((None, Some("false")), json!({"foo": "bar"}), "[]", FOO_BAR) {
        assert!(!inject);
    }
    // The label says false: the registration never sends the pod.
    let pod = pod(Some("false"), None, json!({}));
    let injector = injector("enabled", "[]", "[]");
    let config = injector.config();
    let rules = Rules { policy: config.policy, never_inject: &[], always_inject: &[] };
    let labels = vec![("istio-injection".to_owned(), "enabled".to_owned())];
    let answer = check(&Webhooks::istio_default(), &labels, &rules, &pod);
    assert_eq!((answer.webhook, answer.inject), (None, false));
    assert!(answer.reason.contains("opts out"), "{}", answer.reason);
}

#[test]
fn row_default_with_a_matching_never_selector_skips() {
    let [enabled, disabled, invalid] = row((None, None), json!({"foo": "bar"}), FOO_BAR, FOO_BAR);
    assert_eq!(enabled, (false, Some(Rule::NeverInjectSelector(0))), "never wins over always");
    assert_eq!(disabled, (false, Some(Rule::NeverInjectSelector(0))));
    assert_eq!(invalid, (false, Some(Rule::InvalidPolicy)));
}

#[test]
fn row_default_with_a_matching_always_selector_injects() {
    let [enabled, disabled, invalid] = row((None, None), json!({"foo": "bar"}), "[]", FOO_BAR);
    assert_eq!(enabled, (true, Some(Rule::AlwaysInjectSelector(0))));
    assert_eq!(disabled, (true, Some(Rule::AlwaysInjectSelector(0))));
    assert!(!invalid.0);
}

#[test]
fn row_default_without_selectors_follows_the_policy() {
    let [enabled, disabled, invalid] = row((None, None), json!({"app": "a"}), FOO_BAR, FOO_BAR);
    assert_eq!(enabled, (true, Some(Rule::Policy(Policy::Enabled))));
    assert_eq!(disabled, (false, Some(Rule::Policy(Policy::Disabled))));
    assert!(!invalid.0);
    // Values other than true/false count as no value, with a warning.
    let [enabled, disabled, _] = row((None, Some("yes")), json!({}), "[]", "[]");
    assert_eq!(enabled, (true, Some(Rule::Policy(Policy::Enabled))));
    assert!(!disabled.0);
    let [enabled, _, _] = row((Some("random"), None), json!({}), "[]", "[]");
    assert!(enabled.0);
}

#[test]
fn explicit_values_override_selectors_and_the_label_wins() {
    let [enabled, ..] = row((None, Some("true")), json!({"foo": "bar"}), FOO_BAR, "[]");
    assert_eq!(enabled, (true, Some(Rule::Explicit(Source::Annotation, true))));
    let [enabled, disabled, _] = row((None, Some("false")), json!({"foo": "bar"}), "[]", FOO_BAR);
    assert_eq!((enabled.0, disabled.0), (false, false));
    let [enabled, ..] = row((Some("true"), Some("false")), json!({}), "[]", "[]");
    assert_eq!(enabled, (true, Some(Rule::Explicit(Source::Label, true))));
}

#[test]
fn host_network_and_ignored_namespaces_come_first() {
    let injector = injector("enabled", "[]", FOO_BAR);
    let mut host = pod(None, Some("true"), json!({"foo": "bar"}));
    host["spec"]["hostNetwork"] = json!(true);
    assert_eq!(answer(&injector, &host), (false, Some(Rule::HostNetwork)));
    let mut system = pod(Some("true"), None, json!({}));
    system["metadata"]["namespace"] = json!("kube-system");
    // Istio's registration never sends kube-system's pods with the default
    // selectors unless the namespace is labelled; the injector skips them
    // anyway.
    assert_eq!(answer(&injector, &system), (false, Some(Rule::IgnoredNamespace("kube-system".into()))));
}

#[test]
fn the_cli_reports_the_rule_per_pod() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("pods.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: apps, labels: {app: a}}\nspec: {containers: [{name: a, image: a}]}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: apps, annotations: {sidecar.istio.io/inject: \"false\"}}\nspec: {containers: [{name: b, image: b}]}\n",
    )
    .unwrap();
    let run = |labels: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_injit"))
            .args(["check-inject", "-f"])
            .arg(&manifest)
            .args(["--namespace-labels", labels, "--output", "json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let labelled = run("istio-injection=enabled");
    assert_eq!(labelled[0]["injected"], true);
    assert_eq!(labelled[0]["webhook"], "namespace.sidecar-injector.istio.io");
    assert_eq!(labelled[1]["injected"], false);
    assert_eq!(labelled[1]["reason"], "annotation sidecar.istio.io/inject=false");
    let unlabelled = run("");
    assert_eq!(unlabelled[0]["injected"], false);
    assert_eq!(unlabelled[0]["webhook"], Value::Null);
    assert!(unlabelled[0]["reason"].as_str().unwrap().contains("istio-injection=enabled"));
    let disabled = run("istio-injection=disabled");
    assert!(disabled[0]["reason"].as_str().unwrap().starts_with("no webhook selects namespace apps"), "{disabled}");

    // A Namespace in the manifest gives its labels.
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: apps, labels: {istio-injection: enabled}}\n");
    std::fs::write(&manifest, text).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["check-inject", "--output", "json", "-f"])
        .arg(&manifest)
        .output()
        .unwrap();
    let declared: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(declared[0]["injected"], true, "{declared}");
}

#[test]
fn a_revision_is_reached_through_its_own_label() {
    let injector = injector("enabled", "[]", "[]");
    let rules = Rules::of(injector.config());
    let pod = pod(None, None, json!({"app": "a"}));
    let ns = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
    let canary = Webhooks::istio_revision("canary");
    assert!(check(&canary, &ns("istio.io/rev", "canary"), &rules, &pod).inject);
    // istio-injection=enabled and istio.io/rev=default are the default revision's.
    for (k, v) in [("istio-injection", "enabled"), ("istio.io/rev", "default")] {
        let answer = check(&canary, &ns(k, v), &rules, &pod);
        assert!(!answer.inject && answer.webhook.is_none(), "{k}={v}: {answer:?}");
        assert!(answer.reason.contains("label the namespace istio.io/rev=canary"), "{}", answer.reason);
    }
    assert_eq!(Webhooks::istio_revision("default").0.len(), Webhooks::istio_default().0.len());
    assert!(check(&Webhooks::istio_revision(""), &ns("istio-injection", "enabled"), &rules, &pod).inject);
}
