//! One-shot reads against the fake API server: connection from a
//! kubeconfig, ConfigMaps by istioctl's names, objects as JSON, and the
//! errors people see.

mod support;

use std::time::{Duration, Instant};

use injit_cluster::{Cluster, ConfigKey, ConfigMapNames, ConnectOptions, Connection, Error};
use serde_json::json;
use support::{FakeApi, objects};

async fn connect(api: &FakeApi, dir: &std::path::Path, context: &str) -> Cluster {
    let options = ConnectOptions::new(Some(api.kubeconfig(dir, context)), None);
    match Cluster::connect(&options).await.expect("connects") {
        Connection::Cluster(c) => c,
        Connection::NotConfigured { .. } => panic!("a kubeconfig was given"),
    }
}

fn fake_with_defaults() -> FakeApi {
    let api = FakeApi::start();
    let (config, values, mesh) = (objects::DEFAULT_CONFIG, objects::DEFAULT_VALUES, objects::DEFAULT_MESH);
    api.put(objects::injector_config_map("istio-system", "istio-sidecar-injector", config, values));
    api.put(objects::mesh_config_map("istio-system", "istio", mesh));
    api.put(objects::injector_config_map(
        "istio-system",
        "istio-sidecar-injector-canary",
        config,
        "{\"revision\":\"canary\"}",
    ));
    api.put(objects::mesh_config_map("istio-system", "istio-canary", mesh));
    api
}

#[tokio::test]
async fn config_texts_come_from_the_revisions_config_maps() {
    let api = fake_with_defaults();
    let dir = tempfile::tempdir().unwrap();
    let cluster = connect(&api, dir.path(), "kind-test").await;
    assert_eq!(cluster.endpoint().context, "kind-test");
    let keys = [ConfigKey::Config, ConfigKey::Values, ConfigKey::Mesh];
    let names = ConfigMapNames::new("istio-system", "istio-sidecar-injector", "istio", "");
    let texts = cluster.config_texts(&names, &keys).await.expect("the default revision's ConfigMaps");
    assert_eq!(texts[0].text, objects::DEFAULT_CONFIG);
    assert_eq!(texts[1].text, objects::DEFAULT_VALUES);
    assert_eq!(texts[2].text, objects::DEFAULT_MESH);
    assert_eq!(texts[0].to_string(), "configmap istio-system/istio-sidecar-injector (data.config)");
    // The injector's ConfigMap is read once for config and values.
    let gets = api.requests().iter().filter(|r| r.contains("/configmaps/istio-sidecar-injector")).count();
    assert_eq!(gets, 1, "{:?}", api.requests());

    let canary = ConfigMapNames::new("istio-system", "istio-sidecar-injector", "istio", "canary");
    let texts = cluster.config_texts(&canary, &keys[1..2]).await.expect("the canary's ConfigMaps");
    assert_eq!(texts[0].text, "{\"revision\":\"canary\"}");
    assert_eq!(texts[0].config_map, "istio-system/istio-sidecar-injector-canary");
}

#[tokio::test]
async fn a_missing_config_map_or_key_is_named() {
    let api = fake_with_defaults();
    api.put(objects::config_map("istio-system", "istio-empty", &[]));
    let dir = tempfile::tempdir().unwrap();
    let cluster = connect(&api, dir.path(), "kind-test").await;
    let names = ConfigMapNames::new("other-ns", "istio-sidecar-injector", "istio", "");
    let e = cluster.config_texts(&names, &[ConfigKey::Mesh]).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
    assert_eq!(e.to_string(), "context \"kind-test\": configmap other-ns/istio not found");
    let names = ConfigMapNames::new("istio-system", "istio-sidecar-injector", "istio-empty", "");
    let e = cluster.config_texts(&names, &[ConfigKey::Mesh]).await.unwrap_err();
    assert_eq!(e.to_string(), "context \"kind-test\": configmap istio-system/istio-empty has no data.mesh");
}

#[tokio::test]
async fn objects_are_the_apis_json() {
    let api = FakeApi::start();
    api.put(objects::namespace("test-ns"));
    api.put(objects::node("node-1", "v1.33.0"));
    api.put(objects::node("node-2", "v1.28.0"));
    api.put(objects::proxy_config("istio-system", "root", None));
    api.put(objects::proxy_config("test-ns", "local", Some(json!({"concurrency": 2}))));
    let dir = tempfile::tempdir().unwrap();
    let cluster = connect(&api, dir.path(), "kind-test").await;

    let ns = cluster.namespace("test-ns").await.unwrap().expect("exists");
    assert_eq!(ns["metadata"]["annotations"]["openshift.io/sa.scc.uid-range"], "1000620000/10000");
    assert_eq!(ns["kind"], "Namespace");
    assert!(cluster.namespace("absent").await.unwrap().is_none());

    let nodes = cluster.nodes().await.unwrap();
    let versions: Vec<_> = nodes.iter().map(|n| n["status"]["nodeInfo"]["kubeletVersion"].as_str().unwrap()).collect();
    assert_eq!(versions, ["v1.33.0", "v1.28.0"]);

    let all = cluster.proxy_configs(None).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["apiVersion"], "networking.istio.io/v1beta1");
    let local = cluster.proxy_configs(Some("test-ns")).await.unwrap();
    assert_eq!(local.len(), 1);
    assert_eq!(local[0]["spec"], json!({"concurrency": 2}));
    assert!(
        api.requests().iter().any(|r| r == "GET /apis/networking.istio.io/v1beta1/namespaces/test-ns/proxyconfigs?")
    );
    api.uninstall("proxyconfigs");
    assert!(cluster.proxy_configs(None).await.unwrap().is_empty(), "no CRD, no ProxyConfigs");
}

