//! Kubernetes strategic merge for pods, as Istio overlays a rendered
//! template on a pod (`StrategicMergeMapPatchUsingLookupPatchMeta` with
//! `corev1.Pod`'s patch metadata):
//!
//! - maps merge recursively; a `null` in the patch deletes the field;
//! - lists with a merge key merge element by element (containers, volumes,
//!   env... by `name`; volume mounts by `mountPath`; ports by
//!   `containerPort`); other lists are replaced;
//! - `$patch: replace` replaces a map, `$patch: delete` removes a list
//!   element; other `$` directives are dropped;
//! - a merged list keeps the patch's order for the patch's elements and the
//!   original order for the others, interleaved by original position, new
//!   elements first (apimachinery's `normalizeElementOrder`).

use serde_json::{Map, Value};

/// The merge key of a pod list field, if the list merges by key.
pub fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers" | "initContainers" | "ephemeralContainers" | "volumes" | "imagePullSecrets" | "env" => "name",
        "resourceClaims" | "schedulingGates" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => "containerPort",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        _ => return None,
    })
}

/// Applies `patch` to `original` in place.
pub fn merge(original: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *original = patch.clone();
        return;
    };
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        *original = Value::Object(without_directives(patch));
        return;
    }
    if !original.is_object() {
        *original = Value::Object(Map::new());
    }
    let target = original.as_object_mut().expect("an object");
    for (key, value) in patch {
        if key.starts_with('$') {
            continue;
        }
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(_) => match target.get_mut(key) {
                Some(existing @ Value::Object(_)) => merge(existing, value),
                _ => {
                    let mut fresh = Value::Object(Map::new());
                    merge(&mut fresh, value);
                    target.insert(key.clone(), fresh);
                }
            },
            Value::Array(items) => {
                let merged = match (merge_key(key), target.get(key)) {
                    (Some(k), Some(Value::Array(existing))) => merge_list(existing, items, k),
                    (Some(k), _) => merge_list(&[], items, k),
                    (None, _) => Value::Array(items.iter().map(clean).collect()),
                };
                target.insert(key.clone(), merged);
            }
            scalar => {
                target.insert(key.clone(), scalar.clone());
            }
        }
    }
}

/// A patch value as a plain value: directives dropped, `null`s kept out
/// of maps that did not exist before.
fn clean(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Value::Object(Map::new());
            merge(&mut out, &Value::Object(map.clone()));
            out
        }
        Value::Array(items) => Value::Array(items.iter().map(clean).collect()),
        other => other.clone(),
    }
}

fn without_directives(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), clean(v))).collect()
}

fn key_of<'v>(item: &'v Value, key: &str) -> Option<&'v Value> {
    item.as_object()?.get(key)
}

/// Merges a keyed list.
fn merge_list(original: &[Value], patch: &[Value], key: &str) -> Value {
    // Patch elements, merged onto their originals (in patch order).
    let mut patched: Vec<Value> = Vec::new();
    let mut deleted: Vec<&Value> = Vec::new();
    for item in patch {
        let Some(k) = key_of(item, key) else {
            // Elements without the key are kept as they are.
            patched.push(clean(item));
            continue;
        };
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            deleted.push(k);
            continue;
        }
        let base = original.iter().find(|o| key_of(o, key) == Some(k));
        let mut merged = base.cloned().unwrap_or(Value::Object(Map::new()));
        merge(&mut merged, item);
        if let Some(existing) = patched.iter_mut().find(|p| key_of(p, key) == Some(k)) {
            merge(existing, item);
        } else {
            patched.push(merged);
        }
    }
    let server_only: Vec<Value> = original
        .iter()
        .filter(|o| {
            let k = key_of(o, key);
            !patched.iter().any(|p| k.is_some() && key_of(p, key) == k) && !k.is_some_and(|k| deleted.contains(&k))
        })
        .cloned()
        .collect();
    // normalizeElementOrder: interleave by original position; elements new
    // to the list (no original position) go first.
    let position =
        |item: &Value| key_of(item, key).and_then(|k| original.iter().position(|o| key_of(o, key) == Some(k)));
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(patched.len() + server_only.len());
    while i < server_only.len() || j < patched.len() {
        if i >= server_only.len() {
            out.push(patched[j].clone());
            j += 1;
        } else if j >= patched.len() {
            out.push(server_only[i].clone());
            i += 1;
        } else {
            match (position(&server_only[i]), position(&patched[j])) {
                (Some(l), Some(r)) if l < r => {
                    out.push(server_only[i].clone());
                    i += 1;
                }
                _ => {
                    out.push(patched[j].clone());
                    j += 1;
                }
            }
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn containers_merge_by_name_new_first() {
        let mut pod = json!({"spec": {"containers": [{"name": "hello", "image": "h"}]}});
        merge(&mut pod, &json!({"spec": {"containers": [{"name": "istio-proxy", "image": "p"}]}}));
        assert_eq!(
            pod,
            json!({"spec": {"containers": [{"name": "istio-proxy", "image": "p"}, {"name": "hello", "image": "h"}]}})
        );
    }

    #[test]
    fn patched_elements_take_the_patch_order() {
        let mut pod = json!({"spec": {"containers": [{"name": "a", "args": ["x"]}, {"name": "b"}, {"name": "c"}]}});
        merge(&mut pod, &json!({"spec": {"containers": [{"name": "b", "image": "i"}, {"name": "a", "args": ["y"]}]}}));
        assert_eq!(
            pod,
            json!({"spec": {"containers": [{"name": "b", "image": "i"}, {"name": "a", "args": ["y"]}, {"name": "c"}]}})
        );
    }

    #[test]
    fn nulls_delete_and_replace_directive() {
        let mut pod = json!({"metadata": {"labels": {"a": "1", "b": "2"}, "annotations": {"x": "y"}}});
        merge(&mut pod, &json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}, "annotations": {"x": null}}}));
        assert_eq!(pod, json!({"metadata": {"labels": {"c": "3"}, "annotations": {}}}));
    }

    #[test]
    fn env_by_name_mounts_by_path_args_replaced() {
        let mut c = json!({"env": [{"name": "A", "value": "1"}], "volumeMounts": [{"mountPath": "/x", "name": "v"}], "args": ["a"]});
        merge(
            &mut c,
            &json!({"env": [{"name": "A", "value": "2"}, {"name": "B"}], "volumeMounts": [{"mountPath": "/y", "name": "w"}], "args": ["b"]}),
        );
        assert_eq!(c["env"], json!([{"name": "A", "value": "2"}, {"name": "B"}]));
        assert_eq!(c["volumeMounts"], json!([{"mountPath": "/y", "name": "w"}, {"mountPath": "/x", "name": "v"}]));
        assert_eq!(c["args"], json!(["b"]));
    }
}
