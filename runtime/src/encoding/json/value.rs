//! `json.Marshal` of template values (sprig's `toJson`, Istio's `toJSON`),
//! and the values `json.Unmarshal` into `interface{}` makes.

use std::rc::Rc;

use super::NumberMode;
use super::write::{write_json_float, write_json_string};
use crate::types::{Kind, Type};
use crate::value::data::Data;
use crate::value::{MapValue, Repr, Str, Value};

/// How to write JSON.
#[derive(Clone, Copy)]
pub struct JsonStyle {
    /// `json.Marshal` escapes `<`, `>` and `&`; an encoder with
    /// `SetEscapeHTML(false)` does not.
    pub escape_html: bool,
    /// `MarshalIndent(v, "", "  ")`.
    pub indent: bool,
}

/// `json.Indent(out, compact, "", "  ")` starting at nesting `depth`:
/// re-lays compact JSON as `MarshalIndent` would have written it, refusing
/// what nests deeper than its scanner allows.
fn indent_json(out: &mut Vec<u8>, compact: &[u8], depth: usize) -> std::result::Result<(), String> {
    let mut depth = depth;
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    let pad = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        for _ in 0..depth {
            out.extend_from_slice(b"  ");
        }
    };
    while i < compact.len() {
        let c = compact[i];
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push(c);
            }
            b'{' | b'[' => {
                if depth >= MAX_INDENTED_NESTING {
                    return Err(format!("invalid character '{}' exceeded max depth", c as char));
                }
                let close = if c == b'{' { b'}' } else { b']' };
                if compact.get(i + 1) == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i += 2;
                    continue;
                }
                out.push(c);
                depth += 1;
                pad(out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                pad(out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                pad(out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(c),
        }
        i += 1;
    }
    Ok(())
}

/// `json.Marshal`'s error for a map or slice that holds itself.
fn cycle(v: &Value<'_>) -> String {
    format!("json: unsupported value: encountered a cycle via {}", v.dyn_type_name())
}

/// Go's JSON scanner, which `MarshalIndent` runs over what it marshaled,
/// refuses more than 10,000 levels of nesting.
const MAX_INDENTED_NESTING: usize = 10_000;

/// Opens an array or object at nesting `depth` (0 for the outermost).
fn open(out: &mut Vec<u8>, bracket: u8, style: JsonStyle, depth: usize) -> std::result::Result<(), String> {
    if style.indent && depth >= MAX_INDENTED_NESTING {
        return Err(format!("invalid character '{}' exceeded max depth", bracket as char));
    }
    out.push(bracket);
    Ok(())
}

fn newline(out: &mut Vec<u8>, style: JsonStyle, depth: usize) {
    if style.indent {
        out.push(b'\n');
        for _ in 0..depth {
            out.extend_from_slice(b"  ");
        }
    }
}

