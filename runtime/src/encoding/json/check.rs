//! `json.Unmarshal` into a Go type, for its errors: data that Go would
//! refuse to decode (a string where an `int32` goes, a fraction in an
//! integer, an object where a list goes) fails with Go's message. Unknown
//! fields are not errors (Go drops them); `null` is always accepted.
//! [`check_proto`] holds a protobuf message to the rules of the `jsonpb`
//! decoder Istio reads mesh and proxy config with.

use serde_json::Value;

use super::node::JsonNode;
use super::patched::{MergeKey, Reach, StructPlan, reach};
use crate::types::{DefKind, GoType, Kind, Ty};

/// Checks that `data` decodes as Go type `t`.
pub fn check<N: JsonNode>(t: GoType, data: &N) -> Result<(), String> {
    let mut path = Vec::new();
    let mut context = Context { strukt: t, path: &mut path, strict: false, proto: false };
    check_value(t, data, &mut context)
}

/// Checks that `data` decodes as protobuf message `t` the way Istio's
/// `protomarshal.ApplyJSON` (golang/protobuf `jsonpb`, unknown fields
/// allowed) reads it: integers may be quoted, enums are names or numbers
/// and a name must exist, durations are `time.ParseDuration` text,
/// wrappers hold their scalar.
pub fn check_proto<N: JsonNode>(t: GoType, data: &N) -> Result<(), String> {
    let mut path = Vec::new();
    let mut context = Context { strukt: t, path: &mut path, strict: false, proto: true };
    check_value(t, data, &mut context)
}

/// As [`check`], with unknown fields an error too (a decoder with
/// `DisallowUnknownFields`). Protobuf messages are exempt: their JSON is
/// read leniently, as Istio reads mesh config.
pub fn check_strict<N: JsonNode>(t: GoType, data: &N) -> Result<(), String> {
    let mut path = Vec::new();
    let mut context = Context { strukt: t, path: &mut path, strict: true, proto: false };
    check_value(t, data, &mut context)
}

/// [`check`] of a value that decoded as `t` before `patch` was
/// strategically merged into it: only what the patch reached is checked
/// (see [`normalize_patched`](super::normalize::normalize_patched)), with
/// the error, if any, that checking the whole would give.
pub fn check_patched(t: GoType, value: &Value, patch: &Value, merge_key: MergeKey) -> Result<(), String> {
    let mut path = Vec::new();
    let mut context = Context { strukt: t, path: &mut path, strict: false, proto: false };
    check_patched_value(t, value, patch, "", merge_key, &mut context)
}

fn check_patched_value(
    t: GoType,
    value: &Value,
    patch: &Value,
    field: &str,
    merge_key: MergeKey,
    cx: &mut Context<'_>,
) -> Result<(), String> {
    match reach(t, value, patch, field, merge_key) {
        Reach::Whole => check_value(t, value, cx),
        Reach::Through(target) => check_patched_value(target, value, patch, field, merge_key, cx),
        Reach::Entries(of, patches) => patches.iter().try_for_each(|(key, patch)| match value.get(key) {
            Some(entry) => check_patched_value(of, entry, patch, "", merge_key, cx),
            None => Ok(()),
        }),
        Reach::Items(of, elements) => {
            value.as_array().into_iter().flatten().try_for_each(|item| match elements.patch_of(item) {
                Some(patch) => check_patched_value(of, item, patch, "", merge_key, cx),
                None => Ok(()),
            })
        }
        Reach::Fields(plan, patches) => patches.iter().try_for_each(|(key, patch)| {
            let (Some(field), Some(entry)) = (plan.field(key), value.get(key)) else { return Ok(()) };
            let outer = std::mem::replace(&mut cx.strukt, t);
            cx.path.push(field.json);
            let result = check_patched_value(GoType(field.ty), entry, patch, key, merge_key, cx);
            cx.path.pop();
            cx.strukt = outer;
            result
        }),
    }
}

