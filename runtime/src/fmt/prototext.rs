//! What a protobuf message's `String()` prints: the text format on one
//! line (`prototext`), as `protoimpl.X.MessageStringOf` writes it — fields
//! in declaration order by their proto names, set fields only, messages
//! in braces, repeated fields one entry per element, map entries as
//! `{key:... value:...}`.
//!
//! Go separates fields with one space, or with two in some builds: the
//! protobuf library picks that per binary (`detrand`), so that nobody
//! depends on it. injit writes one.

use crate::gotime::parse_proto_duration;
use crate::types::{DefKind, FoundField, GoType, Kind, Ty};
use crate::value::data::Data;
use crate::value::typed::field_data;

/// The text of a message of type `t` (a struct or a pointer to one) held
/// in `data`.
pub(crate) fn message_text(t: GoType, data: Option<&Data>) -> Vec<u8> {
    let mut out = Vec::new();
    let target = t.pointee().unwrap_or(t);
    fields(&mut out, target, data.filter(|d| !matches!(d, Data::Null)));
    out
}

/// Whether `t` prints as the text format: a protobuf message, or one of
/// the well-known types injit keeps as special types.
pub(crate) fn is_proto(t: GoType) -> bool {
    t.is_message() || t.special().is_some_and(|k| k.starts_with("durationpb.") || k.starts_with("wrapperspb."))
}

fn fields(out: &mut Vec<u8>, t: GoType, data: Option<&Data>) {
    match t.special() {
        Some("durationpb.Duration") => {
            let (seconds, nanos) = match data {
                Some(Data::String(s)) => parse_proto_duration(s).unwrap_or((0, 0)),
                _ => (0, 0),
            };
            if seconds != 0 {
                entry(out, "seconds", format!("{seconds}").as_bytes());
            }
            if nanos != 0 {
                entry(out, "nanos", format!("{nanos}").as_bytes());
            }
            return;
        }
        Some(k) if k.starts_with("wrapperspb.") => {
            if let Some(text) = data.and_then(|d| wrapper_text(k, d)) {
                entry(out, "value", &text);
            }
            return;
        }
        _ => {}
    }
    if !t.is_message() {
        return;
    }
    for field in t.fields() {
        let found = FoundField::direct(field);
        let Some(fdata) = field_data(&found, data).filter(|d| !matches!(d, Data::Null)) else { continue };
        let name = proto_name(field.tag, field.json);
        // A set oneof member is written even when zero.
        value(out, &name, GoType(field.ty), fdata, field.oneof);
    }
}

/// The proto field name: the struct tag's (`drain_duration`), or for a
/// oneof member (which has none) its JSON name in snake case.
fn proto_name(tag: &str, json: &str) -> String {
    if !tag.is_empty() {
        return tag.to_owned();
    }
    let mut name = String::with_capacity(json.len() + 4);
    for c in json.chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

/// `name:` and a field's value (each element of a repeated field, each
/// entry of a map). A scalar's zero value is written only when it is
/// `present` (a list element, a map value, a set oneof member); proto3
/// leaves zero fields unset.
fn value(out: &mut Vec<u8>, name: &str, t: GoType, data: &Data, present: bool) {
    match t.underlying().expr() {
        Ty::Slice(e) if t.special().is_none() => {
            if let Data::Array(items) = data {
                for item in items.iter() {
                    value(out, name, GoType(e), item, true);
                }
            }
        }
        Ty::Map(_, v) => {
            if let Data::Object(o) = data {
                let mut entries: Vec<_> = o.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (k, item) in entries {
                    separate(out);
                    out.extend_from_slice(name.as_bytes());
                    out.extend_from_slice(b":{key:");
                    quote(out, k);
                    value(out, "value", GoType(v), item, true);
                    out.push(b'}');
                }
            }
        }
        _ => {
            let target = t.pointee().unwrap_or(t);
            if is_proto(target) {
                separate(out);
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b":{");
                let mut inner = Vec::new();
                fields(&mut inner, target, Some(data));
                out.extend_from_slice(&inner);
                out.push(b'}');
            } else if let Some(text) = scalar(target, data, present) {
                entry(out, name, &text);
            }
        }
    }
}