/// `json.Marshal` of a value.
pub fn write_json(out: &mut Vec<u8>, v: &Value<'_>, style: JsonStyle, depth: usize) -> std::result::Result<(), String> {
    let v = v.unboxed_cow();
    match &v.repr {
        Repr::Invalid | Repr::Nil(_) => out.extend_from_slice(b"null"),
        Repr::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Repr::Int(i, _) => write_decimal(out, *i),
        Repr::Uint(u, _) => write_decimal(out, *u),
        Repr::Data(d) => write_json_data(out, d, style, depth)?,
        Repr::Float(f, t) => write_json_float(out, *f, *t == Type::Float32)?,
        Repr::Complex(_, _, t) => return Err(format!("json: unsupported type: {t}")),
        Repr::Str(s, Type::JsonNumber) => write_json_number(out, s.as_bytes())?,
        Repr::Str(s, _) => write_json_string(out, s.as_bytes(), style.escape_html),
        Repr::Func(_) | Repr::Method(_) => return Err(format!("json: unsupported type: {}", v.dyn_type_name())),
        Repr::Typed(t, d, _) if style.indent => {
            let mut compact = Vec::new();
            super::typed::write(&mut compact, *t, *d, style.escape_html)?;
            indent_json(out, &compact, depth)?;
        }
        Repr::Typed(t, d, _) => {
            // Nothing is written on error: callers discard the output then.
            super::typed::write(out, *t, *d, style.escape_html)?;
        }
        Repr::Object(o) => match o.json() {
            // Go re-lays what a marshaler returns, indented like the rest.
            Some(result) if style.indent => indent_json(out, &result?, depth)?,
            Some(result) => out.extend_from_slice(&result?),
            None => write_json_fields(out, &o.fields(), style, depth)?,
        },
        _ if v.kind() == Kind::Map => {
            let Some(_walk) = crate::value::stack::Walk::enter(&v, depth) else { return Err(cycle(&v)) };
            let entries = v.map_entries();
            let entries = entries.iter().map(|(k, value)| (k.as_bytes().unwrap_or_default(), value));
            write_object(out, entries, style, depth, |out, value, depth| write_json(out, value, style, depth))?;
        }
        _ if v.kind() == Kind::Slice => {
            if v.dyn_type() == Some(Type::ByteSlice) {
                let bytes: Vec<u8> = (0..v.len().unwrap_or(0)).map(|i| byte(&v.index(i))).collect();
                out.push(b'"');
                out.extend_from_slice(crate::encoding::base64::encode(&bytes).as_bytes());
                out.push(b'"');
                return Ok(());
            }
            let Some(_walk) = crate::value::stack::Walk::enter(&v, depth) else { return Err(cycle(&v)) };
            let items = (0..v.len().unwrap_or(0)).map(|i| v.index(i));
            write_array(out, items, style, depth, |out, item, depth| write_json(out, &item, style, depth))?;
        }
        _ => out.extend_from_slice(b"null"),
    }
    Ok(())
}

/// An element of a `[]uint8`: a `uint8`, whatever integer value holds it.
fn byte(v: &Value<'_>) -> u8 {
    match v.unboxed_cow().repr {
        Repr::Int(i, _) => i as u8,
        Repr::Uint(u, _) => u as u8,
        _ => 0,
    }
}

/// Decoded input data, walked in place: no values are made for its
/// elements, and its objects are already in Go's key order.
fn write_json_data(out: &mut Vec<u8>, d: &Data, style: JsonStyle, depth: usize) -> std::result::Result<(), String> {
    match d {
        Data::Null => out.extend_from_slice(b"null"),
        Data::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Data::Number(f) => write_json_float(out, *f, false)?,
        Data::JsonNumber(s) => write_json_number(out, s.as_bytes())?,
        Data::String(s) => write_json_string(out, s.as_bytes(), style.escape_html),
        Data::Array(items) => {
            write_array(out, items.iter(), style, depth, |out, item, depth| write_json_data(out, item, style, depth))?;
        }
        Data::Object(object) => {
            let entries = object.iter().map(|(k, value)| (k.as_bytes(), value));
            write_object(out, entries, style, depth, |out, value, depth| write_json_data(out, value, style, depth))?;
        }
    }
    Ok(())
}

/// An array of `items` at nesting `depth`, each written by `write` one
/// level deeper.
fn write_array<T>(
    out: &mut Vec<u8>,
    mut items: impl Iterator<Item = T>,
    style: JsonStyle,
    depth: usize,
    write: impl Fn(&mut Vec<u8>, T, usize) -> std::result::Result<(), String>,
) -> std::result::Result<(), String> {
    open(out, b'[', style, depth)?;
    let Some(first) = items.next() else {
        out.push(b']');
        return Ok(());
    };
    newline(out, style, depth + 1);
    crate::value::stack::deeper(|| write(out, first, depth + 1))?;
    for item in items {
        out.push(b',');
        newline(out, style, depth + 1);
        crate::value::stack::deeper(|| write(out, item, depth + 1))?;
    }
    newline(out, style, depth);
    out.push(b']');
    Ok(())
}

/// An object of `entries` (in the order given) at nesting `depth`, each
/// value written by `write` one level deeper.
fn write_object<'k, T>(
    out: &mut Vec<u8>,
    entries: impl Iterator<Item = (&'k [u8], T)>,
    style: JsonStyle,
    depth: usize,
    write: impl Fn(&mut Vec<u8>, T, usize) -> std::result::Result<(), String>,
) -> std::result::Result<(), String> {
    let mut first = true;
    open(out, b'{', style, depth)?;
    for (key, value) in entries {
        if !first {
            out.push(b',');
        }
        newline(out, style, depth + 1);
        write_json_string(out, key, style.escape_html);
        out.extend_from_slice(if style.indent { b": " } else { b":" });
        crate::value::stack::deeper(|| write(out, value, depth + 1))?;
        first = false;
    }
    if !first {
        newline(out, style, depth);
    }
    out.push(b'}');
    Ok(())
}

