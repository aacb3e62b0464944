//! `.Name` on typed data, as Go's `evalField` resolves it: methods first
//! (protobuf getters, enum and quantity `String`, `ResourceList.Cpu`...),
//! then struct fields (through pointers, with Go's nil-pointer error),
//! then map keys when a string can be the map's key.

use super::data::Data;
use super::typed::{Place, field_data, is_nil, is_view, value, value_at};
use super::{Repr, Value};
use std::rc::Rc;

use super::go_time::{GoDuration, GoTime, GroupVersionKind, MetaTime};
use super::object::{BoundMethod, GoObject};
use crate::gotime::{Location, Time, parse_proto_duration};
use crate::types::{DefKind, Field, FoundField, GoType, Kind, Ty, Type, quantity};

/// What `.name` gives on a view of type `t` over `data` in `place`;
/// `static_type` gives the receiver's static type as Go's errors name it.
pub fn field<'a>(
    t: GoType,
    data: Option<&'a Data>,
    place: Place,
    name: &str,
    args: usize,
    missing_zero: Option<bool>,
    static_type: &dyn Fn() -> String,
) -> Result<Value<'a>, String> {
    // Pointers are followed (Go's `indirect`), remembering nil.
    let (mut target, mut nil) = (t, false);
    let tdata = data.filter(|d| !matches!(d, Data::Null));
    while let Ty::Ptr(e) = target.underlying().expr() {
        nil |= tdata.is_none();
        target = GoType(e);
    }
    // Methods of the pointer type need the address (`evalField` looks them
    // up on `Addr()` only when the receiver can be addressed).
    let found_method = method(t, target, tdata, name, nil)
        .filter(|_| t != target || place == Place::Addressable || is_value_method(target, name));
    if let Some(result) = found_method {
        // A method that takes arguments comes back bound, to be called
        // with them.
        let want = match &result {
            Ok(Value { repr: Repr::Method(m), .. }) => m.ty.params.len(),
            _ => 0,
        };
        if args != want {
            return Err(format!("wrong number of args for {name}: want {want} got {args}"));
        }
        return result;
    }
    if nil {
        // A nil pointer: a field of its struct is Go's nil-pointer error.
        if target.field(name).is_some() {
            return Err(format!("nil pointer evaluating {}.{name}", static_type()));
        }
        return Err(format!("can't evaluate field {name} in type {}", static_type()));
    }
    match target.kind() {
        Kind::Struct => {
            if let Some(found) = target.field(name) {
                if args != 0 {
                    return Err(format!("{name} has arguments but cannot be invoked as function"));
                }
                let boxed = found.ty.kind() == Kind::Interface;
                return Ok(value_at(found.ty, field_data(&found, tdata), boxed, place.through(t)));
            }
        }
        Kind::Map if target.key().is_some_and(|k| k.expr() == Ty::Basic(Kind::String)) => {
            if args != 0 {
                return Err(format!("{name} is not a method but has arguments"));
            }
            let elem = target.elem().unwrap_or(target);
            let found = match tdata {
                Some(Data::Object(o)) => o.get(name.as_bytes()),
                _ => None,
            };
            return match (found, missing_zero) {
                // A map's values are copies.
                (Some(d), _) => Ok(value_at(elem, Some(d), elem.kind() == Kind::Interface, Place::Copied)),
                (None, None) => Err(format!("map has no entry for key {}", injit_strconv::quote(name.as_bytes()))),
                (None, Some(true)) => Ok(value_at(elem, None, false, Place::Copied)),
                (None, Some(false)) => Ok(Value::invalid()),
            };
        }
        _ => {}
    }
    Err(format!("can't evaluate field {name} in type {}", static_type()))
}

/// A field that [`field`] reads straight from the data for every value of
/// type `t`: a struct's field, shadowed by no method, with no pointer to
/// follow. Lookup sites remember it per type (native code's inline caches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectField(u16);

impl DirectField {
    /// `.name` on values of type `t`, when it is a direct field.
    pub fn of(t: GoType, name: &str) -> Option<DirectField> {
        if matches!(t.underlying().expr(), Ty::Ptr(_)) || t.kind() != Kind::Struct {
            return None;
        }
        // Which methods exist depends on the type alone, not on the data.
        if method(t, t, None, name, false).is_some() {
            return None;
        }
        let found = t.field(name).filter(|f| f.via.is_none())?;
        Some(DirectField(found.field.index()?))
    }

