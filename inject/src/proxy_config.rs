//! The pod's `proxy.istio.io/config` annotation applied to the mesh's
//! default ProxyConfig (`mesh.ApplyProxyConfig`): each top-level field the
//! annotation sets replaces the default's (protobuf JSON decoding into an
//! existing message), except `proxyMetadata`, whose entries are merged,
//! and `proxyHeaders`, whose unset headers keep the default's.

use injit_runtime::types::GoType;
use serde_json::{Map, Value};

use crate::object::yaml_documents;

pub const PROXY_CONFIG_ANNOTATION: &str = "proxy.istio.io/config";

/// The mesh config with the annotation's ProxyConfig applied to its
/// `defaultConfig`.
pub fn apply(mesh: &Value, annotation: &str) -> Result<Value, String> {
    let overlay = parse(annotation)?;
    let mut mesh = mesh.clone();
    merge(crate::object::ensure_object(&mut mesh, &["defaultConfig"]), overlay);
    Ok(mesh)
}

/// `MergeProxyConfig`: `overlay`'s fields laid over `base`.
pub fn merge(base: &mut Map<String, Value>, overlay: Map<String, Value>) {
    for (key, value) in overlay {
        let key = lower_camel(&key);
        if value.is_null() {
            continue;
        }
        match (key.as_str(), base.get_mut(&key)) {
            ("proxyMetadata", Some(Value::Object(existing))) if value.is_object() => {
                for (k, v) in value.as_object().expect("an object") {
                    existing.insert(k.clone(), v.clone());
                }
            }
            ("proxyHeaders", Some(Value::Object(existing))) if value.is_object() => {
                let mut headers = value.as_object().expect("an object").clone();
                for (k, v) in existing.iter() {
                    headers.entry(k.clone()).or_insert_with(|| v.clone());
                }
                *existing = headers;
            }
            _ => {
                base.insert(key, value);
            }
        }
    }
}

/// Checks a ProxyConfig overlay (the annotation, or a mesh config's
/// `defaultConfig`) as Istio does before injecting: it must decode as a
/// `ProxyConfig` (`protomarshal.ApplyYAML`: types, enum names, durations)
/// and the fields it sets must pass `ValidateMeshConfigProxyConfig`
/// (ports, drain duration, addresses, auth policy). The defaults under
/// it are valid, so only what it sets can fail.
pub fn check(overlay: &Map<String, Value>) -> Result<(), String> {
    let overlay = Value::Object(camel_keys(overlay));
    let t = GoType::named("meshconfig.ProxyConfig").expect("the schema has ProxyConfig");
    injit_runtime::encoding::json::check::check_proto(t, &overlay)?;
    validate(overlay.as_object().expect("an object"))
}

/// The top-level keys of `map` in their protobuf JSON form.
pub(crate) fn camel_keys(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter().map(|(k, v)| (lower_camel(k), v.clone())).collect()
}

