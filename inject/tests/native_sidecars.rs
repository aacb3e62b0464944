//! `ENABLE_NATIVE_SIDECARS`: Istio's `TestDetectNativeSidecar`
//! (`pkg/kube/inject/webhook_test.go`, istio/istio 86c9f01f), the nodes of
//! `TestInjection` and `TestInjectionOlderVersion`, and a pod's
//! `spec.nodeName` deciding; then through the injector.

use injit_inject::{Caller, ClusterState, NativeSidecars, Options, Outcome, Request, Sources, Workload};
use serde_json::{Value, json};

/// Nodes `node-1`, `node-2`, … with these kubelet versions, as the API
/// returns them (`None`: a node without `status.nodeInfo`).
fn cluster(versions: &[Option<&str>]) -> ClusterState {
    let nodes: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node-{}", i + 1)}});
            if let Some(v) = v {
                node["status"] = json!({"nodeInfo": {"kubeletVersion": v}});
            }
            node
        })
        .collect();
    ClusterState::listed(&[], &[], &nodes).expect("valid nodes")
}

#[test]
fn detect_native_sidecar_as_istio() {
    use NativeSidecars::{Auto, Off, On};
    let cases: &[(&str, NativeSidecars, &[Option<&str>], bool)] = &[
        ("env disabled should be always disabled", Off, &[Some("1.33.0"), Some("1.34.0")], false),
        (
            "kube versions greater than 1.33 with env auto should enable native sidecar",
            Auto,
            &[Some("1.33.0"), Some("1.34.0")],
            true,
        ),
        (
            "kube versions less than 1.33 with env auto should disable native sidecar",
            Auto,
            &[Some("1.28.0"), Some("1.29.0")],
            false,
        ),
        (
            "clusters with at least one node on unsupported version should disable native sidecar",
            Auto,
            &[Some("1.33.0"), Some("1.28.0")],
            false,
        ),
        ("no nodes should disable native sidecar", Auto, &[None], false),
        (
            "clusters with at least one node on unsupported version should enable native sidecar if explicitly enabled",
            On,
            &[Some("1.33.0"), Some("1.28.0")],
            true,
        ),
        // TestInjection's and TestInjectionOlderVersion's nodes.
        ("TestInjection: v1.33.0 and v1.34.0", Auto, &[Some("v1.33.0"), Some("v1.34.0")], true),
        ("TestInjectionOlderVersion: v1.33.0 and v1.28.0", Auto, &[Some("v1.33.0"), Some("v1.28.0")], false),
        ("a listed cluster without nodes", Auto, &[], true),
        ("vendor suffixes are read", Auto, &[Some("v1.33.5-eks-3025e55"), Some("v1.34.1+k3s1")], true),
        ("an unreadable version counts as too old", Auto, &[Some("v1.34.0"), Some("one.thirty-four")], false),
    ];
    for (name, setting, versions, want) in cases {
        let state = cluster(versions);
        assert_eq!(setting.resolve(state.nodes(), ""), *want, "{name}");
    }
}

#[test]
fn the_pods_node_decides_when_it_is_known() {
    let mixed = cluster(&[Some("v1.33.0"), Some("v1.28.0")]);
    assert!(NativeSidecars::Auto.resolve(mixed.nodes(), "node-1"), "on the 1.33 node");
    assert!(!NativeSidecars::Auto.resolve(mixed.nodes(), "node-2"), "on the 1.28 node");
    assert!(!NativeSidecars::Auto.resolve(mixed.nodes(), "node-9"), "an unknown node: every node decides");
    let recent = cluster(&[Some("v1.33.0"), Some("v1.34.0")]);
    assert!(NativeSidecars::Auto.resolve(recent.nodes(), "node-9"));
}

#[test]
fn without_the_nodes_auto_is_off_as_kube_inject_without_a_client() {
    assert!(!NativeSidecars::Auto.resolve(ClusterState::default().nodes(), ""));
    assert!(NativeSidecars::On.resolve(None, ""));
    assert!(!NativeSidecars::Off.resolve(None, ""));
}

#[test]
fn the_setting_reads_as_istiod_reads_the_variable() {
    assert_eq!(NativeSidecars::from_env(None), NativeSidecars::Auto);
    assert_eq!(NativeSidecars::from_env(Some("true")), NativeSidecars::On);
    assert_eq!(NativeSidecars::from_env(Some("false")), NativeSidecars::Off);
    assert_eq!(NativeSidecars::from_env(Some("auto")), NativeSidecars::Auto);
    // Anything else: "Unknown value for ENABLE_NATIVE_SIDECARS ..., defaulting to false".
    for other in ["", "TRUE", "1", "yes", " auto"] {
        assert_eq!(NativeSidecars::from_env(Some(other)), NativeSidecars::Off, "{other:?}");
    }
}

/// Where the injector puts `istio-proxy`: `initContainers` (native) or
/// `containers`.
fn proxy_place(cluster: Option<&ClusterState>, node_name: Option<&str>, caller: Caller) -> &'static str {
    let injector =
        Sources::default().build(Options { native_sidecars: NativeSidecars::Auto, ..Options::default() }).unwrap();
    let mut pod = json!({
        "metadata": {"name": "app", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "busybox"}]},
    });
    if let Some(node) = node_name {
        pod["spec"]["nodeName"] = json!(node);
    }
    let workload = Workload::of_pod(&pod);
    let mut request = Request::new(&workload, &pod, caller);
    if let Some(cluster) = cluster {
        request = request.cluster(cluster);
    }
    let Ok(Outcome::Injected(injected)) = injector.inject(&request) else { panic!("injected") };
    let has_proxy =
        |key: &str| injected["spec"][key].as_array().into_iter().flatten().any(|c| c["name"] == "istio-proxy");
    match (has_proxy("initContainers"), has_proxy("containers")) {
        (true, false) => "initContainers",
        (false, true) => "containers",
        other => panic!("istio-proxy placed {other:?}"),
    }
}

#[test]
fn the_injector_places_the_proxy_by_the_cluster() {
    let recent = cluster(&[Some("v1.33.0"), Some("v1.34.0")]);
    let mixed = cluster(&[Some("v1.33.0"), Some("v1.28.0")]);
    for caller in [Caller::Webhook, Caller::KubeInject] {
        assert_eq!(proxy_place(Some(&recent), None, caller), "initContainers", "{caller:?}");
        assert_eq!(proxy_place(Some(&mixed), None, caller), "containers", "{caller:?}");
        assert_eq!(proxy_place(Some(&mixed), Some("node-1"), caller), "initContainers", "{caller:?}");
        assert_eq!(proxy_place(Some(&mixed), Some("node-2"), caller), "containers", "{caller:?}");
        assert_eq!(proxy_place(None, None, caller), "containers", "{caller:?}: no nodes known");
    }
}
