//! `json.Unmarshal` into a Go type, for its errors: data that Go would
//! refuse to decode (a string where an `int32` goes, a fraction in an
//! integer, an object where a list goes) fails with Go's message. Unknown
//! fields are not errors (Go drops them); `null` is always accepted.

use super::{DefKind, GoType, Ty};
use crate::data::Data;
use crate::types::Kind;

/// Checks that `data` decodes as Go type `t`. `root` names the type being
/// decoded in messages (`Pod`).
pub fn check(t: GoType, data: &Data) -> Result<(), String> {
    let mut path = Vec::new();
    let mut context = Context { strukt: struct_name(t), path: &mut path };
    check_value(t, data, &mut context)
}

struct Context<'p> {
    /// The innermost struct being decoded (Go's `errorContext.Struct`).
    strukt: &'static str,
    /// JSON field names from the root (Go's `errorContext.FieldStack`).
    path: &'p mut Vec<&'static str>,
}

fn struct_name(t: GoType) -> &'static str {
    let mut t = t;
    while let Ty::Ptr(e) = t.expr() {
        t = GoType(e);
    }
    t.def().map_or("", |d| d.name.rsplit('.').next().unwrap_or(d.name))
}

fn mismatch(what: &str, t: GoType, cx: &Context<'_>) -> String {
    if cx.path.is_empty() {
        return format!("json: cannot unmarshal {what} into Go value of type {}", t.name());
    }
    format!(
        "json: cannot unmarshal {what} into Go struct field {}.{} of type {}",
        cx.strukt,
        cx.path.join("."),
        t.name()
    )
}

fn json_kind(data: &Data) -> String {
    match data {
        Data::Null => "null".to_owned(),
        Data::Bool(_) => "bool".to_owned(),
        Data::Number(_) | Data::JsonNumber(_) => "number".to_owned(),
        Data::String(_) => "string".to_owned(),
        Data::Array(_) => "array".to_owned(),
        Data::Object(_) => "object".to_owned(),
    }
}

fn number_text(data: &Data) -> Option<String> {
    match data {
        Data::Number(f) => {
            let mut out = Vec::new();
            crate::data::write_json_float(&mut out, *f, false).ok()?;
            String::from_utf8(out).ok()
        }
        Data::JsonNumber(s) => Some(s.to_string()),
        _ => None,
    }
}

fn check_value(t: GoType, data: &Data, cx: &mut Context<'_>) -> Result<(), String> {
    if matches!(data, Data::Null) {
        return Ok(());
    }
    if let Some(key) = t.special() {
        return check_special(key, t, data, cx);
    }
    match t.expr() {
        Ty::Any => Ok(()),
        Ty::Ptr(e) => check_value(GoType(e), data, cx),
        Ty::Slice(e) => match data {
            Data::Array(items) => items.iter().try_for_each(|item| check_value(GoType(e), item, cx)),
            Data::String(_) if GoType(e).kind() == Kind::Uint8 => Ok(()),
            _ => Err(mismatch(&json_kind(data), t, cx)),
        },
        Ty::Map(_, v) => match data {
            Data::Object(o) => o.iter().try_for_each(|(_, item)| check_value(GoType(v), item, cx)),
            _ => Err(mismatch(&json_kind(data), t, cx)),
        },
        Ty::Basic(_) => check_scalar(t, data, cx),
        Ty::Named(_) => match t.def().map(|d| d.kind) {
            Some(DefKind::Struct(..) | DefKind::Message(..)) => check_struct(t, data, cx),
            Some(DefKind::Named(_)) => match t.underlying().expr() {
                Ty::Basic(_) => check_scalar(t, data, cx),
                _ => check_value(t.underlying(), data, cx),
            },
            Some(DefKind::Enum(..)) => match data {
                Data::String(_) | Data::Number(_) | Data::JsonNumber(_) => Ok(()),
                _ => Err(mismatch(&json_kind(data), t, cx)),
            },
            _ => Ok(()),
        },
    }
}

fn check_struct(t: GoType, data: &Data, cx: &mut Context<'_>) -> Result<(), String> {
    let Data::Object(o) = data else {
        return Err(mismatch(&json_kind(data), t, cx));
    };
    for (key, value) in o.iter() {
        let Some(field) = find_json_field(t, key) else { continue };
        let outer = std::mem::replace(&mut cx.strukt, struct_name(t));
        cx.path.push(field.1);
        let result = check_value(field.0, value, cx);
        cx.path.pop();
        cx.strukt = outer;
        result?;
    }
    Ok(())
}

