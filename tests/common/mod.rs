//! A running `injit serve` for end-to-end tests: a fresh CA, the binary
//! on a loopback port, and a client that verifies the CA.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo};
use injit_webhook::certs::issue;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// A certificate set in a directory.
pub struct Certs {
    pub ca: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A certificate set valid for 30 days (no expiry warning).
pub fn issue_certs(dir: &Path, name: &str) -> Certs {
    issue_certs_for(dir, name, Duration::from_secs(30 * 86400))
}

pub fn issue_certs_for(dir: &Path, name: &str, validity: Duration) -> Certs {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let issued = issue(&names, validity, injit_webhook::certs::Authority::New).expect("certificates");
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&cert, &issued.cert).unwrap();
    std::fs::write(&key, &issued.key).unwrap();
    Certs { ca: issued.ca, cert, key }
}

pub struct Webhook {
    child: Child,
    pub addr: SocketAddr,
    pub monitoring: SocketAddr,
    pub dir: tempfile::TempDir,
    pub cas: Vec<String>,
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Webhook {
    /// Starts `injit serve` with a fresh certificate and `args`.
    pub fn start(args: &[&str]) -> Webhook {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Webhook::start_in(dir, args)
    }

    /// Starts `injit serve` in `dir` with no cluster configured (whatever
    /// kubeconfig the machine has).
    pub fn start_in(dir: tempfile::TempDir, args: &[&str]) -> Webhook {
        Webhook::start_with_kubeconfig(dir, args, Path::new("/nonexistent/injit-tests/kubeconfig"))
    }

    /// Starts `injit serve` in `dir` watching the cluster `kubeconfig`
    /// names.
    pub fn start_with_kubeconfig(dir: tempfile::TempDir, args: &[&str], kubeconfig: &Path) -> Webhook {
        let certs = issue_certs(dir.path(), "serving");
        let tls_cert = dir.path().join("tls.crt");
        let tls_key = dir.path().join("tls.key");
        std::fs::rename(&certs.cert, &tls_cert).unwrap();
        std::fs::rename(&certs.key, &tls_key).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_injit"))
            .args(["serve", "--address", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--log-format", "json"])
            .arg("--tls-cert")
            .arg(&tls_cert)
            .arg("--tls-key")
            .arg(&tls_key)
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("injit serve starts");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && let (Some(a), Some(m)) = (v["address"].as_str(), v["monitoring"].as_str())
                {
                    let _ = tx.send((a.to_owned(), m.to_owned()));
                }
                sink.lock().unwrap().push(line);
            }
        });
        let Ok((addr, monitoring)) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("injit serve did not start: {:?}", logs.lock().unwrap());
        };
        Webhook {
            child,
            addr: addr.parse().unwrap(),
            monitoring: monitoring.parse().unwrap(),
            dir,
            cas: vec![certs.ca],
            logs,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn client(&self) -> TlsConnector {
        client(&self.cas, b"http/1.1")
    }

    /// One request on a new HTTP/1.1 connection.
    pub async fn post(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let tls = self.connect(b"http/1.1").await;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.expect("HTTP/1.1");
        tokio::spawn(conn);
        send(&mut sender, path, content_type, body).await
    }

    pub async fn connect(&self, alpn: &[u8]) -> TlsStream<TcpStream> {
        self.connect_from([127, 0, 0, 1], alpn).await
    }

    /// A TLS connection from another loopback address (another client).
    pub async fn connect_from(&self, source: [u8; 4], alpn: &[u8]) -> TlsStream<TcpStream> {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((source, 0))).expect("a loopback source address");
        let tcp = socket.connect(self.addr).await.expect("connect");
        let name = ServerName::try_from("localhost").unwrap();
        client(&self.cas, alpn).connect(name, tcp).await.expect("a TLS handshake verifying the CA")
    }

    /// A review answered: the `response` object.
    pub async fn review(&self, path: &str, review: &Value) -> Value {
        let (status, body) = self.post(path, Some("application/json"), serde_json::to_vec(review).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).expect("a JSON review");
        assert_eq!(answer["kind"], "AdmissionReview");
        assert_eq!(answer["apiVersion"], review["apiVersion"]);
        assert_eq!(answer["response"]["uid"], review["request"]["uid"], "the uid is echoed");
        answer["response"].clone()
    }