    #[inline]
    fn field(self) -> &'static Field {
        Field::at(self.0).expect("a DirectField names a field")
    }

    /// A number that identifies the field, for caches.
    pub fn index(self) -> u16 {
        self.0
    }

    /// The field [`DirectField::index`] gave.
    pub fn from_index(index: u16) -> Option<DirectField> {
        Field::at(index).map(|_| DirectField(index))
    }

    /// What [`field`] gives for this field with no arguments on `data`
    /// in `place`.
    pub fn read<'a>(self, data: Option<&'a Data>, place: Place) -> Value<'a> {
        let field = self.field();
        let found = FoundField::direct(field);
        let data = data.filter(|d| !matches!(d, Data::Null));
        self.of_node(field_data(&found, data), place)
    }

    /// The key the field's value has in its struct's JSON object; `None`
    /// for an embedded struct, which shares that object. Callers that find
    /// the key themselves (with a cached position) then make the value with
    /// [`DirectField::of_node`].
    pub fn key(self) -> Option<&'static [u8]> {
        let field = self.field();
        (!(field.inline && field.json.is_empty())).then_some(field.json.as_bytes())
    }

    /// The field's type when every value of it is a typed view: then
    /// [`DirectField::of_node`] of a node is `Typed(type, node)` (JSON
    /// `null` read as no node), unboxed, and a lookup walking a chain of
    /// such fields can carry the type and node alone.
    pub fn view_type(self) -> Option<GoType> {
        let ty = GoType(self.field().ty);
        (is_view(ty) && ty.kind() != Kind::Interface).then_some(ty)
    }

    /// The field's value given its JSON node (the struct's own object for
    /// an embedded struct) and the struct's place (a field of a copy is
    /// part of the copy).
    #[inline]
    pub fn of_node<'a>(self, node: Option<&'a Data>, place: Place) -> Value<'a> {
        let ty = GoType(self.field().ty);
        value_at(ty, node, ty.kind() == Kind::Interface, place)
    }
}

/// What the method `name` of values of type `t` gives, for checkers
/// that follow types without data: `Some(Some(type))` a typed value,
/// `Some(None)` a value checks do not follow (a scalar, a Go object),
/// `None` no such method here (go-to-protobuf's `String` is `fmt`'s).
pub fn method_result(t: GoType, name: &str) -> Option<Option<GoType>> {
    let mut target = t;
    while let Ty::Ptr(e) = target.underlying().expr() {
        target = GoType(e);
    }
    Some(match method(t, target, None, name, false)? {
        Ok(Value { repr: Repr::Typed(ty, _, _), .. }) => Some(ty),
        _ => None,
    })
}

/// Whether `name`, a method [`method`] knows on `target`, is declared on
/// the value rather than the pointer (or is a field), so that a copy has
/// it too. The rest are on the pointer: protobuf and `metav1.Object`
/// getters, `Quantity`'s, `IntOrString`'s, `TypeMeta`'s and
/// `ResourceList`'s methods, and `metav1.Time`'s own `IsZero`.
fn is_value_method(target: GoType, name: &str) -> bool {
    match (target.special(), name) {
        // `Time` is the embedded field; its methods are `time.Time`'s, on
        // the value; `Rfc3339Copy` is declared on the value.
        (Some("metav1.Time" | "metav1.MicroTime"), name) => !matches!(name, "IsZero" | "Before" | "Equal"),
        (Some("intstr.IntOrString"), "Type" | "IntVal" | "StrVal") => true,
        (Some("resource.Quantity"), "Format") => true,
        (Some(k), "Value") if k.starts_with("wrapperspb.") => true,
        _ => name == "String" && target.def().is_some_and(|d| d.key == "types.NamespacedName"),
    }
}

