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

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::deadline::{Deadline, Expired};

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
    // Without a deadline nothing stops the merge.
    let _ = merge_until(original, patch, Deadline::NONE);
}

/// `merge`, stopping once `deadline` passes (`original` is then left
/// half merged).
pub fn merge_until(original: &mut Value, patch: &Value, deadline: Deadline) -> Result<(), Expired> {
    let Value::Object(patch) = patch else {
        *original = patch.clone();
        return Ok(());
    };
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        *original = Value::Object(without_directives(patch, deadline)?);
        return Ok(());
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
                Some(existing @ Value::Object(_)) => merge_until(existing, value, deadline)?,
                _ => {
                    target.insert(key.clone(), clean(value, deadline)?);
                }
            },
            Value::Array(items) => {
                let merged = match (merge_key(key), target.remove(key)) {
                    (Some(k), Some(Value::Array(existing))) => merge_list(existing, items, k, deadline)?,
                    (Some(k), _) => merge_list(Vec::new(), items, k, deadline)?,
                    (None, _) => Value::Array(clean_all(items, deadline)?),
                };
                target.insert(key.clone(), merged);
            }
            scalar => {
                target.insert(key.clone(), scalar.clone());
            }
        }
    }
    Ok(())
}

/// A patch value as a plain value: directives dropped, `null`s kept out
/// of maps that did not exist before.
fn clean(value: &Value, deadline: Deadline) -> Result<Value, Expired> {
    if is_plain(value) {
        // Most of what a sidecar template renders: copied as it is.
        deadline.check()?;
        return Ok(value.clone());
    }
    Ok(match value {
        Value::Object(_) => {
            let mut out = Value::Object(Map::new());
            merge_until(&mut out, value, deadline)?;
            out
        }
        Value::Array(items) => Value::Array(clean_all(items, deadline)?),
        other => other.clone(),
    })
}

/// Whether `value` merged into nothing is `value` itself: no directive, no
/// `null`, and in each list that merges by a key, every element an object
/// with that key, a scalar, once.
fn is_plain(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Object(map) => map.iter().all(|(k, v)| {
            !k.starts_with('$')
                && match (v, merge_key(k)) {
                    (Value::Array(items), Some(key)) => is_plain_keyed(items, key),
                    _ => is_plain(v),
                }
        }),
        Value::Array(items) => items.iter().all(is_plain),
        _ => true,
    }
}

/// Whether merging `value` into nothing (or into an empty pod) leaves
/// each of its scalars where it stands in `value`: as [`is_plain`], but a
/// map's entry may be `null`, which the merge drops, moving nothing else.
pub(crate) fn keeps_places(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Object(map) => map.iter().all(|(k, v)| {
            !k.starts_with('$')
                && match (v, merge_key(k)) {
                    (Value::Null, _) => true,
                    (Value::Array(items), Some(key)) => is_keyed(items, key, keeps_places),
                    _ => keeps_places(v),
                }
        }),
        Value::Array(items) => items.iter().all(keeps_places),
        _ => true,
    }
}

fn is_plain_keyed(items: &[Value], key: &str) -> bool {
    is_keyed(items, key, is_plain)
}

/// Whether each of `items` is an object with a scalar `key` no other has,
/// and `inner` holds of it.
fn is_keyed(items: &[Value], key: &str, inner: fn(&Value) -> bool) -> bool {
    let mut seen = HashSet::with_capacity(items.len());
    items.iter().all(|item| {
        let k = key_of(item, key).filter(|k| !k.is_null() && !k.is_array() && !k.is_object());
        k.is_some_and(|k| seen.insert(Key::of(k))) && inner(item)
    })
}

fn clean_all(items: &[Value], deadline: Deadline) -> Result<Vec<Value>, Expired> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            deadline.check_element(i)?;
            clean(item, deadline)
        })
        .collect()
}

fn without_directives(map: &Map<String, Value>, deadline: Deadline) -> Result<Map<String, Value>, Expired> {
    map.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| Ok((k.clone(), clean(v, deadline)?))).collect()
}

fn key_of<'v>(item: &'v Value, key: &str) -> Option<&'v Value> {
    item.as_object()?.get(key)
}

/// A merge key's value, hashable: lists are merged through hash lookups,
/// not scans, so that a pod of 20,000 containers or volumes merges in
/// time proportional to its size. Equal exactly when the values are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    /// Arrays and objects (never a merge key in a pod), by their JSON
    /// text, in which object keys are sorted.
    Other(String),
}

