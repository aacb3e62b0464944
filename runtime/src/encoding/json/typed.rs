//! `encoding/json` of typed values: fields in declaration order under their
//! JSON tag names, `omitempty` and `omitzero`, embedded structs inlined, and
//! the custom marshalers of the special types. One encoder, generic over the
//! tree it reads (template `Data`, the injector's `serde_json` pods) and
//! what it writes (JSON text, a `serde_json` tree).

use super::node::{JsonNode, JsonSink, TextSink, ValueSink, write_generic};
use crate::gotime::parse_proto_duration;
use crate::types::{DefKind, Field, FoundField, GoType, Kind, Ty, quantity};
use crate::value::data::Data;

/// Writes `data` viewed as Go type `t`, as `json.Marshal` would.
pub fn write(out: &mut Vec<u8>, t: GoType, data: Option<&Data>, html: bool) -> Result<(), String> {
    encode(&mut TextSink::new(out, html), t, data)
}

/// `json.Unmarshal` into Go type `t` then `json.Marshal`: what a typed
/// round trip makes of a JSON tree (unknown fields dropped, zero values
/// filled in or left out, quantities canonical), or Go's decoding error.
pub fn round_trip(t: GoType, value: &serde_json::Value) -> Result<serde_json::Value, String> {
    super::check::check(t, value)?;
    let mut sink = ValueSink::new();
    encode(&mut sink, t, Some(value))?;
    Ok(sink.finish())
}

/// `json.Marshal` of `value` as Go type `t`, as text.
pub fn to_text<N: JsonNode>(t: GoType, value: &N, html: bool) -> Result<String, String> {
    let mut out = Vec::new();
    encode(&mut TextSink::new(&mut out, html), t, Some(value))?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Encodes `node` as Go type `t` into `sink`.
pub fn encode<N: JsonNode, S: JsonSink>(sink: &mut S, t: GoType, node: Option<&N>) -> Result<(), String> {
    let node = node.filter(|d| !d.is_null());
    if let Some(key) = t.special() {
        return write_special(sink, key, node);
    }
    // istio.io/api's messages marshal themselves (`MarshalJSON` on the
    // pointer, by jsonpb: camelCase names, enum names, durations as text).
    if let Some(message) = t.pointee().filter(|e| e.is_message())
        && let Some(data) = node.and_then(JsonNode::as_data)
    {
        let mut json = Vec::new();
        crate::encoding::protojson::write_message(&mut json, message, data, false);
        sink.marshaled(&json);
        return Ok(());
    }
    match t.underlying().expr() {
        Ty::Any => write_generic_or_null(sink, node),
        Ty::Basic(_) => write_scalar(sink, t, node),
        Ty::Named(_) if t.kind() == Kind::Int32 => write_scalar(sink, t, node),
        Ty::Ptr(e) => match node {
            None => {
                sink.null();
                Ok(())
            }
            Some(d) => encode(sink, GoType(e), Some(d)),
        },
        Ty::Slice(e) => match node.and_then(JsonNode::as_slice) {
            Some(items) => {
                sink.begin_array();
                for item in items {
                    encode(sink, GoType(e), Some(item))?;
                }
                sink.end_array();
                Ok(())
            }
            None => {
                sink.null();
                Ok(())
            }
        },
        Ty::Map(_, v) => match node.and_then(JsonNode::entries) {
            Some(entries) => {
                sink.begin_object();
                for (k, item) in entries {
                    sink.key(k);
                    encode(sink, GoType(v), Some(item))?;
                }
                sink.end_object();
                Ok(())
            }
            None => {
                sink.null();
                Ok(())
            }
        },
        Ty::Named(_) if t.fields().is_empty() && t.def().is_some_and(|d| d.kind == DefKind::Opaque) => {
            write_generic_or_null(sink, node)
        }
        Ty::Named(_) => {
            sink.begin_object();
            write_fields(sink, t, node)?;
            sink.end_object();
            Ok(())
        }
    }
}

fn write_generic_or_null<N: JsonNode, S: JsonSink>(sink: &mut S, node: Option<&N>) -> Result<(), String> {
    match node {
        None => {
            sink.null();
            Ok(())
        }
        Some(d) => write_generic(sink, d),
    }
}

/// The node of a struct field (for an embedded struct without a key of
/// its own, the same object).
fn field_node<'n, N: JsonNode>(found: &FoundField, node: Option<&'n N>) -> Option<&'n N> {
    if found.field.inline && found.field.json.is_empty() {
        return node;
    }
    node?.get(found.field.json)
}

fn write_fields<N: JsonNode, S: JsonSink>(sink: &mut S, t: GoType, node: Option<&N>) -> Result<(), String> {
    for field in t.fields().iter().filter(|f| !f.oneof) {
        let found = FoundField::direct(field);
        let fnode = field_node(&found, node);
        if field.inline && field.tag.is_empty() {
            write_fields(sink, GoType(field.ty), fnode)?;
            continue;
        }
        if left_out(field, fnode) {
            continue;
        }
        sink.key(if field.tag.is_empty() { field.go } else { field.tag });
        encode(sink, GoType(field.ty), fnode)?;
    }
    Ok(())
}

/// `omitempty`'s notion of empty.
/// Whether the encoder leaves `field` out when it holds `node`
/// (`omitempty` and empty, or `omitzero` and zero).
pub(super) fn left_out<N: JsonNode>(field: &Field, node: Option<&N>) -> bool {
    let ty = GoType(field.ty);
    (field.omit_empty && is_empty(ty, node)) || (field.omit_zero && is_zero(ty, node))
}

