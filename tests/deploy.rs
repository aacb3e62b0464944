//! The kustomize packages in deploy/ install what the README says: every
//! overlay renders (`kubectl kustomize`) into objects that pass the
//! Kubernetes schemas strictly (`kubernetes-validate --strict`), no
//! webhook is registered without a CA, the namespace is set in one place,
//! the server meets Pod Security "restricted", and `injit certs --renew`
//! keeps the registered caBundle valid.
//!
//! Without `kubectl` or `kubernetes-validate` the tests that need them say
//! so and pass, unless `INJIT_REQUIRE_DEPLOY_TOOLS=1` (set by `.ci/run`,
//! which installs both).

use std::path::{Path, PathBuf};
use std::process::Command;

use injit_inject::object::yaml_documents;
use injit_webhook::certs::{ServingCertificate, verify_chain};
use serde_json::{Value, json};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn manifest(path: &str) -> Vec<Value> {
    let path = repo().join("deploy").join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yaml_documents(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn find<'d>(docs: &'d [Value], kind: &str) -> &'d Value {
    docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

/// Whether `tool` runs here; when it does not, a test that needs it says
/// so and passes, unless CI asked for every tool.
fn have(tool: &str, version_args: &str) -> bool {
    let ran = Command::new(tool).args(version_args.split(' ')).output().is_ok_and(|o| o.status.success());
    if !ran {
        assert!(
            std::env::var_os("INJIT_REQUIRE_DEPLOY_TOOLS").is_none(),
            "{tool} is required (INJIT_REQUIRE_DEPLOY_TOOLS is set)"
        );
        eprintln!("skipped: {tool} is not installed (pip install kubernetes-validate; kubectl from kubernetes.io)");
    }
    ran
}

/// A copy of deploy/ to build in, without certificates of a developer's.
fn deploy_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if entry.file_type().unwrap().is_dir() {
                if name != "certs" {
                    copy(&entry.path(), &to.join(&name));
                }
            } else {
                std::fs::copy(entry.path(), to.join(&name)).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&repo().join("deploy"), &dir.path().join("deploy"));
    dir
}

fn injit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_injit")).args(args).output().unwrap()
}

/// `injit certs` as the overlay's comment says, into `<overlay>/certs`.
fn certs(deploy: &Path, overlay: &str, service: &str, namespace: &str) -> PathBuf {
    let out = deploy.join("overlays").join(overlay).join("certs");
    let out_dir = out.to_str().unwrap();
    let output = injit(&["certs", "--service", service, "--namespace", namespace, "--out-dir", out_dir]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    out
}

fn kustomize(dir: &Path) -> Vec<Value> {
    let output = Command::new("kubectl").arg("kustomize").arg(dir).output().unwrap();
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    yaml_documents(&String::from_utf8(output.stdout).unwrap()).unwrap()
}

/// The objects of `overlay`, built as its comment says.
fn render(deploy: &Path, overlay: &str) -> Vec<Value> {
    match overlay {
        "self-signed" | "istio-config" => {
            certs(deploy, "self-signed", "injit-webhook", "istio-system");
        }
        "revision" => {
            certs(deploy, "revision", "injit-webhook-canary", "istio-system");
        }
        _ => {}
    }
    kustomize(&deploy.join("overlays").join(overlay))
}

/// The objects of `overlay`, from a fresh copy of deploy/; `None` (the
/// test passes, saying why) without kubectl.
fn overlay_objects(overlay: &str) -> Option<Vec<Value>> {
    if !have("kubectl", "version --client") {
        return None;
    }
    let dir = deploy_copy();
    Some(render(&dir.path().join("deploy"), overlay))
}

const OVERLAYS: [&str; 4] = ["self-signed", "cert-manager", "revision", "istio-config"];

/// Runs `kubernetes-validate --strict` on every object whose schema it
/// has (cert-manager's resources are custom ones: checked by shape below).
fn validate_strictly(objects: &[Value], dir: &Path) {
    let mut files = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        if object["apiVersion"].as_str().is_some_and(|v| v.starts_with("cert-manager.io/")) {
            continue;
        }
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, serde_json::to_vec(object).unwrap()).unwrap();
        files.push(path);
    }
    let output = Command::new("kubernetes-validate").args(["--strict", "--quiet"]).args(&files).output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && !report.contains("ERROR"), "{report}");
}