/// A scalar's text; `None` for a zero value that is not `present`.
fn scalar(t: GoType, data: &Data, present: bool) -> Option<Vec<u8>> {
    if matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..))) {
        let n = match data {
            Data::Number(f) => *f as i64,
            Data::String(s) => t.enum_value(s).unwrap_or(0),
            _ => 0,
        };
        return (n != 0 || present).then(|| t.enum_name(n).map_or_else(|| n.to_string(), str::to_owned).into_bytes());
    }
    let text = match (t.kind(), data) {
        (Kind::String, Data::String(s)) => {
            let mut text = Vec::new();
            quote(&mut text, s);
            (text, s.is_empty())
        }
        (Kind::Bool, Data::Bool(b)) => (b.to_string().into_bytes(), !b),
        (k, Data::Number(f)) if k.is_float() => {
            (number_text(*f, k == Kind::Float32), *f == 0.0 && f.is_sign_positive())
        }
        (_, Data::Number(f)) => (format!("{}", *f as i64).into_bytes(), *f == 0.0),
        // 64-bit integers are strings in protobuf JSON.
        (k, Data::String(s)) if k.is_int() || k.is_uint() => {
            let n = s.parse::<i128>().ok()?;
            (n.to_string().into_bytes(), n == 0)
        }
        _ => return None,
    };
    match text {
        (_, true) if !present => None,
        (text, _) => Some(text),
    }
}

fn wrapper_text(key: &str, data: &Data) -> Option<Vec<u8>> {
    match (key, data) {
        ("wrapperspb.BoolValue", Data::Bool(true)) => Some(b"true".to_vec()),
        ("wrapperspb.StringValue", Data::String(s)) if !s.is_empty() => {
            let mut text = Vec::new();
            quote(&mut text, s);
            Some(text)
        }
        ("wrapperspb.DoubleValue" | "wrapperspb.FloatValue", Data::Number(f)) if *f != 0.0 => {
            Some(number_text(*f, key == "wrapperspb.FloatValue"))
        }
        (_, Data::Number(f)) if *f != 0.0 => Some(format!("{}", *f as i64).into_bytes()),
        (_, Data::String(s)) => s.parse::<i128>().ok().filter(|n| *n != 0).map(|n| n.to_string().into_bytes()),
        _ => None,
    }
}

/// `strconv.AppendFloat(f, 'g', -1, bits)`, with the text format's names
/// for the infinities and NaN.
fn number_text(f: f64, bits32: bool) -> Vec<u8> {
    if f.is_nan() {
        return b"nan".to_vec();
    }
    if f.is_infinite() {
        return if f > 0.0 { b"inf".to_vec() } else { b"-inf".to_vec() };
    }
    injit_strconv::format_float_bits(
        f,
        injit_strconv::FloatFormat::General { upper: false },
        -1,
        if bits32 { 32 } else { 64 },
    )
    .into_bytes()
}

fn separate(out: &mut Vec<u8>) {
    if !out.is_empty() {
        out.push(b' ');
    }
}

fn entry(out: &mut Vec<u8>, name: &str, text: &[u8]) {
    separate(out);
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    out.extend_from_slice(text);
}

/// A string as the text format quotes it: `"`, `\` and control
/// characters escaped, other text as it is.
fn quote(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.extend_from_slice(format!("\\x{:02x}", c as u32).as_bytes())
            }
            c => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::json::NumberMode;

    fn text(json: &str) -> String {
        let t = GoType::named("meshconfig.ProxyConfig").expect("in the schema");
        let data = Data::from_json(json.as_bytes(), NumberMode::Float).expect("JSON");
        String::from_utf8(message_text(t, Some(&data))).expect("UTF-8")
    }

    #[test]
    fn set_fields_in_declaration_order_zero_fields_left_out() {
        assert_eq!(
            text(r#"{"discoveryAddress":"x:1","drainDuration":"45s","concurrency":4,"configPath":""}"#),
            r#"drain_duration:{seconds:45} discovery_address:"x:1" concurrency:{value:4}"#
        );
        // `service_cluster` is a oneof member: set, it is written even empty.
        assert_eq!(text(r#"{"serviceCluster":""}"#), r#"service_cluster:"""#);
    }

    #[test]
    fn map_entries_keep_zero_values() {
        assert_eq!(
            text(r#"{"proxyMetadata":{"B":"","A":"1"}}"#),
            r#"proxy_metadata:{key:"A" value:"1"} proxy_metadata:{key:"B" value:""}"#
        );
    }

    #[test]
    fn strings_are_quoted_and_escaped() {
        assert_eq!(text(r#"{"serviceCluster":"a\"b\\c\nd"}"#), r#"service_cluster:"a\"b\\c\nd""#);
    }
}