/// The field that JSON key `key` decodes into (exact match; embedded
/// structs' fields are promoted): its type and JSON name.
pub fn find_json_field(t: GoType, key: &str) -> Option<(GoType, &'static str)> {
    for field in t.fields() {
        if field.inline && field.tag.is_empty() {
            if let Some(found) = find_json_field(GoType(field.ty), key) {
                return Some(found);
            }
            continue;
        }
        let name = if field.tag.is_empty() { field.go } else { field.tag };
        if name == key && !field.oneof {
            return Some((GoType(field.ty), name));
        }
    }
    None
}

fn check_scalar(t: GoType, data: &Data, cx: &Context<'_>) -> Result<(), String> {
    let kind = t.kind();
    let ok = match (kind, data) {
        (Kind::Bool, Data::Bool(_)) => true,
        (Kind::String, Data::String(_)) => true,
        (Kind::Float32 | Kind::Float64, Data::Number(_) | Data::JsonNumber(_)) => true,
        (_, Data::Number(_) | Data::JsonNumber(_)) if kind.is_int() || kind.is_uint() => {
            let text = number_text(data).unwrap_or_default();
            if !integer_fits(kind, &text) {
                return Err(mismatch(&format!("number {text}"), t, cx));
            }
            true
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err(mismatch(&json_kind(data), t, cx)) }
}

/// Whether a JSON number's text is an integer in range of `kind`
/// (`strconv.ParseInt(s, 10, bits)`).
fn integer_fits(kind: Kind, text: &str) -> bool {
    match kind {
        Kind::Int8 => text.parse::<i8>().is_ok(),
        Kind::Int16 => text.parse::<i16>().is_ok(),
        Kind::Int32 => text.parse::<i32>().is_ok(),
        Kind::Int | Kind::Int64 => text.parse::<i64>().is_ok(),
        Kind::Uint8 => text.parse::<u8>().is_ok(),
        Kind::Uint16 => text.parse::<u16>().is_ok(),
        Kind::Uint32 => text.parse::<u32>().is_ok(),
        _ => text.parse::<u64>().is_ok(),
    }
}

fn check_special(key: &str, t: GoType, data: &Data, cx: &Context<'_>) -> Result<(), String> {
    match (key, data) {
        ("resource.Quantity", Data::String(s)) => match super::quantity::Quantity::parse(s.trim()) {
            Some(_) => Ok(()),
            None => Err("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                .to_owned()),
        },
        ("resource.Quantity", Data::Number(_) | Data::JsonNumber(_)) => Ok(()),
        ("intstr.IntOrString", Data::String(_)) => Ok(()),
        ("intstr.IntOrString", Data::Number(_) | Data::JsonNumber(_)) => {
            let text = number_text(data).unwrap_or_default();
            if text.parse::<i32>().is_ok() {
                Ok(())
            } else {
                Err(mismatch(&format!("number {text}"), GoType::parse("int32").unwrap_or(t), cx))
            }
        }
        ("metav1.Time" | "metav1.MicroTime" | "metav1.Duration", Data::String(_)) => Ok(()),
        ("durationpb.Duration", Data::String(_)) => Ok(()),
        (k, Data::Bool(_) | Data::Number(_) | Data::JsonNumber(_) | Data::String(_))
            if k.starts_with("wrapperspb.") =>
        {
            Ok(())
        }
        (k, _) if !k.starts_with("metav1.") && !k.starts_with("resource.") && !k.starts_with("intstr.") => Ok(()),
        _ => Err(mismatch(&json_kind(data), t, cx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::NumberMode;

    fn pod(json: &str) -> Result<(), String> {
        let data = Data::from_json(json.as_bytes(), NumberMode::JsonNumber).expect("JSON");
        check(GoType::named("corev1.Pod").expect("Pod"), &data)
    }

    #[test]
    fn type_mismatches_are_goes_errors() {
        assert_eq!(
            pod(r#"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":"80"}]}]}}"#).unwrap_err(),
            "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
        );
        assert_eq!(
            pod(r#"{"spec":{"containers":{"name":"a"}}}"#).unwrap_err(),
            "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"
        );
        assert!(pod(r#"{"spec":{"securityContext":{"runAsUser":1.5}}}"#).unwrap_err().contains("number 1.5"));
    }

    #[test]
    fn unknown_fields_nulls_and_quantities_are_accepted() {
        assert!(pod(r#"{"spec":{"unknown":1,"containers":null,"nodeName":null}}"#).is_ok());
        assert!(
            pod(r#"{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":2,"memory":"1Gi"}}}]}}"#).is_ok()
        );
        assert!(pod(r#"{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"two"}}}]}}"#).is_err());
    }
}