#[test]
fn every_overlay_renders_to_objects_the_schemas_accept() {
    if !have("kubectl", "version --client") || !have("kubernetes-validate", "--version") {
        return;
    }
    for overlay in OVERLAYS {
        let dir = deploy_copy();
        let objects = render(&dir.path().join("deploy"), overlay);
        let scratch = tempfile::tempdir().unwrap();
        validate_strictly(&objects, scratch.path());
        for object in objects.iter().filter(|o| o["apiVersion"].as_str().unwrap().starts_with("cert-manager.io/")) {
            assert!(
                object["spec"]["issuerRef"].is_object()
                    || object["spec"]["selfSigned"].is_object()
                    || object["spec"]["ca"].is_object(),
                "{object}"
            );
        }
    }
}

#[test]
fn no_overlay_registers_a_webhook_without_a_ca() {
    if !have("kubectl", "version --client") {
        return;
    }
    for overlay in OVERLAYS {
        let dir = deploy_copy();
        let objects = render(&dir.path().join("deploy"), overlay);
        let config = find(&objects, "MutatingWebhookConfiguration");
        let injected = config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].as_str();
        for webhook in config["webhooks"].as_array().unwrap() {
            let bundle = webhook["clientConfig"]["caBundle"].as_str().unwrap_or("");
            match injected {
                Some(certificate) => {
                    assert_eq!(bundle, "", "{overlay}: cert-manager fills the caBundle");
                    let namespace = &config["webhooks"][0]["clientConfig"]["service"]["namespace"];
                    assert_eq!(certificate, format!("{}/injit-webhook", namespace.as_str().unwrap()));
                    assert!(
                        objects.iter().any(|o| o["kind"] == "Certificate" && o["metadata"]["name"] == "injit-webhook")
                    );
                }
                None => {
                    let pem = injit_runtime::encoding::base64::decode(bundle.replace('\n', "").as_bytes()).unwrap();
                    assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----"), "{overlay}: a CA in every caBundle");
                }
            }
        }
        // Without its certificates, the self-signed overlay does not build:
        // there is no registration with an empty caBundle to apply.
        if overlay == "self-signed" {
            let certs = dir.path().join("deploy/overlays/self-signed/certs");
            std::fs::remove_dir_all(certs).unwrap();
            let output = Command::new("kubectl")
                .arg("kustomize")
                .arg(dir.path().join("deploy/overlays/self-signed"))
                .output()
                .unwrap();
            assert!(!output.status.success());
        }
    }
    // The base alone registers nothing.
    assert!(kustomize(&repo().join("deploy/base")).iter().all(|o| o["kind"] != "MutatingWebhookConfiguration"));
}

/// Every string of `value` outside ConfigMap data (Istio's own config
/// names istiod's namespace, which is not injit's).
fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn the_namespace_is_set_in_one_place() {
    if !have("kubectl", "version --client") {
        return;
    }
    for overlay in ["self-signed", "cert-manager"] {
        let dir = deploy_copy();
        let deploy = dir.path().join("deploy");
        let kustomization = deploy.join("overlays").join(overlay).join("kustomization.yaml");
        let text = std::fs::read_to_string(&kustomization).unwrap();
        assert_eq!(text.matches("namespace: istio-system").count(), 1, "{overlay}: one namespace line");
        std::fs::write(&kustomization, text.replace("namespace: istio-system", "namespace: mesh")).unwrap();
        if overlay == "self-signed" {
            certs(&deploy, overlay, "injit-webhook", "mesh");
        }
        let objects = kustomize(&deploy.join("overlays").join(overlay));
        for object in &objects {
            if object["kind"] == "ConfigMap" {
                continue;
            }
            let mut found = Vec::new();
            strings(object, &mut found);
            let stale: Vec<_> = found.iter().filter(|s| s.contains("istio-system")).collect();
            assert!(
                stale.is_empty(),
                "{overlay}: {} {} still says {stale:?}",
                object["kind"],
                object["metadata"]["name"]
            );
            let namespaced = !matches!(
                object["kind"].as_str(),
                Some("ClusterRole" | "ClusterRoleBinding" | "MutatingWebhookConfiguration")
            );
            if namespaced {
                assert_eq!(object["metadata"]["namespace"], "mesh", "{overlay}: {}", object["kind"]);
            }
        }
        let binding = find(&objects, "ClusterRoleBinding");
        assert_eq!(binding["subjects"][0]["namespace"], "mesh");
        let config = find(&objects, "MutatingWebhookConfiguration");
        for webhook in config["webhooks"].as_array().unwrap() {
            assert_eq!(webhook["clientConfig"]["service"]["namespace"], "mesh");
        }
    }
}

