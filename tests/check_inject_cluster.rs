//! `injit check-inject TARGET` against a live cluster (the fake API server
//! of `cluster/tests/support/`): the pod, or the pod a Deployment would
//! create, its Namespace's labels and every injector registered (Istio's
//! default revision and a `canary` one, as Istio's chart registers them),
//! each decided with its revision's ConfigMaps.

#[path = "../cluster/tests/support/mod.rs"]
mod support;

use std::process::{Command, Output};

use serde_json::{Value, json};
use support::{FakeApi, objects};

/// The two revisions' ConfigMaps (the embedded defaults) and
/// registrations, namespace `shop` labelled `istio.io/rev=canary`, and
/// `default` unlabelled.
fn cluster() -> FakeApi {
    let api = FakeApi::start();
    objects::two_revisions().into_iter().for_each(|o| api.put(o));
    api
}

fn check_inject(api: &FakeApi, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path(), "kind-test");
    Command::new(env!("CARGO_BIN_EXE_injit"))
        .arg("check-inject")
        .args(args)
        .env("KUBECONFIG", &kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("ENABLE_NATIVE_SIDECARS")
        .output()
        .expect("injit runs")
}

fn succeeded(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The table's rows, split on runs of two spaces.
fn table(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| line.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect())
        .collect()
}

#[test]
fn a_deployment_in_a_canary_namespace_is_injected_by_the_canary_only() {
    let api = cluster();
    api.put(objects::deployment("shop", "web", &[]));
    let out = succeeded(&check_inject(&api, &["deploy/web", "-n", "shop"]));
    let rows = table(&out);
    assert_eq!(rows[0], ["WEBHOOK", "REVISION", "INJECTED", "REASON"], "{out}");
    assert_eq!(rows.len(), 3, "{out}");
    assert_eq!(rows[1][..3], ["istio-sidecar-injector", "default", "no"], "{out}");
    assert!(rows[1][3].starts_with("no webhook selects namespace shop (labels: istio.io/rev=canary)"), "{out}");
    assert_eq!(rows[2][..3], ["istio-sidecar-injector-canary", "canary", "yes"], "{out}");
    assert_eq!(
        rows[2][3],
        "policy enabled: pods are injected unless they opt out (via rev.namespace.sidecar-injector.istio.io)"
    );
    // README.md's example: tests/readme.rs runs it.
    let requests = api.requests();
    assert!(requests.contains(&"GET /apis/apps/v1/namespaces/shop/deployments/web".to_owned()), "{requests:?}");
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?"))
    );
    assert!(requests.iter().any(|r| r.ends_with("/configmaps/istio-sidecar-injector-canary")));
}

#[test]
fn a_pod_is_read_with_its_labels() {
    let api = cluster();
    api.put(objects::pod("default", "web-1", &[("sidecar.istio.io/inject", "true")]));
    let out = succeeded(&check_inject(&api, &["pod/web-1", "-n", "default"]));
    let rows = table(&out);
    assert_eq!(rows.len(), 3, "{out}");
    assert_eq!(rows[1][..3], ["istio-sidecar-injector", "default", "yes"], "{out}");
    assert_eq!(rows[1][3], "label sidecar.istio.io/inject=true (via object.sidecar-injector.istio.io)", "{out}");
    assert_eq!(rows[2][..3], ["istio-sidecar-injector-canary", "canary", "no"], "{out}");
    assert!(rows[2][3].ends_with("label the namespace istio.io/rev=canary, or the pod istio.io/rev=canary"), "{out}");
    // A bare name is a pod's; without -n, the context's namespace (none
    // set: `default`).
    assert_eq!(succeeded(&check_inject(&api, &["web-1"])), out);
}

#[test]
fn a_selector_checks_every_matching_pod() {
    let api = cluster();
    api.put(objects::pod("shop", "x-1", &[("app", "x")]));
    api.put(objects::pod("shop", "x-2", &[("app", "x"), ("sidecar.istio.io/inject", "false")]));
    api.put(objects::pod("shop", "y-1", &[("app", "y")]));
    let out = succeeded(&check_inject(&api, &["-l", "app=x", "-n", "shop"]));
    let rows = table(&out);
    assert_eq!(rows[0], ["POD", "WEBHOOK", "REVISION", "INJECTED", "REASON"], "{out}");
    let answers: Vec<[&str; 3]> = rows[1..].iter().map(|r| [r[0].as_str(), r[1].as_str(), r[3].as_str()]).collect();
    assert_eq!(
        answers,
        [
            ["pod/x-1", "istio-sidecar-injector", "no"],
            ["pod/x-1", "istio-sidecar-injector-canary", "yes"],
            ["pod/x-2", "istio-sidecar-injector", "no"],
            ["pod/x-2", "istio-sidecar-injector-canary", "no"],
        ],
        "{out}"
    );
    assert!(rows[4][4].ends_with("the pod opts out with the label sidecar.istio.io/inject=false"), "{out}");
    // The API server filters: the selector is sent.
    let requests = api.requests();
    let listed = requests.iter().find(|r| r.starts_with("GET /api/v1/namespaces/shop/pods?"));
    assert!(listed.is_some_and(|r| r.contains("labelSelector=app%3Dx")), "{requests:?}");
}

