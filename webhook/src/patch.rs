//! JSON Patch (RFC 6902) between two JSON trees, as small as it can be
//! cheaply: objects are compared key by key, arrays element by element
//! after their common head and tail (so a sidecar inserted first, or a
//! container appended, is one `add`, and 2,000 untouched environment
//! variables are not mentioned). Paths use RFC 6901 escaping (`~0`,
//! `~1`); removals run from the end of a list so indices stay valid.

use injit_inject::{Deadline, Expired};
use serde_json::{Map, Value, json};

/// One patch operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Add(String, Value),
    Remove(String),
    Replace(String, Value),
}

impl Op {
    pub fn to_json(&self) -> Value {
        match self {
            Op::Add(path, value) => json!({"op": "add", "path": path, "value": value}),
            Op::Remove(path) => json!({"op": "remove", "path": path}),
            Op::Replace(path, value) => json!({"op": "replace", "path": path, "value": value}),
        }
    }
}

/// The patch as JSON text: what `Value::Array` of `Op::to_json` would
/// serialise to, written without building that tree, the value of each
/// `add` handed over to `write_added(path, value, out)`, which writes it
/// as `serde_json` would and may keep it (the injector takes back the
/// proxy it added).
pub fn to_json_handing_over(ops: Vec<Op>, mut write_added: impl FnMut(&str, Value, &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * ops.len() + 2);
    out.push(b'[');
    for (i, op) in ops.into_iter().enumerate() {
        match op {
            Op::Add(path, value) => {
                write_op(&mut out, i, "add", &path);
                write_added(&path, value, &mut out);
            }
            Op::Replace(path, value) => {
                write_op(&mut out, i, "replace", &path);
                serde_json::to_writer(&mut out, &value).expect("writing to a Vec cannot fail");
            }
            Op::Remove(path) => write_op(&mut out, i, "remove", &path),
        }
        out.push(b'}');
    }
    out.push(b']');
    out
}

/// Writes the `i`th operation up to its value: `{"op":…,"path":…` and,
/// for an operation with a value, `,"value":`. Keys in the order a
/// `serde_json::Map` keeps them: sorted.
fn write_op(out: &mut Vec<u8>, i: usize, name: &str, path: &str) {
    if i > 0 {
        out.push(b',');
    }
    out.extend_from_slice(b"{\"op\":\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\",\"path\":");
    serde_json::to_writer(&mut *out, path).expect("writing to a Vec cannot fail");
    if name != "remove" {
        out.extend_from_slice(b",\"value\":");
    }
}

/// RFC 6901: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn push_escaped(path: &mut String, token: &str) {
    if token.contains(['~', '/']) {
        path.push_str(&escape(token));
    } else {
        path.push_str(token);
    }
}

/// The operations that turn `from` into `to`.
pub fn diff(from: &Value, to: &Value) -> Vec<Op> {
    // Without a deadline nothing stops the comparison.
    diff_until(from, to.clone(), Deadline::NONE).unwrap_or_default()
}

/// `diff`, giving up once `deadline` passes. `to` is taken: what it adds
/// moves into the operations rather than being copied (an injected
/// pod's sidecar is most of a patch).
pub fn diff_until(from: &Value, to: Value, deadline: Deadline) -> Result<Vec<Op>, Expired> {
    let mut ops = Vec::new();
    diff_at(from, to, &mut String::new(), &mut ops, deadline)?;
    Ok(ops)
}

fn diff_at(from: &Value, to: Value, path: &mut String, ops: &mut Vec<Op>, deadline: Deadline) -> Result<(), Expired> {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => diff_objects(a, b, path, ops, deadline)?,
        (Value::Array(a), Value::Array(b)) => diff_arrays(a, b, path, ops, deadline)?,
        (_, to) if *from == to => {}
        (_, to) => ops.push(Op::Replace(path.clone(), to)),
    }
    Ok(())
}

fn diff_objects(
    a: &Map<String, Value>,
    b: Map<String, Value>,
    path: &mut String,
    ops: &mut Vec<Op>,
    deadline: Deadline,
) -> Result<(), Expired> {
    let removed: Vec<String> =
        a.keys().filter(|k| !b.contains_key(*k)).map(|k| format!("{path}/{}", escape(k))).collect();
    for (i, (key, bv)) in b.into_iter().enumerate() {
        deadline.check_element(i)?;
        let len = path.len();
        path.push('/');
        push_escaped(path, &key);
        match a.get(&key) {
            None => ops.push(Op::Add(path.clone(), bv)),
            Some(av) => diff_at(av, bv, path, ops, deadline)?,
        }
        path.truncate(len);
    }
    ops.extend(removed.into_iter().map(Op::Remove));
    Ok(())
}