#[tokio::test]
async fn forbidden_names_the_verb_and_resource() {
    let api = fake_with_defaults();
    api.forbid("configmaps");
    api.forbid("proxyconfigs");
    let dir = tempfile::tempdir().unwrap();
    let cluster = connect(&api, dir.path(), "kind-test").await;
    let names = ConfigMapNames::new("istio-system", "istio-sidecar-injector", "istio", "");
    let e = cluster.config_texts(&names, &[ConfigKey::Config]).await.unwrap_err();
    assert_eq!(e.code(), Some(403));
    let text = e.to_string();
    assert!(
        text.starts_with(
            "context \"kind-test\": forbidden: the credentials may not get configmaps in namespace \"istio-system\" \
             (grant RBAC verb \"get\" on \"configmaps\"): "
        ),
        "{text}"
    );
    assert!(!text.contains('\n'));
    let e = cluster.proxy_configs(None).await.unwrap_err();
    assert!(e.to_string().contains("may not list proxyconfigs.networking.istio.io in all namespaces"), "{e}");
}

#[tokio::test]
async fn a_dead_address_fails_fast_naming_context_and_server() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let server = format!("http://127.0.0.1:{port}");
    let path = support::write_kubeconfig(dir.path(), &server, "dead-cluster");
    let options = ConnectOptions::new(Some(path), None);
    let Connection::Cluster(cluster) = Cluster::connect(&options).await.unwrap() else { panic!("configured") };
    let started = Instant::now();
    let e = cluster.nodes().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.starts_with(&format!("context \"dead-cluster\": cannot reach the API server {server}: ")), "{text}");
}

#[tokio::test]
async fn contexts_are_chosen_as_kubectl_chooses_them() {
    let api = FakeApi::start();
    let dir = tempfile::tempdir().unwrap();
    let path = api.kubeconfig(dir.path(), "kind-test");
    let options = ConnectOptions::new(Some(path.clone()), Some("other".to_owned()));
    let e = Cluster::connect(&options).await.err().expect("no such context");
    assert!(e.to_string().ends_with("no context \"other\""), "{e}");
    let missing = ConnectOptions::new(Some(dir.path().join("absent")), None);
    assert!(matches!(Cluster::connect(&missing).await, Err(Error::Kubeconfig { .. })));
}

#[tokio::test]
async fn injection_objects_for_a_namespace() {
    let api = FakeApi::start();
    api.put(objects::namespace("test-ns"));
    api.put(objects::node("node-1", "v1.33.0"));
    api.put(objects::proxy_config("istio-system", "root", None));
    api.put(objects::proxy_config("test-ns", "local", None));
    api.put(objects::proxy_config("unrelated", "other", None));
    let dir = tempfile::tempdir().unwrap();
    let cluster = connect(&api, dir.path(), "kind-test").await;
    let got = cluster.injection_objects("istio-system", &["test-ns", "not-created-yet"]).await.unwrap();
    let names: Vec<_> = got.proxy_configs.iter().map(|p| p["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["root", "local"]);
    assert_eq!(got.namespaces.len(), 1);
    assert_eq!(got.namespaces[0]["metadata"]["name"], "test-ns");
    assert_eq!(got.nodes.len(), 1);
}

#[tokio::test]
async fn https_with_the_kubeconfigs_ca_and_a_bearer_token() {
    let api = FakeApi::start_tls();
    api.put(objects::node("node-1", "v1.33.0"));
    api.require_token("s3cret");
    let dir = tempfile::tempdir().unwrap();
    let with_token = api.kubeconfig_with_token(dir.path(), "tls", Some("s3cret"));
    let Connection::Cluster(cluster) = Cluster::connect(&ConnectOptions::new(Some(with_token), None)).await.unwrap()
    else {
        panic!("configured")
    };
    assert!(cluster.endpoint().server.starts_with("https://127.0.0.1:"));
    assert_eq!(cluster.nodes().await.expect("TLS verified with the kubeconfig's CA").len(), 1);

    // Without the token: 401, told as such.
    let cluster = connect(&api, dir.path(), "no-token").await;
    let e = cluster.nodes().await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(e.to_string().starts_with("context \"no-token\": the API server https://127.0.0.1:"), "{e}");
}

#[tokio::test]
async fn a_failing_credential_plugin_is_named_as_such() {
    let api = FakeApi::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exec.kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\ncontexts:\n- name: sso\n  \
         context:\n    cluster: c\n    user: u\ncurrent-context: sso\nusers:\n- name: u\n  user:\n    exec:\n      \
         apiVersion: client.authentication.k8s.io/v1\n      command: /nonexistent/injit-test-credential-plugin\n",
        api.url()
    );
    std::fs::write(&path, text).unwrap();
    // The plugin runs as the client is built.
    let e = Cluster::connect(&ConnectOptions::new(Some(path), None)).await.err().expect("no credentials");
    assert!(matches!(e, Error::Credentials { .. }), "{e:?}");
    assert!(e.to_string().starts_with("context \"sso\": cannot get credentials for http://127.0.0.1:"), "{e}");
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn a_server_that_never_answers_the_connection_times_out_within_5_s() {
    // A listener with a full accept queue: the kernel drops further SYNs,
    // as a blackholed address would, without leaving the loopback.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let _queued: Vec<_> =
        (0..4).filter_map(|_| std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = support::write_kubeconfig(dir.path(), &format!("http://{addr}"), "blackhole");
    let Connection::Cluster(cluster) = Cluster::connect(&ConnectOptions::new(Some(path), None)).await.unwrap() else {
        panic!("configured")
    };
    let started = Instant::now();
    let e = cluster.nodes().await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(
        e.to_string(),
        format!("context \"blackhole\": cannot reach the API server http://{addr}: connection timed out")
    );
    drop(listener);
}