/// The niladic methods typed data offers, by receiver type.
fn method<'a>(
    t: GoType,
    target: GoType,
    data: Option<&'a Data>,
    name: &str,
    nil: bool,
) -> Option<Result<Value<'a>, String>> {
    // Protobuf getters: nil-safe, on the message pointer.
    if target.is_message()
        && let Some(field_name) = name.strip_prefix("Get")
        && let Some(found) = target.member(field_name)
    {
        let fdata = if nil { None } else { field_data(&found, data) };
        return Some(Ok(value_at(found.ty, fdata, found.ty.kind() == Kind::Interface, Place::Copied)));
    }
    // Methods that return a field (metav1.Object's getters), promoted
    // ones included. Their receiver is a pointer: template data is passed
    // to the template by address, so its fields have every method.
    if let Some(found) = target.getter(name) {
        if nil {
            // Go calls the method on the nil pointer, which panics reading
            // the field; text/template reports the panic as the error.
            return Some(Err(nil_dereference(name)));
        }
        let boxed = found.ty.kind() == Kind::Interface;
        return Some(Ok(value_at(found.ty, field_data(&found, data), boxed, Place::Copied)));
    }
    match (target.special(), name) {
        // `Value` is the wrapper's field: through a nil pointer, Go's error
        // (`GetValue` is the nil-safe getter).
        (Some(k), "Value") if k.starts_with("wrapperspb.") && nil => {
            return Some(Err(format!("nil pointer evaluating {}.Value", t.name())));
        }
        (Some(k), "GetValue" | "Value") if k.starts_with("wrapperspb.") => {
            return Some(Ok(wrapper_value(k, if nil { None } else { data })));
        }
        (Some("durationpb.Duration"), "GetSeconds" | "GetNanos") => {
            let (s, n) = match data {
                Some(Data::String(text)) if !nil => parse_proto_duration(text).unwrap_or((0, 0)),
                _ => (0, 0),
            };
            return Some(Ok(if name == "GetSeconds" {
                Value::int_of(s, Type::Int64)
            } else {
                Value::int_of(n as i64, Type::Int32)
            }));
        }
        (Some("metav1.Time" | "metav1.MicroTime"), "IsZero") => {
            // `(*Time).IsZero` is nil-safe.
            return Some(Ok(Value::bool(nil || meta_time(data).is_zero())));
        }
        (Some("metav1.Time" | "metav1.MicroTime"), "String") if !nil => {
            return Some(Ok(Value::string(meta_time(data).string().into_bytes())));
        }
        (Some("intstr.IntOrString"), "String" | "IntValue") if !nil => {
            return Some(Ok(match (name, data) {
                ("String", _) => Value::string(int_or_string_text(data).into_bytes()),
                (_, Some(Data::String(s))) => Value::int_of(atoi(s), Type::Int),
                _ => Value::int_of(i64::from(int_or_string_int(data)), Type::Int),
            }));
        }
        (Some("metav1.Time"), "Rfc3339Copy") => {
            // A value method declared on metav1.Time: Go's wrapper for the
            // pointer refuses a nil one by name.
            return Some(if nil {
                Err(format!(
                    "error calling {name}: value method k8s.io/apimachinery/pkg/apis/meta/v1.Time.{name} called \
                     using nil *Time pointer"
                ))
            } else {
                Ok(Value::object(MetaTime::rfc3339_copy(&meta_time(data))))
            });
        }
        // The embedded `time.Time`, and its methods, promoted; metav1.Time's
        // own `IsZero`, `Before` and `Equal` (which take a `*Time`) shadow
        // theirs.
        (Some("metav1.Time" | "metav1.MicroTime"), _)
            if name == "Time" || !matches!(name, "IsZero" | "Before" | "Equal" | "String") =>
        {
            let time = GoTime(meta_time(data));
            let ty = time.method_type(name).filter(|_| name != "Time");
            if name != "Time" && ty.is_none() {
                return None;
            }
            if nil {
                return Some(Err(match ty {
                    None => format!("nil pointer evaluating {}.Time", t.name()),
                    Some(_) => nil_dereference(name),
                }));
            }
            return Some(match ty {
                None => Ok(Value::object(time)),
                Some(ty) if ty.params.is_empty() => {
                    time.call_method(name, &[]).map_err(|e| format!("error calling {name}: {e}"))
                }
                Some(ty) => Ok(Value::new(Repr::Method(Rc::new(BoundMethod {
                    receiver: Rc::new(time),
                    name: name.to_owned(),
                    ty,
                })))),
            });
        }
        // IntOrString's fields: `Type` (0 for an int, 1 for a string),
        // `IntVal`, `StrVal`.
        (Some("intstr.IntOrString"), "Type" | "IntVal" | "StrVal") if !nil => {
            let is_string = matches!(data, Some(Data::String(_)));
            return Some(Ok(match name {
                "Type" => Value::int_of(i64::from(is_string), Type::Int64),
                "IntVal" => Value::int_of(if is_string { 0 } else { i64::from(int_or_string_int(data)) }, Type::Int32),
                _ => Value::string(if is_string { int_or_string_text(data) } else { String::new() }.into_bytes()),
            }));
        }
        (Some("intstr.IntOrString"), "Type" | "IntVal" | "StrVal") => {
            return Some(Err(format!("nil pointer evaluating {}.{name}", t.name())));
        }
        // durationpb's `AsDuration`: a `time.Duration`.
        (Some("durationpb.Duration"), "AsDuration") => {
            let (s, n) = match data {
                Some(Data::String(text)) if !nil => parse_proto_duration(text).unwrap_or((0, 0)),
                _ => (0, 0),
            };
            let nanos = s.saturating_mul(1_000_000_000).saturating_add(i64::from(n));
            return Some(Ok(Value::object(GoDuration(nanos))));
        }
        (Some("metav1.Time" | "metav1.MicroTime" | "intstr.IntOrString"), "String" | "IntValue") => {
            // A value method through a nil pointer: Go's panic, reported.
            return Some(Err(nil_dereference(name)));
        }
        // `*Quantity`'s methods (the only Quantity values a template
        // reaches outside a pointer are a ResourceList's, which Go cannot
        // address), and its `Format` field.
        // Through a nil pointer: `String` answers `<nil>`, the others panic
        // reading it, and `Format` is a field.
        (Some("resource.Quantity"), "String") if t != target && nil => {
            return Some(Ok(Value::string(b"<nil>".to_vec())));
        }
        (Some("resource.Quantity"), "Value" | "MilliValue" | "IsZero" | "AsApproximateFloat64")
            if t != target && nil =>
        {
            return Some(Err(nil_dereference(name)));
        }
        (Some("resource.Quantity"), "Format") if nil => {
            return Some(Err(format!("nil pointer evaluating {}.Format", t.name())));
        }
        (Some("resource.Quantity"), "String" | "Value" | "MilliValue" | "IsZero" | "AsApproximateFloat64")
            if t != target =>
        {
            let text = quantity_raw_text(data);
            let q = quantity::Quantity::parse(&text);
            return Some(Ok(match name {
                "String" => Value::string(quantity_text(data).into_bytes()),
                "Value" | "MilliValue" => {
                    let scale = if name == "Value" { 0 } else { -3 };
                    Value::int_of(q.and_then(|q| q.scaled_value(scale)).unwrap_or(0), Type::Int64)
                }
                "IsZero" => Value::bool(q.is_none_or(|q| q.is_zero())),
                _ => Value::new(Repr::Float(quantity::approximate_float(&text), Type::Float64)),
            }));
        }
        (Some("resource.Quantity"), "Format") => {
            let format = quantity::Quantity::parse(&quantity_raw_text(data)).map_or("DecimalSI", |q| q.format_name());
            return Some(Ok(Value::string(format.as_bytes().to_vec())));
        }
        _ => {}
    }
    // `ObjectMeta.GetObjectMeta`: the object itself, as a `metav1.Object`.
    if name == "GetObjectMeta" && target.def().is_some_and(|d| d.key == "metav1.ObjectMeta") {
        let pointer = target.pointer_to()?;
        return Some(Ok(value(pointer, data, true)));
    }
    // `TypeMeta`'s `GroupVersionKind` (also through `GetObjectKind`, which
    // returns the TypeMeta itself) and its protobuf `Size`.
    if target.def().is_some_and(|d| d.key == "metav1.TypeMeta") {
        let field = |go: &str| match target.field(go).and_then(|f| field_data(&f, data)) {
            Some(Data::String(s)) => s.to_string(),
            _ => String::new(),
        };
        match name {
            "GroupVersionKind" => {
                return Some(Ok(Value::object(GroupVersionKind::of(&field("APIVersion"), &field("Kind")))));
            }
            "GetObjectKind" => {
                let pointer = target.pointer_to()?;
                return Some(Ok(value(pointer, data, true)));
            }
            "Size" => {
                // Two length-delimited strings, each a tag byte, a varint
                // length and the bytes.
                let size = |s: String| 1 + varint_len(s.len() as u64) + s.len();
                return Some(Ok(Value::int_of((size(field("Kind")) + size(field("APIVersion"))) as i64, Type::Int)));
            }
            _ => {}
        }
    }
    // `types.NamespacedName`'s `String`, a value method.
    if name == "String" && target.def().is_some_and(|d| d.key == "types.NamespacedName") {
        if nil {
            return Some(Err(format!(
                "error calling {name}: value method k8s.io/apimachinery/pkg/types.NamespacedName.String called \
                 using nil *NamespacedName pointer"
            )));
        }
        return Some(Ok(Value::string(namespaced_name_text(target, data).into_bytes())));
    }
    // `ResourceList.Cpu()` and friends: the quantity under that name.
    if target.def().is_some_and(|d| d.key == "corev1.ResourceList") {
        let key: &[u8] = match name {
            "Cpu" => b"cpu",
            "Memory" => b"memory",
            "Storage" => b"storage",
            "StorageEphemeral" => b"ephemeral-storage",
            "Pods" => b"pods",
            _ => return None,
        };
        let quantity = GoType::named("resource.Quantity").and_then(GoType::pointer_to)?;
        let found = match data {
            Some(Data::Object(o)) => o.get(key),
            _ => None,
        };
        // Go returns a pointer to a zero Quantity when the key is absent,
        // in the resource's default format (`ResourceList.Name`).
        let zero: &'static Data = if matches!(name, "Cpu" | "Pods") { &ZERO_QUANTITY } else { &ZERO_BINARY_QUANTITY };
        return Some(Ok(value(quantity, Some(found.unwrap_or(zero)), false)));
    }
    None
}

