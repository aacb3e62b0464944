//! sprig's list functions (list.go, and `until`/`seq` from numeric.go).

use super::cast::{NIL_DEREF, any_slice, deep_equal, dynamic, empty, kind_name, list_error, list_items, to_int};
use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::types::{Kind, NamedType, Type};
use crate::value::{Repr, SliceValue, Value, zero_of};

pub(super) fn list<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(any_slice(a.to_vec()))
}

fn items_or<'a>(v: &Value<'a>, what: &str) -> std::result::Result<Vec<Value<'a>>, String> {
    list_items(v).map_err(|e| list_error(e, |kind| format!("Cannot {what} type {kind}")))
}

pub(super) fn push<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    if let Repr::Slice(list, Type::AnySlice) = &dynamic(a.arg(0)).repr {
        let pushed = list.pushed(a.arg(1).clone().into_element());
        return Ok(Value::new(Repr::Slice(std::rc::Rc::new(pushed), Type::AnySlice)));
    }
    let mut items = items_or(a.arg(0), "push on")?;
    items.push(a.arg(1).clone());
    Ok(any_slice(items))
}

pub(super) fn prepend<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut items = items_or(a.arg(0), "prepend on")?;
    items.insert(0, a.arg(1).clone());
    Ok(any_slice(items))
}

/// A nil `[]interface{}`, what sprig returns for the rest of nothing.
fn nil_slice<'a>() -> Value<'a> {
    zero_of(Type::AnySlice)
}

pub(super) fn chunk<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let size = a.int(0);
    let items = items_or(a.arg(1), "chunk")?;
    let l = items.len() as f64;
    if size == 0 {
        return Err("runtime error: makeslice: len out of range".to_owned());
    }
    let count = ((l - 1.0) / size as f64).floor() + 1.0;
    let count = super::cast::float_to_i64(count);
    if count < 0 {
        return Err("runtime error: makeslice: len out of range".to_owned());
    }
    let mut chunks = Vec::with_capacity(count as usize);
    for i in 0..count {
        let mut clen = size;
        if i == count - 1 {
            clen = (l % size as f64).floor() as i64;
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err("runtime error: makeslice: len out of range".to_owned());
        }
        let chunk: Vec<Value<'a>> = (0..clen)
            .map(|j| {
                items.get((i * size + j) as usize).cloned().ok_or_else(|| {
                    format!("runtime error: index out of range [{}] with length {}", i * size + j, items.len())
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        chunks.push(any_slice(chunk));
    }
    Ok(Value::slice(chunks, Type::Named(NamedType::new("[][]interface {}"))))
}

pub(super) fn first<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let items = items_or(a.arg(0), "find first on")?;
    Ok(items.into_iter().next().unwrap_or_else(Value::nil_interface))
}

pub(super) fn last<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let items = items_or(a.arg(0), "find last on")?;
    Ok(items.into_iter().last().unwrap_or_else(Value::nil_interface))
}

pub(super) fn rest<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let items = items_or(a.arg(0), "find rest on")?;
    if items.is_empty() {
        return Ok(nil_slice());
    }
    Ok(any_slice(items[1..].to_vec()))
}

pub(super) fn initial<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let items = items_or(a.arg(0), "find initial on")?;
    if items.is_empty() {
        return Ok(nil_slice());
    }
    Ok(any_slice(items[..items.len() - 1].to_vec()))
}

pub(super) fn reverse<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut items = items_or(a.arg(0), "find reverse on")?;
    items.reverse();
    Ok(any_slice(items))
}

pub(super) fn compact<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let items = items_or(a.arg(0), "compact on")?;
    Ok(any_slice(items.into_iter().filter(|v| !empty(v)).collect()))
}

fn in_list(haystack: &[Value<'_>], needle: &Value<'_>) -> bool {
    haystack.iter().any(|h| deep_equal(needle, h))
}

pub(super) fn uniq<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let items = items_or(a.arg(0), "find uniq on")?;
    let mut dest: Vec<Value<'a>> = Vec::new();
    for item in items {
        if !in_list(&dest, &item) {
            dest.push(item);
        }
    }
    Ok(any_slice(dest))
}

pub(super) fn without<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let items = items_or(a.arg(0), "find without on")?;
    let omit: Vec<Value<'a>> = a.all()[1..].iter().map(|v| v.clone().into_element()).collect();
    Ok(any_slice(items.into_iter().filter(|i| !in_list(&omit, i)).collect()))
}

