//! Which typed values have a `String` method, and what it returns: the
//! generated ones of the Kubernetes types (`proto_string`), protobuf
//! messages (`prototext`), and the hand-written ones of `metav1.Time`,
//! `IntOrString`, `Quantity` and `NamespacedName`. `fmt` asks through
//! [`string_of`], an action's printing through [`action_stringer`], a
//! template's `.String` through [`generated_string_method`].

use super::{proto_string, prototext};
use crate::types::GoType;
use crate::value::data::Data;
use crate::value::typed::Place;
use crate::value::{Repr, Value, typed_field};

/// What `fmt` finds for a typed value (any depth): the `String` of its
/// type's method set, which for a pointer includes its pointee's.
pub(super) fn string_of(t: GoType, data: Option<&Data>) -> Option<Vec<u8>> {
    let data = data.filter(|d| !matches!(d, Data::Null));
    if let Some(elem) = t.pointee() {
        // A protobuf message (a pointer, as messages always are) prints as
        // the text format; a nil one as `<nil>` (what the text format gives
        // for an invalid message).
        if prototext::is_proto(elem) {
            return data.map(|d| prototext::message_text(t, Some(d)));
        }
        // go-to-protobuf's `String`, which a nil pointer answers too.
        if elem.proto_string().is_some() {
            return generated_string_method(t, data);
        }
    }
    // `types.NamespacedName` has a value `String`: both ways, but a nil
    // pointer cannot call it.
    if let Some(nn) = namespaced_name(t) {
        return match data {
            None if nn != t => None,
            d => Some(typed_field::namespaced_name_text(nn, d).into_bytes()),
        };
    }
    // `*resource.Quantity` and `*intstr.IntOrString` are Stringers (the
    // values are not); `metav1.Time` is one both ways (`time.Time`'s
    // `String`, promoted), and a zero one prints too.
    let (special, pointer) = match t.pointee() {
        Some(elem) => (elem.special()?, true),
        None => (t.special()?, false),
    };
    match (special, pointer, data) {
        ("resource.Quantity", true, Some(d)) => Some(typed_field::quantity_text(Some(d)).into_bytes()),
        ("intstr.IntOrString", true, Some(d)) => Some(typed_field::int_or_string_text(Some(d)).into_bytes()),
        ("metav1.Time" | "metav1.MicroTime", _, Some(d)) => Some(typed_field::meta_time(Some(d)).string().into_bytes()),
        ("metav1.Time" | "metav1.MicroTime", false, None) => Some(typed_field::meta_time(None).string().into_bytes()),
        _ => None,
    }
}

/// What an action prints for a typed value with a `String` method, as
/// Go's `printableValue` finds it: a pointer is followed first, and a
/// value whose pointer type has the method is printed through its address
/// when it is addressable ([`Place`]): a `Quantity` in a `ResourceList`
/// map is not, and prints its insides.
pub fn action_stringer(v: &Value<'_>) -> Option<Vec<u8>> {
    let Repr::Typed(t, data, place) = &v.repr else { return None };
    let data = data.filter(|d| !matches!(d, Data::Null));
    let target = match t.pointee() {
        // A nil pointer stays itself; its `String` may answer nil.
        Some(_) if data.is_none() => return string_of(*t, data),
        Some(elem) => elem,
        // A copy (what a function returned, a map's value, a field of
        // either) is not addressable: only its own value methods count,
        // which printing finds anyway.
        None if *place == Place::Copied => return None,
        None => *t,
    };
    if let Some(text) = generated_string_method(target, data) {
        return Some(text);
    }
    match target.special()? {
        "intstr.IntOrString" => Some(typed_field::int_or_string_text(data).into_bytes()),
        "metav1.Time" | "metav1.MicroTime" => Some(typed_field::meta_time(data).string().into_bytes()),
        "resource.Quantity" if target != *t => Some(typed_field::quantity_text(data).into_bytes()),
        _ => None,
    }
}

/// `.String` called on a typed value whose type has go-to-protobuf's
/// `String` (a pointer method: template data is addressable); a nil
/// pointer answers `nil`, as the generated code does.
pub fn generated_string_method(t: GoType, data: Option<&Data>) -> Option<Vec<u8>> {
    let data = data.filter(|d| !matches!(d, Data::Null));
    match t.pointee() {
        Some(elem) => {
            let program = elem.proto_string()?;
            Some(match data {
                None => b"nil".to_vec(),
                d => proto_string::proto_string(elem, program, d),
            })
        }
        None => Some(proto_string::proto_string(t, t.proto_string()?, data)),
    }
}

/// `types.NamespacedName`, for it or a pointer to it.
fn namespaced_name(t: GoType) -> Option<GoType> {
    let target = t.pointee().unwrap_or(t);
    target.def().is_some_and(|d| d.key == "types.NamespacedName").then_some(target)
}