pub(super) fn is_empty<N: JsonNode>(t: GoType, node: Option<&N>) -> bool {
    let node = node.filter(|d| !d.is_null());
    match t.kind() {
        Kind::Pointer | Kind::Interface => node.is_none(),
        Kind::Slice | Kind::Map => node.is_none_or(JsonNode::is_empty),
        Kind::Struct => false,
        Kind::String => node.is_none_or(|n| n.as_str().is_some_and(str::is_empty)),
        Kind::Bool => node.is_none_or(|n| n.as_bool() != Some(true)),
        _ => match node {
            None => true,
            Some(n) => match (n.as_f64(), n.as_str()) {
                (Some(f), _) => f == 0.0,
                (None, Some(s)) => t.enum_value(s) == Some(0) || s.is_empty(),
                _ => false,
            },
        },
    }
}

/// `omitzero`'s notion of zero: absent, or (for structs) every field zero.
pub(super) fn is_zero<N: JsonNode>(t: GoType, node: Option<&N>) -> bool {
    let node = node.filter(|d| !d.is_null());
    if t.special().is_some() {
        return node.is_none_or(|n| n.as_str().is_some_and(str::is_empty));
    }
    match t.kind() {
        Kind::Struct => t.fields().iter().all(|f| {
            let found = FoundField::direct(f);
            is_zero(GoType(f.ty), field_node(&found, node))
        }),
        Kind::Slice | Kind::Map | Kind::Pointer | Kind::Interface => node.is_none(),
        _ => is_empty(t, node),
    }
}

/// A number where Go has one; protobuf JSON writes 64-bit integers as
/// strings, which read as numbers too.
fn number_of<N: JsonNode>(node: Option<&N>) -> f64 {
    match node {
        Some(n) => {
            n.as_f64().or_else(|| n.as_str().and_then(|s| injit_strconv::parse_float(s.as_bytes()).ok())).unwrap_or(0.0)
        }
        None => 0.0,
    }
}

fn int_of<N: JsonNode>(node: Option<&N>) -> i64 {
    match node {
        Some(n) if n.is_number() => n.as_i64().unwrap_or(0),
        other => number_of(other) as i64,
    }
}

fn write_scalar<N: JsonNode, S: JsonSink>(sink: &mut S, t: GoType, node: Option<&N>) -> Result<(), String> {
    let kind = t.kind();
    if matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..))) {
        let n = match node.and_then(JsonNode::as_str) {
            Some(name) => t.enum_value(name).unwrap_or(0),
            None => int_of(node),
        };
        sink.int(n);
        return Ok(());
    }
    match kind {
        Kind::Bool => sink.bool(node.and_then(JsonNode::as_bool).unwrap_or(false)),
        Kind::String => sink.string(node.and_then(JsonNode::as_str).unwrap_or_default()),
        Kind::Float32 | Kind::Float64 => return sink.float(number_of(node), kind == Kind::Float32),
        _ if kind.is_uint() => sink.uint(int_of(node) as u64),
        _ => sink.int(int_of(node)),
    }
    Ok(())
}

fn write_special<N: JsonNode, S: JsonSink>(sink: &mut S, key: &str, node: Option<&N>) -> Result<(), String> {
    match key {
        // Marshalers that produce a string (or null for a zero time).
        "resource.Quantity" => {
            let text = match node {
                Some(n) => match (n.as_str(), n.number_text()) {
                    (Some(s), _) => quantity::canonical(s),
                    (None, Some(t)) => quantity::canonical(&t),
                    _ => "0".to_owned(),
                },
                None => "0".to_owned(),
            };
            sink.string(&text);
        }
        "metav1.Duration" => sink.string(node.and_then(JsonNode::as_str).unwrap_or("0s")),
        "metav1.Time" | "metav1.MicroTime" => match node.and_then(JsonNode::as_str).filter(|s| !s.is_empty()) {
            Some(s) => sink.string(s),
            None => sink.null(),
        },
        "intstr.IntOrString" => match node {
            Some(n) if n.as_str().is_some() => sink.string(n.as_str().unwrap_or_default()),
            Some(n) if n.is_number() => sink.int(i64::from(number_of(Some(n)) as i32)),
            _ => sink.int(0),
        },
        "durationpb.Duration" => {
            let (seconds, nanos) = node.and_then(JsonNode::as_str).and_then(parse_proto_duration).unwrap_or((0, 0));
            sink.begin_object();
            if seconds != 0 {
                sink.key("seconds");
                sink.int(seconds);
            }
            if nanos != 0 {
                sink.key("nanos");
                sink.int(i64::from(nanos));
            }
            sink.end_object();
        }
        k if k.starts_with("wrapperspb.") => {
            // `{"value": v}`, with `omitempty` on the value.
            let empty = match node {
                None => true,
                Some(n) => {
                    n.as_bool() == Some(false) || n.as_f64() == Some(0.0) || n.as_str().is_some_and(str::is_empty)
                }
            };
            sink.begin_object();
            if let (Some(n), false) = (node, empty) {
                sink.key("value");
                write_generic(sink, n)?;
            }
            sink.end_object();
        }
        _ => write_generic_or_null(sink, node)?,
    }
    Ok(())
}