#[test]
fn the_server_meets_pod_security_restricted() {
    let deployment = &manifest("base/deployment.yaml")[0];
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    assert!(pod["hostNetwork"].is_null() && pod["hostPID"].is_null() && pod["hostIPC"].is_null());
    for volume in pod["volumes"].as_array().unwrap() {
        assert!(volume["secret"].is_object() || volume["configMap"].is_object(), "restricted volume types: {volume}");
    }
    for container in pod["containers"].as_array().unwrap() {
        let security = &container["securityContext"];
        assert_eq!(security["allowPrivilegeEscalation"], false);
        assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
        assert!(security["capabilities"]["add"].is_null());
        assert!(security["privileged"].is_null() || security["privileged"] == false);
        assert_eq!(security["readOnlyRootFilesystem"], true);
        assert!(container["resources"]["limits"]["memory"].is_string());
        assert!(container["ports"].as_array().unwrap().iter().all(|p| p["hostPort"].is_null()));
    }
    assert!(!pod["topologySpreadConstraints"].as_array().unwrap().is_empty());
}

/// The ClusterRole grants exactly the requests the webhook's cluster
/// cache makes: no verb or resource more, none less.
#[test]
fn the_cluster_role_grants_what_the_client_requests_and_nothing_more() {
    use std::collections::BTreeSet;
    let role = manifest("base/rbac.yaml").into_iter().find(|o| o["kind"] == "ClusterRole").unwrap();
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        assert!(rule["resourceNames"].is_null() && rule["nonResourceURLs"].is_null(), "{rule}");
        for group in rule["apiGroups"].as_array().unwrap() {
            for resource in rule["resources"].as_array().unwrap() {
                for verb in rule["verbs"].as_array().unwrap() {
                    granted.insert((group.as_str().unwrap(), resource.as_str().unwrap(), verb.as_str().unwrap()));
                }
            }
        }
    }
    let requested: BTreeSet<(&str, &str, &str)> =
        injit_cluster::ClusterCache::access().iter().map(|a| (a.resource.group, a.resource.plural, a.verb)).collect();
    assert_eq!(granted, requested);
}

#[test]
fn the_configmap_holds_the_embedded_defaults() {
    let docs = manifest("base/configmap.yaml");
    let data = &find(&docs, "ConfigMap")["data"];
    for (key, file) in [("config", "config.yaml"), ("values", "values.json"), ("mesh", "mesh.yaml")] {
        let path = repo().join("inject/defaults").join(file);
        let expected = std::fs::read_to_string(path).unwrap();
        assert_eq!(data[key].as_str(), Some(expected.as_str()), "{key}: run deploy/configmap.sh");
    }
}

