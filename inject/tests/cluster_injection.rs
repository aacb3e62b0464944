//! The cluster state through the injector: ProxyConfig resources reaching
//! the sidecar, and OpenShift's namespace ranges setting the proxy's user.

use injit_inject::{Caller, ClusterState, Injector, NativeSidecars, Options, Outcome, Request, Sources, Workload};
use serde_json::{Value, json};

fn injector(openshift: bool) -> Injector {
    let options = Options { native_sidecars: NativeSidecars::On, openshift, ..Options::default() };
    Sources::default().build(options).expect("the embedded config")
}

fn pod(namespace: &str, labels: Value) -> Value {
    json!({
        "metadata": {"name": "app", "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "busybox"}]},
    })
}

fn inject(injector: &Injector, cluster: &ClusterState, pod: &Value, caller: Caller) -> Value {
    let workload = Workload::of_pod(pod);
    let request = Request::new(&workload, pod, caller).cluster(cluster);
    match injector.inject(&request) {
        Ok(Outcome::Injected(pod)) => pod,
        other => panic!("not injected: {other:?}"),
    }
}

fn proxy(pod: &Value) -> &Value {
    let all = pod["spec"]["initContainers"].as_array().into_iter().chain(pod["spec"]["containers"].as_array());
    all.flatten().find(|c| c["name"] == "istio-proxy").expect("an istio-proxy")
}

fn env<'p>(container: &'p Value, name: &str) -> Option<&'p str> {
    container["env"].as_array()?.iter().find(|e| e["name"] == name)?["value"].as_str()
}

fn proxy_config(name: &str, namespace: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.istio.io/v1beta1", "kind": "ProxyConfig",
           "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

#[test]
fn proxy_config_resources_reach_the_sidecar() {
    let resources = [
        proxy_config(
            "mesh-wide",
            "istio-system",
            json!({"concurrency": 3, "environmentVariables": {"FROM_ROOT": "r"}}),
        ),
        proxy_config("ns", "shop", json!({"image": {"imageType": "distroless"}})),
        proxy_config("cart", "shop", json!({"selector": {"matchLabels": {"app": "cart"}}, "concurrency": 5})),
    ];
    let cluster = ClusterState::listed(&resources, &[], &[]).expect("valid resources");
    let injector = injector(false);
    for caller in [Caller::Webhook, Caller::KubeInject] {
        let web = inject(&injector, &cluster, &pod("shop", json!({"app": "web"})), caller);
        let sidecar = proxy(&web);
        assert!(sidecar["image"].as_str().unwrap().ends_with("-distroless"), "{caller:?}: {}", sidecar["image"]);
        assert_eq!(env(sidecar, "FROM_ROOT"), Some("r"), "{caller:?}");
        let config: Value = serde_json::from_str(env(sidecar, "PROXY_CONFIG").expect("PROXY_CONFIG")).unwrap();
        assert_eq!(config["concurrency"], 3, "{caller:?}");

        let cart = inject(&injector, &cluster, &pod("shop", json!({"app": "cart"})), caller);
        let config: Value = serde_json::from_str(env(proxy(&cart), "PROXY_CONFIG").unwrap()).unwrap();
        assert_eq!(config["concurrency"], 5, "{caller:?}: the workload's resource wins");

        let elsewhere = inject(&injector, &cluster, &pod("other", json!({"app": "cart"})), caller);
        assert!(!proxy(&elsewhere)["image"].as_str().unwrap().ends_with("-distroless"), "{caller:?}");
        assert_eq!(env(proxy(&elsewhere), "FROM_ROOT"), Some("r"), "{caller:?}: the root namespace's applies");
    }
}

fn namespace(name: &str, uid_range: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "annotations": {
        "openshift.io/sa.scc.uid-range": uid_range,
        "openshift.io/sa.scc.supplemental-groups": uid_range,
    }}})
}

/// The proxy's `runAsUser` and `runAsGroup`.
fn proxy_ids(pod: &Value) -> (Value, Value) {
    let context = &proxy(pod)["securityContext"];
    (context["runAsUser"].clone(), context["runAsGroup"].clone())
}

#[test]
fn openshift_namespaces_give_the_proxy_its_ids() {
    let namespaces = [namespace("test-ns", "1000620000/10000"), namespace("broken", "abc")];
    let cluster = ClusterState::listed(&[], &namespaces, &[]).expect("valid namespaces");
    let openshift = injector(true);
    let webhook =
        |injector: &Injector, ns: &str| proxy_ids(&inject(injector, &cluster, &pod(ns, json!({})), Caller::Webhook));
    assert_eq!(webhook(&openshift, "test-ns"), (json!(1000629999), json!(1000629999)));
    assert_eq!(webhook(&openshift, "broken"), (json!(1337), json!(1337)), "a malformed range: Istio's 1337");
    assert_eq!(webhook(&openshift, "missing"), (json!(1337), json!(1337)), "no such namespace");
    assert_eq!(webhook(&injector(false), "test-ns"), (json!(1337), json!(1337)), "not OpenShift");
    let unknown = ClusterState::default();
    let pod = pod("test-ns", json!({}));
    let offline = inject(&openshift, &unknown, &pod, Caller::Webhook);
    assert_eq!(proxy_ids(&offline), (json!(1337), json!(1337)), "the namespaces are not known");
}

#[test]
fn invalid_cluster_objects_are_refused_by_name() {
    let bad_node = json!({"metadata": {"name": "n1"}, "status": {"nodeInfo": {"kubeletVersion": 133}}});
    let e = ClusterState::listed(&[], &[], &[bad_node]).unwrap_err();
    assert_eq!(e.to_string(), "Node n1: status.nodeInfo.kubeletVersion: must be a string, not a number");
    let bad_namespace = json!({"metadata": {"name": "ns", "annotations": ["x"]}});
    let e = ClusterState::listed(&[], &[bad_namespace], &[]).unwrap_err();
    assert_eq!(e.to_string(), "Namespace ns: metadata.annotations: must be a map of strings, not an array");
    let mut state = ClusterState::default();
    assert!(state.add_node(&json!("a node")).is_err());
    assert!(state.nodes().is_none(), "a refused node leaves the nodes unknown");
}