static ZERO_QUANTITY: Data = Data::Number(0.0);
/// Zero, in `BinarySI` (what `Memory()` of a list without memory gives).
static ZERO_BINARY_QUANTITY: std::sync::LazyLock<Data> = std::sync::LazyLock::new(|| Data::String("0Ki".into()));

/// A method that reads through a nil receiver: Go panics, and
/// text/template reports the panic as the call's error.
fn nil_dereference(name: &str) -> String {
    format!("error calling {name}: runtime error: invalid memory address or nil pointer dereference")
}

/// A `metav1.Time` as Go holds it once decoded: RFC 3339 read and moved
/// to the local zone (`UnmarshalJSON` calls `Local()`); no data is the
/// zero time, which is UTC.
pub fn meta_time(data: Option<&Data>) -> Time {
    match data {
        Some(Data::String(s)) if !s.is_empty() => {
            Time::parse_in_location("2006-01-02T15:04:05Z07:00", s, Location::utc())
                .map(|t| t.in_location(Location::local()))
                .unwrap_or_else(|_| Time::zero())
        }
        _ => Time::zero(),
    }
}

/// `NamespacedName.String()`: `namespace/name`.
pub fn namespaced_name_text(t: GoType, data: Option<&Data>) -> String {
    let part = |go: &str| match t.field(go).and_then(|f| field_data(&f, data)) {
        Some(Data::String(s)) => s.to_string(),
        _ => String::new(),
    };
    format!("{}/{}", part("Namespace"), part("Name"))
}

