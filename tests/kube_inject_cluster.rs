//! `injit kube-inject` with a cluster: the ConfigMaps of the revision read
//! from a fake API server when no config files are given, the same output
//! as with those texts as files, the embedded defaults (and one note)
//! without a kubeconfig, and the errors for a dead or forbidding server.

#[path = "../cluster/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{FakeApi, objects};

/// A kubeconfig path that does not exist: no cluster configured.
const NO_KUBECONFIG: &str = "/nonexistent/injit-tests/kubeconfig";

fn injit(args: &[&str], kubeconfig: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_injit"))
        .arg("kube-inject")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("ENABLE_NATIVE_SIDECARS")
        .env_remove("COMPLIANCE_POLICY")
        .output()
        .expect("injit runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).to_string_lossy().into_owned()
}

fn defaults(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("inject/defaults").join(name).to_string_lossy().into_owned()
}

/// Values whose proxy image differs from the defaults', to see them used.
fn canary_values() -> String {
    let mut values: Value = serde_json::from_str(objects::DEFAULT_VALUES).unwrap();
    values["global"]["hub"] = "cluster.example/istio".into();
    values["global"]["tag"] = "1.99.0-canary".into();
    serde_json::to_string_pretty(&values).unwrap()
}

/// The reads after the ConfigMaps: what injecting pods of namespace
/// `default` needs (its ProxyConfigs, the Namespace, the root namespace's
/// ProxyConfigs, the Nodes).
const INJECTION_READS: [&str; 4] = [
    "GET /apis/networking.istio.io/v1beta1/namespaces/default/proxyconfigs?",
    "GET /api/v1/namespaces/default",
    "GET /apis/networking.istio.io/v1beta1/namespaces/istio-system/proxyconfigs?",
    "GET /api/v1/nodes?",
];

/// The default revision's ConfigMaps with the embedded defaults, and a
/// `canary` revision with its own values; a node too old for native
/// sidecars (as injit decides without nodes, so that file and cluster
/// runs compare).
fn cluster() -> FakeApi {
    let api = FakeApi::start();
    api.put(objects::node("node-1", "v1.28.3"));
    let default = objects::revision_config_maps("default", objects::DEFAULT_VALUES);
    let canary = objects::revision_config_maps("canary", &canary_values());
    default.into_iter().chain(canary).for_each(|m| api.put(m));
    api
}

/// `injit kube-inject args` with a kubeconfig for `api` (context
/// `kind-test`).
fn injit_against(api: &FakeApi, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    injit(args, &api.kubeconfig(dir.path(), "kind-test"))
}

fn succeeded(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn without_files_the_default_revisions_config_maps_are_read() {
    let api = cluster();
    let from_cluster = succeeded(&injit_against(&api, &["-f", &example("sleep.yaml")]));
    let gets: Vec<_> = api.requests();
    assert_eq!(
        gets[..2],
        [
            "GET /api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector",
            "GET /api/v1/namespaces/istio-system/configmaps/istio",
        ],
        "config and values from one ConfigMap, the mesh from the other"
    );
    assert_eq!(gets[2..], INJECTION_READS);
    // The same texts as files give the same output.
    let (config, mesh, values) = (defaults("config.yaml"), defaults("mesh.yaml"), defaults("values.json"));
    let files = ["--injectConfigFile", &config, "--meshConfigFile", &mesh, "--valuesFile", &values];
    let from_files = injit(&[&["-f", &example("sleep.yaml")][..], &files].concat(), Path::new(NO_KUBECONFIG));
    assert_eq!(from_cluster, succeeded(&from_files));
}

#[test]
fn a_revision_reads_its_own_config_maps_values_included() {
    let api = cluster();
    let from_cluster = succeeded(&injit_against(&api, &["-f", &example("sleep.yaml"), "-r", "canary"]));
    assert!(api.requests().iter().any(|r| r.ends_with("/configmaps/istio-sidecar-injector-canary")));
    assert!(api.requests().iter().any(|r| r.ends_with("/configmaps/istio-canary")));
    // istioctl's local fallback leaves .Values empty; the cluster's values
    // are used here: the canary's proxy image.
    assert!(from_cluster.contains("image: cluster.example/istio/proxyv2:1.99.0-canary"), "{from_cluster}");
    assert!(from_cluster.contains("istio.io/rev: canary"), "{from_cluster}");
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("canary-values.json");
    std::fs::write(&values, canary_values()).unwrap();
    let (config, mesh) = (defaults("config.yaml"), defaults("mesh.yaml"));
    let args = ["-f", &example("sleep.yaml"), "-r", "canary", "--injectConfigFile", &config, "--meshConfigFile", &mesh];
    let from_files =
        injit(&[&args[..], &["--valuesFile", values.to_str().unwrap()]].concat(), Path::new(NO_KUBECONFIG));
    assert_eq!(from_cluster, succeeded(&from_files));
}

#[test]
fn a_file_flag_replaces_its_piece_only() {
    let api = cluster();
    let mesh = defaults("mesh.yaml");
    let out = injit_against(&api, &["-f", &example("sleep.yaml"), "-r", "canary", "--meshConfigFile", &mesh]);
    assert!(succeeded(&out).contains("cluster.example/istio/proxyv2:1.99.0-canary"));
    let gets = api.requests();
    assert_eq!(gets[..1], ["GET /api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector-canary"]);
    assert_eq!(gets[1..], INJECTION_READS);
}

/// With a cluster, each pod is injected with what the webhook would give
/// it there: the ProxyConfig resources (root namespace, then the pod's)
/// and native sidecars when every node runs a kubelet 1.33 or later.
#[test]
fn the_clusters_proxy_configs_and_nodes_reach_the_injection() {
    let api = cluster();
    let env = |name: &str, value: &str| serde_json::json!({"environmentVariables": {name: value}});
    api.put(objects::proxy_config("istio-system", "mesh-wide", Some(env("FROM_ROOT", "yes"))));
    api.put(objects::proxy_config("default", "for-default", Some(serde_json::json!({"concurrency": 3}))));
    let out = succeeded(&injit_against(&api, &["-f", &example("sleep.yaml")]));
    assert!(out.contains("- name: FROM_ROOT\n          value: \"yes\""), "{out}");
    assert!(out.contains(r#"{"concurrency":3,"proxyMetadata":{"FROM_ROOT":"yes"}}"#), "both layers: {out}");
    assert!(!out.contains("restartPolicy: Always"), "the node is 1.28: classic sidecars");
    api.delete("Node", None, "node-1");
    api.put(objects::node("node-2", "v1.34.1"));
    let out = succeeded(&injit_against(&api, &["-f", &example("sleep.yaml")]));
    assert!(out.contains("restartPolicy: Always"), "every node is 1.34: native sidecars");
}

#[test]
fn without_a_kubeconfig_the_embedded_defaults_are_used_with_one_note() {
    let out = injit(&["-f", &example("sleep.yaml")], Path::new(NO_KUBECONFIG));
    let stdout = succeeded(&out);
    assert!(stdout.contains("image: docker.io/istio/proxyv2:1.31.0"));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("note: no kubeconfig found; using the default configuration embedded in injit, Istio 1.31"),
        "{stderr}"
    );
    assert!(stderr.contains("KUBECONFIG or --kubeconfig"), "{stderr}");
}

/// A kubeconfig whose server is a loopback port nothing listens on.
fn dead_kubeconfig(dir: &Path) -> PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    support::write_kubeconfig(dir, &format!("http://127.0.0.1:{port}"), "dead-cluster")
}

#[test]
fn a_dead_api_server_fails_fast_naming_the_context() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dead_kubeconfig(dir.path());
    let started = Instant::now();
    let out = injit(&["-f", &example("sleep.yaml")], &kubeconfig);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(4), "the cluster could not be used");
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: context \"dead-cluster\": cannot reach the API server http://127.0.0.1:"),
        "{stderr}"
    );
}

