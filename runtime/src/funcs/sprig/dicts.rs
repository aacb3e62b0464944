//! sprig's dictionary functions (dict.go), over `map[string]interface{}`.
//!
//! `set`, `unset` and the `merge` family change their map in place, as Go
//! maps are references; templates that call them get owned copies of their
//! data (see `Program::mutates`), so the change is seen by every holder.

use std::cell::RefCell;
use std::rc::Rc;

use super::cast::{NIL_DEREF, any_slice, dynamic, empty, string_slice, strval};
use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::types::{Kind, Type};
use crate::value::data::Data;
use crate::value::{MapValue, Repr, Value, owned_copy};

/// A `map[string]interface{}` argument, made mutable if it was input data.
fn map_arg<'a>(v: &Value<'a>) -> Rc<RefCell<MapValue<'a>>> {
    let d = dynamic(v);
    match &d.repr {
        Repr::Map(m, _) => m.clone(),
        Repr::Data(Data::Object(_)) => match owned_copy_map(&d) {
            Some(m) => m,
            None => Rc::new(RefCell::new(MapValue::default())),
        },
        _ => Rc::new(RefCell::new(MapValue::default())),
    }
}

fn owned_copy_map<'a>(v: &Value<'a>) -> Option<Rc<RefCell<MapValue<'a>>>> {
    let Repr::Data(data) = v.repr else { return None };
    match owned_copy(data, false).repr {
        Repr::Map(m, _) => Some(m),
        _ => None,
    }
}

/// Entries of a map argument (nil maps have none).
fn entries<'a>(v: &Value<'a>) -> Vec<(Rc<[u8]>, Value<'a>)> {
    dynamic(v)
        .map_entries()
        .into_iter()
        .map(|(k, v)| (Rc::from(k.as_bytes().unwrap_or_default()), v.into_element()))
        .collect()
}

fn any_map<'a>(map: MapValue<'a>) -> Value<'a> {
    Value::map(map, Type::AnyMap)
}

pub(super) fn dict<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut map = MapValue::default();
    let args = a.all();
    for pair in args.chunks(2) {
        let key: Rc<[u8]> = Rc::from(&*strval(&pair[0]));
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(b"")).into_element();
        map.insert(key, value);
    }
    Ok(any_map(map))
}

pub(super) fn get<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let map = dynamic(a.arg(0));
    Ok(map.map_get(a.str(1)).map_or_else(|| Value::str(b""), Value::into_element))
}

pub(super) fn set<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let map = map_arg(a.arg(0));
    if dynamic(a.arg(0)).is_nil() {
        return Err("assignment to entry in nil map".to_owned());
    }
    map.borrow_mut().insert(Rc::from(a.str(1)), a.arg(2).clone().into_element());
    Ok(Value::new(Repr::Map(map, Type::AnyMap)))
}

pub(super) fn unset<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let map = map_arg(a.arg(0));
    map.borrow_mut().remove(a.str(1));
    Ok(Value::new(Repr::Map(map, Type::AnyMap)))
}

pub(super) fn has_key<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(dynamic(a.arg(0)).map_get(a.str(1)).is_some()))
}

pub(super) fn pluck<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let key = a.str(0);
    let found = a.all()[1..].iter().filter_map(|d| dynamic(d).map_get(key)).collect();
    Ok(any_slice(found))
}

pub(super) fn keys<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut keys = Vec::new();
    for d in a.all() {
        keys.extend(entries(d).into_iter().map(|(k, _)| k.to_vec()));
    }
    Ok(string_slice(keys))
}

pub(super) fn values<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(any_slice(entries(a.arg(0)).into_iter().map(|(_, v)| v).collect()))
}

pub(super) fn pick<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let source = dynamic(a.arg(0));
    let mut map = MapValue::default();
    for key in &a.all()[1..] {
        let key = key.as_bytes().unwrap_or_default();
        if let Some(v) = source.map_get(key) {
            map.insert(Rc::from(key), v.into_element());
        }
    }
    Ok(any_map(map))
}

pub(super) fn omit<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let omitted: Vec<&[u8]> = a.all()[1..].iter().map(|k| k.as_bytes().unwrap_or_default()).collect();
    let entries = entries(a.arg(0)).into_iter().filter(|(k, _)| !omitted.contains(&&**k)).collect();
    Ok(any_map(MapValue { entries }))
}

/// mergo's `isEmptyValue`.
fn is_empty_value(v: &Value<'_>) -> bool {
    let d = dynamic(v);
    match d.kind() {
        Kind::Invalid => true,
        Kind::Map | Kind::Slice | Kind::String => d.len() == Some(0),
        Kind::Struct | Kind::Complex64 | Kind::Complex128 => false,
        _ => empty(&d),
    }
}

