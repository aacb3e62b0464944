//! Istio's ProxyConfig precedence tests (`pilot/pkg/model/proxy_config_test.go`
//! at istio/istio 86c9f01f), ported as data (`data/proxy_config_cases.yaml`),
//! with injit's own cases after them: every case runs.

use std::collections::BTreeMap;

use injit_inject::ClusterState;
use injit_inject::cluster::{
    MeshProxyConfig, PodMeta, ProxyConfigResource, default_proxy_config, merge_with_precedence,
};
use serde_json::{Map, Value, json};

fn cases() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/proxy_config_cases.yaml");
    let text = std::fs::read_to_string(path).expect("the cases file");
    injit_inject::object::yaml_documents(&text).expect("the cases parse").remove(0)
}

fn section(name: &str) -> Vec<Value> {
    let all = cases();
    let list = all[name].as_array().unwrap_or_else(|| panic!("no section {name}")).clone();
    assert!(!list.is_empty(), "section {name} is empty");
    list
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Each case's name, for messages.
fn name(case: &Value) -> &str {
    case["name"].as_str().unwrap_or("<unnamed>")
}

#[test]
fn to_mesh_config_proxy_config() {
    for case in section("toMeshConfigProxyConfig") {
        let resource = json!({"metadata": {"name": "pc", "namespace": "ns"}, "spec": case["spec"]});
        let converted = ProxyConfigResource::from_object(&resource).unwrap_or_else(|e| panic!("{}: {e}", name(&case)));
        assert_eq!(converted.config(), &object(&case["expected"]), "{}", name(&case));
    }
}

#[test]
fn merge_with_precedence_table() {
    for case in section("mergeWithPrecedence") {
        let (first, second) = (case["first"].as_object(), case["second"].as_object());
        let merged = merge_with_precedence(&[first, second]);
        assert_eq!(merged, object(&case["expected"]), "{}", name(&case));
    }
}

#[test]
fn effective_proxy_config_table() {
    for case in section("effectiveProxyConfig") {
        let resources = case["proxyConfigs"].as_array().cloned().unwrap_or_default();
        let cluster = ClusterState::listed(&resources, &[], &[]).unwrap_or_else(|e| panic!("{}: {e}", name(&case)));
        let mut mesh = json!({"rootNamespace": "istio-system"});
        if !case["defaultConfig"].is_null() {
            mesh["defaultConfig"] = case["defaultConfig"].clone();
        }
        let pod = json!({"metadata": {"labels": case["pod"]["labels"], "annotations": case["pod"]["annotations"]}});
        let namespace = case["pod"]["namespace"].as_str().expect("a namespace");
        let mesh = MeshProxyConfig::of(&mesh);
        let effective = cluster.proxy_configs().effective(&mesh, &PodMeta::of(&pod, namespace));
        // `proto.Merge(mesh.DefaultProxyConfig(), expected)`: the cases set
        // no field the default has.
        let mut expected = default_proxy_config().clone();
        for (key, value) in object(&case["expected"]) {
            assert!(!expected.contains_key(&key), "{}: {key} would need proto.Merge's message merge", name(&case));
            expected.insert(key, value);
        }
        let effective = effective.as_object().expect("an object");
        assert_eq!(sorted(effective), sorted(&expected), "{}", name(&case));
    }
}

#[test]
fn invalid_proxy_configs_are_refused_by_name_and_field() {
    for case in section("invalidProxyConfigs") {
        let error = ProxyConfigResource::from_object(&case["object"]).expect_err("an invalid resource");
        assert_eq!(error.to_string(), case["error"].as_str().expect("an error"));
        let listed = ClusterState::listed(std::slice::from_ref(&case["object"]), &[], &[]);
        assert_eq!(listed.err(), Some(error), "listing refuses it too");
    }
}

/// Key order does not matter to a ProxyConfig; a sorted copy prints
/// readably when a case fails.
fn sorted(map: &Map<String, Value>) -> BTreeMap<String, Value> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}
