//! The typed round trip of a `serde_json` tree (`json.Unmarshal` into a Go
//! type, then `json.Marshal`), done in place: fields the type does not know
//! are dropped, `omitempty` fields left out, zero values filled in and
//! special types re-encoded, while every key and string the result keeps
//! is moved, not copied. The same result as `json::round_trip` (a test
//! holds them together); the injector runs it on every pod it merges.

use serde_json::{Map, Value};

use super::check::{Element, PathStep};
use super::node::ValueSink;
use super::patched::{MergeKey, Reach, StructPlan, reach};
use crate::types::{DefKind, GoType, Kind, Ty};

/// `value` decoded into `t` and encoded again, in place; on a decoding
/// error `value` is left as it was.
pub fn normalize(t: GoType, value: &mut Value) -> Result<(), String> {
    super::check::check(t, value)?;
    canon(t, value)
}

/// [`normalize`] of `value`, which was normalized as `t` before `patch` was
/// strategically merged into it (list fields merging by the keys
/// `merge_key` names): only what the patch reached is decoded and
/// re-encoded, the rest being as the encoder writes it already. The same
/// result and the same errors as `normalize` of the whole, at the cost of
/// the patch rather than of the value.
pub fn normalize_patched(t: GoType, value: &mut Value, patch: &Value, merge_key: MergeKey) -> Result<(), String> {
    super::check::check_patched(t, value, patch, merge_key)?;
    canon_patched(t, value, patch, "", merge_key)
}

fn canon_patched(t: GoType, value: &mut Value, patch: &Value, field: &str, merge_key: MergeKey) -> Result<(), String> {
    match reach(t, value, patch, field, merge_key) {
        Reach::Whole => canon(t, value),
        Reach::Through(target) => canon_patched(target, value, patch, field, merge_key),
        Reach::Entries(of, patches) => {
            let Value::Object(entries) = value else { return canon(t, value) };
            for (key, patch) in patches {
                if let Some(entry) = entries.get_mut(key) {
                    canon_patched(of, entry, patch, "", merge_key)?;
                }
            }
            Ok(())
        }
        Reach::Items(of, elements) => {
            let Value::Array(items) = value else { return canon(t, value) };
            for item in items {
                if let Some(patch) = elements.patch_of(item) {
                    canon_patched(of, item, patch, "", merge_key)?;
                }
            }
            Ok(())
        }
        Reach::Fields(plan, patches) => {
            let Value::Object(entries) = value else { return canon(t, value) };
            for (key, patch) in patches {
                let Some(field) = plan.field(key) else {
                    // Decoding drops what the type does not know.
                    entries.remove(key);
                    continue;
                };
                let ty = GoType(field.ty);
                let Some(entry) = entries.get_mut(key) else { continue };
                let node = Some(&*entry).filter(|v| !v.is_null());
                if super::typed::left_out(field, node) {
                    entries.remove(key);
                    continue;
                }
                canon_patched(ty, entry, patch, key, merge_key)?;
            }
            // A field the patch deleted, or one absent from an element
            // the patch added, is written as its zero value unless the
            // encoder leaves it out (as `fields` does).
            zeros_when_absent(plan, entries)
        }
    }
}

/// The fields the encoder writes as their zero value, put where absent.
fn zeros_when_absent(plan: &StructPlan, entries: &mut Map<String, Value>) -> Result<(), String> {
    for field in &plan.written_when_absent {
        if !entries.contains_key(field.json) {
            let mut zero = Value::Null;
            canon(GoType(field.ty), &mut zero)?;
            entries.insert(field.json.to_owned(), zero);
        }
    }
    Ok(())
}

/// [`fields`] done in place, for a struct its plan follows: there the
/// object's keys are its fields' JSON names already, so only what
/// decoding drops, what the encoder leaves out and what it writes when
/// absent change, and no map is built again.
fn fields_in_place(plan: &StructPlan, entries: &mut Map<String, Value>) -> Result<(), String> {
    let mut result = Ok(());
    entries.retain(|key, entry| {
        if result.is_err() {
            return true;
        }
        // Decoding drops what the type does not know.
        let Some(field) = plan.field(key) else { return false };
        if super::typed::left_out(field, Some(&*entry).filter(|v| !v.is_null())) {
            return false;
        }
        result = canon(GoType(field.ty), entry);
        true
    });
    result?;
    zeros_when_absent(plan, entries)
}

