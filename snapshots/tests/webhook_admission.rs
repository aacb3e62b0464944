//! The webhook's answer for every Deployment of Istio's test inputs under
//! the default config: the pod the API server would create (a ReplicaSet's
//! pod: `generateName`, an owner reference, `pod-template-hash`), admitted
//! as an AdmissionReview; the JSON Patch, applied with an RFC 6902
//! implementation, must give the pod `kube-inject` gives (which is Istio's
//! golden), and submitting the patched pod again must give an empty patch.

mod common;

use common::istio::{default_injector, default_inputs, read, review};

use injit_inject::typed::Typed;
use injit_inject::{Caller, ConfigSource, Options, Outcome, Sources, Workload, object::yaml_documents};
use injit_webhook::{Decision, OnError, admit};
use serde_json::{Value, json};

/// The pod a ReplicaSet of `deployment` would create.
fn replica_pod(deployment: &Value) -> Value {
    let name = deployment.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("app");
    let template = &deployment["spec"]["template"];
    let mut labels = template.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    labels["pod-template-hash"] = json!("fake");
    let mut metadata = json!({
        "generateName": format!("{name}-fake-"),
        "labels": labels,
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{name}-fake"), "controller": true, "uid": "1"}],
    });
    if let Some(a) = template.pointer("/metadata/annotations") {
        metadata["annotations"] = a.clone();
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"].clone()})
}

fn apply(pod: &Value, patch: &[u8]) -> Value {
    let patch: json_patch::Patch = serde_json::from_slice(patch).expect("a JSON patch");
    let mut doc = pod.clone();
    json_patch::patch(&mut doc, &patch).expect("the patch applies");
    doc
}

fn parts(pod: &Value) -> Value {
    json!({"metadata": pod["metadata"].clone(), "spec": pod["spec"].clone()})
}

#[test]
fn patches_give_kube_injects_pod_and_are_idempotent() {
    let injector = default_injector();
    let dir = common::data_dir().join("istio");
    let mut checked = 0;
    for input in default_inputs() {
        let Ok(docs) = yaml_documents(&read(&dir.join("testdata").join(&input))) else { continue };
        for doc in docs.iter().filter(|d| d["kind"] == "Deployment" && d["apiVersion"] == "apps/v1") {
            let pod = replica_pod(doc);
            let namespace = doc.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
            let (response, decision) = admit(&injector, &review(&pod, namespace), "/inject", OnError::Deny);
            let expected = {
                let mut p = parts(&pod);
                p["metadata"]["namespace"] = json!(namespace);
                let workload = Workload::of_pod(&p);
                let request = injit_inject::Request::new(&workload, &p, Caller::KubeInject);
                match injector.inject(&request) {
                    Ok(Outcome::Injected(pod)) => Some(pod),
                    Ok(Outcome::Skipped(_)) => None,
                    Err(e) => {
                        assert!(!response.allowed, "{input}: kube-inject fails ({e}), the webhook must refuse");
                        continue;
                    }
                }
            };
            let Some(expected) = expected else {
                assert!(
                    matches!(decision, Decision::Skipped(_)),
                    "{input}: skipped by kube-inject, {decision:?} by the webhook"
                );
                assert!(response.patch.is_none());
                continue;
            };
            assert_eq!(decision, Decision::Injected, "{input}: {:?}", response.message);
            let patched = apply(&pod, response.patch.as_deref().expect("a patch"));
            let mut got = Typed::pod().normalize(&parts(&patched)).expect("the patched pod decodes");
            got["metadata"]["namespace"] = json!(namespace);
            assert_eq!(got, expected, "{input}: the patched pod differs from kube-inject's");
            let (again, decision) = admit(&injector, &review(&patched, namespace), "/inject", OnError::Deny);
            assert_eq!(decision, Decision::Injected, "{input}");
            assert_eq!(again.patch.as_deref(), None, "{input}: re-admitting the patched pod changes it");
            checked += 1;
        }
    }
    assert!(checked >= 48, "only {checked} deployments checked");
}

/// `defaultTemplates`, `aliases` and `injectedAnnotations` are the
/// webhook's: `istioctl kube-inject` renders `sidecar` and adds none.
#[test]
fn webhook_only_config_keys_reach_only_the_webhook() {
    let config = "defaultTemplates: [both]\naliases:\n  both: [sidecar, extra]\ninjectedAnnotations:\n  example.com/injected: \"yes\"\n\
                  templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        image: proxyv2\n\
                  \x20 extra: |\n    metadata:\n      labels:\n        extra: \"1\"\n";
    let sources =
        Sources { config: Some(ConfigSource::new("config.yaml", config.to_owned())), mesh: None, values: None };
    let injector = sources.build(Options::default()).expect("the config builds");
    let pod = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
    let workload = Workload::of_pod(&pod);
    let inject = |caller| {
        let request = injit_inject::Request::new(&workload, &pod, caller);
        match injector.inject(&request).expect("injects") {
            Outcome::Injected(pod) => pod,
            Outcome::Skipped(skip) => panic!("skipped: {skip:?}"),
        }
    };
    let webhook = inject(Caller::Webhook);
    assert_eq!(webhook.pointer("/metadata/labels/extra"), Some(&json!("1")), "{webhook}");
    assert_eq!(webhook.pointer("/metadata/annotations/example.com~1injected"), Some(&json!("yes")), "{webhook}");
    let kube_inject = inject(Caller::KubeInject);
    assert_eq!(kube_inject.pointer("/metadata/labels/extra"), None, "{kube_inject}");
    assert_eq!(kube_inject.pointer("/metadata/annotations/example.com~1injected"), None, "{kube_inject}");
    assert_eq!(kube_inject.pointer("/spec/containers/1/image"), Some(&json!("proxyv2")), "{kube_inject}");
}

/// A pod's `proxy.istio.io/config` is applied to the mesh config by
/// `istioctl kube-inject` (`IntoObject` replaces the mesh config with it),
/// but only to the ProxyConfig by the webhook (`injectPod` keeps the
/// mesh config and merges the annotation into `proxyConfig`): a template
/// reading `.MeshConfig.DefaultConfig` sees the annotation only under
/// kube-inject.
#[test]
fn a_pods_proxy_config_reaches_the_mesh_config_only_under_kube_inject() {
    let config = "templates:\n  sidecar: |\n    metadata:\n      annotations:\n\
                  \x20       mesh: {{ .MeshConfig.DefaultConfig.DiscoveryAddress | quote }}\n\
                  \x20       proxy: {{ .ProxyConfig.DiscoveryAddress | quote }}\n\
                  \x20   spec:\n      containers:\n      - name: istio-proxy\n        image: proxyv2\n";
    let mesh = "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n";
    let sources = Sources {
        config: Some(ConfigSource::new("config.yaml", config.to_owned())),
        mesh: Some(ConfigSource::new("mesh.yaml", mesh.to_owned())),
        values: None,
    };
    let injector = sources.build(Options::default()).expect("the config builds");
    let pod = json!({
        "metadata": {"name": "p", "namespace": "default",
                     "annotations": {"proxy.istio.io/config": "discoveryAddress: istiod-canary.istio-system.svc:15012"}},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    });
    let workload = Workload::of_pod(&pod);
    let inject = |caller| {
        let request = injit_inject::Request::new(&workload, &pod, caller);
        match injector.inject(&request).expect("injects") {
            Outcome::Injected(pod) => pod["metadata"]["annotations"].clone(),
            Outcome::Skipped(skip) => panic!("skipped: {skip:?}"),
        }
    };
    let webhook = inject(Caller::Webhook);
    assert_eq!(webhook["mesh"], "istiod.istio-system.svc:15012", "{webhook}");
    assert_eq!(webhook["proxy"], "istiod-canary.istio-system.svc:15012", "{webhook}");
    let kube_inject = inject(Caller::KubeInject);
    assert_eq!(kube_inject["mesh"], "istiod-canary.istio-system.svc:15012", "{kube_inject}");
    assert_eq!(kube_inject["proxy"], "istiod-canary.istio-system.svc:15012", "{kube_inject}");
}