fn diff_arrays(
    a: &[Value],
    mut b: Vec<Value>,
    path: &mut String,
    ops: &mut Vec<Op>,
    deadline: Deadline,
) -> Result<(), Expired> {
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..].iter().rev().zip(b[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let a_mid = &a[head..a.len() - tail];
    b.truncate(b.len() - tail);
    let b_mid = b.drain(head..);
    let common = a_mid.len().min(b_mid.len());
    for (i, v) in b_mid.enumerate() {
        if i >= common {
            // Past the elements both have (all of them, for a pure
            // insertion at one place).
            ops.push(Op::Add(format!("{path}/{}", head + i), v));
            continue;
        }
        deadline.check_element(i)?;
        let len = path.len();
        path.push('/');
        path.push_str(&(head + i).to_string());
        diff_at(&a_mid[i], v, path, ops, deadline)?;
        path.truncate(len);
    }
    for i in (common..a_mid.len()).rev() {
        ops.push(Op::Remove(format!("{path}/{}", head + i)));
    }
    Ok(())
}

/// Applies `ops` to `target` leniently: missing parents are made (as
/// objects), removals of absent paths are skipped. Used to carry changes
/// computed on a normalised copy of a pod over to the pod as received.
pub fn apply_lenient(target: &mut Value, ops: &[Op]) {
    // Without a deadline nothing stops the application.
    let _ = apply_lenient_until(target, ops.to_vec(), Deadline::NONE);
}

/// `apply_lenient`, giving up once `deadline` passes (`target` is then
/// half changed). The operations' values move into `target`.
pub fn apply_lenient_until(target: &mut Value, ops: Vec<Op>, deadline: Deadline) -> Result<(), Expired> {
    for (i, op) in ops.into_iter().enumerate() {
        deadline.check_element(i)?;
        match op {
            Op::Add(path, v) => set(target, &path, v, true),
            Op::Replace(path, v) => set(target, &path, v, false),
            Op::Remove(path) => remove(target, &path),
        }
    }
    Ok(())
}

fn tokens(path: &str) -> Vec<String> {
    path.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect()
}

/// Sets the value at `path`; in a list, `insert` puts it before the
/// element at that index (`add`) rather than over it (`replace`).
fn set(target: &mut Value, path: &str, value: Value, insert: bool) {
    let tokens = tokens(path);
    let Some((last, parents)) = tokens.split_last() else {
        *target = value;
        return;
    };
    let mut node = target;
    for t in parents {
        node = match node {
            Value::Array(items) => match t.parse::<usize>() {
                Ok(i) if i < items.len() => &mut items[i],
                _ => return,
            },
            _ => {
                if !node.is_object() {
                    *node = Value::Object(Map::new());
                }
                node.as_object_mut().expect("an object").entry(t.clone()).or_insert_with(|| Value::Object(Map::new()))
            }
        };
    }
    match node {
        Value::Array(items) => match last.parse::<usize>() {
            Ok(i) if i < items.len() && insert => items.insert(i, value),
            Ok(i) if i < items.len() => items[i] = value,
            Ok(i) if i == items.len() => items.push(value),
            _ if last == "-" => items.push(value),
            _ => {}
        },
        _ => {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            node.as_object_mut().expect("an object").insert(last.clone(), value);
        }
    }
}

fn remove(target: &mut Value, path: &str) {
    let tokens = tokens(path);
    let Some((last, parents)) = tokens.split_last() else { return };
    let mut node = target;
    for t in parents {
        node = match node {
            Value::Array(items) => match t.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(n) => n,
                None => return,
            },
            Value::Object(map) => match map.get_mut(t) {
                Some(n) => n,
                None => return,
            },
            _ => return,
        };
    }
    match node {
        Value::Array(items) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        Value::Object(map) => {
            map.remove(last);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(ops: &[Op]) -> json_patch::Patch {
        serde_json::from_value(Value::Array(ops.iter().map(Op::to_json).collect())).expect("a patch")
    }

    fn check(from: Value, to: Value) -> Vec<Op> {
        let ops = diff(&from, &to);
        let mut doc = from.clone();
        json_patch::patch(&mut doc, &patch(&ops)).expect("the patch applies");
        assert_eq!(doc, to);
        ops
    }

    #[test]
    fn patches_are_small_and_apply() {
        let env: Vec<Value> = (0..2000).map(|i| json!({"name": format!("V{i}"), "value": "x"})).collect();
        let from =
            json!({"metadata": {"annotations": {"a/b": "1"}}, "spec": {"containers": [{"name": "app", "env": env}]}});
        let mut to = from.clone();
        to["spec"]["containers"].as_array_mut().unwrap().push(json!({"name": "istio-proxy"}));
        to["spec"]["initContainers"] = json!([{"name": "istio-init"}]);
        to["metadata"]["annotations"]["sidecar.istio.io/status"] = json!("{}");
        let ops = check(from, to);
        assert_eq!(ops.len(), 3, "{ops:?}");
        assert!(
            ops.iter().any(|o| matches!(o, Op::Add(p, _) if p == "/metadata/annotations/sidecar.istio.io~1status"))
        );
    }

    #[test]
    fn insertions_at_the_front_and_removals() {
        let ops = check(json!({"l": [{"n": 1}, {"n": 2}]}), json!({"l": [{"n": 0}, {"n": -1}, {"n": 1}, {"n": 2}]}));
        assert_eq!(ops, [Op::Add("/l/0".into(), json!({"n": 0})), Op::Add("/l/1".into(), json!({"n": -1}))]);
        check(json!({"l": [1, 2, 3, 4], "x": 1}), json!({"l": [1, 4]}));
        check(json!({"l": [1, 2, 3]}), json!({"l": [1, 5, 6, 7, 3]}));
        check(json!({"a": [1]}), json!({"a": {"b": 1}}));
        check(json!({"~k": 1}), json!({"~k": 2}));
    }

    #[test]
    fn lenient_application_inserts_into_lists() {
        let mut doc = json!({"l": [1, 2]});
        apply_lenient(&mut doc, &[Op::Add("/l/0".into(), json!(0)), Op::Replace("/l/2".into(), json!(3))]);
        assert_eq!(doc, json!({"l": [0, 1, 3]}));
    }

    #[test]
    fn lenient_application_makes_parents() {
        let mut doc = json!({"spec": {"containers": [{"name": "a"}]}});
        apply_lenient(
            &mut doc,
            &[
                Op::Add("/spec/containers/0/resources/limits".into(), json!({"cpu": "1"})),
                Op::Remove("/spec/missing/x".into()),
                Op::Add("/metadata/labels/app".into(), json!("web")),
            ],
        );
        assert_eq!(
            doc,
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1"}}}]}})
        );
    }
}
