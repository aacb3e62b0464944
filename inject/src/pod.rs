//! A pod as a JSON tree (`{"metadata": ..., "spec": ...}`), and the
//! container-list operations the injector performs on it.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::object::{ensure_object, get};

/// The name of the sidecar container.
pub const PROXY: &str = "istio-proxy";
pub const INIT: &str = "istio-init";
pub const VALIDATION: &str = "istio-validation";
pub const ENABLE_CORE_DUMP: &str = "enable-core-dump";

/// Which container list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Containers {
    Regular,
    Init,
}

impl Containers {
    pub fn key(self) -> &'static str {
        match self {
            Containers::Regular => "containers",
            Containers::Init => "initContainers",
        }
    }
}

/// Where `move_container` puts a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    First,
    Last,
    Remove,
}

/// A pod built from an object's pod template parts.
pub fn from_parts(metadata: &Value, spec: &Value) -> Value {
    let mut pod = Map::new();
    pod.insert("metadata".to_owned(), if metadata.is_object() { metadata.clone() } else { Value::Object(Map::new()) });
    pod.insert("spec".to_owned(), if spec.is_object() { spec.clone() } else { Value::Object(Map::new()) });
    Value::Object(pod)
}

/// The containers of one list (empty when absent).
pub fn containers(pod: &Value, which: Containers) -> &[Value] {
    get(pod, &["spec", which.key()]).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The container list, made when absent.
pub fn containers_mut(pod: &mut Value, which: Containers) -> &mut Vec<Value> {
    let spec = ensure_object(pod, &["spec"]);
    let list = spec.entry(which.key()).or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    list.as_array_mut().expect("just made an array")
}

pub fn name_of(container: &Value) -> &str {
    container.get("name").and_then(Value::as_str).unwrap_or_default()
}

pub fn find<'p>(pod: &'p Value, which: Containers, name: &str) -> Option<&'p Value> {
    containers(pod, which).iter().find(|c| name_of(c) == name)
}

/// A container of either list, regular containers first (`FindContainerFromPod`).
pub fn find_any<'p>(pod: &'p Value, name: &str) -> Option<&'p Value> {
    find(pod, Containers::Regular, name).or_else(|| find(pod, Containers::Init, name))
}

pub fn find_any_mut<'p>(pod: &'p mut Value, name: &str) -> Option<&'p mut Value> {
    let which = if find(pod, Containers::Regular, name).is_some() { Containers::Regular } else { Containers::Init };
    containers_mut_if_present(pod, which)?.iter_mut().find(|c| name_of(c) == name)
}

pub fn find_mut<'p>(pod: &'p mut Value, which: Containers, name: &str) -> Option<&'p mut Value> {
    containers_mut_if_present(pod, which)?.iter_mut().find(|c| name_of(c) == name)
}

fn containers_mut_if_present(pod: &mut Value, which: Containers) -> Option<&mut Vec<Value>> {
    pod.get_mut("spec")?.get_mut(which.key())?.as_array_mut()
}

/// Moves (or removes) the container `name`, as Istio's `modifyContainers`:
/// the last container of that name is the one kept.
pub fn move_container(pod: &mut Value, which: Containers, name: &str, place: Place) {
    let Some(list) = containers_mut_if_present(pod, which) else { return };
    let mut found = None;
    list.retain_mut(|c| {
        if name_of(c) == name {
            found = Some(std::mem::take(c));
            false
        } else {
            true
        }
    });
    match (found, place) {
        (Some(c), Place::First) => list.insert(0, c),
        (Some(c), Place::Last) => list.push(c),
        _ => {}
    }
}

/// Removes every container named in `names` (one pass, however many).
pub fn remove_containers(pod: &mut Value, which: Containers, names: &HashSet<&str>) {
    if let Some(list) = containers_mut_if_present(pod, which) {
        list.retain(|c| !names.contains(name_of(c)));
    }
}

/// Moves the container `name` from one list to the end of the other.
pub fn transfer(pod: &mut Value, from: Containers, to: Containers, name: &str) {
    let Some(list) = containers_mut_if_present(pod, from) else { return };
    let Some(i) = list.iter().position(|c| name_of(c) == name) else { return };
    let c = list.remove(i);
    containers_mut(pod, to).push(c);
}

/// The annotations (a `map[string]string`), made when absent.
pub fn annotations_mut(pod: &mut Value) -> &mut Map<String, Value> {
    ensure_object(pod, &["metadata", "annotations"])
}

pub fn labels_mut(pod: &mut Value) -> &mut Map<String, Value> {
    ensure_object(pod, &["metadata", "labels"])
}

pub fn annotation<'p>(pod: &'p Value, key: &str) -> Option<&'p str> {
    crate::object::map_value(pod, &["metadata", "annotations"], key)
}

pub fn label<'p>(pod: &'p Value, key: &str) -> Option<&'p str> {
    crate::object::map_value(pod, &["metadata", "labels"], key)
}

/// The pod's annotations as pairs.
pub fn annotations(pod: &Value) -> Vec<(String, String)> {
    crate::object::string_map(pod, &["metadata", "annotations"])
}

pub fn labels(pod: &Value) -> Vec<(String, String)> {
    crate::object::string_map(pod, &["metadata", "labels"])
}

/// Appends an environment variable to a container.
pub fn push_env(container: &mut Value, name: &str, value: &str) {
    let Some(c) = container.as_object_mut() else { return };
    let env = c.entry("env").or_insert_with(|| Value::Array(Vec::new()));
    if !env.is_array() {
        *env = Value::Array(Vec::new());
    }
    let mut var = Map::new();
    var.insert("name".to_owned(), Value::String(name.to_owned()));
    var.insert("value".to_owned(), Value::String(value.to_owned()));
    env.as_array_mut().expect("an array").push(Value::Object(var));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moving_containers() {
        let mut pod = json!({"spec": {"containers": [{"name": "istio-proxy"}, {"name": "app"}], "initContainers": [{"name": "x"}]}});
        move_container(&mut pod, Containers::Regular, PROXY, Place::Last);
        assert_eq!(containers(&pod, Containers::Regular)[1]["name"], "istio-proxy");
        transfer(&mut pod, Containers::Regular, Containers::Init, PROXY);
        assert_eq!(containers(&pod, Containers::Init).len(), 2);
        move_container(&mut pod, Containers::Init, "x", Place::Remove);
        assert_eq!(containers(&pod, Containers::Init), &[json!({"name": "istio-proxy"})]);
    }
}
