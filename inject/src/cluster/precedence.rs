//! Istio's `mergeWithPrecedence` (`pilot/pkg/model/proxy_config.go`,
//! Istio 86c9f01f): ProxyConfigs laid over each other, the first highest.
//! Each is written as `jsonpb` writes it (`protomarshal.ToYAML`: proto3
//! zero values, empty maps and lists left out; wrappers, set messages and
//! oneof members kept) and merged as `mesh.MergeProxyConfig` merges a
//! pod's annotation (`proxy_config::merge`). So a layer's
//! `interceptionMode: REDIRECT` or `statusPort: 0` (zero values) never
//! overrides a lower layer, while `concurrency: 0` (a wrapper) does.

use std::sync::OnceLock;

use injit_runtime::types::GoType;
use serde_json::{Map, Value};

use crate::object::to_float_data;
use crate::proxy_config::{camel_keys, merge};

/// `mergeWithPrecedence(configs...)`: `configs[0]` wins over
/// `configs[1]`, and so on; `None` (a nil ProxyConfig) is skipped.
pub fn merge_with_precedence(configs: &[Option<&Map<String, Value>>]) -> Map<String, Value> {
    let mut merged = Map::new();
    for config in configs.iter().rev().flatten() {
        merge(&mut merged, as_written(config));
    }
    merged
}

/// A ProxyConfig as `jsonpb` writes it (protobuf JSON names, zero values
/// left out; fields the type does not have dropped, as Istio's lenient
/// decoding drops them).
pub fn as_written(config: &Map<String, Value>) -> Map<String, Value> {
    let t = GoType::named("meshconfig.ProxyConfig").expect("the schema has ProxyConfig");
    let data = to_float_data(&Value::Object(camel_keys(config)));
    let mut out = Vec::new();
    injit_runtime::encoding::protojson::write_message(&mut out, t, &data, false);
    match serde_json::from_slice(&out) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// `mesh.DefaultProxyConfig()`, as written (from the embedded
/// `mesh.DefaultMeshConfig()`).
pub fn default_proxy_config() -> &'static Map<String, Value> {
    static DEFAULT: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        let mesh = crate::config::mesh_defaults();
        match mesh.get("defaultConfig") {
            Some(Value::Object(config)) => as_written(config),
            _ => Map::new(),
        }
    })
}
