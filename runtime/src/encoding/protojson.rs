//! golang/protobuf's `jsonpb` over typed views: camelCase names,
//! fields in declaration order, zero values left out, enums by name,
//! 64-bit integers as strings, wrappers as their value, durations as
//! `"23s"`.

use super::json::value::{MARSHAL, write_json};
use super::json::{write_json_float, write_json_string};
use crate::types::{FoundField, GoType, Kind, Ty};
use crate::value::Value;
use crate::value::data::Data;
use crate::value::typed::field_data;

/// ProxyConfig fields whose default (`mesh.DefaultProxyConfig()`)
/// `cleanProxyConfig` removes, with that default.
const PROXY_DEFAULTS: &[(&str, Default)] = &[
    ("configPath", Default::Str("./etc/istio/proxy")),
    ("binaryPath", Default::Str("/usr/local/bin/envoy")),
    ("controlPlaneAuthPolicy", Default::Enum("MUTUAL_TLS", 1)),
    ("serviceCluster", Default::Str("istio-proxy")),
    ("drainDuration", Default::Duration(45, 0)),
    ("terminationDrainDuration", Default::Duration(5, 0)),
    ("discoveryAddress", Default::Str("istiod.istio-system.svc:15012")),
    ("proxyAdminPort", Default::Number(15000.0)),
    ("statNameLength", Default::Number(189.0)),
    ("statusPort", Default::Number(15020.0)),
];

enum Default {
    Str(&'static str),
    Enum(&'static str, i64),
    Duration(i64, i32),
    Number(f64),
}

fn is_default(field: &str, data: &Data) -> bool {
    let Some((_, d)) = PROXY_DEFAULTS.iter().find(|(name, _)| *name == field) else {
        // Nil messages and empty metadata are what DeepEqual/len remove.
        return field == "proxyMetadata" && matches!(data, Data::Object(o) if o.is_empty());
    };
    match (d, data) {
        (Default::Str(s), Data::String(v)) => **v == **s,
        (Default::Enum(name, n), Data::String(v)) => **v == **name || v.parse::<i64>().is_ok_and(|x| x == *n),
        (Default::Enum(_, n), Data::Number(v)) => *v as i64 == *n,
        (Default::Duration(s, ns), Data::String(v)) => crate::gotime::parse_proto_duration(v) == Some((*s, *ns)),
        (Default::Number(n), Data::Number(v)) => v == n,
        _ => false,
    }
}

pub fn write_message(out: &mut Vec<u8>, t: GoType, data: &Data, clean: bool) {
    out.push(b'{');
    let mut first = true;
    for field in t.fields() {
        let found = FoundField::direct(field);
        let Some(value) = field_data(&found, Some(data)).filter(|d| !matches!(d, Data::Null)) else { continue };
        if clean && is_default(field.json, value) {
            continue;
        }
        let mut item = Vec::new();
        if !write_value(&mut item, GoType(field.ty), value) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_json_string(out, field.json.as_bytes(), true);
        out.push(b':');
        out.extend_from_slice(&item);
    }
    out.push(b'}');
}

/// Writes a field's value; `false` when proto3 leaves it out (zero).
fn write_value(out: &mut Vec<u8>, t: GoType, data: &Data) -> bool {
    if let Some(key) = t.special().or_else(|| t.elem().and_then(GoType::special)) {
        return write_special(out, key, data);
    }
    match t.underlying().expr() {
        Ty::Ptr(e) => {
            let GoType(e) = GoType(e);
            if GoType(e).fields().is_empty() && GoType(e).special().is_none() {
                return write_value(out, GoType(e), data);
            }
            match data {
                Data::Object(_) => {
                    write_message(out, GoType(e), data, false);
                    true
                }
                _ => false,
            }
        }
        Ty::Slice(e) => match data {
            Data::Array(items) if !items.is_empty() => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    if !write_value(out, GoType(e), item) {
                        write_zero(out, GoType(e));
                    }
                }
                out.push(b']');
                true
            }
            _ => false,
        },
        Ty::Map(_, v) => match data {
            Data::Object(o) if !o.is_empty() => {
                out.push(b'{');
                for (i, (k, item)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_string(out, k.as_bytes(), true);
                    out.push(b':');
                    if !write_value(out, GoType(v), item) {
                        write_zero(out, GoType(v));
                    }
                }
                out.push(b'}');
                true
            }
            _ => false,
        },
        Ty::Named(_)
            if t.enum_name(0).is_some() || matches!(t.def().map(|d| d.kind), Some(crate::types::DefKind::Enum(..))) =>
        {
            let name = match data {
                Data::String(s) => Some(s.to_string()),
                Data::Number(n) => t.enum_name(*n as i64).map(str::to_owned).or_else(|| Some((*n as i64).to_string())),
                _ => None,
            };
            match name {
                Some(n) if t.enum_value(&n) != Some(0) => {
                    write_json_string(out, n.as_bytes(), true);
                    true
                }
                _ => false,
            }
        }
        Ty::Named(_) => match data {
            Data::Object(_) => {
                write_message(out, t, data, false);
                true
            }
            _ => false,
        },
        Ty::Basic(b) => match (b, data) {
            (Kind::String, Data::String(s)) if !s.is_empty() => {
                write_json_string(out, s.as_bytes(), true);
                true
            }
            (Kind::Bool, Data::Bool(true)) => {
                out.extend_from_slice(b"true");
                true
            }
            (Kind::Int64 | Kind::Uint64, Data::Number(n)) if *n != 0.0 => {
                out.extend_from_slice(format!("\"{}\"", *n as i64).as_bytes());
                true
            }
            (Kind::Float32 | Kind::Float64, Data::Number(n)) if *n != 0.0 => {
                let _ = write_json_float(out, *n, b == Kind::Float32);
                true
            }
            (_, Data::Number(n)) if *n != 0.0 => {
                out.extend_from_slice((*n as i64).to_string().as_bytes());
                true
            }
            _ => false,
        },
        Ty::Any => {
            let _ = write_json(out, &Value::from_data(data, false), MARSHAL, 0);
            true
        }
    }
}

