//! `injit serve` end to end: the binary on loopback behind a fresh CA,
//! AdmissionReviews over verified TLS, patches applied with an RFC 6902
//! implementation and compared with what `kube-inject` makes of the pod.

mod common;

use std::path::Path;

use common::{Webhook, apply, review, sleep_pod};
use hyper::StatusCode;
use injit_inject::object::yaml_documents;
use injit_inject::typed::Typed;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

/// A pod as Go's types see it (defaults and all), without what the
/// webhook does not diff.
fn normalized(pod: &Value) -> Value {
    let mut metadata = pod["metadata"].clone();
    if let Some(m) = metadata.as_object_mut() {
        m.remove("managedFields");
    }
    Typed::pod().normalize(&json!({"metadata": metadata, "spec": pod["spec"].clone()})).expect("a pod")
}

/// `injit kube-inject` of the same pod, with the same config.
fn kube_inject(dir: &Path, pod: &Value, config_args: &[&str]) -> Value {
    let input = dir.join("pod.yaml");
    std::fs::write(&input, serde_json::to_string_pretty(pod).unwrap()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["kube-inject", "-f"])
        .arg(&input)
        .args(config_args)
        // No cluster: the developer's kubeconfig must not change the result.
        .env("KUBECONFIG", "/nonexistent/injit-tests/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .expect("kube-inject runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let docs = yaml_documents(&String::from_utf8(output.stdout).unwrap()).expect("YAML");
    normalized(&docs[0])
}

fn defaults(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inject/defaults").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A `--config-dir` holding Istio's defaults with `config` edited.
fn config_dir(dir: &Path, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let config = dir.join("config-dir");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config"), edit(defaults("config.yaml"))).unwrap();
    std::fs::write(config.join("values"), defaults("values.json")).unwrap();
    std::fs::write(config.join("mesh"), defaults("mesh.yaml")).unwrap();
    config
}

fn with_annotation(pod: &Value, key: &str, value: &str) -> Value {
    let mut pod = pod.clone();
    pod["metadata"]["annotations"][key] = json!(value);
    pod
}

fn with_label(pod: &Value, key: &str, value: &str) -> Value {
    let mut pod = pod.clone();
    pod["metadata"]["labels"][key] = json!(value);
    pod
}

fn is_injected(pod: &Value) -> bool {
    let containers = pod["spec"]["containers"].as_array().into_iter().flatten();
    let init = pod["spec"]["initContainers"].as_array().into_iter().flatten();
    containers.chain(init).any(|c| c["name"] == "istio-proxy")
}

/// The server still answers a valid review properly.
async fn still_serves(webhook: &Webhook) {
    let pod = sleep_pod();
    let response = webhook.review("/inject", &review("v1", "after", &pod)).await;
    assert_eq!(response["allowed"], true);
    assert!(is_injected(&apply(&pod, &response)), "the next valid request is injected");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sleep_pod_is_injected_as_kube_inject_does() {
    let webhook = Webhook::start(&[]);
    let pod = sleep_pod();
    let response = webhook.review("/inject", &review("v1", "uid-v1", &pod)).await;
    assert_eq!(response["allowed"], true, "{response}");
    let patched = apply(&pod, &response);
    assert!(is_injected(&patched));
    assert_eq!(normalized(&patched), kube_inject(webhook.dir.path(), &pod, &[]), "the patched pod is kube-inject's");
    assert_eq!(patched["metadata"]["managedFields"], pod["metadata"]["managedFields"], "managedFields untouched");

    // The patched pod, submitted again (reinvocationPolicy: IfNeeded).
    let again = webhook.review("/inject", &review("v1", "uid-again", &patched)).await;
    assert_eq!(again["allowed"], true);
    assert!(again.get("patch").is_none(), "re-injection changes nothing: {again}");

    // A v1beta1 review gets the same patch, in v1beta1.
    let beta = webhook.review("/inject", &review("v1beta1", "uid-beta", &pod)).await;
    assert_eq!(beta["patch"], response["patch"]);

    // A pod kube-inject already injected is re-injected to itself.
    let mut manual = kube_inject(webhook.dir.path(), &pod, &[]);
    manual["metadata"]["managedFields"] = json!(null);
    manual["metadata"].as_object_mut().unwrap().remove("managedFields");
    let reinjected = webhook.review("/inject", &review("v1", "uid-manual", &manual)).await;
    assert_eq!(normalized(&apply(&manual, &reinjected)), normalized(&manual));

    // Keep-alive: several reviews on one HTTP/1.1 connection, and on one
    // HTTP/2 connection.
    let tls = webhook.connect(b"http/1.1").await;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    for i in 0..3 {
        let body = serde_json::to_vec(&review("v1", &format!("keepalive-{i}"), &pod)).unwrap();
        let (status, _) = common::send(&mut sender, "/inject", Some("application/json"), body).await;
        assert_eq!(status, StatusCode::OK);
    }
    let tls = webhook.connect(b"h2").await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(common::h2_executor(), hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    for i in 0..3 {
        let body = serde_json::to_vec(&review("v1", &format!("h2-{i}"), &pod)).unwrap();
        let (status, body) = common::send_h2(&mut sender, "/inject", body).await;
        assert_eq!(status, StatusCode::OK);
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["response"]["patch"], response["patch"]);
    }

    // Istio's metric names, with outcomes.
    assert_eq!(webhook.metric("sidecar_injection_requests_total ").await, 10.0);
    assert_eq!(webhook.metric("sidecar_injection_success_total ").await, 10.0);
    let metrics = webhook.metrics().await;
    assert!(
        metrics.contains("injit_admission_duration_seconds_bucket{le=\"0.00025\",decision=\"injected\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("sidecar_injection_time_seconds_count 10"), "{metrics}");
    // Ten renders: under the default `auto`, not yet hot.
    assert!(metrics.contains("injit_template_backend{template=\"sidecar\",backend=\"eval\"} 1"), "{metrics}");
    // Structured logs name the request.
    let logs = webhook.logs.lock().unwrap().join("\n");
    let line = logs.lines().find(|l| l.contains("uid-v1")).expect("a log line for the review");
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["namespace"], "default");
    assert_eq!(line["pod"], "sleep-5d8c6b7f9-<generated>");
    assert_eq!(line["decision"], "injected");
    assert!(line["duration_us"].as_u64().is_some(), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn skipped_pods_are_allowed_without_a_patch() {
    let webhook = Webhook::start(&[]);
    let pod = sleep_pod();
    let annotated = with_annotation(&pod, "sidecar.istio.io/inject", "false");
    let mut host_network = pod.clone();
    host_network["spec"]["hostNetwork"] = json!(true);
    let mut system = pod.clone();
    system["metadata"]["namespace"] = json!("kube-system");
    for (uid, object) in [("annotated", &annotated), ("host-network", &host_network), ("kube-system", &system)] {
        let response = webhook.review("/inject", &review("v1", uid, object)).await;
        assert_eq!(response["allowed"], true, "{uid}");
        assert!(response.get("patch").is_none(), "{uid}: {response}");
    }
    // Not a pod creation: allowed untouched.
    let mut update = review("v1", "update", &pod);
    update["request"]["operation"] = json!("UPDATE");
    let mut service =
        review("v1", "service", &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}));
    service["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "Service"});
    service["request"]["resource"] = json!({"group": "", "version": "v1", "resource": "services"});
    for r in [update, service] {
        let response = webhook.review("/inject", &r).await;
        assert_eq!(response["allowed"], true);
        assert!(response.get("patch").is_none());
    }
    let metrics = webhook.metrics().await;
    for reason in ["disabled", "host_network", "ignored_namespace"] {
        assert!(metrics.contains(&format!("sidecar_injection_skip_total{{reason=\"{reason}\"}} 1")), "{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_disabled_injects_pods_labelled_true_and_config_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |c| c.replacen("policy: enabled", "policy: disabled", 1));
    let config_arg = config.display().to_string();
    let webhook = Webhook::start_in(dir, &["--config-dir", &config_arg, "--reload-interval", "100ms"]);
    let pod = sleep_pod();
    let labelled = with_label(&pod, "sidecar.istio.io/inject", "true");
    let response = webhook.review("/inject", &review("v1", "labelled", &labelled)).await;
    assert!(is_injected(&apply(&labelled, &response)), "label true injects under policy disabled");
    let config_files =
        ["--injectConfigFile", &format!("{config_arg}/config"), "--valuesFile", &format!("{config_arg}/values")];
    assert_eq!(normalized(&apply(&labelled, &response)), kube_inject(webhook.dir.path(), &labelled, &config_files));
    let response = webhook.review("/inject", &review("v1", "unlabelled", &pod)).await;
    assert!(response.get("patch").is_none(), "policy disabled skips unlabelled pods");

    // An invalid config is rejected; the previous one keeps serving.
    std::fs::write(config.join("config"), "policy: enabled\ntemplates:\n  sidecar: '{{ if }}'\n").unwrap();
    webhook
        .eventually("the invalid config is rejected", async || {
            webhook.metric("injit_reloads_total{kind=\"config\",result=\"rejected\"}").await == 1.0
        })
        .await;
    let response = webhook.review("/inject", &review("v1", "still-disabled", &pod)).await;
    assert!(response.get("patch").is_none(), "the previous config (policy disabled) still serves");
    let logs = webhook.logs.lock().unwrap().join("\n");
    assert!(logs.contains("rejected the new config"), "{logs}");

    // A valid new config is swapped in.
    std::fs::write(config.join("config"), defaults("config.yaml")).unwrap();
    webhook
        .eventually("the new config serves", async || {
            let response = webhook.review("/inject", &review("v1", "reloaded", &pod)).await;
            response.get("patch").is_some()
        })
        .await;
    assert_eq!(webhook.metric("injit_reloads_total{kind=\"config\",result=\"ok\"}").await, 1.0);
}

/// Istio's config, cut off where the sidecar template's volumes begin: it
/// parses and compiles, and would give every pod mounts of volumes it
/// does not have.
fn config_cut_short() -> String {
    let config = defaults("config.yaml");
    let at = config.find("\n      volumes:\n").expect("the sidecar template has volumes");
    config[..at + 1].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_that_makes_invalid_pods_is_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |c| c);
    let config_arg = config.display().to_string();
    let webhook = Webhook::start_in(dir, &["--config-dir", &config_arg, "--reload-interval", "50ms"]);
    std::fs::write(config.join("config"), config_cut_short()).unwrap();
    webhook
        .eventually("the cut config is rejected", async || {
            webhook.metric("injit_reloads_total{kind=\"config\",result=\"rejected\"}").await == 1.0
        })
        .await;
    let logs = webhook.logs.lock().unwrap().join("\n");
    assert!(logs.contains(r#"injecting the reference pod \"plain\" makes an invalid pod"#), "{logs}");
    // The previous config serves on: the sidecar's volumes are there.
    let pod = sleep_pod();
    let injected = apply(&pod, &webhook.review("/inject", &review("v1", "after", &pod)).await);
    let volumes: Vec<&str> =
        injected["spec"]["volumes"].as_array().unwrap().iter().filter_map(|v| v["name"].as_str()).collect();
    assert!(volumes.contains(&"workload-socket"), "{volumes:?}");
    assert_eq!(webhook.metric("injit_reloads_total{kind=\"config\",result=\"ok\"}").await, 0.0);

    // At start, such a config stops the server, saying why.
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |_| config_cut_short());
    let certs = common::issue_certs(dir.path(), "serving");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["serve", "--address", "127.0.0.1", "--port", "0", "--config-dir"])
        .arg(&config)
        .arg("--tls-cert")
        .arg(&certs.cert)
        .arg("--tls-key")
        .arg(&certs.key)
        .output()
        .expect("injit serve runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot start") && stderr.contains("mounts volume \"workload-socket\""), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_content_type_is_415() {
    let webhook = Webhook::start(&[]);
    let body = serde_json::to_vec(&review("v1", "u", &sleep_pod())).unwrap();
    for content_type in [Some("text/plain"), Some("application/yaml"), None] {
        let (status, body) = webhook.post("/inject", content_type, body.clone()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        assert!(String::from_utf8_lossy(&body).contains("application/json"));
    }
    let (status, _) = webhook.post("/inject", Some("application/json; charset=utf-8"), body).await;
    assert_eq!(status, StatusCode::OK);
    still_serves(&webhook).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_body_is_400() {
    let webhook = Webhook::start(&[]);
    let (status, body) = webhook.post("/inject", Some("application/json"), Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(String::from_utf8_lossy(&body), "the request body is empty\n");
    still_serves(&webhook).await;
}

/// POSTs a review body framed by `framing` (a header), written as far as
/// the server lets it (`chunk` `count` times, then `end`) while the
/// answer is read off the connection: the answer's head.
async fn post_body(webhook: &Webhook, framing: &str, chunk: &[u8], count: usize, end: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tls = webhook.connect(b"http/1.1").await;
    let (mut read, mut write) = tokio::io::split(tls);
    let head =
        format!("POST /inject HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n{framing}\r\n\r\n");
    write.write_all(head.as_bytes()).await.unwrap();
    let (chunk, end) = (chunk.to_vec(), end.to_vec());
    let writer = tokio::spawn(async move {
        for _ in 0..count {
            if write.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = write.write_all(&end).await;
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    writer.abort();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_7_mib_body_is_413_without_being_read() {
    let webhook = Webhook::start(&[]);
    let size = 7 << 20;
    let spaces = vec![b' '; 64 << 10];
    let answer = post_body(&webhook, &format!("content-length: {size}"), &spaces, size / spaces.len(), b"").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");

    // A chunked body (no length announced) is cut off at the limit too:
    // 112 chunks of 64 KiB. The answer is read off the connection: the
    // server may close it before the body is through, which a client
    // still sending the body would report as an error, not the response.
    let mut chunk = format!("{:x}\r\n", spaces.len()).into_bytes();
    chunk.extend_from_slice(&spaces);
    chunk.extend_from_slice(b"\r\n");
    let answer = post_body(&webhook, "transfer-encoding: chunked", &chunk, 112, b"0\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    still_serves(&webhook).await;
    assert_eq!(webhook.metric("sidecar_injection_requests_total ").await, 1.0, "refused bodies are no reviews");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_json_and_reviews_without_uid_are_400() {
    let webhook = Webhook::start(&[]);
    let cases: [(&[u8], &str); 4] = [
        (b"{\"apiVersion\": ", "not an admission review: the body is not JSON"),
        (b"[1, 2]", "not an admission review"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, "the review has no request"),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}"#,
            "the request has no uid",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = webhook.post("/inject", Some("application/json"), body.to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
        assert!(String::from_utf8_lossy(&answer).contains(expected), "{}", String::from_utf8_lossy(&answer));
    }
    still_serves(&webhook).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_that_is_not_a_pod_is_refused_by_name() {
    let webhook = Webhook::start(&[]);
    let mut not_an_object = review("v1", "string", &json!("a pod"));
    not_an_object["request"]["namespace"] = json!("default");
    let response = webhook.review("/inject", &not_an_object).await;
    assert_eq!(response["allowed"], false);
    assert!(response["status"]["message"].as_str().unwrap().contains("not a Pod"), "{response}");
    let mut bad_spec = sleep_pod();
    bad_spec["spec"]["containers"] = json!("sleep");
    let response = webhook.review("/inject", &review("v1", "bad-spec", &bad_spec)).await;
    assert_eq!(response["allowed"], false);
    let message = response["status"]["message"].as_str().unwrap();
    assert!(message.contains("sleep-5d8c6b7f9-<generated>") && message.contains("containers"), "{message}");
    // Metadata or spec that is not an object is refused as Go's decoding
    // refuses it, not patched as if it were empty.
    for (field, go_type) in [("metadata", "v1.ObjectMeta"), ("spec", "v1.PodSpec")] {
        let mut pod = sleep_pod();
        pod[field] = json!("x");
        let response = webhook.review("/inject", &review("v1", &format!("string-{field}"), &pod)).await;
        assert_eq!(response["allowed"], false, "{field}: {response}");
        assert!(response.get("patch").is_none());
        let message = response["status"]["message"].as_str().unwrap();
        let go = format!("json: cannot unmarshal string into Go struct field Pod.{field} of type {go_type}");
        assert!(message.contains(&go), "{message}");
    }
    still_serves(&webhook).await;
}

const FAILING_CONFIG: &str = r#"policy: enabled
templates:
  sidecar: |
    spec:
      containers:
      - name: istio-proxy
        image: {{ with index .ObjectMeta.Annotations "example.com/image" }}{{ . }}{{ else }}{{ fail "the proxy image annotation is required" }}{{ end }}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_template_failing_at_run_time_is_denied_by_name_or_allowed_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |_| FAILING_CONFIG.to_owned());
    let config_arg = config.display().to_string();
    let webhook = Webhook::start_in(dir, &["--config-dir", &config_arg]);
    let pod = sleep_pod();
    let response = webhook.review("/inject", &review("v1", "fails", &pod)).await;
    assert_eq!(response["allowed"], false);
    let message = response["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("template \"sidecar\"") && message.contains("inject:4:"),
        "the template and line: {message}"
    );
    assert!(message.contains("the proxy image annotation is required"), "{message}");
    assert!(message.contains("sleep-5d8c6b7f9-<generated>"), "the pod: {message}");
    let fixed = with_annotation(&pod, "example.com/image", "proxy:1.0");
    let response = webhook.review("/inject", &review("v1", "works", &fixed)).await;
    assert_eq!(response["allowed"], true, "{response}");
    assert!(webhook.metrics().await.contains("sidecar_injection_failure_total{reason=\"template\"} 1"));

    // With --on-error allow the pod goes through unmodified, with a warning.
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |_| FAILING_CONFIG.to_owned());
    let config_arg = config.display().to_string();
    let webhook = Webhook::start_in(dir, &["--config-dir", &config_arg, "--on-error", "allow"]);
    let response = webhook.review("/inject", &review("v1", "fails", &pod)).await;
    assert_eq!(response["allowed"], true);
    assert!(response.get("patch").is_none());
    let warning = response["warnings"][0].as_str().unwrap();
    assert!(warning.starts_with("injit: the sidecar was not injected: "), "{warning}");
}

/// What a hostile annotation value must do.
enum Expect {
    /// Refused by Istio's validation of the annotation, for this reason.
    Invalid(&'static str),
    /// Refused, the message starting so (after the pod's name).
    Refused(&'static str),
    /// Injected; these fields (and no others) differ from the pod
    /// injected without the annotation, each set to the prefix followed
    /// by the whole value.
    Sets(&'static [&'static str], &'static str),
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_annotation_values_change_only_their_own_fields_or_are_refused_by_name() {
    use Expect::{Invalid, Refused, Sets};
    // The paths below are a native sidecar's (`auto`, the default, is off
    // without the cluster's nodes).
    let webhook = Webhook::start(&["--native-sidecars", "true"]);
    let pod = sleep_pod();
    let images: &[&str] = &["/spec/initContainers/0/image", "/spec/initContainers/1/image"];
    let hostile = [
        // Not an image reference (no `/`): Istio's template keeps its own.
        ("sidecar.istio.io/proxyImage", "evil\"\n        securityContext: {privileged: true}\n#", Sets(&[], "")),
        ("sidecar.istio.io/proxyImage", "docker.io/istio/proxyv2:1.0\u{1}\u{7}", Sets(images, "")),
        ("sidecar.istio.io/proxyImage", "r.io/evil\"\n        privileged: true\n#", Sets(images, "")),
        (
            "sidecar.istio.io/logLevel",
            "debug\"\n  - --inject\n  - \"",
            Sets(&["/spec/initContainers/1/args/4"], "--proxyLogLevel="),
        ),
        (
            "sidecar.istio.io/componentLogLevel",
            "misc:error'\"\\",
            Sets(&["/spec/initContainers/1/args/5"], "--proxyComponentLogLevel="),
        ),
        (
            "sidecar.istio.io/agentLogLevel",
            "x\r\ny: 1",
            Sets(&["/spec/initContainers/0/args/17", "/spec/initContainers/1/args/6"], "--log_output_level="),
        ),
        (
            "traffic.sidecar.istio.io/excludeOutboundIPRanges",
            "10.0.0.0/8\"\n- \"--evil",
            Invalid("excludeIPRanges invalid: failed parsing cidr"),
        ),
        (
            "status.sidecar.istio.io/port",
            "15020\"\nhostNetwork: true\n#",
            Invalid("excludeInboundPorts invalid: failed parsing port"),
        ),
        (
            "sidecar.istio.io/interceptionMode",
            "REDIRECT\n  privileged: true",
            Invalid("interceptionMode invalid, use REDIRECT,TPROXY,NONE"),
        ),
        ("example.com/unrelated", "\"\n\u{0}'}{][", Sets(&[], "")),
        (
            "proxy.istio.io/config",
            "proxyMetadata:\n  EVIL: \"x\\\"\\n        privileged: true\"\n",
            Refused(
                "proxyMetadata.EVIL in metadata.annotations[\"proxy.istio.io/config\"] = \"x\\\"\\n        privileged: true\": \
                 the value breaks the injection template",
            ),
        ),
        // No CNI in the default config: the annotation is not read.
        ("k8s.v1.cni.cncf.io/networks", "net1'\nprivileged: true\n#", Sets(&[], "")),
    ];
    let benign = webhook.review("/inject", &review("v1", "benign", &pod)).await;
    let benign_pod = apply(&pod, &benign);
    for (i, (key, value, expect)) in hostile.iter().enumerate() {
        let object = with_annotation(&pod, key, value);
        let response = webhook.review("/inject", &review("v1", &format!("hostile-{i}"), &object)).await;
        match expect {
            Invalid(_) | Refused(_) => {
                assert_eq!(response["allowed"], false, "{key}={value:?} is refused: {response}");
                let message = response["status"]["message"].as_str().unwrap();
                let start = match expect {
                    Invalid(why) => format!("invalid value '{value}' for annotation '{key}': {why}"),
                    _ => String::new(),
                };
                let start = if let Refused(start) = expect { start } else { start.as_str() };
                let pod_name = "injecting the sidecar into pod default/sleep-5d8c6b7f9-<generated>: ";
                assert!(message.starts_with(&format!("{pod_name}{start}")), "{key}={value:?}: {message:?}");
            }
            Sets(paths, prefix) => {
                assert_eq!(response["allowed"], true, "{key}={value:?} is injected: {response}");
                // Compared with the pod without the annotation, exactly
                // these fields differ, each holding the whole value.
                let patched = apply(&object, &response);
                let mut without = patched.clone();
                without["metadata"]["annotations"].as_object_mut().unwrap().remove(*key);
                if without["metadata"]["annotations"].as_object().unwrap().is_empty() {
                    without["metadata"].as_object_mut().unwrap().remove("annotations");
                }
                let changes: Vec<Value> =
                    injit_webhook::patch::diff(&benign_pod, &without).iter().map(|op| op.to_json()).collect();
                let expected: Vec<Value> = paths
                    .iter()
                    .map(|path| json!({"op": "replace", "path": path, "value": format!("{prefix}{value}")}))
                    .collect();
                assert_eq!(changes, expected, "{key}={value:?} changes exactly its own fields");
            }
        }
    }
    still_serves(&webhook).await;
}

/// The hardening issue's two routes past the annotation guard, through
/// the server: keys of the `userVolume`/`userVolumeMount` JSON (printed as
/// `- name: "{{ $index }}"`) and an owner reference's apiVersion (printed
/// unquoted into `ISTIO_META_OWNER`). Each is refused, naming the field.
#[tokio::test(flavor = "multi_thread")]
async fn strings_outside_annotation_values_cannot_rewrite_the_sidecar() {
    let webhook = Webhook::start(&[]);
    let pod = sleep_pod();
    let json_key = |key: &str| json!({ key: {"emptyDir": {}} }).to_string();
    let mut attacks = vec![
        (
            with_annotation(&pod, "sidecar.istio.io/userVolume", &json_key(
                "x\"\n    emptyDir: {}\n  hostPID: true\n  serviceAccountName: istiod\n  readinessGates:\n  - name: \"y",
            )),
            "sidecar.istio.io/userVolume",
        ),
        (
            with_annotation(&pod, "sidecar.istio.io/userVolumeMount", &json!({
                "x\"\n          mountPath: /x\n        securityContext:\n          privileged: true\n        y:\n        - name: \"z":
                    {"mountPath": "/m"},
            }).to_string()),
            "sidecar.istio.io/userVolumeMount",
        ),
    ];
    let mut owner = pod.clone();
    owner["metadata"]["ownerReferences"][0]["apiVersion"] =
        json!("apps/v1\n          command: [\"/bin/sh\", \"-c\", \"id\"]\n          env: []\n          x: y");
    attacks.push((owner, "ownerReferences[0].apiVersion"));
    for (i, (object, field)) in attacks.iter().enumerate() {
        let response = webhook.review("/inject", &review("v1", &format!("untrusted-{i}"), object)).await;
        assert_eq!(response["allowed"], false, "{field}: {response}");
        let message = response["status"]["message"].as_str().unwrap();
        assert!(message.contains(field), "the refusal names {field}: {message}");
    }
    still_serves(&webhook).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_deadline_is_answered_before_it() {
    let webhook = Webhook::start(&[]);
    let response = webhook.review("/inject?timeout=1ns", &review("v1", "late", &sleep_pod())).await;
    assert_eq!(response["allowed"], false);
    let message = response["status"]["message"].as_str().unwrap();
    assert_eq!(message, "the sidecar injection did not finish within the request's timeout (queued)", "{response}");
    assert!(webhook.metrics().await.contains("sidecar_injection_failure_total{reason=\"timeout\"} 1"));
    let response = webhook.review("/inject?timeout=10s", &review("v1", "in-time", &sleep_pod())).await;
    assert_eq!(response["allowed"], true);
}

/// A config whose sidecar template takes a while to render: three
/// nested loops of `example.com/loops` turns (none without it).
const SLOW_CONFIG: &str = r#"policy: enabled
templates:
  sidecar: |
    {{- $n := index .ObjectMeta.Annotations "example.com/loops" | atoi }}
    {{- range until $n }}{{ range until $n }}{{ range until $n }}{{ end }}{{ end }}{{ end }}
    spec:
      containers:
      - name: istio-proxy
        image: proxy:1.0
"#;

/// The webhook serving a `--config-dir` of Istio's defaults with `config`
/// edited, with `args`, and that directory.
fn webhook_with_config(edit: impl Fn(String) -> String, args: &[&str]) -> (Webhook, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), edit);
    let config_arg = config.display().to_string();
    (Webhook::start_in(dir, &[&["--config-dir", config_arg.as_str()], args].concat()), config)
}

/// The webhook serving `SLOW_CONFIG` with `args`.
fn slow_webhook(args: &[&str]) -> Webhook {
    webhook_with_config(|_| SLOW_CONFIG.to_owned(), args).0
}

/// A pod whose injection under `SLOW_CONFIG` takes many seconds (it
/// stops at its deadline, between two templates): it asks for the
/// sidecar template as often as a pod may, each render some 27 million
/// turns of a loop.
fn slow_pod() -> Value {
    let templates = vec!["sidecar"; injit_inject::MAX_TEMPLATES].join(",");
    with_annotation(&with_annotation(&sleep_pod(), "inject.istio.io/templates", &templates), "example.com/loops", "300")
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_past_their_timeout_stop_and_give_their_worker_to_the_next_pod() {
    let webhook = std::sync::Arc::new(slow_webhook(&["--workers", "2"]));
    // Many seconds of work, with a timeout of 300 ms.
    let slow = slow_pod();
    let slow: Vec<_> = (0..2)
        .map(|i| {
            let (webhook, slow) = (std::sync::Arc::clone(&webhook), slow.clone());
            tokio::spawn(async move {
                webhook.review("/inject?timeout=300ms", &review("v1", &format!("slow-{i}"), &slow)).await
            })
        })
        .collect();
    // While both workers are taken, a pod with an ordinary timeout: it
    // waits for a worker, which the slow ones give up at their deadline.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let pod = sleep_pod();
    let response = webhook.review("/inject?timeout=3s", &review("v1", "next", &pod)).await;
    assert_eq!(response["allowed"], true, "{response}");
    assert!(is_injected(&apply(&pod, &response)));
    for answer in slow {
        let response = answer.await.unwrap();
        assert_eq!(response["allowed"], false);
        let message = response["status"]["message"].as_str().unwrap();
        assert_eq!(message, "the sidecar injection did not finish within the request's timeout (running)");
    }
    assert!(webhook.metrics().await.contains("sidecar_injection_failure_total{reason=\"timeout\"} 2"));
}

/// With every worker busy past a pod's deadline, the pod is answered at
/// its deadline as still queued (denied, or allowed with a warning under
/// `--on-error allow`), and never injected after nobody waits for it.
#[tokio::test(flavor = "multi_thread")]
async fn a_pod_queued_behind_busy_workers_is_answered_at_its_deadline() {
    for (on_error, allowed) in [("deny", false), ("allow", true)] {
        let webhook = std::sync::Arc::new(slow_webhook(&["--workers", "1", "--on-error", on_error]));
        // Far more work than its 3 s allow on any machine (it stops at its
        // deadline): it holds the only worker longer than the next pod's
        // whole timeout.
        let slow = slow_pod();
        let busy = {
            let webhook = std::sync::Arc::clone(&webhook);
            tokio::spawn(async move { webhook.review("/inject?timeout=3s", &review("v1", "slow", &slow)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let response = webhook.review("/inject?timeout=1s", &review("v1", "queued", &sleep_pod())).await;
        let expected = "the sidecar injection did not finish within the request's timeout (queued)";
        assert_eq!(response["allowed"], allowed, "{on_error}: {response}");
        assert!(response.get("patch").is_none(), "{on_error}: {response}");
        if allowed {
            assert_eq!(response["warnings"], json!([format!("injit: the sidecar was not injected: {expected}")]));
        } else {
            assert_eq!(response["status"]["message"], expected, "{response}");
        }
        // Counted while the slow pod still holds the worker.
        assert!(webhook.metrics().await.contains("sidecar_injection_failure_total{reason=\"timeout\"} 1"));
        assert_eq!(busy.await.unwrap()["uid"], "slow");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_status_annotation_naming_the_app_hides_nothing_and_reinjection_changes_nothing() {
    let webhook = Webhook::start(&[]);
    let plain = sleep_pod();
    let expected = apply(&plain, &webhook.review("/inject", &review("v1", "plain", &plain)).await);
    // The author claims the app's container was injected before.
    let status =
        r#"{"initContainers":null,"containers":["sleep"],"volumes":null,"imagePullSecrets":null,"revision":"default"}"#;
    let pod = with_annotation(&plain, "sidecar.istio.io/status", status);
    let injected = apply(&pod, &webhook.review("/inject", &review("v1", "fake-status", &pod)).await);
    let containers: Vec<&str> =
        injected["spec"]["containers"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(containers.contains(&"sleep"), "the app is kept: {containers:?}");
    assert_eq!(injected["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"], "sleep");
    assert_eq!(normalized(&injected), normalized(&expected), "as if the annotation were not there");
    let again = webhook.review("/inject", &review("v1", "again", &injected)).await;
    assert_eq!(again["allowed"], true);
    assert!(again.get("patch").is_none(), "re-injection changes nothing: {again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_then_finishes_in_flight_requests_and_exits() {
    use http_body_util::BodyExt;
    let mut webhook = Webhook::start(&["--drain-delay", "1s"]);
    still_serves(&webhook).await;
    assert_eq!(webhook.monitoring_get("/ready").await, 200);
    // A review in flight when the signal comes: its head and the first
    // byte of its body sent, the rest held back until the server drains.
    let pod = sleep_pod();
    let body = serde_json::to_vec(&review("v1", "in-flight", &pod)).unwrap();
    let tls = webhook.connect(b"http/1.1").await;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let (send_body, receive_body) = tokio::sync::mpsc::channel(2);
    let request = hyper::Request::post("/inject")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(Channel(receive_body))
        .unwrap();
    let in_flight = tokio::spawn(sender.send_request(request));
    send_body.send(bytes::Bytes::copy_from_slice(&body[..1])).await.unwrap();
    webhook
        .eventually("the review is in flight", async || webhook.metric("injit_requests_in_flight ").await == 1.0)
        .await;
    webhook.signal_term();
    // Draining: readiness fails at once, reviews are still answered.
    webhook.eventually("readiness fails", async || webhook.monitoring_get("/ready").await == 503).await;
    still_serves(&webhook).await;
    // The drain delay over, the server stops taking connections and
    // waits for the review; held back longer than it waits for idle
    // connections to close, the review's body then comes.
    let shutting_down = || webhook.logs.lock().unwrap().iter().any(|l| l.contains("shutting down: no new connections"));
    webhook.eventually("the drain delay ends", async || shutting_down()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(webhook.is_running(), "the server waits for the review in flight");
    // The rest of the body: the review is answered, and injects the pod.
    send_body.send(bytes::Bytes::copy_from_slice(&body[1..])).await.unwrap();
    drop(send_body);
    let response = in_flight.await.unwrap().expect("the review in flight is answered");
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(answer["response"]["uid"], "in-flight", "{answer}");
    assert_eq!(answer["response"]["allowed"], true, "{answer}");
    assert!(is_injected(&apply(&pod, &answer["response"])), "{answer}");
    let status = webhook.wait_exit();
    assert!(status.success(), "{status:?}");
    let logs = webhook.logs.lock().unwrap().join("\n");
    assert!(logs.contains("SIGTERM received") && logs.contains("draining"), "{logs}");
    assert!(logs.contains("every request answered"), "{logs}");
}

/// A request body sent as the test hands it its bytes.
struct Channel(tokio::sync::mpsc::Receiver<bytes::Bytes>);

impl hyper::body::Body for Channel {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_routes() {
    let webhook = Webhook::start(&[]);
    let tcp = tokio::net::TcpStream::connect(webhook.monitoring).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(conn);
    for (path, status) in [("/ready", 200), ("/healthz", 200), ("/inject", 404), ("/nope", 404)] {
        let request = hyper::Request::get(path)
            .header("host", "localhost")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        sender.ready().await.unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let _ = http_body_util::BodyExt::collect(response.into_body()).await;
    }
    let tls = webhook.connect(b"http/1.1").await;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::get("/inject")
        .header("host", "localhost")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    assert_eq!(sender.send_request(request).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_and_config_replaced_under_load_fail_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |c| c);
    let other = common::issue_certs(dir.path(), "other");
    let config_arg = config.display().to_string();
    let mut webhook = Webhook::start_in(dir, &["--config-dir", &config_arg, "--reload-interval", "50ms"]);
    webhook.cas.push(other.ca.clone());
    let webhook = std::sync::Arc::new(webhook);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (webhook, stop) = (std::sync::Arc::clone(&webhook), std::sync::Arc::clone(&stop));
            tokio::spawn(async move {
                let pod = sleep_pod();
                let mut answered = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // A new connection (and handshake) every few requests.
                    let tls = webhook.connect(b"http/1.1").await;
                    let (mut sender, conn) =
                        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.unwrap();
                    tokio::spawn(conn);
                    for i in 0..3 {
                        let body = serde_json::to_vec(&review("v1", &format!("load-{c}-{i}"), &pod)).unwrap();
                        let (status, body) = common::send(&mut sender, "/inject", Some("application/json"), body).await;
                        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
                        let answer: Value = serde_json::from_slice(&body).unwrap();
                        assert!(is_injected(&apply(&pod, &answer["response"])), "{answer}");
                        answered += 1;
                    }
                }
                answered
            })
        })
        .collect();
    // Swap the certificate and the config's image tag back and forth.
    let values = defaults("values.json");
    let tagged = values.replacen("\"tag\": \"", "\"tag\": \"reloaded-", 1);
    assert_ne!(values, tagged);
    let first = (std::fs::read(webhook.path("tls.crt")).unwrap(), std::fs::read(webhook.path("tls.key")).unwrap());
    let second = (std::fs::read(&other.cert).unwrap(), std::fs::read(&other.key).unwrap());
    for round in 0..6 {
        let (cert, key) = if round % 2 == 0 { &second } else { &first };
        std::fs::write(webhook.path("tls.crt.new"), cert).unwrap();
        std::fs::write(webhook.path("tls.key.new"), key).unwrap();
        std::fs::rename(webhook.path("tls.crt.new"), webhook.path("tls.crt")).unwrap();
        std::fs::rename(webhook.path("tls.key.new"), webhook.path("tls.key")).unwrap();
        std::fs::write(config.join("values"), if round % 2 == 0 { &tagged } else { &values }).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // The last swap (round 5) went back to the first pair and values; go
    // to the second once more and check new connections get it.
    std::fs::write(webhook.path("tls.crt"), &second.0).unwrap();
    std::fs::write(webhook.path("tls.key"), &second.1).unwrap();
    std::fs::write(config.join("values"), &tagged).unwrap();
    let expected = CertificateDer::pem_slice_iter(&second.0).next().unwrap().unwrap();
    webhook
        .eventually("new connections get the new certificate", async || {
            let tls = webhook.connect(b"http/1.1").await;
            tls.get_ref().1.peer_certificates().and_then(|c| c.first()).is_some_and(|c| *c == expected)
        })
        .await;
    webhook
        .eventually("the new config serves", async || {
            let response = webhook.review("/inject", &review("v1", "tag", &sleep_pod())).await;
            serde_json::to_string(&apply(&sleep_pod(), &response)).unwrap().contains(":reloaded-")
        })
        .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = 0;
    for client in clients {
        answered += client.await.expect("no failed request");
    }
    assert!(answered > 20, "{answered} requests under load");
    assert!(webhook.metric("injit_reloads_total{kind=\"certificate\",result=\"ok\"}").await >= 3.0);
    assert!(webhook.metric("injit_reloads_total{kind=\"config\",result=\"ok\"}").await >= 3.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn identical_pods_reuse_answers_unless_the_template_is_random() {
    let webhook = Webhook::start(&[]);
    let pod = sleep_pod();
    let first = webhook.review("/inject", &review("v1", "first", &pod)).await;
    let second = webhook.review("/inject", &review("v1", "second", &pod)).await;
    assert_eq!(first["patch"], second["patch"]);
    assert_eq!(webhook.metric("injit_answers_reused_total").await, 1.0);
    // Another namespace or another path is another answer.
    let mut elsewhere = pod.clone();
    elsewhere["metadata"]["namespace"] = json!("other");
    webhook.review("/inject", &review("v1", "elsewhere", &elsewhere)).await;
    let response = webhook.review("/inject/net/network2", &review("v1", "net", &pod)).await;
    assert!(serde_json::to_string(&apply(&pod, &response)).unwrap().contains("network2"));
    assert_eq!(webhook.metric("injit_answers_reused_total").await, 1.0);

    // A template drawing random text gives each pod its own sidecar.
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |_| {
        "policy: enabled\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        image: proxy\n        env:\n        - name: TOKEN\n          value: {{ randAlphaNum 16 | quote }}\n".to_owned()
    });
    let config_arg = config.display().to_string();
    let webhook = Webhook::start_in(dir, &["--config-dir", &config_arg]);
    let first = webhook.review("/inject", &review("v1", "first", &pod)).await;
    let second = webhook.review("/inject", &review("v1", "second", &pod)).await;
    assert_ne!(first["patch"], second["patch"], "random output is not reused");
    assert_eq!(webhook.metric("injit_answers_reused_total").await, 0.0);
}

/// A refusal sent before the body is read (415, 413) reaches an HTTP/2
/// client that, as curl does, gives up on a response when the stream is
/// reset while it is still sending the body: the API server speaks HTTP/2.
#[tokio::test(flavor = "multi_thread")]
async fn early_refusals_reach_http2_clients_still_sending() {
    let webhook = Webhook::start(&[]);
    let mut review = review("v1", "u", &sleep_pod());
    // Larger than the first flow-control window: the body is still being
    // sent when the refusal is ready.
    review["request"]["object"]["metadata"]["annotations"] = json!({"pad": "x".repeat(1 << 20)});
    let review = serde_json::to_vec(&review).unwrap();
    let (status, text) = h2_post_whole(&webhook, "text/plain", review.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(text.contains("application/json"), "{text}");
    let (status, text) = h2_post_whole(&webhook, "application/json", vec![b' '; 7 << 20]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text.contains("larger than"), "{text}");
    still_serves(&webhook).await;
}

/// POSTs `body` over HTTP/2 with the h2 crate, sending all of it before
/// reading the answer and failing if the stream is reset meanwhile.
async fn h2_post_whole(webhook: &Webhook, content_type: &str, body: Vec<u8>) -> (StatusCode, String) {
    let tls = webhook.connect(b"h2").await;
    let (client, conn) = h2::client::handshake(tls).await.expect("an HTTP/2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    let request = hyper::Request::post("https://localhost/inject")
        .header("content-type", content_type)
        .header("content-length", body.len())
        .body(())
        .unwrap();
    let (response, mut stream) = client.send_request(request, false).unwrap();
    let mut rest = bytes::Bytes::from(body);
    while !rest.is_empty() {
        stream.reserve_capacity(rest.len());
        let granted = match std::future::poll_fn(|cx| stream.poll_capacity(cx)).await {
            Some(Ok(n)) => n,
            other => panic!("the stream ended while the body was sent: {other:?}"),
        };
        let chunk = rest.split_to(granted.min(rest.len()));
        stream.send_data(chunk, rest.is_empty()).expect("the stream is not reset while the body is sent");
    }
    let response = response.await.expect("a response");
    let status = response.status();
    let mut body = response.into_body();
    let mut text = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("the response body");
        let _ = body.flow_control().release_capacity(chunk.len());
        text.extend_from_slice(&chunk);
    }
    (status, String::from_utf8_lossy(&text).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_certificate_expiry_is_exported_and_an_expiring_one_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let soon = common::issue_certs_for(dir.path(), "soon", std::time::Duration::from_secs(3600));
    let mut webhook = Webhook::start_in(dir, &["--reload-interval", "50ms"]);
    webhook.cas.push(soon.ca.clone());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let expiry = webhook.metric("injit_certificate_expiry_timestamp_seconds ").await;
    assert!((expiry - (now + 30.0 * 86400.0)).abs() < 120.0, "{expiry} vs {now}");
    assert!(!webhook.logs.lock().unwrap().join("\n").contains("the serving certificate expires"));
    // A certificate valid for an hour more is served, with a warning.
    std::fs::copy(&soon.cert, webhook.path("tls.crt.new")).unwrap();
    std::fs::copy(&soon.key, webhook.path("tls.key")).unwrap();
    std::fs::rename(webhook.path("tls.crt.new"), webhook.path("tls.crt")).unwrap();
    webhook
        .eventually("the new expiry is exported", async || {
            let expiry = webhook.metric("injit_certificate_expiry_timestamp_seconds ").await;
            (expiry - (now + 3600.0)).abs() < 120.0
        })
        .await;
    // The warning follows the metric.
    let warned = || webhook.logs.lock().unwrap().iter().find(|l| l.contains("certificate expires in 1 hours")).cloned();
    webhook.eventually("the expiry is warned about", async || warned().is_some()).await;
    let line = warned().unwrap();
    assert!(line.contains("\"level\":\"WARN\""), "{line}");
    still_serves(&webhook).await;
}

#[test]
fn certs_refuses_a_certificate_valid_for_no_days() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_injit"))
        .args(["certs", "--days", "0", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--days 0") && stderr.contains("expired"), "{stderr}");
    assert!(!dir.path().join("tls.crt").exists(), "nothing is written");
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_files_at_once_and_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |c| c);
    let config_arg = config.display().to_string();
    // Polls too rare to matter: only SIGHUP can load the change in time.
    let mut webhook = Webhook::start_in(dir, &["--config-dir", &config_arg, "--reload-interval", "1h"]);
    still_serves(&webhook).await;
    std::fs::write(config.join("config"), defaults("config.yaml").replacen("policy: enabled", "policy: disabled", 1))
        .unwrap();
    webhook.signal("HUP");
    let pod = sleep_pod();
    webhook
        .eventually("the new config serves", async || {
            let response = webhook.review("/inject", &review("v1", "after-hup", &pod)).await;
            response.get("patch").is_none()
        })
        .await;
    assert!(webhook.is_running());
    assert_eq!(webhook.metric("injit_reloads_total{kind=\"config\",result=\"ok\"}").await, 1.0);
    let logs = webhook.logs.lock().unwrap().join("\n");
    assert!(logs.contains("SIGHUP received"), "{logs}");
    // A second SIGHUP with nothing changed reloads nothing.
    webhook.signal("HUP");
    webhook
        .eventually("the second SIGHUP is logged", async || {
            webhook.logs.lock().unwrap().iter().filter(|l| l.contains("SIGHUP received")).count() == 2
        })
        .await;
    assert!(webhook.is_running());
    assert_eq!(webhook.metric("injit_reloads_total{kind=\"config\",result=\"ok\"}").await, 1.0);
}

/// Reads until the server closes the connection or `limit` passes; true
/// when it closed.
async fn closed_within<S: tokio::io::AsyncRead + Unpin>(stream: &mut S, limit: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let reading = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, reading).await.is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_cannot_lock_clients_out() {
    let webhook = Webhook::start(&["--max-connections", "32", "--max-connections-per-client", "24"]);
    // An attacker (127.0.0.2) opens HTTP/2 connections and sends nothing,
    // not even the preface: its share, then more of its own.
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(webhook.connect_from([127, 0, 0, 2], b"h2").await);
    }
    // Another (127.0.0.3) fills the rest of the table.
    for _ in 0..8 {
        held.push(webhook.connect_from([127, 0, 0, 3], b"h2").await);
    }
    // A legitimate client still gets in, again and again.
    for _ in 0..5 {
        still_serves(&webhook).await;
    }
    let evicted = webhook.metric("injit_connections_closed_total{reason=\"evicted\"}").await;
    // The attacker's 16 past its share, then one for the first newcomer
    // (the next ones take the place it left).
    assert!(evicted >= 17.0, "{evicted}");
    assert!(webhook.metric("injit_connections ").await <= 32.0);
    assert_eq!(webhook.metric("injit_connections_closed_total{reason=\"refused\"}").await, 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_sending_no_request_is_closed_after_10_s() {
    use tokio::io::AsyncWriteExt;
    let webhook = Webhook::start(&[]);
    let start = std::time::Instant::now();
    // HTTP/2 without the preface, and HTTP/1.1 with half a request line.
    let mut h2 = webhook.connect(b"h2").await;
    let mut h1 = webhook.connect(b"http/1.1").await;
    h1.write_all(b"POST /inj").await.unwrap();
    h1.flush().await.unwrap();
    let limit = std::time::Duration::from_secs(20);
    assert!(closed_within(&mut h2, limit).await, "the HTTP/2 connection is closed");
    let waited = start.elapsed();
    assert!(waited >= std::time::Duration::from_secs(9), "not before 10 s: {waited:?}");
    assert!(closed_within(&mut h1, limit).await, "the HTTP/1.1 connection is closed");
    assert!(start.elapsed() < std::time::Duration::from_secs(15), "{:?}", start.elapsed());
    assert!(webhook.metric("injit_connections_closed_total{reason=\"no_request\"}").await >= 1.0);
    assert_eq!(webhook.metric("injit_connections ").await, 0.0);
    still_serves(&webhook).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_closes_idle_connections_without_waiting_for_the_timeout() {
    let mut webhook = Webhook::start(&["--drain-delay", "200ms", "--shutdown-timeout", "20s"]);
    // An HTTP/2 connection that served a request and stays open, idle.
    let tls = webhook.connect(b"h2").await;
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(common::h2_executor(), hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let body = serde_json::to_vec(&review("v1", "idle-h2", &sleep_pod())).unwrap();
    assert_eq!(common::send_h2(&mut sender, "/inject", body).await.0, StatusCode::OK);
    let start = std::time::Instant::now();
    webhook.signal_term();
    let status = webhook.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "exited after {:?}", start.elapsed());
    let logs = webhook.logs.lock().unwrap().join("\n");
    assert!(logs.contains("every request answered"), "{logs}");
    assert!(!logs.contains("still in flight"), "{logs}");
    drop(sender);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_review_of_millions_of_values_is_refused_before_it_is_parsed() {
    let webhook = Webhook::start(&[]);
    let mut pod = sleep_pod();
    pod["spec"]["x"] = json!(vec![0; 3_000_000]);
    let body = serde_json::to_vec(&review("v1", "zeros", &pod)).unwrap();
    assert!(body.len() as u64 <= injit_webhook::MAX_BODY);
    let (status, text) = webhook.post("/inject", Some("application/json"), body).await;
    let text = String::from_utf8_lossy(&text);
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    let count: usize = text.split_whitespace().find_map(|w| w.parse().ok()).expect("the count is named");
    assert!(count > 3_000_000, "{text}");
    assert!(text.contains("JSON values") && text.contains("at most 1000000"), "{text}");
    assert_eq!(webhook.metric("injit_requests_refused_total{reason=\"too_many_values\"}").await, 1.0);
    assert_eq!(webhook.metric("sidecar_injection_requests_total ").await, 0.0, "no review was parsed");
    still_serves(&webhook).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stalled_large_bodies_leave_room_for_small_pods_and_the_next_large_one_gets_503() {
    use tokio::io::AsyncWriteExt;
    let webhook = Webhook::start(&["--request-memory", "12"]);
    // Two clients declare 6 MiB bodies, send 1 MiB and stall: they hold
    // the whole general pool.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut tls = webhook.connect(b"http/1.1").await;
        let head = format!(
            "POST /inject HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            6 << 20
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(&vec![b' '; 1 << 20]).await.unwrap();
        tls.flush().await.unwrap();
        stalled.push(tls);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Ordinary pods are injected at once all the same.
    let start = std::time::Instant::now();
    for _ in 0..3 {
        still_serves(&webhook).await;
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(3), "{:?}", start.elapsed());
    // A third large body waits for memory until its deadline, then is
    // told why (over HTTP/2, as the API server sends it).
    let tls = webhook.connect(b"h2").await;
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(common::h2_executor(), hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let start = std::time::Instant::now();
    let (status, text) = common::send_h2(&mut sender, "/inject?timeout=1s", vec![b' '; 1 << 20]).await;
    let text = String::from_utf8_lossy(&text);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(text.contains("1024 KiB of memory") && text.contains("deadline"), "{text}");
    assert!(start.elapsed() >= std::time::Duration::from_millis(900), "waited for its deadline: {:?}", start.elapsed());
    assert_eq!(webhook.metric("injit_requests_refused_total{reason=\"no_memory\"}").await, 1.0);
    drop(stalled);
}

/// A request body that never comes.
struct Stalled;

impl hyper::body::Body for Stalled {
    type Data = hyper::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

/// One client declaring bodies it never sends, on as many HTTP/2 streams
/// as it likes, holds at most its share of the request memory: another
/// client's pods (the API server's) are still injected.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_stalling_many_bodies_cannot_starve_another() {
    let webhook = Webhook::start(&[]);
    let tls = webhook.connect_from([127, 0, 0, 2], b"h2").await;
    let (sender, conn) =
        hyper::client::conn::http2::handshake(common::h2_executor(), hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    // More than the small bodies' pool and the general pool together.
    let mut stalled = Vec::new();
    for (count, length) in [(64, 256 << 10), (16, 6 << 20)] {
        for _ in 0..count {
            let mut sender = sender.clone();
            let request = hyper::Request::post("https://localhost/inject?timeout=30s")
                .header("content-type", "application/json")
                .header("content-length", length)
                .body(Stalled)
                .unwrap();
            stalled.push(tokio::spawn(async move {
                sender.ready().await?;
                sender.send_request(request).await
            }));
        }
    }
    webhook
        .eventually("the streams are open", async || webhook.metric("injit_requests_in_flight ").await == 80.0)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let pod = sleep_pod();
    let response = webhook.review("/inject?timeout=3s", &review("v1", "legit", &pod)).await;
    assert_eq!(response["allowed"], true, "{response}");
    assert!(is_injected(&apply(&pod, &response)));
    stalled.iter().for_each(tokio::task::JoinHandle::abort);
}

/// Requests that each hold their body's memory while waiting for their
/// parsed review's do not all wait for their deadlines: some give up
/// early, and the others are answered.
#[tokio::test(flavor = "multi_thread")]
async fn reviews_waiting_for_each_others_memory_are_answered_before_their_deadlines() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let webhook = Webhook::start(&[]);
    // Bodies of about 6,000,000 bytes: 16 of them hold nearly all the
    // memory requests may take, and each needs as much again once parsed.
    let mut pod = sleep_pod();
    pod["metadata"]["annotations"] = json!({"example.com/large": "x".repeat(5_990_000)});
    let body = serde_json::to_vec(&review("v1", "large", &pod)).unwrap();
    let head = format!(
        "POST /inject?timeout=5s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    // Every request has its body's memory before any body arrives.
    let mut clients = Vec::new();
    for _ in 0..16 {
        let mut tls = webhook.connect(b"http/1.1").await;
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.flush().await.unwrap();
        clients.push(tls);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let answers: Vec<_> = clients
        .into_iter()
        .map(|mut tls| {
            let body = body.clone();
            tokio::spawn(async move {
                tls.write_all(&body).await.unwrap();
                tls.flush().await.unwrap();
                let mut status = [0; 12];
                tls.read_exact(&mut status).await.unwrap();
                String::from_utf8_lossy(&status[9..]).into_owned()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for answer in answers {
        statuses.push(answer.await.unwrap());
    }
    assert!(statuses.iter().all(|s| s == "200" || s == "503"), "{statuses:?}");
    assert!(statuses.iter().any(|s| s == "200"), "none answered: {statuses:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "{:?} {statuses:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shutdown_log_counts_the_requests_really_in_flight() {
    use tokio::io::AsyncWriteExt;
    let mut webhook = Webhook::start(&["--drain-delay", "100ms", "--shutdown-timeout", "1s"]);
    // One request in flight (its body never comes), and an idle HTTP/2
    // connection, which is no request.
    let mut stalled = webhook.connect(b"http/1.1").await;
    stalled
        .write_all(b"POST /inject HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{")
        .await
        .unwrap();
    stalled.flush().await.unwrap();
    let idle = webhook.connect(b"h2").await;
    webhook
        .eventually("the request is in flight", async || webhook.metric("injit_requests_in_flight ").await == 1.0)
        .await;
    webhook.signal_term();
    assert!(webhook.wait_exit().success());
    let logs = webhook.logs.lock().unwrap().join("\n");
    assert!(logs.contains("shutdown timeout reached with 1 requests still in flight"), "{logs}");
    drop((stalled, idle));
}

/// Each reason a review is refused or skipped for, provoked once over
/// HTTP: the answer, and the label `/metrics` counts it under.
#[tokio::test(flavor = "multi_thread")]
async fn each_failure_and_skip_reason_is_answered_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    // Broken YAML only for pods that ask for it, so the config passes the
    // trial injection of reference pods when it loads.
    let config = config_dir(dir.path(), |c| {
        c.replacen(
            "  sidecar: |\n",
            "  sidecar: |\n    {{ if index .ObjectMeta.Annotations \"example.com/break\" }}spec: [{{ end }}\n",
            1,
        )
    });
    let config_arg = config.display().to_string();
    let webhook = Webhook::start_in(dir, &["--config-dir", &config_arg]);
    let pod = sleep_pod();
    let mut not_a_pod_spec = pod.clone();
    not_a_pod_spec["spec"]["containers"] = json!("web");
    let mut owner = pod.clone();
    owner["metadata"]["ownerReferences"][0]["apiVersion"] = json!("apps/v1\n          x: y");
    let failures = [
        ("invalid_pod", not_a_pod_spec),
        ("invalid_annotation", with_annotation(&pod, "sidecar.istio.io/interceptionMode", "BOGUS")),
        ("untrusted_string", owner),
        ("rendered_yaml", with_annotation(&pod, "example.com/break", "yes")),
    ];
    for (reason, object) in &failures {
        let response = webhook.review("/inject", &review("v1", reason, object)).await;
        assert_eq!(response["allowed"], false, "{reason}: {response}");
        assert!(response.get("patch").is_none(), "{reason}: {response}");
    }
    let metrics = webhook.metrics().await;
    for (reason, _) in &failures {
        assert!(
            metrics.contains(&format!("sidecar_injection_failure_total{{reason=\"{reason}\"}} 1")),
            "{reason}: {metrics}"
        );
    }
    // The same config answers every other pod.
    let response = webhook.review("/inject", &review("v1", "fine", &pod)).await;
    assert!(is_injected(&apply(&pod, &response)), "{response}");

    // A policy that is neither enabled nor disabled injects nothing.
    let dir = tempfile::tempdir().unwrap();
    let config = config_dir(dir.path(), |c| c.replacen("policy: enabled", "policy: sometimes", 1));
    let config_arg = config.display().to_string();
    let webhook = Webhook::start_in(dir, &["--config-dir", &config_arg]);
    let response = webhook.review("/inject", &review("v1", "policy", &pod)).await;
    assert_eq!(response["allowed"], true, "{response}");
    assert!(response.get("patch").is_none(), "{response}");
    assert!(webhook.metrics().await.contains("sidecar_injection_skip_total{reason=\"invalid_policy\"} 1"));
}

/// A config file that cannot be read (not UTF-8 here) is logged and
/// counted once it stays so, and the config loaded before keeps serving.
#[tokio::test(flavor = "multi_thread")]
async fn config_files_that_cannot_be_read_are_reported_and_the_old_config_serves() {
    let (webhook, config) = webhook_with_config(|config| config, &["--reload-interval", "50ms"]);
    std::fs::write(config.join("config"), b"policy: \xff\xfe\n").unwrap();
    let unreadable = "injit_reloads_total{kind=\"config\",result=\"unreadable\"}";
    webhook.eventually("the unreadable file is reported", async || webhook.metric(unreadable).await >= 1.0).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(webhook.metric(unreadable).await, 1.0, "reported once, not at every poll");
    still_serves(&webhook).await;
}

/// A certificate that does not match its key is rejected and counted; a
/// key missing mid-swap is waited out; the certificate in use keeps
/// serving until a good pair arrives.
#[tokio::test(flavor = "multi_thread")]
async fn a_broken_certificate_pair_is_rejected_and_the_old_one_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let other = common::issue_certs(dir.path(), "other");
    let mut webhook = Webhook::start_in(dir, &["--reload-interval", "50ms"]);
    webhook.cas.push(other.ca.clone());
    let (tls_cert, tls_key) = (webhook.path("tls.crt"), webhook.path("tls.key"));
    let rejected = "injit_reloads_total{kind=\"certificate\",result=\"rejected\"}";

    // The other certificate with the old key: they do not match.
    std::fs::copy(&other.cert, &tls_cert).unwrap();
    webhook.eventually("the mismatched pair is rejected", async || webhook.metric(rejected).await >= 1.0).await;
    still_serves(&webhook).await;
    let after_mismatch = webhook.metric(rejected).await;

    // The key gone, as for a moment while a Secret's files are swapped:
    // waited out, neither loaded nor counted as a rejection.
    std::fs::remove_file(&tls_key).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(webhook.metric(rejected).await, after_mismatch, "a missing file is not a rejected pair");
    still_serves(&webhook).await;

    // The matching key arrives: the new pair is taken.
    std::fs::copy(&other.key, &tls_key).unwrap();
    webhook
        .eventually("the good pair is loaded", async || {
            webhook.metric("injit_reloads_total{kind=\"certificate\",result=\"ok\"}").await >= 1.0
        })
        .await;
    still_serves(&webhook).await;
}

/// A body that stops arriving is answered 408 once the API server's
/// timeout for the review has passed, and the server serves on.
#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stops_arriving_is_408_at_the_reviews_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let webhook = Webhook::start(&[]);
    let tls = webhook.connect(b"http/1.1").await;
    let (mut read, mut write) = tokio::io::split(tls);
    let head = "POST /inject?timeout=300ms HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
                content-length: 1000\r\n\r\n{\"apiVersion\":";
    write.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(std::time::Duration::from_secs(10), read.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            other => panic!("no answer to the stalled body: {other:?}"),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "answered at the deadline, not later");
    drop(write);
    still_serves(&webhook).await;
}
