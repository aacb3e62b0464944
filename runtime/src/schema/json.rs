//! `encoding/json` of typed views: fields in declaration order under their
//! JSON tag names, `omitempty`, embedded structs inlined, and the custom
//! marshalers of the special types.

use super::{FoundField, GoType, Ty, field_data, value};
use crate::data::{Data, write_json_float};
use crate::types::Kind;

/// Writes `data` viewed as Go type `t`, as `json.Marshal` would.
pub fn write(out: &mut Vec<u8>, t: GoType, data: Option<&Data>, html: bool) -> Result<(), String> {
    let data = data.filter(|d| !matches!(d, Data::Null));
    if let Some(key) = t.special() {
        return write_special(out, key, data, html);
    }
    match t.underlying().expr() {
        Ty::Any => write_generic(out, data, html),
        Ty::Basic(_) => write_scalar(out, t, data, html),
        Ty::Named(_) if t.kind() == Kind::Int32 => write_scalar(out, t, data, html),
        Ty::Ptr(e) => match data {
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            Some(d) => write(out, GoType(e), Some(d), html),
        },
        Ty::Slice(e) => match data {
            Some(Data::Array(items)) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(out, GoType(e), Some(item), html)?;
                }
                out.push(b']');
                Ok(())
            }
            _ => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        },
        Ty::Map(_, v) => match data {
            Some(Data::Object(o)) => {
                out.push(b'{');
                for (i, (k, item)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(out, k.as_bytes(), html);
                    out.push(b':');
                    write(out, GoType(v), Some(item), html)?;
                }
                out.push(b'}');
                Ok(())
            }
            _ => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        },
        Ty::Named(_) if t.fields().is_empty() && t.def().is_some_and(|d| d.kind == super::DefKind::Opaque) => {
            write_generic(out, data, html)
        }
        Ty::Named(_) => {
            out.push(b'{');
            let mut first = true;
            write_fields(out, t, data, html, &mut first)?;
            out.push(b'}');
            Ok(())
        }
    }
}

fn write_fields(out: &mut Vec<u8>, t: GoType, data: Option<&Data>, html: bool, first: &mut bool) -> Result<(), String> {
    for field in t.fields().iter().filter(|f| !f.oneof) {
        let found = FoundField { field, ty: GoType(field.ty) };
        let fdata = field_data(&found, data);
        if field.inline && field.tag.is_empty() {
            write_fields(out, GoType(field.ty), fdata, html, first)?;
            continue;
        }
        if (field.omit_empty && is_empty(GoType(field.ty), fdata))
            || (field.omit_zero && is_zero(GoType(field.ty), fdata))
        {
            continue;
        }
        if !*first {
            out.push(b',');
        }
        *first = false;
        let name = if field.tag.is_empty() { field.go } else { field.tag };
        json_string(out, name.as_bytes(), html);
        out.push(b':');
        write(out, GoType(field.ty), fdata, html)?;
    }
    Ok(())
}

/// `omitempty`'s notion of empty.
fn is_empty(t: GoType, data: Option<&Data>) -> bool {
    let data = data.filter(|d| !matches!(d, Data::Null));
    match t.kind() {
        Kind::Pointer | Kind::Interface => data.is_none(),
        Kind::Slice | Kind::Map => super::len(data) == 0,
        Kind::Struct => false,
        Kind::String => match data {
            None => true,
            Some(Data::String(s)) => s.is_empty(),
            Some(_) => false,
        },
        Kind::Bool => !matches!(data, Some(Data::Bool(true))),
        _ => match data {
            None => true,
            Some(Data::Number(f)) => *f == 0.0,
            Some(Data::String(s)) => t.enum_value(s) == Some(0) || s.is_empty(),
            Some(_) => false,
        },
    }
}

/// `omitzero`'s notion of zero: absent data, or (for structs) data whose
/// fields are all zero.
fn is_zero(t: GoType, data: Option<&Data>) -> bool {
    let data = data.filter(|d| !matches!(d, Data::Null));
    if t.special().is_some() {
        return match data {
            None => true,
            Some(Data::String(s)) => s.is_empty(),
            Some(_) => false,
        };
    }
    match t.kind() {
        Kind::Struct => t.fields().iter().all(|f| {
            let found = FoundField { field: f, ty: GoType(f.ty) };
            is_zero(GoType(f.ty), field_data(&found, data))
        }),
        Kind::Slice | Kind::Map | Kind::Pointer | Kind::Interface => data.is_none(),
        _ => is_empty(t, data),
    }
}

fn write_scalar(out: &mut Vec<u8>, t: GoType, data: Option<&Data>, html: bool) -> Result<(), String> {
    let v = value(t, data, false);
    match &v.repr {
        crate::value::Repr::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        crate::value::Repr::Str(s, _) => json_string(out, s.as_bytes(), html),
        crate::value::Repr::Int(i, _) => out.extend_from_slice(i.to_string().as_bytes()),
        crate::value::Repr::Uint(u, _) => out.extend_from_slice(u.to_string().as_bytes()),
        crate::value::Repr::Float(f, ty) => write_json_float(out, *f, *ty == crate::types::Type::Float32)?,
        _ => out.extend_from_slice(b"null"),
    }
    Ok(())
}

/// Untyped data (an `interface{}` field) as `encoding/json` writes it.
fn write_generic(out: &mut Vec<u8>, data: Option<&Data>, html: bool) -> Result<(), String> {
    match data {
        None => out.extend_from_slice(b"null"),
        Some(d) => json_data(out, d, html)?,
    }
    Ok(())
}

