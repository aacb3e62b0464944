//! The typed round trip of a `serde_json` tree (`json.Unmarshal` into a Go
//! type, then `json.Marshal`), done in place: fields the type does not know
//! are dropped, `omitempty` fields left out, zero values filled in and
//! special types re-encoded, while every key and string the result keeps
//! is moved, not copied. The same result as `json::round_trip` (a test
//! holds them together); the injector runs it on every pod it merges.

use serde_json::{Map, Value};

use super::node::ValueSink;
use crate::types::{DefKind, GoType, Kind, Ty};

/// `value` decoded into `t` and encoded again, in place; on a decoding
/// error `value` is left as it was.
pub fn normalize(t: GoType, value: &mut Value) -> Result<(), String> {
    super::check::check(t, value)?;
    canon(t, value)
}

/// What the encoder writes for `node` (absent when `null`).
fn encoded(t: GoType, node: &Value) -> Result<Value, String> {
    let mut sink = ValueSink::new();
    super::typed::encode(&mut sink, t, Some(node).filter(|n| !n.is_null()))?;
    Ok(sink.finish())
}

fn canon(t: GoType, value: &mut Value) -> Result<(), String> {
    if t.special().is_some() {
        *value = encoded(t, value)?;
        return Ok(());
    }
    match t.underlying().expr() {
        // Written generically (whole floats become integers, as the
        // encoder writes them); none in a pod, so no cost there.
        Ty::Any => {
            *value = encoded(t, value)?;
            Ok(())
        }
        Ty::Basic(_) => scalar(t, value),
        Ty::Named(_) if t.kind() == Kind::Int32 => scalar(t, value),
        Ty::Ptr(e) if !value.is_null() => canon(GoType(e), value),
        Ty::Ptr(_) => Ok(()),
        Ty::Slice(e) => match value {
            Value::Array(items) => items.iter_mut().try_for_each(|item| canon(GoType(e), item)),
            _ => {
                *value = Value::Null;
                Ok(())
            }
        },
        Ty::Map(_, v) => match value {
            Value::Object(entries) => entries.values_mut().try_for_each(|item| canon(GoType(v), item)),
            _ => {
                *value = Value::Null;
                Ok(())
            }
        },
        Ty::Named(_) if t.fields().is_empty() && t.def().is_some_and(|d| d.kind == DefKind::Opaque) => {
            *value = encoded(t, value)?;
            Ok(())
        }
        Ty::Named(_) => {
            let mut source = match std::mem::take(value) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            let mut out = Map::new();
            fields(t, &mut source, &mut out)?;
            *value = Value::Object(out);
            Ok(())
        }
    }
}

/// A scalar kept when the encoder would write it unchanged.
fn scalar(t: GoType, value: &mut Value) -> Result<(), String> {
    let is_enum = matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..)));
    let kind = t.kind();
    let unchanged = !is_enum
        && match kind {
            Kind::Bool => value.is_boolean(),
            Kind::String => value.is_string(),
            _ if kind.is_uint() => value.as_u64().is_some(),
            _ if kind.is_int() => value.as_i64().is_some(),
            _ => false,
        };
    if !unchanged {
        *value = encoded(t, value)?;
    }
    Ok(())
}

/// The struct's fields, in declaration order, moved from `source` to `out`.
fn fields(t: GoType, source: &mut Map<String, Value>, out: &mut Map<String, Value>) -> Result<(), String> {
    for field in t.fields().iter().filter(|f| !f.oneof) {
        let ty = GoType(field.ty);
        if field.inline && field.tag.is_empty() {
            // An embedded struct's fields are the object's own.
            if field.json.is_empty() {
                fields(ty, source, out)?;
            } else {
                let mut inner = match source.remove(field.json) {
                    Some(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                fields(ty, &mut inner, out)?;
            }
            continue;
        }
        let (key, mut value) = if field.inline && field.json.is_empty() {
            (None, Value::Object(source.clone()))
        } else {
            match source.remove_entry(field.json) {
                Some((k, v)) => (Some(k), v),
                None => (None, Value::Null),
            }
        };
        let node = Some(&value).filter(|v| !v.is_null());
        if (field.omit_empty && super::typed::is_empty(ty, node))
            || (field.omit_zero && super::typed::is_zero(ty, node))
        {
            continue;
        }
        canon(ty, &mut value)?;
        let name = if field.tag.is_empty() { field.go } else { field.tag };
        let key = match key {
            Some(k) if k == name => k,
            _ => name.to_owned(),
        };
        out.insert(key, value);
    }
    Ok(())
}
