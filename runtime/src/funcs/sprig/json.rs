//! `toJson` and `fromJson` (defaults.go): Go's `encoding/json` on template
//! values.

use super::{ArgAccess, Result};
use crate::encoding::json::NumberMode;
use crate::encoding::json::value::{MARSHAL, PRETTY, RAW, marshal, owned_from_data, write_json};
use crate::funcs::CallCx;
use crate::value::Value;
use crate::value::data::Data;

pub(super) fn to_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(marshal(a.arg(0), MARSHAL).unwrap_or_default()))
}

/// `toJson` printed: appended to `out` (nothing when marshalling fails).
pub(super) fn to_json_into(_: &CallCx, a: &[Value<'_>], out: &mut Vec<u8>) -> std::result::Result<(), String> {
    let start = out.len();
    if write_json(out, a.arg(0), MARSHAL, 0).is_err() {
        out.truncate(start);
    }
    Ok(())
}

pub(super) fn must_to_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(marshal(a.arg(0), MARSHAL)?))
}

pub(super) fn to_pretty_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(marshal(a.arg(0), PRETTY).unwrap_or_default()))
}

pub(super) fn must_to_pretty_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(marshal(a.arg(0), PRETTY)?))
}

/// `toRawJson` panics on error; `mustToRawJson` returns it: both surface
/// as the same template error.
pub(super) fn to_raw_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(marshal(a.arg(0), RAW)?))
}

fn from_json_value<'a>(text: &[u8]) -> std::result::Result<Value<'a>, String> {
    let data = Data::from_json(text, NumberMode::Float).map_err(|e| e.message)?;
    Ok(match data {
        Data::Null => Value::nil_interface(),
        d => owned_from_data(&d),
    })
}

pub(super) fn from_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(from_json_value(a.str(0)).unwrap_or_else(|_| Value::nil_interface()))
}

pub(super) fn must_from_json<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    from_json_value(a.str(0))
}