/// A step of a path into a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathStep<'k> {
    /// An object's entry.
    Key(&'k str),
    /// An array's element.
    Index(usize),
}

/// Whether a value of type `t` that decodes still decodes with the scalar
/// at `path` replaced by `scalar`: [`check`] of the whole at the cost of
/// the path. `None` where the walk does not follow the path exactly (a
/// step into a special type, a scalar or a step of the wrong kind), which
/// leaves the answer to `check` of the whole.
pub fn check_scalar_at(t: GoType, path: &[PathStep<'_>], scalar: &Value) -> Option<bool> {
    if scalar.is_array() || scalar.is_object() {
        return None;
    }
    let mut t = t;
    for step in path {
        match element(t, *step)? {
            Element::Typed(of) => t = of,
            // Decoding takes anything there.
            Element::Unchecked => return Some(true),
        }
    }
    let mut path = Vec::new();
    let mut context = Context { strukt: t, path: &mut path, strict: false, proto: false };
    Some(check_value(t, scalar, &mut context).is_ok())
}

/// What `check_value` checks a value's element at `step` as.
pub(super) enum Element {
    Typed(GoType),
    Unchecked,
}

pub(super) fn element(t: GoType, step: PathStep<'_>) -> Option<Element> {
    if t.special().is_some() {
        return None;
    }
    match (t.expr(), step) {
        (Ty::Any, _) => Some(Element::Unchecked),
        (Ty::Ptr(e), _) => element(GoType(e), step),
        (Ty::Slice(e), PathStep::Index(_)) => Some(Element::Typed(GoType(e))),
        (Ty::Map(_, v), PathStep::Key(_)) => Some(Element::Typed(GoType(v))),
        (Ty::Named(_), _) => match t.def().map(|d| d.kind) {
            Some(DefKind::Struct(..) | DefKind::Message(..)) => match step {
                // An unknown field is skipped.
                PathStep::Key(key) => {
                    Some(find_json_field(t, key).map_or(Element::Unchecked, |(f, _)| Element::Typed(f)))
                }
                PathStep::Index(_) => None,
            },
            Some(DefKind::Named(_)) => match t.underlying().expr() {
                Ty::Basic(_) => None,
                _ => element(t.underlying(), step),
            },
            Some(DefKind::Enum(..)) => None,
            _ => Some(Element::Unchecked),
        },
        _ => None,
    }
}

struct Context<'p> {
    /// Unknown fields are errors.
    strict: bool,
    /// Protobuf JSON rules (`jsonpb`) rather than `encoding/json`'s.
    proto: bool,
    /// The innermost struct being decoded (Go's `errorContext.Struct`),
    /// named only when an error is reported.
    strukt: GoType,
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
        struct_name(cx.strukt),
        cx.path.join("."),
        t.name()
    )
}

/// How `encoding/json` names a JSON value's kind in its errors.
pub fn json_kind<N: JsonNode>(data: &N) -> &'static str {
    if data.is_null() {
        "null"
    } else if data.as_bool().is_some() {
        "bool"
    } else if data.as_str().is_some() {
        "string"
    } else if data.as_slice().is_some() {
        "array"
    } else if data.is_object() {
        "object"
    } else {
        "number"
    }
}