/// `(*IntOrString).String()`: the string, or the integer in decimal.
pub fn int_or_string_text(data: Option<&Data>) -> String {
    match data {
        Some(Data::String(s)) => s.to_string(),
        _ => int_or_string_int(data).to_string(),
    }
}

/// The `IntVal` of an `IntOrString` holding an integer.
fn int_or_string_int(data: Option<&Data>) -> i32 {
    match data {
        Some(Data::Number(f)) => *f as i32,
        Some(Data::JsonNumber(n)) => n.parse::<f64>().map_or(0, |f| f as i32),
        _ => 0,
    }
}

/// `strconv.Atoi`'s value, as `IntValue` keeps it (0 on any error).
fn atoi(s: &str) -> i64 {
    injit_strconv::parse_int(s.as_bytes(), 10).unwrap_or(0)
}

fn varint_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// A quantity as the data wrote it (`0` when absent).
fn quantity_raw_text(data: Option<&Data>) -> String {
    match data {
        Some(Data::String(s)) => s.to_string(),
        Some(Data::JsonNumber(n)) => n.to_string(),
        Some(Data::Number(f)) => f.to_string(),
        _ => "0".to_owned(),
    }
}

/// A quantity's canonical text (`Quantity.String()`).
pub fn quantity_text(data: Option<&Data>) -> String {
    match data {
        Some(Data::String(s)) => quantity::canonical(s),
        Some(Data::JsonNumber(n)) => quantity::canonical(n),
        Some(Data::Number(f)) if f.fract() == 0.0 => quantity::canonical(&(*f as i64).to_string()),
        _ => "0".to_owned(),
    }
}

