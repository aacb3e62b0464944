//! Passing values to function parameters: Go's `validateType`, and integer
//! conversions.
//!
//! On floor 3: it imports only `value` and `types` below it.

use crate::types::{Kind, Type};
use crate::value::{Repr, Value, zero_of};

/// Truncates integer bits to a signed type's width, as `reflect.Value.SetInt`.
pub fn wrap_int(bits: u64, ty: Type) -> i64 {
    match ty {
        Type::Int8 => bits as i8 as i64,
        Type::Int16 => bits as i16 as i64,
        Type::Int32 => bits as i32 as i64,
        _ => bits as i64,
    }
}

/// Truncates integer bits to an unsigned type's width.
pub fn wrap_uint(bits: u64, ty: Type) -> u64 {
    match ty {
        Type::Uint8 => bits as u8 as u64,
        Type::Uint16 => bits as u16 as u64,
        Type::Uint32 => bits as u32 as u64,
        _ => bits,
    }
}

/// What a parameter expects: a type, or nothing in particular (the
/// receiver of a field chain, which Go evaluates with a nil type and passes
/// through unchecked, invalid values included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Param {
    Unchecked,
    Type(Type),
}

/// Whether [`validate`] gives `value` back as it is: the common case,
/// checked without moving the value.
#[inline]
pub fn fits(value: &Value<'_>, to: Param) -> bool {
    let Param::Type(to) = to else {
        return true;
    };
    if !value.is_valid() {
        return to == Type::ReflectValue;
    }
    to == Type::Any || to == Type::ReflectValue || value.static_type().unwrap_or(Type::Any).assignable_to(to)
}

/// Go's `validateType`: makes `value` fit a parameter of type `to`, or
/// explains why it cannot.
pub fn validate<'a>(value: Value<'a>, to: Param) -> Result<Value<'a>, String> {
    if fits(&value, to) {
        return Ok(value);
    }
    let Param::Type(to) = to else { return Ok(value) };
    // What does not fit as it is: the invalid value becomes a nil of a
    // type that has one (a nil interface for `interface{}`)...
    if !value.is_valid() {
        if to.kind().can_be_nil() {
            return Ok(zero_of(to));
        }
        return Err(format!("invalid value; expected {to}"));
    }
    // ... and a valid one may fit once out of its interface.
    let mut value = value;
    if value.kind() == Kind::Interface && !matches!(value.repr, Repr::Nil(Type::Any)) {
        value = value.unbox();
        if value.dyn_type().is_some_and(|t| t.assignable_to(to)) {
            return Ok(value);
        }
    }
    // One dereference, as Go allows (`annotation .ObjectMeta` with a
    // `*ObjectMeta` where the function takes `ObjectMeta`).
    if let Repr::Typed(t, data, _) = value.repr
        && let crate::types::Ty::Ptr(elem) = t.expr()
        && Type::Go(crate::types::GoType(elem)).assignable_to(to)
    {
        if crate::value::typed::is_nil(t, data) {
            return Err(format!("dereference of nil pointer of type {to}"));
        }
        let place = crate::value::typed::Place::Addressable;
        return Ok(Value { repr: Repr::Typed(crate::types::GoType(elem), data, place), boxed: value.boxed });
    }
    Err(format!("wrong type for value; expected {to}; got {}", value.type_name()))
}