fn write_special(out: &mut Vec<u8>, key: &str, data: Option<&Data>, html: bool) -> Result<(), String> {
    match key {
        // Marshalers that produce a string (or null for a zero time).
        "resource.Quantity" => {
            let text = match data {
                Some(Data::String(s)) => super::quantity::canonical(s),
                other => super::quantity_text(other),
            };
            json_string(out, text.as_bytes(), html);
        }
        "metav1.Duration" => match data {
            Some(Data::String(s)) => json_string(out, s.as_bytes(), html),
            _ => json_string(out, b"0s", html),
        },
        "metav1.Time" | "metav1.MicroTime" => match data {
            Some(Data::String(s)) if !s.is_empty() => json_string(out, s.as_bytes(), html),
            _ => out.extend_from_slice(b"null"),
        },
        "intstr.IntOrString" => match data {
            Some(Data::String(s)) => json_string(out, s.as_bytes(), html),
            Some(Data::Number(f)) => out.extend_from_slice((*f as i32).to_string().as_bytes()),
            _ => out.push(b'0'),
        },
        "durationpb.Duration" => {
            let (seconds, nanos) = match data {
                Some(Data::String(s)) => parse_proto_duration(s).unwrap_or((0, 0)),
                _ => (0, 0),
            };
            out.push(b'{');
            let mut parts = Vec::new();
            if seconds != 0 {
                parts.push(format!("\"seconds\":{seconds}"));
            }
            if nanos != 0 {
                parts.push(format!("\"nanos\":{nanos}"));
            }
            out.extend_from_slice(parts.join(",").as_bytes());
            out.push(b'}');
        }
        k if k.starts_with("wrapperspb.") => {
            // `{"value": v}`, with `omitempty` on the value.
            let empty = match data {
                None => true,
                Some(Data::Bool(b)) => !b,
                Some(Data::Number(f)) => *f == 0.0,
                Some(Data::String(s)) => s.is_empty(),
                Some(_) => false,
            };
            match data {
                Some(d) if !empty => {
                    out.extend_from_slice(b"{\"value\":");
                    json_data(out, d, html)?;
                    out.push(b'}');
                }
                _ => out.extend_from_slice(b"{}"),
            }
        }
        _ => write_generic(out, data, html)?,
    }
    Ok(())
}

fn json_string(out: &mut Vec<u8>, s: &[u8], html: bool) {
    crate::funcs::sprig::json::write_json_string(out, s, html);
}

/// Untyped data as `encoding/json` writes it.
fn json_data(out: &mut Vec<u8>, d: &Data, html: bool) -> Result<(), String> {
    let style = crate::funcs::sprig::json::JsonStyle { escape_html: html, indent: false };
    crate::funcs::sprig::json::write_json(out, &crate::value::Value::from_data(d, false), style, 0)
}

/// A protobuf JSON duration (`"45s"`, `"0.5s"`) as seconds and
/// nanoseconds; also Go's `time.ParseDuration` forms (`"1m0s"`), which the
/// jsonpb of Istio 1.0/1.1 accepted.
pub fn parse_proto_duration(s: &str) -> Option<(i64, i32)> {
    if let Some(d) = parse_seconds(s) {
        return Some(d);
    }
    let nanos = parse_go_duration(s)?;
    Some(((nanos / 1_000_000_000) as i64, (nanos % 1_000_000_000) as i32))
}

fn parse_seconds(s: &str) -> Option<(i64, i32)> {
    let digits = s.strip_suffix('s')?;
    let negative = digits.starts_with('-');
    let digits = digits.trim_start_matches('-');
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let mut nanos: i32 = 0;
    if !frac.is_empty() {
        let padded = format!("{frac:0<9}");
        nanos = padded.get(..9)?.parse().ok()?;
    }
    Some(if negative { (-seconds, -nanos) } else { (seconds, nanos) })
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_go_duration(s: &str) -> Option<i128> {
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_end);
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let unit_end = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let mut value = whole.checked_mul(scale)?;
        let mut divisor = 1i128;
        for digit in frac.bytes().take(30) {
            divisor *= 10;
            value += i128::from(digit - b'0') * scale / divisor;
        }
        total = total.checked_add(value)?;
        rest = tail;
    }
    if total > i128::from(i64::MAX) {
        return None;
    }
    Some(if negative { -total } else { total })
}

/// `%v` of a special type's value.
pub fn write_special_text(out: &mut Vec<u8>, t: GoType, data: Option<&Data>) {
    let key = t.special().unwrap_or_default();
    match (key, data) {
        ("intstr.IntOrString", Some(Data::Number(f))) => {
            out.extend_from_slice(format!("{{0 {} }}", *f as i32).as_bytes())
        }
        ("intstr.IntOrString", Some(Data::String(s))) => out.extend_from_slice(format!("{{1 0 {s}}}").as_bytes()),
        ("intstr.IntOrString", _) => out.extend_from_slice(b"{0 0 }"),
        (_, Some(Data::String(s))) => out.extend_from_slice(s.as_bytes()),
        (k, Some(d)) if k.starts_with("wrapperspb.") => {
            out.extend_from_slice(&crate::fmt::sprint(&[crate::value::Value::from_data(d, false)]))
        }
        _ => out.extend_from_slice(b"{}"),
    }
}