#[test]
fn offline_uses_no_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dead_kubeconfig(dir.path());
    let out = injit(&["-f", &example("sleep.yaml"), "--offline"], &kubeconfig);
    assert!(succeeded(&out).contains("image: docker.io/istio/proxyv2:1.31.0"));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn forbidden_names_the_rbac_verb_and_resource() {
    let api = cluster();
    api.forbid("configmaps");
    let out = injit_against(&api, &["-f", &example("sleep.yaml")]);
    assert_eq!(out.status.code(), Some(4), "the cluster could not be used");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: context \"kind-test\": forbidden: the credentials may not get configmaps in namespace \
             \"istio-system\" (grant RBAC verb \"get\" on \"configmaps\")"
        ),
        "{stderr}"
    );
}

#[test]
fn a_missing_config_map_says_where_it_looked() {
    let api = cluster();
    let out = injit_against(&api, &["-f", &example("sleep.yaml"), "-i", "elsewhere"]);
    assert_eq!(out.status.code(), Some(4), "the cluster could not be used");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: context \"kind-test\": configmap elsewhere/istio-sidecar-injector not found (-i names"
        ),
        "{stderr}"
    );
}

#[test]
fn the_resolved_cluster_reads_the_injections_objects() {
    let api = cluster();
    api.put(objects::namespace("test-ns"));
    api.put(objects::node("node-1", "v1.33.0"));
    api.put(objects::proxy_config("istio-system", "root", None));
    let dir = tempfile::tempdir().unwrap();
    let args = injit::args::ClusterArgs {
        istio_namespace: "istio-system".to_owned(),
        mesh_config_map_name: "istio".to_owned(),
        inject_config_map_name: "istio-sidecar-injector".to_owned(),
        kubeconfig: Some(api.kubeconfig(dir.path(), "kind-test")),
        context: None,
        offline: false,
    };
    let resolved = injit::cluster::resolve(Default::default(), &args, "").expect("resolved");
    assert_eq!(resolved.sources.mesh.unwrap().name, "configmap istio-system/istio (data.mesh)");
    let session = resolved.cluster.expect("a cluster was read");
    // The client outlives resolving: its runtime came along.
    let objects = session.injection_objects("istio-system", &["test-ns"]).expect("objects");
    assert_eq!((objects.proxy_configs.len(), objects.namespaces.len(), objects.nodes.len()), (1, 1, 1));
}
