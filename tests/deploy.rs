//! The manifests in deploy/ are what the README says: they parse, the
//! ConfigMap holds exactly the embedded defaults, the webhook
//! registration has the settings, and the Deployment's arguments
//! are accepted by `injit serve`.

use std::path::Path;
use std::process::Command;

use injit_inject::object::yaml_documents;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

fn manifest(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yaml_documents(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn find<'d>(docs: &'d [Value], kind: &str) -> &'d Value {
    docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn the_configmap_holds_the_embedded_defaults() {
    let docs = manifest("configmap.yaml");
    let data = &find(&docs, "ConfigMap")["data"];
    for (key, file) in [("config", "config.yaml"), ("values", "values.json"), ("mesh", "mesh.yaml")] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inject/defaults").join(file);
        let expected = std::fs::read_to_string(path).unwrap();
        assert_eq!(data[key].as_str(), Some(expected.as_str()), "{key}: run deploy/configmap.sh");
    }
}

#[test]
fn the_webhook_registration_matches_the_contract() {
    let docs = manifest("webhook.yaml");
    let config = find(&docs, "MutatingWebhookConfiguration");
    let server = manifest("injit.yaml");
    let service = find(&server, "Service");
    let webhooks = config["webhooks"].as_array().unwrap();
    assert_eq!(webhooks.len(), 2);
    for webhook in webhooks {
        assert_eq!(webhook["failurePolicy"], "Fail");
        assert_eq!(webhook["sideEffects"], "None");
        assert_eq!(webhook["admissionReviewVersions"], json!(["v1", "v1beta1"]));
        assert_eq!(webhook["timeoutSeconds"], 10);
        assert_eq!(webhook["reinvocationPolicy"], "IfNeeded");
        assert_eq!(
            webhook["rules"],
            json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}])
        );
        let target = &webhook["clientConfig"]["service"];
        assert_eq!(target["name"], service["metadata"]["name"]);
        assert_eq!(target["namespace"], service["metadata"]["namespace"]);
        assert_eq!(target["path"], "/inject");
        assert!(service["spec"]["ports"].as_array().unwrap().iter().any(|p| p["port"] == target["port"]));
    }
    assert_eq!(webhooks[0]["namespaceSelector"], json!({"matchLabels": {"istio-injection": "enabled"}}));
    assert_eq!(
        webhooks[0]["objectSelector"],
        json!({"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]})
    );
    assert_eq!(webhooks[1]["objectSelector"], json!({"matchLabels": {"sidecar.istio.io/inject": "true"}}));
}

#[test]
fn the_deployment_runs_injit_serve_with_arguments_it_accepts() {
    let docs = manifest("injit.yaml");
    let deployment = find(&docs, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);
    let pod = &deployment["spec"]["template"];
    assert_eq!(pod["metadata"]["labels"]["sidecar.istio.io/inject"], "false", "the injector is not injected");
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    assert!(container["resources"]["requests"]["cpu"].is_string());
    let args: Vec<&str> = container["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    // The arguments parse; the server stops at the certificate, which
    // only exists in the cluster.
    let output = Command::new(env!("CARGO_BIN_EXE_injit")).args(&args).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the serving certificate: /etc/injit/tls/tls.crt"), "{stderr}");
    let mounts = container["volumeMounts"].as_array().unwrap();
    for arg in &args {
        if let Some(path) = arg.strip_prefix("--tls-cert=").or(arg.strip_prefix("--config-dir=")) {
            assert!(mounts.iter().any(|m| path.starts_with(m["mountPath"].as_str().unwrap())), "{path} is mounted");
        }
    }
}

#[test]
fn injit_certs_fills_the_ca_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/webhook.yaml");
    let output = Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["certs", "--service", "injit-webhook", "--namespace", "istio-system", "--out-dir"])
        .arg(dir.path())
        .arg("--manifest")
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let docs = yaml_documents(&String::from_utf8(output.stdout).unwrap()).unwrap();
    let ca = std::fs::read(dir.path().join("ca.crt")).unwrap();
    for webhook in docs[0]["webhooks"].as_array().unwrap() {
        let bundle = webhook["clientConfig"]["caBundle"].as_str().unwrap();
        assert_eq!(injit_runtime::encoding::base64::decode(bundle.as_bytes()).unwrap(), ca);
    }
    // The serving certificate names the Service's DNS names.
    let cert = std::fs::read_to_string(dir.path().join("tls.crt")).unwrap();
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(der.as_ref()).into_owned();
    for name in ["injit-webhook.istio-system.svc", "injit-webhook.istio-system.svc.cluster.local"] {
        assert!(text.contains(name), "{name} in the certificate");
    }
}

#[test]
fn the_registration_sends_the_pods_istios_default_registration_sends() {
    use injit_inject::check_inject::{Webhooks, check};
    use injit_inject::decision::Rules;
    let ours = Webhooks::from_configurations(&manifest("webhook.yaml")).unwrap();
    let istio = Webhooks::istio_default();
    let rules = Rules::KUBE_INJECT;
    let namespaces: [&[(&str, &str)]; 3] = [&[], &[("istio-injection", "enabled")], &[("istio-injection", "disabled")]];
    let pods: [&[(&str, &str)]; 4] =
        [&[], &[("sidecar.istio.io/inject", "true")], &[("sidecar.istio.io/inject", "false")], &[("app", "a")]];
    for namespace in namespaces {
        for labels in pods {
            let ns: Vec<(String, String)> = namespace.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let pod_labels: serde_json::Map<String, Value> =
                labels.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            let pod = json!({"metadata": {"namespace": "apps", "labels": pod_labels}, "spec": {}});
            let called = |webhooks: &Webhooks| check(webhooks, &ns, &rules, &pod).webhook.is_some();
            assert_eq!(called(&ours), called(&istio), "namespace {namespace:?}, pod {labels:?}");
        }
    }
}