fn wrapper_value<'a>(key: &str, data: Option<&'a Data>) -> Value<'a> {
    let number = match data {
        Some(Data::Number(f)) => *f,
        _ => 0.0,
    };
    match key {
        "wrapperspb.BoolValue" => Value::bool(matches!(data, Some(Data::Bool(true)))),
        "wrapperspb.StringValue" => match data {
            Some(Data::String(s)) => Value::str(s.as_bytes()),
            _ => Value::str(b""),
        },
        "wrapperspb.Int32Value" => Value::int_of(number as i64, Type::Int32),
        "wrapperspb.Int64Value" => Value::int_of(number as i64, Type::Int64),
        "wrapperspb.UInt32Value" => Value::uint_of(number as u64, Type::Uint32),
        "wrapperspb.UInt64Value" => Value::uint_of(number as u64, Type::Uint64),
        "wrapperspb.FloatValue" => Value::new(Repr::Float(number, Type::Float32)),
        _ => Value::new(Repr::Float(number, Type::Float64)),
    }
}

/// `String()` of a value of a typed scalar (protobuf enums print names).
pub fn enum_string(t: GoType, n: i64) -> Option<String> {
    match t.expr() {
        Ty::Named(_) => Some(t.enum_name(n).map_or_else(|| n.to_string(), str::to_owned)),
        _ => None,
    }
    .filter(|_| matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..))))
}

/// Whether `is_nil` holds for a typed value (for `eq` with nil and truth).
pub fn typed_is_nil(v: &Value<'_>) -> bool {
    matches!(&v.repr, Repr::Typed(t, d, _) if is_nil(*t, *d))
}

#[cfg(test)]
mod direct_field_tests {
    use super::*;
    use crate::encoding::json::NumberMode;

    fn typed(key: &str) -> GoType {
        GoType::named(key).expect("a schema type")
    }

    #[test]
    fn direct_fields_read_what_field_access_reads() {
        let meta = typed("metav1.ObjectMeta");
        let json = br#"{"name":"p","annotations":{"a":"1"},"labels":null}"#;
        let data = Data::from_json(json, NumberMode::Float).expect("JSON");
        for name in ["Name", "Annotations", "Labels", "Namespace", "OwnerReferences"] {
            let direct = DirectField::of(meta, name).expect("a plain struct field");
            let via_index = DirectField::from_index(direct.index()).expect("an index names a field");
            for data in [Some(&data), None] {
                for place in [Place::Addressable, Place::Copied] {
                    let expected = field(meta, data, place, name, 0, None, &|| meta.name()).expect("a field");
                    assert_eq!(format!("{:?}", via_index.read(data, place)), format!("{expected:?}"), "{name}");
                }
            }
        }
        assert_eq!(DirectField::of(meta, "Nope"), None);
        // Methods come first, and pointers are followed by `field` alone.
        assert_eq!(DirectField::of(typed("meshconfig.ProxyConfig"), "GetTracing"), None);
        let pointer = meta.pointer_to().expect("*ObjectMeta is in the schema");
        assert_eq!(DirectField::of(pointer, "Name"), None);
    }

    #[test]
    fn view_types_make_views_of_any_node() {
        let json = br#"{"a":{"b":1},"n":null,"s":"x"}"#;
        let data = Data::from_json(json, NumberMode::Float).expect("JSON");
        let Data::Object(o) = &data else { unreachable!("an object") };
        let nodes = [None, Some(&data), o.get(b"n"), o.get(b"s"), o.get(b"a")];
        let mut views = 0;
        for index in 0..Field::count() {
            let field = DirectField(index as u16);
            let Some(ty) = field.view_type() else { continue };
            views += 1;
            for node in nodes {
                for place in [Place::Addressable, Place::Copied] {
                    let expected = Value::new(Repr::Typed(ty, node.filter(|d| !matches!(d, Data::Null)), place));
                    assert_eq!(format!("{:?}", field.of_node(node, place)), format!("{expected:?}"), "{}", ty.name());
                }
            }
        }
        assert!(views > 100, "struct, slice and map fields are views ({views})");
    }

    fn text(v: Result<Value<'_>, String>) -> String {
        let mut out = Vec::new();
        crate::fmt::fprint(&mut out, &v.expect("a value"));
        String::from_utf8(out).expect("UTF-8")
    }