#[test]
fn json_gives_each_registrations_answer() {
    let api = cluster();
    api.put(objects::deployment("shop", "web", &[]));
    let out = succeeded(&check_inject(&api, &["deployment/web", "-n", "shop", "-o", "json"]));
    let answers: Value = serde_json::from_str(&out).expect("JSON");
    let reason = "policy enabled: pods are injected unless they opt out";
    assert_eq!(
        answers[1],
        json!({
            "pod": "deployment/web",
            "webhook": "istio-sidecar-injector-canary",
            "revision": "canary",
            "injected": true,
            "reason": reason,
            "matchedWebhook": "rev.namespace.sidecar-injector.istio.io",
        })
    );
    assert_eq!(answers[0]["webhook"], "istio-sidecar-injector");
    assert_eq!(answers[0]["injected"], false);
    assert_eq!(answers[0]["matchedWebhook"], Value::Null);
    assert_eq!(answers.as_array().unwrap().len(), 2);
}

#[test]
fn a_missing_deployment_says_which_and_where() {
    let api = cluster();
    let out = check_inject(&api, &["deploy/nope", "-n", "shop"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, "error: context \"kind-test\": deployment shop/nope not found (-n names the namespace)\n");
}

#[test]
fn a_file_and_a_target_are_exclusive() {
    let api = cluster();
    let out = check_inject(&api, &["deploy/web", "-f", "examples/app.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    assert!(api.requests().is_empty());
}

/// injit's own registration (`deploy/components/webhook/webhook.yaml`) is
/// an injector too, decided with its own ConfigMap; a
/// MutatingWebhookConfiguration of another kind of webhook is not.
#[test]
fn injits_registration_is_checked_and_other_webhooks_are_not() {
    let api = cluster();
    let deployed = |path: &str| {
        let path = format!("{}/deploy/{path}", env!("CARGO_MANIFEST_DIR"));
        injit_inject::object::yaml_documents(&std::fs::read_to_string(path).unwrap()).unwrap().remove(0)
    };
    api.put(deployed("components/webhook/webhook.yaml"));
    // Its configuration, where kustomize puts it (the overlays' namespace).
    let mut config_map = deployed("base/configmap.yaml");
    config_map["metadata"]["namespace"] = json!("istio-system");
    api.put(config_map);
    let mut other = objects::istio_webhook_configuration("default");
    other["metadata"]["name"] = json!("pod-defaults");
    other["webhooks"].as_array_mut().unwrap().truncate(1);
    other["webhooks"][0]["name"] = json!("defaults.example.com");
    api.put(other);
    api.put(objects::labelled_namespace("apps", &[("istio-injection", "enabled")]));
    api.put(objects::deployment("apps", "web", &[]));
    let out = succeeded(&check_inject(&api, &["deploy/web", "-n", "apps"]));
    let rows: Vec<Vec<String>> = table(&out).into_iter().skip(1).map(|r| r[..3].to_vec()).collect();
    assert_eq!(
        rows,
        [
            ["injit-sidecar-injector", "default", "yes"],
            ["istio-sidecar-injector", "default", "yes"],
            ["istio-sidecar-injector-canary", "canary", "no"],
        ],
        "{out}"
    );
    assert!(out.contains("(via namespace.sidecar-injector.injit.dev)"), "{out}");
    let requests = api.requests();
    assert!(requests.contains(&"GET /api/v1/namespaces/istio-system/configmaps/injit-sidecar-injector".to_owned()));
}

/// Without -n, the kubeconfig context's namespace.
#[test]
fn the_contexts_namespace_is_the_default() {
    let api = cluster();
    api.put(objects::deployment("shop", "web", &[]));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path(), "kind-test");
    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    let with_namespace = text.replacen("    user: tester\n", "    user: tester\n    namespace: shop\n", 1);
    assert_ne!(text, with_namespace);
    std::fs::write(&kubeconfig, with_namespace).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["check-inject", "deploy/web", "--kubeconfig"])
        .arg(&kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert!(succeeded(&out).contains("istio-sidecar-injector-canary  canary    yes"));
    assert!(api.requests().contains(&"GET /apis/apps/v1/namespaces/shop/deployments/web".to_owned()));
}

#[test]
fn a_forbidden_list_names_the_verb_and_resource() {
    let api = cluster();
    api.put(objects::pod("shop", "web-1", &[]));
    api.forbid("mutatingwebhookconfigurations");
    let out = check_inject(&api, &["web-1", "-n", "shop"]);
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: context \"kind-test\": forbidden: the credentials may not list \
             mutatingwebhookconfigurations.admissionregistration.k8s.io (grant RBAC verb \"list\" on \
             \"mutatingwebhookconfigurations.admissionregistration.k8s.io\")"
        ),
        "{stderr}"
    );
}