/// A `json.Number`: its text, which must be a JSON number literal (the
/// empty string marshals as 0).
fn write_json_number(out: &mut Vec<u8>, s: &[u8]) -> std::result::Result<(), String> {
    if s.is_empty() {
        out.push(b'0');
    } else if Data::from_json(s, NumberMode::JsonNumber).is_ok_and(|d| matches!(d, Data::JsonNumber(_))) {
        out.extend_from_slice(s);
    } else {
        let text = String::from_utf8_lossy(s);
        return Err(format!("json: invalid number literal {}", injit_strconv::quote(text.as_bytes())));
    }
    Ok(())
}

/// An integer in decimal, without a temporary string.
fn write_decimal(out: &mut Vec<u8>, n: impl std::fmt::Display) {
    use std::io::Write;
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{n}");
}

fn write_json_fields(
    out: &mut Vec<u8>,
    fields: &[(&'static str, Value<'_>)],
    style: JsonStyle,
    depth: usize,
) -> std::result::Result<(), String> {
    let entries = fields.iter().map(|(name, value)| (name.as_bytes(), value));
    write_object(out, entries, style, depth, |out, value, depth| write_json(out, value, style, depth))
}

/// `json.Marshal` (or `MarshalIndent`) of a value, in `style`.
pub fn marshal(v: &Value<'_>, style: JsonStyle) -> std::result::Result<Vec<u8>, String> {
    // Room for a typical small object: growing from nothing costs several
    // reallocations.
    let mut out = Vec::with_capacity(128);
    write_json(&mut out, v, style, 0)?;
    Ok(out)
}

/// `json.Marshal`.
pub const MARSHAL: JsonStyle = JsonStyle { escape_html: true, indent: false };
/// `json.MarshalIndent(v, "", "  ")`.
pub const PRETTY: JsonStyle = JsonStyle { escape_html: true, indent: true };
/// An encoder with `SetEscapeHTML(false)`.
pub const RAW: JsonStyle = JsonStyle { escape_html: false, indent: false };

/// A value built from decoded JSON, owning its strings and containers.
pub fn owned_from_data<'a>(d: &Data) -> Value<'a> {
    match d {
        Data::Null => Value::nil_interface(),
        Data::Bool(b) => Value::bool(*b),
        Data::Number(f) => Value::float(*f),
        Data::JsonNumber(s) => Value::new(Repr::Str(Str::Owned(Rc::from(s.as_bytes())), Type::JsonNumber)),
        Data::String(s) => Value::string(s.as_bytes()),
        Data::Array(items) => Value::slice(items.iter().map(owned_from_data).collect(), Type::AnySlice),
        Data::Object(o) => {
            let entries = o.iter().map(|(k, v)| (Rc::from(k.as_bytes()), owned_from_data(v))).collect();
            Value::map(MapValue { entries }, Type::AnyMap)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indenting_refuses_what_nests_past_the_scanner_limit() {
        let compact = format!("{}{{}}{}", "[".repeat(5), "]".repeat(5));
        let mut out = Vec::new();
        assert_eq!(indent_json(&mut out, compact.as_bytes(), MAX_INDENTED_NESTING - 6), Ok(()));
        let err = indent_json(&mut out, compact.as_bytes(), MAX_INDENTED_NESTING - 5);
        assert_eq!(err, Err("invalid character '{' exceeded max depth".to_owned()));
        let err = indent_json(&mut out, compact.as_bytes(), MAX_INDENTED_NESTING - 4);
        assert_eq!(err, Err("invalid character '[' exceeded max depth".to_owned()));
    }

    #[test]
    fn indenting_relays_compact_json() {
        let mut out = Vec::new();
        indent_json(&mut out, br#"{"a":[1,{}],"b":"x,\"{"}"#, 1).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n    \"a\": [\n      1,\n      {}\n    ],\n    \"b\": \"x,\\\"{\"\n  }"
        );
    }
}