    /// GET on the plain-HTTP monitoring port: the status.
    pub async fn monitoring_get(&self, path: &str) -> u16 {
        self.monitoring_response(path).await.status().as_u16()
    }

    async fn monitoring_response(&self, path: &str) -> hyper::Response<hyper::body::Incoming> {
        let tcp = TcpStream::connect(self.monitoring).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(conn);
        let request = hyper::Request::get(path).header("host", "localhost").body(Full::new(Bytes::new())).unwrap();
        sender.send_request(request).await.unwrap()
    }

    pub async fn metrics(&self) -> String {
        let response = self.monitoring_response("/metrics").await;
        assert_eq!(response.status(), StatusCode::OK);
        String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    /// The value of a metric line starting with `prefix`, 0 when absent.
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = self.metrics().await;
        text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0.0)
    }

    /// Waits until `check` holds (hot reload happens on a timer).
    pub async fn eventually(&self, what: &str, mut check: impl AsyncFnMut() -> bool) {
        let start = Instant::now();
        while !check().await {
            assert!(start.elapsed() < Duration::from_secs(30), "{what}: {:?}", self.logs.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn signal_term(&self) {
        self.signal("TERM");
    }

    pub fn signal(&self, name: &str) {
        // The shell's builtin: no procps needed.
        let _ = Command::new("sh").arg("-c").arg(format!("kill -{name} {}", self.child.id())).status();
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal_term();
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client(cas: &[String], alpn: &[u8]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    TlsConnector::from(Arc::new(config))
}

pub async fn send(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    sender.ready().await.expect("the connection is usable");
    let mut request = hyper::Request::post(path).header("host", "localhost");
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = sender.send_request(request.body(Full::new(Bytes::from(body))).unwrap()).await.expect("a response");
    let status = response.status();
    (status, response.into_body().collect().await.expect("the body").to_bytes().to_vec())
}

pub async fn send_h2(
    sender: &mut hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    path: &str,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    sender.ready().await.expect("the connection is usable");
    let request = hyper::Request::post(format!("https://localhost{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = sender.send_request(request).await.expect("a response");
    let status = response.status();
    (status, response.into_body().collect().await.expect("the body").to_bytes().to_vec())
}

pub fn h2_executor() -> TokioExecutor {
    TokioExecutor::new()
}

/// The seed's sleep pod, as a ReplicaSet creates it.
pub fn sleep_pod() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "sleep-5d8c6b7f9-",
            "namespace": "default",
            "labels": {"app": "sleep", "pod-template-hash": "5d8c6b7f9"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "sleep-5d8c6b7f9",
                                 "uid": "6a1b2c3d-0000-4000-8000-000000000001", "controller": true, "blockOwnerDeletion": true}],
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]
        },
        "spec": {
            "containers": [{"name": "sleep", "image": "tutum/curl", "command": ["/bin/sleep", "infinity"],
                            "imagePullPolicy": "IfNotPresent"}],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "schedulerName": "default-scheduler",
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0
        }
    })
}

/// An AdmissionReview creating `object` in `namespace`.
pub fn review(version: &str, uid: &str, object: &Value) -> Value {
    let namespace = object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
    json!({
        "apiVersion": format!("admission.k8s.io/{version}"),
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE",
            "namespace": namespace,
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
        }
    })
}

/// The response's patch applied to `object` (the object itself with no
/// patch); checks the patch's framing.
pub fn apply(object: &Value, response: &Value) -> Value {
    let mut patched = object.clone();
    match response.get("patch").and_then(Value::as_str) {
        None => assert!(response.get("patchType").is_none(), "patchType without a patch: {response}"),
        Some(b64) => {
            assert_eq!(response["patchType"], "JSONPatch");
            let bytes = injit_runtime::encoding::base64::decode(b64.as_bytes()).expect("base64");
            let patch: json_patch::Patch = serde_json::from_slice(&bytes).expect("a JSON patch");
            assert!(!patch.0.is_empty(), "an empty patch is sent as no patch");
            json_patch::patch(&mut patched, &patch).expect("the patch applies");
        }
    }
    patched
}