fn check_value<N: JsonNode>(t: GoType, data: &N, cx: &mut Context<'_>) -> Result<(), String> {
    if data.is_null() {
        return Ok(());
    }
    if let Some(key) = t.special() {
        return check_special(key, t, data, cx);
    }
    match t.expr() {
        Ty::Any => Ok(()),
        Ty::Ptr(e) => check_value(GoType(e), data, cx),
        Ty::Slice(e) => match data.as_slice() {
            Some(items) => items.iter().try_for_each(|item| check_value(GoType(e), item, cx)),
            None if data.as_str().is_some() && GoType(e).kind() == Kind::Uint8 => Ok(()),
            None => Err(mismatch(json_kind(data), t, cx)),
        },
        Ty::Map(_, v) => match data.try_entries(&mut |_, item| check_value(GoType(v), item, cx)) {
            Some(result) => result,
            None => Err(mismatch(json_kind(data), t, cx)),
        },
        Ty::Basic(_) => check_scalar(t, data, cx),
        Ty::Named(_) => match t.def().map(|d| d.kind) {
            Some(DefKind::Struct(..) | DefKind::Message(..)) => check_struct(t, data, cx),
            Some(DefKind::Named(_)) => match t.underlying().expr() {
                Ty::Basic(_) => check_scalar(t, data, cx),
                _ => check_value(t.underlying(), data, cx),
            },
            Some(DefKind::Enum(..)) if cx.proto => check_enum(t, data, cx),
            Some(DefKind::Enum(..)) if data.as_str().is_some() || data.is_number() => Ok(()),
            Some(DefKind::Enum(..)) => Err(mismatch(json_kind(data), t, cx)),
            _ => Ok(()),
        },
    }
}

fn check_struct<N: JsonNode>(t: GoType, data: &N, cx: &mut Context<'_>) -> Result<(), String> {
    let mut entry = |key: &str, value: &N| {
        let found = if cx.proto && t.is_message() { find_proto_field(t, key) } else { find_json_field(t, key) };
        let Some(field) = found else {
            if cx.strict && !t.is_message() {
                return Err(format!("json: unknown field {}", injit_strconv::quote(key.as_bytes())));
            }
            return Ok(());
        };
        let outer = std::mem::replace(&mut cx.strukt, t);
        cx.path.push(field.1);
        let result = check_value(field.0, value, cx);
        cx.path.pop();
        cx.strukt = outer;
        result
    };
    match data.try_entries(&mut entry) {
        Some(result) => result,
        None => Err(mismatch(json_kind(data), t, cx)),
    }
}