pub(super) fn has<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let haystack = dynamic(a.arg(1));
    if !haystack.is_valid() {
        return Ok(Value::bool(false));
    }
    let items = list_items(&haystack).map_err(|e| list_error(e, |kind| format!("Cannot find has on type {kind}")))?;
    let needle = a.arg(0).clone().into_element();
    Ok(Value::bool(items.iter().any(|i| deep_equal(&needle, i))))
}

/// sprig's `slice`: lists only; nil for an empty one.
pub(super) fn slice<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let list = dynamic(a.arg(0));
    if !list.is_valid() {
        return Err(NIL_DEREF.to_owned());
    }
    if list.kind() != Kind::Slice {
        return Err(format!("list should be type of slice or array but {}", kind_name(&list)));
    }
    let len = list.len().unwrap_or(0);
    if len == 0 {
        return Ok(Value::nil_interface());
    }
    let start = a.all().get(1).map_or(0, to_int);
    let end = if a.len() < 3 { len as i64 } else { to_int(a.arg(2)) };
    let cap = list.cap().unwrap_or(len) as i64;
    if start < 0 || end < start || end > cap {
        return Err("reflect.Value.Slice: slice index out of bounds".to_owned());
    }
    let ty = list.dyn_type().unwrap_or(Type::AnySlice);
    let elem = ty.elem().unwrap_or(Type::Any);
    let items: Vec<Value<'a>> = (start as usize..end as usize)
        .map(|i| if i < len { list.index(i).into_element() } else { zero_of(elem) })
        .collect();
    let new_cap = (cap - start) as usize;
    Ok(Value::new(Repr::Slice(std::rc::Rc::new(SliceValue::new(items, new_cap)), ty)).boxed())
}

pub(super) fn concat<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut res: Option<Vec<Value<'a>>> = None;
    for list in a.all() {
        let items = list_items(list).map_err(|e| list_error(e, |kind| format!("Cannot concat type {kind} as list")))?;
        res.get_or_insert_with(Vec::new).extend(items);
    }
    Ok(match res {
        Some(items) if !items.is_empty() => any_slice(items),
        _ => nil_slice(),
    }
    .boxed())
}

/// sprig's `untilStep`.
/// Go's `for i := start; i < stop; i += step` (or `>` when counting down)
/// collected; more elements than injit builds is an error where Go would
/// exhaust memory.
fn until_step(start: i64, stop: i64, step: i64) -> std::result::Result<Vec<i64>, String> {
    let (start_w, stop_w, step_w) = (i128::from(start), i128::from(stop), i128::from(step));
    let count = if stop_w < start_w && step_w < 0 {
        (start_w - stop_w + (-step_w) - 1) / -step_w
    } else if start_w < stop_w && step_w > 0 {
        (stop_w - start_w + step_w - 1) / step_w
    } else {
        0
    };
    if count > super::MAX_BUILT_ELEMENTS as i128 {
        return Err(format!("{count} elements are more than injit builds ({})", super::MAX_BUILT_ELEMENTS));
    }
    let mut i = start;
    Ok((0..count)
        .map(|_| {
            let v = i;
            i = i.wrapping_add(step);
            v
        })
        .collect())
}

fn int_slice<'a>(items: Vec<i64>) -> Value<'a> {
    Value::slice(items.into_iter().map(Value::int).collect(), Type::IntSlice)
}

pub(super) fn until<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let count = a.int(0);
    let step = if count < 0 { -1 } else { 1 };
    Ok(int_slice(until_step(0, count, step)?))
}

pub(super) fn until_step_fn<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(int_slice(until_step(a.int(0), a.int(1), a.int(2))?))
}

/// `seq`: like GNU seq, as a space-separated string.
pub(super) fn seq<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let p: Vec<i64> = (0..a.len()).map(|i| a.int(i)).collect();
    let numbers = match p.as_slice() {
        [end] => {
            let start = 1;
            let inc = if *end < start { -1 } else { 1 };
            until_step(start, end.wrapping_add(inc), inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step(*start, end.wrapping_add(step), step)?
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return Ok(Value::string(&b""[..]));
                }
            }
            until_step(*start, end.wrapping_add(inc), *step)?
        }
        _ => Vec::new(),
    };
    let text: Vec<String> = numbers.iter().map(i64::to_string).collect();
    Ok(Value::string(text.join(" ").into_bytes()))
}