/// Whether [`normalize`] of a value of type `t` that it keeps as it is
/// keeps it so with the scalar at `path` replaced by `scalar`, a zero value
/// neither before nor after: `Some(true)` when the scalar decodes there
/// and the encoder writes it as it is. No `omitempty` or `omitzero` above
/// it can then answer otherwise than it did. `None` when only normalizing
/// the whole can say (a path through an unknown field, an untyped value
/// or a special type).
pub fn scalar_kept_at(t: GoType, path: &[PathStep<'_>], scalar: &Value) -> Option<bool> {
    if scalar.is_array() || scalar.is_object() || is_zero_scalar(scalar) {
        return None;
    }
    let mut t = t;
    for step in path {
        match super::check::element(t, *step)? {
            Element::Typed(of) => t = of,
            Element::Unchecked => return None,
        }
    }
    while let Ty::Ptr(e) = t.expr() {
        t = GoType(e);
    }
    if t.special().is_some() || !matches!(t.underlying().expr(), Ty::Basic(_)) {
        return None;
    }
    Some(super::check::check(t, scalar).is_ok() && scalar_unchanged(t, scalar))
}

/// Whether a scalar is its type's zero value (`null`, `false`, `""`, `0`),
/// which `omitempty` leaves out.
pub fn is_zero_scalar(scalar: &Value) -> bool {
    match scalar {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// Whether [`normalize`] would succeed and leave `value` as it is: a walk
/// that changes and copies nothing, for values that arrive as Go encodes
/// them already (the pods the API server sends).
pub fn is_normalized(t: GoType, value: &Value) -> bool {
    unchanged(t, value)
}

/// Whether `canon` would leave `value` as it is and [`check`] accept it:
/// one walk for both. The walk's structure (objects, arrays, known fields)
/// is what `check` requires of them; where it stops at a value it does not
/// descend (a scalar, a special or opaque type, a struct the plan does not
/// follow) that value is checked as `check` checks it, so an `int32` out
/// of range, which the encoder would write as it is, is not taken for one.
///
/// [`check`]: super::check::check
fn unchanged(t: GoType, value: &Value) -> bool {
    let decodes = || super::check::check(t, value).is_ok();
    let reencoded = || encoded(t, value).is_ok_and(|e| e == *value) && decodes();
    if t.special().is_some() {
        return reencoded();
    }
    match t.underlying().expr() {
        Ty::Any => reencoded(),
        Ty::Basic(_) => (scalar_unchanged(t, value) && decodes()) || reencoded(),
        Ty::Named(_) if t.kind() == Kind::Int32 => (scalar_unchanged(t, value) && decodes()) || reencoded(),
        Ty::Ptr(e) => value.is_null() || unchanged(GoType(e), value),
        Ty::Slice(e) => match value {
            Value::Array(items) => items.iter().all(|item| unchanged(GoType(e), item)),
            other => other.is_null(),
        },
        Ty::Map(_, v) => match value {
            Value::Object(entries) => entries.values().all(|item| unchanged(GoType(v), item)),
            other => other.is_null(),
        },
        Ty::Named(_) if t.fields().is_empty() && t.def().is_some_and(|d| d.kind == DefKind::Opaque) => reencoded(),
        Ty::Named(_) => match (value, super::patched::StructPlan::of(t)) {
            (Value::Object(entries), Some(plan)) => {
                entries.iter().all(|(key, entry)| {
                    let Some(field) = plan.field(key) else { return false };
                    let ty = GoType(field.ty);
                    let node = Some(entry).filter(|v| !v.is_null());
                    !super::typed::left_out(field, node) && unchanged(ty, entry)
                }) && plan.written_when_absent.iter().all(|f| entries.contains_key(f.json))
            }
            // A struct the plan does not follow: compared with its round
            // trip.
            _ => {
                let mut copy = value.clone();
                canon(t, &mut copy).is_ok() && copy == *value && decodes()
            }
        },
    }
}

/// Whether `scalar` keeps `value` without re-encoding it.
fn scalar_unchanged(t: GoType, value: &Value) -> bool {
    let kind = t.kind();
    !matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..)))
        && match kind {
            Kind::Bool => value.is_boolean(),
            Kind::String => value.is_string(),
            _ if kind.is_uint() => value.as_u64().is_some(),
            _ if kind.is_int() => value.as_i64().is_some(),
            _ => false,
        }
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
            if let (Value::Object(entries), Some(plan)) = (&mut *value, StructPlan::of(t)) {
                return fields_in_place(plan, entries);
            }
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
    if !scalar_unchanged(t, value) {
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
        if super::typed::left_out(field, node) {
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
