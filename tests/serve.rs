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

#[tokio::test(flavor = "multi_thread")]
async fn a_7_mib_body_is_413_without_being_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let webhook = Webhook::start(&[]);
    let size = 7 << 20;
    let tls = webhook.connect(b"http/1.1").await;
    let (mut read, mut write) = tokio::io::split(tls);
    let head = format!(
        "POST /inject HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n"
    );
    write.write_all(head.as_bytes()).await.unwrap();
    // The body follows, as far as the server lets it.
    let writer = tokio::spawn(async move {
        let chunk = vec![b' '; 64 << 10];
        for _ in 0..(size / chunk.len()) {
            if write.write_all(&chunk).await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    writer.abort();

    // A chunked body (no length announced) is cut off at the limit too.
    let tls = webhook.connect(b"http/1.1").await;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::post("/inject")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Chunks(112))
        .unwrap();
    if let Ok(response) = sender.send_request(request).await {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    still_serves(&webhook).await;
    assert_eq!(webhook.metric("sidecar_injection_requests_total ").await, 1.0, "refused bodies are no reviews");
}

/// A body of `n` chunks of 64 KiB with no length announced.
struct Chunks(usize);

impl hyper::body::Body for Chunks {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        if self.0 == 0 {
            return std::task::Poll::Ready(None);
        }
        self.0 -= 1;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(bytes::Bytes::from(vec![b' '; 64 << 10])))))
    }
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

#[tokio::test(flavor = "multi_thread")]
async fn hostile_annotation_values_change_only_their_own_fields_or_are_refused_by_name() {
    let webhook = Webhook::start(&[]);
    let pod = sleep_pod();
    let hostile = [
        ("sidecar.istio.io/proxyImage", "evil\"\n        securityContext: {privileged: true}\n#"),
        ("sidecar.istio.io/proxyImage", "docker.io/istio/proxyv2:1.0\u{1}\u{7}"),
        ("sidecar.istio.io/proxyImage", "r.io/evil\"\n        privileged: true\n#"),
        ("sidecar.istio.io/logLevel", "debug\"\n  - --inject\n  - \""),
        ("sidecar.istio.io/componentLogLevel", "misc:error'\"\\"),
        ("sidecar.istio.io/agentLogLevel", "x\r\ny: 1"),
        ("traffic.sidecar.istio.io/excludeOutboundIPRanges", "10.0.0.0/8\"\n- \"--evil"),
        ("status.sidecar.istio.io/port", "15020\"\nhostNetwork: true\n#"),
        ("sidecar.istio.io/interceptionMode", "REDIRECT\n  privileged: true"),
        ("example.com/unrelated", "\"\n\u{0}'}{]["),
        ("proxy.istio.io/config", "proxyMetadata:\n  EVIL: \"x\\\"\\n        privileged: true\"\n"),
        ("k8s.v1.cni.cncf.io/networks", "net1'\nprivileged: true\n#"),
    ];
    let benign = webhook.review("/inject", &review("v1", "benign", &pod)).await;
    let benign_pod = apply(&pod, &benign);
    for (i, (key, value)) in hostile.iter().enumerate() {
        let object = with_annotation(&pod, key, value);
        let response = webhook.review("/inject", &review("v1", &format!("hostile-{i}"), &object)).await;
        if response["allowed"] == false {
            let message = response["status"]["message"].as_str().unwrap();
            assert!(message.contains(key), "{key}: the refusal names the annotation: {message}");
            continue;
        }
        // Injected: compared with the pod without the annotation, only
        // fields carrying the value (and the annotation) differ.
        let patched = apply(&object, &response);
        let mut without = patched.clone();
        without["metadata"]["annotations"].as_object_mut().unwrap().remove(*key);
        if without["metadata"]["annotations"].as_object().unwrap().is_empty() {
            without["metadata"].as_object_mut().unwrap().remove("annotations");
        }
        for op in injit_webhook::patch::diff(&benign_pod, &without) {
            let op = op.to_json();
            assert_eq!(op["op"], "replace", "{key}={value:?} changed the pod's shape: {op}");
            let new = op["value"].as_str().unwrap_or_default();
            assert!(
                new.contains(value) || value.lines().any(|l| !l.trim().is_empty() && new.contains(l.trim())),
                "{key}={value:?} changed a field it does not own: {op}"
            );
        }
    }
    still_serves(&webhook).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_deadline_is_answered_before_it() {
    let webhook = Webhook::start(&[]);
    let response = webhook.review("/inject?timeout=1ns", &review("v1", "late", &sleep_pod())).await;
    assert_eq!(response["allowed"], false);
    assert!(response["status"]["message"].as_str().unwrap().contains("timeout"), "{response}");
    let response = webhook.review("/inject?timeout=10s", &review("v1", "in-time", &sleep_pod())).await;
    assert_eq!(response["allowed"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_past_their_timeout_stop_and_give_their_worker_to_the_next_pod() {
    let webhook = std::sync::Arc::new(Webhook::start(&["--workers", "2"]));
    // 4,000 containers asking for the sidecar template 400 times: many
    // seconds of work, with a timeout of 300 ms.
    let mut slow = sleep_pod();
    slow["spec"]["containers"] =
        (0..4000).map(|i| json!({"name": format!("c{i}"), "image": "busybox"})).collect::<Vec<_>>().into();
    slow["metadata"]["annotations"] = json!({"inject.istio.io/templates": vec!["sidecar"; 400].join(",")});
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
        assert!(message.contains("did not finish within the request's timeout"), "{message}");
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
    let mut webhook = Webhook::start(&["--drain-delay", "1s"]);
    still_serves(&webhook).await;
    assert_eq!(webhook.monitoring_get("/ready").await, 200);
    webhook.signal_term();
    // Draining: readiness fails at once, reviews are still answered.
    webhook.eventually("readiness fails", async || webhook.monitoring_get("/ready").await == 503).await;
    still_serves(&webhook).await;
    let status = webhook.wait_exit();
    assert!(status.success(), "{status:?}");
    let logs = webhook.logs.lock().unwrap().join("\n");
    assert!(logs.contains("SIGTERM received") && logs.contains("draining"), "{logs}");
    assert!(logs.contains("every request answered"), "{logs}");
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