impl Key {
    fn of(value: &Value) -> Key {
        match value {
            Value::Null => Key::Null,
            Value::Bool(b) => Key::Bool(*b),
            Value::Number(n) => Key::Number(n.clone()),
            Value::String(s) => Key::String(s.clone()),
            other => Key::Other(other.to_string()),
        }
    }
}

/// Merges a keyed list (its original elements are moved, not copied).
fn merge_list(original: Vec<Value>, patch: &[Value], key: &str, deadline: Deadline) -> Result<Value, Expired> {
    let original_keys: Vec<Option<Key>> = original.iter().map(|o| key_of(o, key).map(Key::of)).collect();
    // An element's place in the original list: the first with its key.
    let mut first_at: HashMap<&Key, usize> = HashMap::with_capacity(original_keys.len());
    for (i, k) in original_keys.iter().enumerate() {
        if let Some(k) = k {
            first_at.entry(k).or_insert(i);
        }
    }
    let position = |k: Option<&Key>| k.and_then(|k| first_at.get(k).copied());
    let mut original: Vec<Option<Value>> = original.into_iter().map(Some).collect();
    // Patch elements, merged onto their originals (in patch order), with
    // their original positions; and where each key is among them.
    let mut patched: Vec<(Option<usize>, Value)> = Vec::new();
    let mut patched_at: HashMap<Key, usize> = HashMap::new();
    let mut deleted: HashSet<Key> = HashSet::new();
    for (i, item) in patch.iter().enumerate() {
        deadline.check_element(i)?;
        let Some(k) = key_of(item, key).map(Key::of) else {
            // Elements without the key are kept as they are.
            patched.push((None, clean(item, deadline)?));
            continue;
        };
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            deleted.insert(k);
            continue;
        }
        if let Some(&at) = patched_at.get(&k) {
            merge_until(&mut patched[at].1, item, deadline)?;
            continue;
        }
        let at = position(Some(&k));
        let merged = match at.and_then(|i| original[i].take()) {
            Some(mut existing) => {
                merge_until(&mut existing, item, deadline)?;
                existing
            }
            None => clean(item, deadline)?,
        };
        // A `null` key is merged away: such an element is found by no one.
        if let Some(merged_key) = key_of(&merged, key) {
            patched_at.entry(Key::of(merged_key)).or_insert(patched.len());
        }
        patched.push((at, merged));
    }
    let server_only: Vec<(Option<usize>, Value)> = original
        .into_iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let o = o?;
            let k = original_keys[i].as_ref();
            let in_patch = k.is_some_and(|k| patched_at.contains_key(k));
            let is_deleted = k.is_some_and(|k| deleted.contains(k));
            (!in_patch && !is_deleted).then(|| (position(k), o))
        })
        .collect();
    // normalizeElementOrder: interleave by original position; elements new
    // to the list (no original position) go first.
    Ok(Value::Array(interleave(server_only, patched)))
}

