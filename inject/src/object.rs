//! Kubernetes objects as mutable JSON trees (`serde_json::Value`), and the
//! conversions to and from template data.
//!
//! Objects are read from YAML with numbers kept as written (so `8080`
//! stays an integer), changed in place by merging and post-processing, and
//! viewed as `Data` when templates read them.

use injit_runtime::{Data, NumberMode, Object};
use serde_json::{Map, Number, Value};

/// A JSON tree as template data (numbers by their text, as `json.Number`
/// would keep them; typed views read them as the field's Go type).
pub fn to_data(value: &Value) -> Data {
    match value {
        Value::Null => Data::Null,
        Value::Bool(b) => Data::Bool(*b),
        Value::Number(n) => Data::JsonNumber(n.to_string().into()),
        Value::String(s) => Data::String(s.as_str().into()),
        Value::Array(items) => Data::Array(items.iter().map(to_data).collect()),
        Value::Object(map) => {
            Data::Object(Object::new(map.iter().map(|(k, v)| (k.as_str().into(), to_data(v))).collect()))
        }
    }
}

/// Generic template data (`.Values`): numbers become `float64`, as Go's
/// JSON decoding makes them.
pub fn to_float_data(value: &Value) -> Data {
    match value {
        Value::Number(n) => Data::Number(n.as_f64().unwrap_or(0.0)),
        Value::Array(items) => Data::Array(items.iter().map(to_float_data).collect()),
        Value::Object(map) => {
            Data::Object(Object::new(map.iter().map(|(k, v)| (k.as_str().into(), to_float_data(v))).collect()))
        }
        other => to_data(other),
    }
}

/// Template data back as a JSON tree.
pub fn from_data(data: &Data) -> Value {
    match data {
        Data::Null => Value::Null,
        Data::Bool(b) => Value::Bool(*b),
        Data::Number(f) => number_value(*f),
        Data::JsonNumber(text) => {
            serde_json::from_str::<Number>(text).map_or_else(|_| Value::String(text.to_string()), Value::Number)
        }
        Data::String(s) => Value::String(s.to_string()),
        Data::Array(items) => Value::Array(items.iter().map(from_data).collect()),
        Data::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.to_owned(), from_data(v))).collect()),
    }
}

/// `from_data`, consuming the data: its strings and keys are moved.
pub fn into_value(data: Data) -> Value {
    match data {
        Data::String(s) => Value::String(s.into_string()),
        Data::Array(items) => Value::Array(items.into_vec().into_iter().map(into_value).collect()),
        Data::Object(o) => {
            Value::Object(o.into_entries().into_iter().map(|(k, v)| (k.into_string(), into_value(v))).collect())
        }
        other => from_data(&other),
    }
}

/// A float as JSON: whole numbers as integers.
pub fn number_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::Number(Number::from(f as i64))
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

/// Reads YAML documents (`---` separated) as JSON trees, numbers kept as
/// written.
pub fn yaml_documents(text: &str) -> Result<Vec<Value>, crate::yaml::YamlError> {
    // Built directly as JSON when the block reader can read the text.
    if let Some(value) = crate::yaml::block_document::<Value>(text, NumberMode::JsonNumber) {
        return Ok(vec![value]);
    }
    Ok(crate::yaml::full_documents(text, NumberMode::JsonNumber)?.into_iter().map(into_value).collect())
}

/// The object at `path`, if every step is an object.
pub fn get<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.as_object()?.get(*key))
}

pub fn get_mut<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |v, key| v.as_object_mut()?.get_mut(*key))
}

/// The object at `path`, made (as empty objects) where missing.
pub fn ensure_object<'v>(value: &'v mut Value, path: &[&str]) -> &'v mut Map<String, Value> {
    let mut v = value;
    for key in path {
        if !v.is_object() {
            *v = Value::Object(Map::new());
        }
        v = v.as_object_mut().expect("just made an object").entry(key.to_string()).or_insert(Value::Null);
    }
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().expect("just made an object")
}

/// A string at `path`.
pub fn get_str<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    get(value, path)?.as_str()
}

/// A `map[string]string` at `path` (annotations, labels), as pairs.
pub fn string_map(value: &Value, path: &[&str]) -> Vec<(String, String)> {
    match get(value, path) {
        Some(Value::Object(map)) => {
            map.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect()
        }
        _ => Vec::new(),
    }
}

/// The value of a key of a `map[string]string` at `path`.
pub fn map_value<'v>(value: &'v Value, path: &[&str], key: &str) -> Option<&'v str> {
    get(value, path)?.as_object()?.get(key)?.as_str()
}
