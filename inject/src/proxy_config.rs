//! The pod's `proxy.istio.io/config` annotation applied to the mesh's
//! default ProxyConfig (`mesh.ApplyProxyConfig`): each top-level field the
//! annotation sets replaces the default's (protobuf JSON decoding into an
//! existing message), except `proxyMetadata`, whose entries are merged,
//! and `proxyHeaders`, whose unset headers keep the default's.

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

/// The annotation as a ProxyConfig JSON object, field names in their
/// protobuf JSON (lowerCamelCase) form.
fn parse(annotation: &str) -> Result<Map<String, Value>, String> {
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
