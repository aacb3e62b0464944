//! `injit serve` watching a cluster (a fake API server speaking the
//! Kubernetes wire format): not ready before its first sync, the
//! ProxyConfig resources and Nodes in every injection, still answering
//! from the last state while the API server is away, and a changed
//! resource picked up from one watch event.

mod common;
#[path = "../cluster/tests/support/mod.rs"]
mod support;

use common::{Webhook, apply, review, sleep_pod};
use serde_json::{Value, json};
use support::{FakeApi, objects};

/// The proxy's `PROXY_CONFIG`: the ProxyConfig the pod was injected with.
fn proxy_config(pod: &Value) -> Value {
    let containers = pod["spec"]["containers"].as_array().into_iter().flatten();
    let init = pod["spec"]["initContainers"].as_array().into_iter().flatten();
    let proxy = containers.chain(init).find(|c| c["name"] == "istio-proxy").expect("a proxy");
    let env = proxy["env"].as_array().unwrap().iter().find(|e| e["name"] == "PROXY_CONFIG").expect("PROXY_CONFIG");
    serde_json::from_str(env["value"].as_str().unwrap()).unwrap()
}

async fn injected(webhook: &Webhook, uid: &str) -> Value {
    let pod = sleep_pod();
    let response = webhook.review("/inject", &review("v1", uid, &pod)).await;
    assert_eq!(response["allowed"], true, "{response}");
    apply(&pod, &response)
}

fn with_env(value: &str) -> Option<Value> {
    Some(json!({"environmentVariables": {"FROM_CLUSTER": value}}))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_injects_with_the_clusters_state_and_keeps_it_while_the_api_server_is_away() {
    let api = FakeApi::start();
    api.put(objects::node("node-1", "v1.34.0"));
    api.put(objects::proxy_config("istio-system", "mesh-wide", with_env("first")));
    // Until ProxyConfigs can be listed, the state is not known: not ready.
    api.forbid("proxyconfigs");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path(), "kind-test");
    let webhook = Webhook::start_with_kubeconfig(tempfile::tempdir().unwrap(), &[], &kubeconfig);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(webhook.monitoring_get("/ready").await, 503, "not ready before the first sync");
    // A pod that reaches it anyway is not injected without that state.
    let early = webhook.review("/inject", &review("v1", "early", &sleep_pod())).await;
    assert_eq!(early["allowed"], false, "{early}");
    let message = early["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("the cluster's state (ProxyConfigs, Namespaces, Nodes) has not been read yet"), "{early}");
    api.allow("proxyconfigs");
    webhook.eventually("ready after the first sync", async || webhook.monitoring_get("/ready").await == 200).await;

    let pod = injected(&webhook, "a").await;
    assert_eq!(proxy_config(&pod)["proxyMetadata"]["FROM_CLUSTER"], "first");
    let native = pod["spec"]["initContainers"].as_array().unwrap().iter().any(|c| c["name"] == "istio-proxy");
    assert!(native, "every node is 1.34: a native sidecar");

    // The API server goes away: injections go on with the last state.
    api.set_down(true);
    let pod = injected(&webhook, "b").await;
    assert_eq!(proxy_config(&pod)["proxyMetadata"]["FROM_CLUSTER"], "first");
    webhook
        .eventually("the state's age grows", async || webhook.metric("injit_cluster_state_age_seconds").await >= 1.0)
        .await;

    // It comes back with a changed resource: one watch event later, the
    // injection has it.
    api.put(objects::proxy_config("istio-system", "mesh-wide", with_env("second")));
    api.set_down(false);
    webhook
        .eventually("the changed ProxyConfig is used", async || {
            proxy_config(&injected(&webhook, "c").await)["proxyMetadata"]["FROM_CLUSTER"] == "second"
        })
        .await;
    assert_eq!(webhook.monitoring_get("/ready").await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_cluster_flag_nothing_is_read() {
    let api = FakeApi::start();
    api.put(objects::proxy_config("istio-system", "mesh-wide", with_env("first")));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path(), "kind-test");
    let webhook = Webhook::start_with_kubeconfig(tempfile::tempdir().unwrap(), &["--cluster", "false"], &kubeconfig);
    assert_eq!(webhook.monitoring_get("/ready").await, 200);
    let pod = injected(&webhook, "a").await;
    assert!(proxy_config(&pod)["proxyMetadata"]["FROM_CLUSTER"].is_null());
    assert_eq!(api.requests(), Vec::<String>::new());
}