#[test]
fn the_webhook_registration_matches_the_contract() {
    let docs = manifest("components/webhook/webhook.yaml");
    let config = find(&docs, "MutatingWebhookConfiguration");
    let service = &manifest("base/service.yaml")[0];
    let webhooks = config["webhooks"].as_array().unwrap();
    let names: Vec<&str> = webhooks.iter().filter_map(|w| w["name"].as_str()).collect();
    assert_eq!(
        names,
        ["rev.namespace", "rev.object", "namespace", "object"].map(|n| format!("{n}.sidecar-injector.injit.dev")),
        "Istio's chart's four, in its order"
    );
    for webhook in webhooks {
        assert_eq!(webhook["failurePolicy"], "Fail");
        assert_eq!(webhook["sideEffects"], "None");
        assert_eq!(webhook["admissionReviewVersions"], json!(["v1", "v1beta1"]));
        assert_eq!(webhook["timeoutSeconds"], 10);
        assert_eq!(webhook["reinvocationPolicy"], "Never", "Istio's chart's default");
        assert_eq!(
            webhook["rules"],
            json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}])
        );
        let target = &webhook["clientConfig"]["service"];
        assert_eq!(target["name"], service["metadata"]["name"]);
        assert_eq!(target["path"], "/inject");
        assert!(service["spec"]["ports"].as_array().unwrap().iter().any(|p| p["port"] == target["port"]));
    }
    assert_eq!(webhooks[2]["namespaceSelector"], json!({"matchLabels": {"istio-injection": "enabled"}}));
    assert_eq!(
        webhooks[2]["objectSelector"],
        json!({"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]})
    );
}

#[test]
fn the_deployment_runs_injit_serve_with_arguments_it_accepts() {
    let deployment = &manifest("base/deployment.yaml")[0];
    assert!(deployment["spec"]["replicas"].is_null(), "the HorizontalPodAutoscaler sets the replicas");
    assert_eq!(manifest("base/hpa.yaml")[0]["spec"]["minReplicas"], 2);
    let pod = &deployment["spec"]["template"];
    assert_eq!(pod["metadata"]["labels"]["sidecar.istio.io/inject"], "false", "the injector is not injected");
    let container = &pod["spec"]["containers"][0];
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    assert!(container["resources"]["requests"]["cpu"].is_string());
    let args: Vec<&str> = container["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    // The arguments parse (the revision overlay's too); the server stops at
    // the certificate, which only exists in the cluster.
    for extra in [None, Some("--revision=canary")] {
        let output = Command::new(env!("CARGO_BIN_EXE_injit")).args(&args).args(extra).output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("the serving certificate: /etc/injit/tls/tls.crt"), "{stderr}");
    }
    let mounts = container["volumeMounts"].as_array().unwrap();
    for arg in &args {
        if let Some(path) = arg.strip_prefix("--tls-cert=").or(arg.strip_prefix("--config-dir=")) {
            assert!(mounts.iter().any(|m| path.starts_with(m["mountPath"].as_str().unwrap())), "{path} is mounted");
        }
    }
}

#[test]
fn the_revision_overlay_names_one_revision_everywhere() {
    let Some(objects) = overlay_objects("revision") else { return };
    let revision = find(&objects, "ConfigMap")["data"]["revision"].as_str().map(str::to_owned);
    let revision = revision.expect("the injit-revision ConfigMap");
    for object in &objects {
        let name = object["metadata"]["name"].as_str().unwrap();
        assert!(name.ends_with(&format!("-{revision}")), "{name}: suffixed with the revision");
    }
    // Its own pods only: a Service or PodDisruptionBudget selecting the
    // default injector's pods too would send it requests its certificate
    // does not serve, and stop drains (two budgets cover one pod).
    let app = format!("injit-webhook-{revision}");
    let deployment = find(&objects, "Deployment");
    assert_eq!(deployment["spec"]["template"]["metadata"]["labels"]["app"], app.as_str());
    let default_pods = &manifest("base/deployment.yaml")[0]["spec"]["template"]["metadata"]["labels"];
    for (kind, selector) in [
        ("Service", &find(&objects, "Service")["spec"]["selector"]),
        ("PodDisruptionBudget", &find(&objects, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"]),
        ("Deployment", &deployment["spec"]["selector"]["matchLabels"]),
        (
            "spread",
            &deployment["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"],
        ),
    ] {
        assert_eq!(selector["app"], app.as_str(), "{kind}: {selector}");
        let selects_default = selector.as_object().unwrap().iter().all(|(k, v)| default_pods[k] == *v);
        assert!(!selects_default, "{kind} selects the default injector's pods: {selector}");
    }
    let args = &find(&objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"];
    assert!(args.as_array().unwrap().contains(&json!(format!("--revision={revision}"))), "{args}");
    // The registration sends the pods Istio's registration of the revision
    // sends.
    use injit_inject::check_inject::{Webhooks, check};
    use injit_inject::decision::Rules;
    let ours = Webhooks::from_configurations(&objects).unwrap();
    let istio = Webhooks::istio_revision(&revision);
    let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
    let rev: &str = &revision;
    let namespaces = [labels(&[]), labels(&[("istio.io/rev", rev)]), labels(&[("istio-injection", "enabled")])];
    let pods: [&[(&str, &str)]; 4] = [
        &[],
        &[("istio.io/rev", rev)],
        &[("sidecar.istio.io/inject", "false"), ("istio.io/rev", rev)],
        &[("app", "a")],
    ];
    for namespace in &namespaces {
        for pod_labels in pods {
            let pod_labels: serde_json::Map<String, Value> =
                pod_labels.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            let pod = json!({"metadata": {"namespace": "apps", "labels": pod_labels}, "spec": {}});
            let called = |webhooks: &Webhooks| check(webhooks, namespace, &Rules::KUBE_INJECT, &pod).webhook.is_some();
            assert_eq!(called(&ours), called(&istio), "namespace {namespace:?}, pod {pod_labels:?}");
        }
    }
}

#[test]
fn the_istio_config_overlay_mounts_istios_configmaps() {
    let Some(objects) = overlay_objects("istio-config") else { return };
    assert!(objects.iter().all(|o| o["kind"] != "ConfigMap"), "injit's defaults are not installed");
    let volumes = &find(&objects, "Deployment")["spec"]["template"]["spec"]["volumes"];
    let config = volumes.as_array().unwrap().iter().find(|v| v["name"] == "config").unwrap();
    let sources = &config["projected"]["sources"];
    assert_eq!(sources[0]["configMap"]["name"], "istio-sidecar-injector");
    assert_eq!(sources[1]["configMap"]["name"], "istio");
    let paths: Vec<&Value> = sources
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["configMap"]["items"].as_array().unwrap())
        .map(|i| &i["path"])
        .collect();
    assert_eq!(paths, [&json!("config"), &json!("values"), &json!("mesh")], "what `serve --config-dir` reads");
}

fn pem_of_bundle(bundle: &str) -> String {
    String::from_utf8(injit_runtime::encoding::base64::decode(bundle.replace('\n', "").as_bytes()).unwrap()).unwrap()
}

#[test]
fn a_renewed_certificate_chains_to_the_registered_ca_bundle() {
    let dir = deploy_copy();
    let deploy = dir.path().join("deploy");
    let out = certs(&deploy, "self-signed", "injit-webhook", "istio-system");
    let out_dir = out.to_str().unwrap();
    let registered =
        if Command::new("kubectl").arg("version").arg("--client").output().is_ok_and(|o| o.status.success()) {
            let objects = kustomize(&deploy.join("overlays/self-signed"));
            pem_of_bundle(
                find(&objects, "MutatingWebhookConfiguration")["webhooks"][0]["clientConfig"]["caBundle"]
                    .as_str()
                    .unwrap(),
            )
        } else {
            std::fs::read_to_string(out.join("ca.crt")).unwrap()
        };
    let ca_key = std::fs::read(out.join("ca.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(out.join("ca.key")).unwrap().permissions().mode() & 0o777, 0o600);
    let mut previous = std::fs::read_to_string(out.join("tls.crt")).unwrap();
    for _ in 0..2 {
        let output = injit(&["certs", "--renew", "--namespace", "istio-system", "--out-dir", out_dir]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let cert = std::fs::read_to_string(out.join("tls.crt")).unwrap();
        assert_ne!(cert, previous, "a new serving certificate");
        assert_eq!(std::fs::read(out.join("ca.key")).unwrap(), ca_key, "the CA is kept");
        let issued =
            ServingCertificate { ca: registered.clone(), ca_key: None, cert: cert.clone(), key: String::new() };
        verify_chain(&issued, "injit-webhook.istio-system.svc")
            .expect("the renewed certificate chains to the caBundle");
        previous = cert;
    }
}

#[test]
fn certs_refuses_to_overwrite_or_to_sign_with_a_key_not_the_cas() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let out_dir = out.to_str().unwrap();
    assert!(injit(&["certs", "--out-dir", out_dir]).status.success());
    let before = std::fs::read(out.join("ca.crt")).unwrap();
    let again = injit(&["certs", "--out-dir", out_dir]);
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists; renew under its CA with --renew"));
    assert_eq!(std::fs::read(out.join("ca.crt")).unwrap(), before, "nothing overwritten");
    let days = injit(&["certs", "--days", "0", "--out-dir", dir.path().join("d").to_str().unwrap()]);
    assert_eq!(days.status.code(), Some(2));
    let renew = injit(&["certs", "--renew", "--out-dir", dir.path().join("none").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&renew.stderr).contains("no CA to renew under"), "{renew:?}");
    // Another CA's key.
    let other = dir.path().join("other");
    assert!(injit(&["certs", "--out-dir", other.to_str().unwrap()]).status.success());
    let (ca, key) = (out.join("ca.crt"), other.join("ca.key"));
    let mixed = dir.path().join("mixed");
    let output = injit(&[
        "certs",
        "--ca-cert",
        ca.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
        "--out-dir",
        mixed.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the CA key does not sign for the CA certificate"));
    assert!(!mixed.exists(), "nothing written");
    // A manifest that cannot be read fails before anything is written.
    let missing = injit(&["certs", "--manifest", "nope.yaml", "--out-dir", dir.path().join("m").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(!dir.path().join("m").exists());
    // A manifest with no caBundle to fill is refused before writing too.
    let bare = dir.path().join("bare.yaml");
    std::fs::write(&bare, "kind: MutatingWebhookConfiguration\n").unwrap();
    let unfilled =
        injit(&["certs", "--manifest", bare.to_str().unwrap(), "--out-dir", dir.path().join("u").to_str().unwrap()]);
    assert_eq!(unfilled.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&unfilled.stderr).contains("no `caBundle:` field to fill"), "{unfilled:?}");
    assert!(!dir.path().join("u").exists(), "nothing written");
}

#[test]
fn injit_certs_fills_the_ca_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = repo().join("deploy/components/webhook/webhook.yaml");
    let with_bundles = dir.path().join("webhook.yaml");
    let text = std::fs::read_to_string(&manifest_path)
        .unwrap()
        .replace("    service:\n", "    caBundle: \"\"\n    service:\n");
    std::fs::write(&with_bundles, text).unwrap();
    let out = dir.path().join("certs");
    let output = injit(&["certs", "--out-dir", out.to_str().unwrap(), "--manifest", with_bundles.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let docs = yaml_documents(&String::from_utf8(output.stdout).unwrap()).unwrap();
    let ca = std::fs::read(out.join("ca.crt")).unwrap();
    for webhook in docs[0]["webhooks"].as_array().unwrap() {
        let bundle = webhook["clientConfig"]["caBundle"].as_str().unwrap();
        assert_eq!(injit_runtime::encoding::base64::decode(bundle.as_bytes()).unwrap(), ca);
    }
    // The serving certificate is valid for the Service's DNS names.
    let issued = ServingCertificate {
        ca: String::from_utf8(ca).unwrap(),
        ca_key: None,
        cert: std::fs::read_to_string(out.join("tls.crt")).unwrap(),
        key: String::new(),
    };
    for name in ["injit-webhook.istio-system.svc", "injit-webhook.istio-system.svc.cluster.local"] {
        verify_chain(&issued, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn the_registration_sends_the_pods_istios_default_registration_sends() {
    use injit_inject::check_inject::{Webhooks, check};
    use injit_inject::decision::Rules;
    let ours = Webhooks::from_configurations(&manifest("components/webhook/webhook.yaml")).unwrap();
    let istio = Webhooks::istio_default();
    let rules = Rules::KUBE_INJECT;
    let namespaces: [&[(&str, &str)]; 5] = [
        &[],
        &[("istio-injection", "enabled")],
        &[("istio-injection", "disabled")],
        &[("istio.io/rev", "default")],
        &[("istio.io/rev", "canary")],
    ];
    let pods: [&[(&str, &str)]; 7] = [
        &[],
        &[("sidecar.istio.io/inject", "true")],
        &[("sidecar.istio.io/inject", "false")],
        &[("app", "a")],
        &[("istio.io/rev", "default")],
        &[("istio.io/rev", "canary")],
        &[("sidecar.istio.io/inject", "true"), ("istio.io/rev", "canary")],
    ];
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