    fn get<'a>(t: GoType, data: &'a Data, name: &str) -> Result<Value<'a>, String> {
        field(t, Some(data), Place::Addressable, name, 0, Some(false), &|| t.name().to_owned())
    }

    /// A Pod's `ObjectMeta` is embedded under `metadata`: its promoted
    /// fields and getters read that object, not the Pod's own keys.
    #[test]
    fn fields_and_getters_promoted_from_a_keyed_embedded_struct_read_its_object() {
        let pod = typed("corev1.Pod");
        let json = br#"{"kind":"Pod","name":"wrong","metadata":{"name":"web","namespace":"prod"}}"#;
        let data = Data::from_json(json, NumberMode::Float).expect("JSON");
        assert_eq!(text(get(pod, &data, "Name")), "web");
        assert_eq!(text(get(pod, &data, "GetName")), "web");
        assert_eq!(text(get(pod, &data, "GetNamespace")), "prod");
        // TypeMeta is inline: it shares the Pod's object.
        assert_eq!(text(get(pod, &data, "Kind")), "Pod");
        assert!(DirectField::of(pod, "Name").is_none(), "not read straight from the Pod's object");
    }

    #[test]
    fn getters_of_object_meta_read_their_fields() {
        let meta = typed("metav1.ObjectMeta");
        let json = br#"{"name":"web","labels":{"app":"web"},"generation":3}"#;
        let data = Data::from_json(json, NumberMode::Float).expect("JSON");
        assert_eq!(text(get(meta, &data, "GetName")), "web");
        assert_eq!(text(get(meta, &data, "GetLabels")), "map[app:web]");
        assert_eq!(text(get(meta, &data, "GetGeneration")), "3");
        assert_eq!(text(get(meta, &data, "GetNamespace")), "");
        let err = field(meta, Some(&data), Place::Addressable, "GetName", 1, Some(false), &|| String::new()).err();
        assert_eq!(err.as_deref(), Some("wrong number of args for GetName: want 0 got 1"));
    }

    /// A copy has only the methods declared on the value: Go looks up the
    /// pointer's methods only for what it can address.
    #[test]
    fn a_copy_has_only_its_value_methods() {
        let copied = |t: GoType, data: &Data, name: &str| {
            let name_of = || t.name().to_owned();
            field(t, Some(data), Place::Copied, name, 0, Some(false), &name_of).map(|v| text(Ok(v)))
        };
        let meta = typed("metav1.ObjectMeta");
        let data = Data::from_json(br#"{"name":"web"}"#, NumberMode::Float).expect("JSON");
        assert_eq!(copied(meta, &data, "Name").as_deref(), Ok("web"));
        let refused = Err("can't evaluate field GetName in type v1.ObjectMeta".to_owned());
        assert_eq!(copied(meta, &data, "GetName"), refused);
        // Through a pointer, a copy of the pointer reaches an addressable value.
        let pointer = meta.pointer_to().expect("*ObjectMeta is in the schema");
        assert_eq!(copied(pointer, &data, "GetName").as_deref(), Ok("web"));
        let time = typed("metav1.Time");
        let set = Data::String("2024-05-06T07:08:09Z".into());
        assert_eq!(copied(time, &set, "Unix").as_deref(), Ok("1714979289"));
        assert!(copied(time, &set, "IsZero").is_err(), "(*Time).IsZero is the pointer's");
        let intstr = typed("intstr.IntOrString");
        assert_eq!(copied(intstr, &Data::Number(80.0), "IntVal").as_deref(), Ok("80"), "a field");
        assert!(copied(intstr, &Data::Number(80.0), "String").is_err());
    }

    #[test]
    fn time_and_int_or_string_methods_are_gos() {
        let time = typed("metav1.Time");
        let set = Data::String("2024-05-06T07:08:09Z".into());
        assert_eq!(text(field(time, None, Place::Addressable, "IsZero", 0, Some(false), &String::new)), "true");
        assert_eq!(text(get(time, &set, "IsZero")), "false");
        let intstr = typed("intstr.IntOrString");
        assert_eq!(text(get(intstr, &Data::Number(8080.0), "String")), "8080");
        assert_eq!(text(get(intstr, &Data::String("http".into()), "String")), "http");
        assert_eq!(text(get(intstr, &Data::String("42".into()), "IntValue")), "42");
        assert_eq!(text(get(intstr, &Data::String("x".into()), "IntValue")), "0");
    }
}
