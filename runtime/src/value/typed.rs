//! Typed values: a value of a typed-data Go type is a *view* over decoded
//! JSON, its Go type and the JSON node holding it (absent for a zero value
//! or nil). Reading a field finds the field's JSON name in the node and
//! gives a view of the field's type; scalars become plain values.

use super::data::Data;
use super::{Repr, Str, Value};
use crate::types::{DefKind, FoundField, GoType, Kind, Ty, Type};

/// Whether Go could take a typed value's address (`reflect.Value.CanAddr`),
/// which decides whether the methods of its pointer type are its methods
/// too: generated `String`s, getters, `Quantity`'s and `Time`'s. Template
/// data is executed by address (Istio passes `&data`), so what a template
/// reaches through fields, pointers, slice elements and variables is
/// addressable; a copy is not: what a function returned (through an
/// interface), a map's value, and the fields of a copy. Pointers are
/// addressable or not alike: what they point at always is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Addressable,
    Copied,
}

impl Place {
    /// The place of what a value of type `t` in this place holds (its
    /// fields, or what it points at): what a pointer points at is
    /// addressable wherever the pointer is.
    #[inline]
    pub fn through(self, t: GoType) -> Place {
        if t.kind() == Kind::Pointer { Place::Addressable } else { self }
    }
}

/// Whether [`value`] makes every value of `t` a view (`Repr::Typed`).
pub(crate) fn is_view(t: GoType) -> bool {
    match t.underlying().expr() {
        Ty::Any | Ty::Basic(_) => false,
        Ty::Named(_) => !matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..))),
        _ => true,
    }
}

/// The value of Go type `t` held in `data` (`None`, or JSON `null`, for a
/// zero value). Scalars become plain values; everything else a view.
#[inline]
pub fn value<'a>(t: GoType, data: Option<&'a Data>, boxed: bool) -> Value<'a> {
    value_at(t, data, boxed, Place::Addressable)
}

/// [`value`] in `place` (a copy, or addressable).
#[inline]
pub fn value_at<'a>(t: GoType, data: Option<&'a Data>, boxed: bool, place: Place) -> Value<'a> {
    let data = data.filter(|d| !matches!(d, Data::Null));
    let repr = match t.underlying().expr() {
        Ty::Any => return data.map_or_else(Value::nil_interface, |d| Value::from_data(d, true)),
        Ty::Basic(kind) => scalar(kind, Type::go(t), data),
        Ty::Named(_) if matches!(t.def().map(|d| d.kind), Some(DefKind::Enum(..))) => {
            let n = match data {
                Some(Data::Number(f)) => *f as i64,
                Some(Data::String(s)) => t.enum_value(s).unwrap_or(0),
                _ => 0,
            };
            Repr::Int(n, Type::Go(t))
        }
        _ => Repr::Typed(t, data, place),
    };
    Value { repr, boxed }
}

fn scalar<'a>(kind: Kind, ty: Type, data: Option<&'a Data>) -> Repr<'a> {
    let number = match data {
        Some(Data::Number(f)) => *f,
        Some(Data::JsonNumber(s)) => injit_strconv::parse_float(s.as_bytes()).unwrap_or(0.0),
        Some(Data::String(s)) => injit_strconv::parse_float(s.as_bytes()).unwrap_or(0.0),
        _ => 0.0,
    };
    match kind {
        Kind::Bool => Repr::Bool(matches!(data, Some(Data::Bool(true)))),
        Kind::String => match data {
            Some(Data::String(s)) => Repr::Str(Str::Borrowed(s.as_bytes()), ty),
            _ => Repr::Str(Str::Borrowed(b""), ty),
        },
        k if k.is_int() => Repr::Int(number as i64, ty),
        k if k.is_uint() => Repr::Uint(number as u64, ty),
        // The tables hold floats as the only other basic kinds.
        _ => Repr::Float(number, ty),
    }
}

/// Whether a view is nil (a nil pointer, slice or map).
pub fn is_nil(t: GoType, data: Option<&Data>) -> bool {
    matches!(t.kind(), Kind::Pointer | Kind::Slice | Kind::Map) && data.is_none_or(|d| matches!(d, Data::Null))
}

/// The data of a struct field (for an embedded struct, the same object).
pub fn field_data<'a>(found: &FoundField, data: Option<&'a Data>) -> Option<&'a Data> {
    let data = match (found.via, data) {
        (None, data) => data,
        (Some(key), Some(Data::Object(o))) => o.get(key.as_bytes()),
        (Some(_), _) => None,
    };
    // An embedded struct shares the outer object, unless its JSON tag
    // names a key of its own (`ObjectMeta` under `metadata`).
    if found.field.inline && found.field.json.is_empty() {
        return data;
    }
    match data? {
        Data::Object(o) => o.get(found.field.json.as_bytes()),
        _ => None,
    }
}

/// Length of a slice or map view.
pub fn len(data: Option<&Data>) -> usize {
    match data {
        Some(Data::Array(items)) => items.len(),
        Some(Data::Object(o)) => o.len(),
        _ => 0,
    }
}

/// Whether Go's `==` works on values of `t`: no slices, maps or funcs
/// inside (pointers compare by address).
pub fn is_comparable(t: GoType) -> bool {
    match t.underlying().expr() {
        Ty::Slice(_) | Ty::Map(..) => false,
        Ty::Ptr(_) | Ty::Basic(_) | Ty::Any => true,
        Ty::Named(_) => match t.def().map(|d| d.kind) {
            Some(DefKind::Struct(..) | DefKind::Message(..)) => {
                t.fields().iter().filter(|f| !f.oneof).all(|f| is_comparable(GoType(f.ty)))
            }
            Some(DefKind::Special) => t.special() != Some("structpb.Struct"),
            _ => true,
        },
    }
}

/// Go's `==` on two values of comparable type `t`: pointers are equal when
/// they point at the same node (or are both nil), structs field by field.
pub fn equal(t: GoType, a: Option<&Data>, b: Option<&Data>) -> bool {
    let (a, b) = (a.filter(|d| !matches!(d, Data::Null)), b.filter(|d| !matches!(d, Data::Null)));
    if let (Some(x), Some(y)) = (a, b)
        && std::ptr::eq(x, y)
    {
        return true;
    }
    match t.underlying().expr() {
        Ty::Ptr(_) => a.is_none() && b.is_none(),
        Ty::Named(_) if matches!(t.def().map(|d| d.kind), Some(DefKind::Struct(..) | DefKind::Message(..))) => {
            t.fields().iter().filter(|f| !f.oneof).all(|f| {
                let found = FoundField::direct(f);
                equal(GoType(f.ty), field_data(&found, a), field_data(&found, b))
            })
        }
        // Scalars, enums and the special types: by what they hold.
        _ => {
            let (x, y) = (value(t, a, false), value(t, b, false));
            match (&x.repr, &y.repr) {
                (Repr::Int(i, _), Repr::Int(j, _)) => i == j,
                (Repr::Uint(i, _), Repr::Uint(j, _)) => i == j,
                (Repr::Float(i, _), Repr::Float(j, _)) => i == j,
                (Repr::Bool(i), Repr::Bool(j)) => i == j,
                (Repr::Str(i, _), Repr::Str(j, _)) => i.as_bytes() == j.as_bytes(),
                _ => a == b,
            }
        }
    }
}