/// `normalizeElementOrder`'s interleaving: elements by original position,
/// the patch's elements new to the list (no original position) first.
fn interleave(server_only: Vec<(Option<usize>, Value)>, patched: Vec<(Option<usize>, Value)>) -> Vec<Value> {
    let mut out = Vec::with_capacity(patched.len() + server_only.len());
    let mut server_only = server_only.into_iter().peekable();
    let mut patched = patched.into_iter().peekable();
    loop {
        let take_server = match (server_only.peek(), patched.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((l, _)), Some((r, _))) => matches!((l, r), (Some(l), Some(r)) if l < r),
        };
        let next = if take_server { server_only.next() } else { patched.next() };
        out.extend(next.map(|(_, v)| v));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The list merge as it was before lookups were hashed (scans): the
    /// reference the hashed one must agree with.
    fn scanned_merge_list(original: Vec<Value>, patch: &[Value], key: &str) -> Value {
        let original_keys: Vec<Option<Value>> = original.iter().map(|o| key_of(o, key).cloned()).collect();
        let position = |k: Option<&Value>| k.and_then(|k| original_keys.iter().position(|o| o.as_ref() == Some(k)));
        let mut original: Vec<Option<Value>> = original.into_iter().map(Some).collect();
        let mut patched: Vec<(Option<usize>, Value)> = Vec::new();
        let mut deleted: Vec<&Value> = Vec::new();
        for item in patch {
            let Some(k) = key_of(item, key) else {
                patched.push((None, clean(item, Deadline::NONE).unwrap()));
                continue;
            };
            if item.get("$patch").and_then(Value::as_str) == Some("delete") {
                deleted.push(k);
                continue;
            }
            if let Some((_, existing)) = patched.iter_mut().find(|(_, p)| key_of(p, key) == Some(k)) {
                merge(existing, item);
                continue;
            }
            let at = position(Some(k));
            let mut merged = at.and_then(|i| original[i].take()).unwrap_or(Value::Object(Map::new()));
            merge(&mut merged, item);
            patched.push((at, merged));
        }
        let patched_keys: Vec<Option<Value>> = patched.iter().map(|(_, p)| key_of(p, key).cloned()).collect();
        let server_only: Vec<(Option<usize>, Value)> = original
            .into_iter()
            .enumerate()
            .filter_map(|(i, o)| {
                let o = o?;
                let k = original_keys[i].as_ref();
                let in_patch = k.is_some() && patched_keys.iter().any(|p| p.as_ref() == k);
                let is_deleted = k.is_some_and(|k| deleted.contains(&k));
                (!in_patch && !is_deleted).then(|| (position(k), o))
            })
            .collect();
        Value::Array(interleave(server_only, patched))
    }

    #[test]
    fn a_plain_value_merged_into_nothing_is_itself_and_others_are_merged() {
        let plain = json!({"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}],
                                    "args": [1, "two"], "securityContext": {"runAsUser": 0}}});
        assert!(is_plain(&plain));
        let mut merged = json!({});
        merge(&mut merged, &plain);
        assert_eq!(merged, plain);
        // What merging changes: each takes the merge, and gives what it did.
        for (patch, expected) in [
            (json!({"a": {"b": null, "c": 1}}), json!({"a": {"c": 1}})),
            (json!({"a": {"$patch": "replace", "c": 1}}), json!({"a": {"c": 1}})),
            (
                json!({"env": [{"name": "X", "value": "1"}, {"name": "X", "x": 2}]}),
                json!({"env": [{"name": "X", "value": "1", "x": 2}]}),
            ),
            (json!({"env": [{"name": "X", "$patch": "delete"}, {"name": "Y"}]}), json!({"env": [{"name": "Y"}]})),
        ] {
            assert!(!is_plain(&patch), "{patch}");
            let mut merged = json!({});
            merge(&mut merged, &patch);
            assert_eq!(merged, expected, "{patch}");
        }
    }

    #[test]
    fn hashed_list_merge_agrees_with_scanning() {
        // Keys that are equal or not in JSON's sense: duplicates, null,
        // missing, 1 and 1.0, strings, a list.
        let keys = [json!("a"), json!("b"), json!("c"), json!(null), json!(1), json!(1.0), json!([1]), json!({"x": 1})];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let element = |next: &mut dyn FnMut(usize) -> usize, patch: bool| {
            let mut e = Map::new();
            let k = next(keys.len() + 1);
            if k < keys.len() {
                e.insert("name".to_owned(), keys[k].clone());
            }
            e.insert(format!("f{}", next(3)), json!(next(5)));
            if patch && next(6) == 0 {
                e.insert("$patch".to_owned(), json!("delete"));
            }
            Value::Object(e)
        };
        for round in 0..3000 {
            let original: Vec<Value> = (0..next(7)).map(|_| element(&mut next, false)).collect();
            let patch: Vec<Value> = (0..next(7)).map(|_| element(&mut next, true)).collect();
            let hashed = merge_list(original.clone(), &patch, "name", Deadline::NONE).unwrap();
            let scanned = scanned_merge_list(original.clone(), &patch, "name");
            assert_eq!(hashed, scanned, "round {round}: {original:?} + {patch:?}");
        }
    }

    #[test]
    fn a_passed_deadline_stops_a_long_merge() {
        let containers: Vec<Value> = (0..1000).map(|i| json!({"name": format!("c{i}")})).collect();
        let mut pod = json!({"spec": {"containers": containers.clone()}});
        let passed = Deadline::at(std::time::Instant::now());
        assert_eq!(merge_until(&mut pod, &json!({"spec": {"containers": containers}}), passed), Err(Expired));
    }

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