/// mergo's `deepMerge` of two `map[string]interface{}`, as sprig calls it:
/// nested maps merge recursively, and a key of `dst` is replaced when it is
/// missing or empty (or always, with `overwrite`).
fn deep_merge<'a>(dst: &Rc<RefCell<MapValue<'a>>>, src: &Value<'a>, overwrite: bool, depth: usize) {
    for (key, src_elem) in entries(src) {
        let dst_elem = dst.borrow().get(&key).cloned();
        if matches!(src_elem.repr, Repr::Nil(Type::Any)) {
            if overwrite {
                dst.borrow_mut().insert(key, src_elem);
            }
            continue;
        }
        let src_kind = src_elem.kind();
        match src_kind {
            Kind::Map => {
                if let Some(d) = &dst_elem
                    && d.kind() == Kind::Map
                    && !d.is_nil()
                {
                    let nested = map_arg(d);
                    // A source map that holds itself is merged once.
                    if let Some(_walk) = crate::value::stack::Walk::enter(&src_elem, depth + 1) {
                        crate::value::stack::deeper(|| deep_merge(&nested, &src_elem, overwrite, depth + 1));
                    }
                    // An input-data map became owned: store it back.
                    if !matches!(d.repr, Repr::Map(..)) {
                        dst.borrow_mut().insert(key.clone(), Value::new(Repr::Map(nested, Type::AnyMap)));
                    }
                }
            }
            Kind::Slice => {
                let replace = overwrite || dst.borrow().entries.is_empty();
                let new = match &dst_elem {
                    _ if replace => src_elem.clone(),
                    Some(d) if !d.is_nil() && !matches!(d.repr, Repr::Nil(Type::Any)) => d.clone(),
                    _ => Value::slice(Vec::new(), src_elem.dyn_type().unwrap_or(Type::AnySlice)),
                };
                dst.borrow_mut().insert(key.clone(), new);
            }
            _ => {}
        }
        let dst_empty = dst_elem.as_ref().is_none_or(is_empty_value);
        if dst_elem.is_some() && !dst_empty && matches!(src_kind, Kind::Map | Kind::Slice) {
            continue;
        }
        if overwrite || dst_empty {
            dst.borrow_mut().insert(key, src_elem);
        }
    }
}

fn merge_all<'a>(a: &[Value<'a>], overwrite: bool) -> Result<'a> {
    let first = dynamic(a.arg(0));
    let dst =
        if first.is_nil() || !first.is_valid() { Rc::new(RefCell::new(MapValue::default())) } else { map_arg(&first) };
    for src in &a.all()[1..] {
        deep_merge(&dst, src, overwrite, 0);
    }
    Ok(Value::new(Repr::Map(dst, Type::AnyMap)))
}

pub(super) fn merge<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    merge_all(a, false)
}

pub(super) fn merge_overwrite<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    merge_all(a, true)
}

/// copystructure.Copy: maps and slices copied all the way down.
fn deep_copy_value<'a>(v: &Value<'a>) -> Value<'a> {
    deep_copy_at(v, 0)
}

fn deep_copy_at<'a>(v: &Value<'a>, depth: usize) -> Value<'a> {
    let d = v.unboxed();
    // A map that holds itself is shared where it recurs.
    let Some(_walk) = crate::value::stack::Walk::enter(&d, depth) else { return d };
    match &d.repr {
        Repr::Data(data) => owned_copy(data, false),
        Repr::Map(m, ty) => {
            let entries = m
                .borrow()
                .entries
                .iter()
                .map(|(k, v)| (k.clone(), crate::value::stack::deeper(|| deep_copy_at(v, depth + 1))))
                .collect();
            Value::map(MapValue { entries }, *ty)
        }
        Repr::Slice(s, ty) => {
            let items =
                s.items().iter().map(|item| crate::value::stack::deeper(|| deep_copy_at(item, depth + 1))).collect();
            Value::slice(items, *ty)
        }
        _ => d,
    }
}

pub(super) fn deep_copy<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = dynamic(a.arg(0));
    if !v.is_valid() {
        return Err("deepCopy error: copystructure: nil value".to_owned());
    }
    Ok(deep_copy_value(&v))
}

/// The message of a failed Go type assertion `x.(T)`.
fn assertion(v: &Value<'_>, want: &str) -> String {
    let d = dynamic(v);
    let have = if d.is_valid() { d.dyn_type_name() } else { "nil".to_owned() };
    format!("interface conversion: interface {{}} is {have}, not {want}")
}

fn as_any_map<'a>(v: &Value<'a>) -> std::result::Result<Value<'a>, String> {
    let d = dynamic(v);
    if d.dyn_type() == Some(Type::AnyMap) { Ok(d.into_owned()) } else { Err(assertion(v, "map[string]interface {}")) }
}

pub(super) fn dig<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let ps = a.all();
    if ps.len() < 3 {
        return Err("dig needs at least three arguments".to_owned());
    }
    let mut dict = as_any_map(&ps[ps.len() - 1])?;
    let default = ps[ps.len() - 2].clone();
    let mut keys = Vec::with_capacity(ps.len() - 2);
    for k in &ps[..ps.len() - 2] {
        match dynamic(k).repr {
            Repr::Str(ref s, Type::String) => keys.push(s.as_bytes().to_vec()),
            _ => return Err(assertion(k, "string")),
        }
    }
    for (i, key) in keys.iter().enumerate() {
        let Some(step) = dict.map_get(key) else {
            return Ok(default);
        };
        if i + 1 == keys.len() {
            return Ok(step);
        }
        dict = as_any_map(&step)?;
    }
    Err(NIL_DEREF.to_owned())
}