/// The field that JSON key `key` decodes into (exact match; embedded
/// structs' fields are promoted): its type and JSON name.
pub fn find_json_field(t: GoType, key: &str) -> Option<(GoType, &'static str)> {
    // Where the plan follows the struct, its names are the fields'.
    if let Some(plan) = StructPlan::of(t) {
        return plan.field(key).map(|field| (GoType(field.ty), field.json));
    }
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

/// A protobuf enum: one of its value names, or an integer.
fn check_enum<N: JsonNode>(t: GoType, data: &N, cx: &Context<'_>) -> Result<(), String> {
    match data.as_str() {
        Some(name) if t.enum_value(name).is_some() => Ok(()),
        Some(name) => Err(format!(
            "unknown value {} for enum {} (at {})",
            injit_strconv::quote(name.as_bytes()),
            t.name(),
            cx.path.join(".")
        )),
        None => check_integer(Kind::Int32, t, data, cx),
    }
}

/// An integer field: a JSON number in range, or for protobuf JSON also
/// a string holding one (`"8"`).
fn check_integer<N: JsonNode>(kind: Kind, t: GoType, data: &N, cx: &Context<'_>) -> Result<(), String> {
    if data.exact_integer().is_some_and(|i| integer_in_range(kind, i)) {
        return Ok(());
    }
    match (data.number_text(), data.as_str()) {
        (Some(text), _) if integer_fits(kind, &text) => Ok(()),
        (Some(text), _) => Err(mismatch(&format!("number {text}"), t, cx)),
        (None, Some(text)) if cx.proto && integer_fits(kind, text) => Ok(()),
        (None, Some(text)) if cx.proto => {
            Err(mismatch(&format!("string {}", injit_strconv::quote(text.as_bytes())), t, cx))
        }
        _ => Err(mismatch(json_kind(data), t, cx)),
    }
}

/// A float as protobuf JSON writes one in a string.
fn is_proto_float(text: &str) -> bool {
    matches!(text, "NaN" | "Infinity" | "-Infinity") || injit_strconv::parse_float(text.as_bytes()).is_ok()
}

/// The scalar a `wrapperspb` message holds in JSON.
fn wrapped_kind(key: &str) -> Option<Kind> {
    Some(match key.strip_prefix("wrapperspb.")? {
        "BoolValue" => Kind::Bool,
        "StringValue" | "BytesValue" => Kind::String,
        "Int32Value" => Kind::Int32,
        "Int64Value" => Kind::Int64,
        "UInt32Value" => Kind::Uint32,
        "UInt64Value" => Kind::Uint64,
        "FloatValue" | "DoubleValue" => Kind::Float64,
        _ => return None,
    })
}

/// The field of message `t` that protobuf JSON key `key` decodes into:
/// `jsonpb` takes the JSON name (`drainDuration`) or the proto name
/// (`drain_duration`), oneof members included.
fn find_proto_field(t: GoType, key: &str) -> Option<(GoType, &'static str)> {
    t.fields().iter().find(|f| f.json == key || f.tag == key).map(|f| (GoType(f.ty), f.json))
}

fn check_scalar<N: JsonNode>(t: GoType, data: &N, cx: &Context<'_>) -> Result<(), String> {
    check_kind(t.kind(), t, data, cx)
}

/// A value of scalar kind `kind` (of type `t`, as errors name it): a Go
/// scalar, or the one a protobuf wrapper holds.
fn check_kind<N: JsonNode>(kind: Kind, t: GoType, data: &N, cx: &Context<'_>) -> Result<(), String> {
    if kind.is_int() || kind.is_uint() {
        return check_integer(kind, t, data, cx);
    }
    let ok = match kind {
        Kind::Bool => data.as_bool().is_some(),
        Kind::String => data.as_str().is_some(),
        // Protobuf JSON also reads a float from a string.
        Kind::Float32 | Kind::Float64 => data.is_number() || (cx.proto && data.as_str().is_some_and(is_proto_float)),
        _ => false,
    };
    if ok { Ok(()) } else { Err(mismatch(json_kind(data), t, cx)) }
}

/// Whether integer `i` is in range of `kind` (as `integer_fits` of its
/// text).
fn integer_in_range(kind: Kind, i: i128) -> bool {
    match kind {
        Kind::Int8 => i8::try_from(i).is_ok(),
        Kind::Int16 => i16::try_from(i).is_ok(),
        Kind::Int32 => i32::try_from(i).is_ok(),
        Kind::Int | Kind::Int64 => i64::try_from(i).is_ok(),
        Kind::Uint8 => u8::try_from(i).is_ok(),
        Kind::Uint16 => u16::try_from(i).is_ok(),
        Kind::Uint32 => u32::try_from(i).is_ok(),
        _ => u64::try_from(i).is_ok(),
    }
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

fn check_special<N: JsonNode>(key: &str, t: GoType, data: &N, cx: &Context<'_>) -> Result<(), String> {
    if cx.proto
        && let Some(kind) = wrapped_kind(key)
    {
        return check_kind(kind, t, data, cx);
    }
    let scalar = data.as_str().is_some() || data.is_number() || data.as_bool().is_some();
    match key {
        "resource.Quantity" => match data.as_str() {
            Some(s) if crate::types::quantity::Quantity::parse(s.trim()).is_none() => {
                Err("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                    .to_owned())
            }
            Some(_) => Ok(()),
            None if data.is_number() => Ok(()),
            None => Err(mismatch(json_kind(data), t, cx)),
        },
        "intstr.IntOrString" if data.as_str().is_some() => Ok(()),
        "intstr.IntOrString" if data.exact_integer().is_some_and(|i| integer_in_range(Kind::Int32, i)) => Ok(()),
        "intstr.IntOrString" if data.is_number() => {
            let text = data.number_text().unwrap_or_default();
            if text.parse::<i32>().is_ok() {
                Ok(())
            } else {
                Err(mismatch(&format!("number {text}"), GoType::parse("int32").unwrap_or(t), cx))
            }
        }
        // Both decoders read durations with `time.ParseDuration`.
        "metav1.Duration" | "durationpb.Duration" if data.as_str().is_some() => {
            let text = data.as_str().unwrap_or_default();
            match crate::gotime::parse_duration(text) {
                Ok(_) => Ok(()),
                Err(e) if key == "durationpb.Duration" => Err(format!("bad Duration: {e} (at {})", cx.path.join("."))),
                Err(e) => Err(e),
            }
        }
        "metav1.Time" | "metav1.MicroTime" if data.as_str().is_some() => Ok(()),
        "durationpb.Duration" => Err(mismatch(json_kind(data), t, cx)),
        // Kept as raw JSON by its UnmarshalJSON.
        "metav1.FieldsV1" => Ok(()),
        k if k.starts_with("wrapperspb.") && scalar => Ok(()),
        k if !k.starts_with("metav1.") && !k.starts_with("resource.") && !k.starts_with("intstr.") => Ok(()),
        _ => Err(mismatch(json_kind(data), t, cx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::json::NumberMode;
    use crate::value::data::Data;

    #[test]
    fn managed_fields_hold_any_json() {
        let fields = r#"{"metadata":{"managedFields":[{"manager":"m","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{}}}}}]}}"#;
        assert_eq!(pod(fields), Ok(()));
    }

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
    fn integers_held_exactly_are_in_range_as_their_text_is() {
        let kinds = [
            Kind::Int,
            Kind::Int8,
            Kind::Int16,
            Kind::Int32,
            Kind::Int64,
            Kind::Uint,
            Kind::Uint8,
            Kind::Uint16,
            Kind::Uint32,
            Kind::Uint64,
        ];
        let edges: [i128; 10] = [0, 1 << 7, 1 << 8, 1 << 15, 1 << 16, 1 << 31, 1 << 32, 1 << 63, 1 << 64, 1];
        let mut texts: Vec<String> =
            edges.iter().flat_map(|&e| [e - 1, e, e + 1, -e - 1, -e, 1 - e]).map(|i| i.to_string()).collect();
        texts.extend(["1.0", "-0.0", "1e3", "2.5", "18446744073709551616", "-9223372036854775809"].map(String::from));
        for text in &texts {
            let Ok(value) = serde_json::from_str::<Value>(text) else { continue };
            let written = value.number_text().expect("a number");
            for kind in kinds {
                if let Some(i) = value.exact_integer() {
                    assert_eq!(integer_in_range(kind, i), integer_fits(kind, &written), "{text} as {kind:?}");
                }
            }
        }
        let int32_port = |port: &str| {
            let pod = format!(r#"{{"spec":{{"containers":[{{"name":"a","ports":[{{"containerPort":{port}}}]}}]}}}}"#);
            check(GoType::named("corev1.Pod").expect("Pod"), &serde_json::from_str::<Value>(&pod).expect("JSON"))
        };
        assert_eq!(int32_port("2147483647"), Ok(()));
        assert_eq!(
            int32_port("2147483648").unwrap_err(),
            "json: cannot unmarshal number 2147483648 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
        );
        assert!(int32_port("-2147483649").unwrap_err().contains("number -2147483649"));
        assert!(int32_port("18446744073709551615").unwrap_err().contains("number 18446744073709551615"));
    }

    #[test]
    fn strict_decoding_refuses_unknown_fields() {
        let data =
            Data::from_json(br#"{"spec":{"containers":[{"name":"a","imag":"x"}]}}"#, NumberMode::Float).expect("JSON");
        let pod = GoType::named("corev1.Pod").expect("Pod");
        assert!(check(pod, &data).is_ok());
        assert_eq!(check_strict(pod, &data).unwrap_err(), "json: unknown field \"imag\"");
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