/// `ValidateMeshConfigProxyConfig` for the fields a decoded overlay
/// (keys in their JSON form) sets.
pub(crate) fn validate(overlay: &Map<String, Value>) -> Result<(), String> {
    let set = |key: &str| overlay.get(key).filter(|v| !v.is_null());
    let mut problems = Vec::new();
    for (key, what) in [("configPath", "config path"), ("binaryPath", "binary path")] {
        if set(key).and_then(Value::as_str) == Some("") {
            problems.push(format!("{what} must be set"));
        }
    }
    if let Some(duration) = set("drainDuration").and_then(Value::as_str) {
        let nanos = injit_runtime::gotime::parse_duration(duration)?;
        if let Err(e) = valid_duration(nanos) {
            problems.push(format!("invalid drain duration: {e}"));
        } else if nanos % 1_000_000_000 != 0 {
            problems.push("drain time only supports durations to seconds precision".to_owned());
        }
    }
    match set("discoveryAddress").and_then(Value::as_str) {
        Some("") => problems.push("discovery address must be set to the proxy discovery service".to_owned()),
        Some(address) => {
            if let Err(e) = proxy_address(address) {
                problems.push(format!("invalid discovery address: {e}"));
            }
        }
        None => {}
    }
    if let Some(address) = set("statsdUdpAddress").and_then(Value::as_str).filter(|a| !a.is_empty())
        && let Err(e) = proxy_address(address)
    {
        problems.push(format!("invalid statsd udp address {}: {e}", injit_strconv::quote(address.as_bytes())));
    }
    for (key, what) in [("proxyAdminPort", "proxy admin port"), ("statusPort", "status port")] {
        if let Some(port) = set(key).and_then(integer)
            && let Err(e) = valid_port(port)
        {
            problems.push(format!("invalid {what}: {e}"));
        }
    }
    if let Some(policy) = set("controlPlaneAuthPolicy").and_then(Value::as_str)
        && !matches!(policy, "NONE" | "MUTUAL_TLS")
    {
        problems.push(format!("invalid authentication policy: unrecognized control plane auth policy {policy:?}"));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// An integer as JSON or as protobuf JSON's quoted form.
fn integer(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

/// `ValidatePort`.
fn valid_port(port: i64) -> Result<(), String> {
    if (1..=65535).contains(&port) { Ok(()) } else { Err(format!("port number {port} must be in the range 1..65535")) }
}

/// `ValidateDuration`: at least a millisecond, in whole milliseconds.
fn valid_duration(nanos: i64) -> Result<(), String> {
    if nanos < 1_000_000 {
        return Err("duration must be greater than 1ms".to_owned());
    }
    if nanos % 1_000_000 != 0 {
        return Err("only durations to ms precision are supported".to_owned());
    }
    Ok(())
}

/// `ValidateProxyAddress`'s shape: `host:port` (`[v6]:port`), a host and
/// a valid port.
fn proxy_address(address: &str) -> Result<(), String> {
    let quoted = injit_strconv::quote(address.as_bytes());
    let split = match address.strip_prefix('[') {
        Some(rest) => rest.split_once("]:"),
        None => address.rsplit_once(':').filter(|(host, _)| !host.contains(':')),
    };
    let Some((host, port)) = split else {
        return Err(format!("unable to split {quoted}: missing port in address"));
    };
    let port_number = port.parse::<i64>().map_err(|_| format!("port ({port}) is not a number"))?;
    valid_port(port_number)?;
    if host.is_empty() {
        return Err(format!("{quoted} has no host"));
    }
    Ok(())
}

/// The annotation as a ProxyConfig JSON object, field names in their
/// protobuf JSON (lowerCamelCase) form.
pub(crate) fn parse(annotation: &str) -> Result<Map<String, Value>, String> {
    let docs = yaml_documents(annotation).map_err(|e| format!("could not parse proxy config: {}", e.message))?;
    match docs.into_iter().next() {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err("could not parse proxy config: not a map".to_owned()),
    }
}

/// `hold_application_until_proxy_starts` → `holdApplicationUntilProxyStarts`
/// (protobuf JSON accepts both spellings).
pub(crate) fn lower_camel(name: &str) -> String {
    if !name.contains('_') {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_replace_and_metadata_merges() {
        let mesh = json!({"defaultConfig": {"concurrency": 2, "proxyMetadata": {"A": "1"}, "tracing": {"zipkin": {"address": "z"}}}});
        let out = apply(
            &mesh,
            "concurrency: 4\nproxyMetadata:\n  B: '2'\ntracing: {}\nhold_application_until_proxy_starts: true",
        )
        .unwrap();
        assert_eq!(
            out["defaultConfig"],
            json!({"concurrency": 4, "proxyMetadata": {"A": "1", "B": "2"}, "tracing": {}, "holdApplicationUntilProxyStarts": true})
        );
        assert!(apply(&mesh, "[1, 2]").is_err());
    }
}