fn write_zero(out: &mut Vec<u8>, t: GoType) {
    out.extend_from_slice(match t.kind() {
        Kind::String => b"\"\"",
        Kind::Bool => b"false",
        k if k.is_int() || k.is_uint() || k.is_float() => b"0",
        _ => b"null",
    });
}

fn write_special(out: &mut Vec<u8>, key: &str, data: &Data) -> bool {
    match key {
        "durationpb.Duration" => {
            let Data::String(s) = data else { return false };
            let (seconds, nanos) = crate::gotime::parse_proto_duration(s).unwrap_or((0, 0));
            let text = if nanos == 0 {
                format!("{seconds}s")
            } else {
                let digits = if nanos % 1_000_000 == 0 {
                    format!("{:03}", nanos.abs() / 1_000_000)
                } else if nanos % 1_000 == 0 {
                    format!("{:06}", nanos.abs() / 1_000)
                } else {
                    format!("{:09}", nanos.abs())
                };
                let sign = if seconds < 0 || nanos < 0 { "-" } else { "" };
                format!("{sign}{}.{digits}s", seconds.abs())
            };
            write_json_string(out, text.as_bytes(), true);
            true
        }
        // Wrappers are set when present, zero or not: their value.
        k if k.starts_with("wrapperspb.") => {
            match data {
                Data::String(s) => write_json_string(out, s.as_bytes(), true),
                Data::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
                Data::Number(n) if k.ends_with("Int64Value") => {
                    out.extend_from_slice(format!("\"{}\"", *n as i64).as_bytes())
                }
                Data::Number(n) if k.ends_with("DoubleValue") || k.ends_with("FloatValue") => {
                    let _ = write_json_float(out, *n, false);
                }
                Data::Number(n) => out.extend_from_slice((*n as i64).to_string().as_bytes()),
                _ => return false,
            }
            true
        }
        _ => {
            let _ = write_json(out, &Value::from_data(data, false), MARSHAL, 0);
            true
        }
    }
}
