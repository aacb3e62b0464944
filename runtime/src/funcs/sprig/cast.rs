//! What sprig builds on: spf13/cast's conversions (1.5.0, as the reference
//! oracle links it), sprig's `strval` and `empty`, reflection kinds and
//! `reflect.DeepEqual`.

use std::borrow::Cow;
use std::rc::Rc;

use crate::fmt::sprint;
use crate::types::{Kind, Type};
use crate::value::{Repr, Value};

/// The panic Go reports when sprig dereferences a nil interface.
pub(super) const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

/// The dynamic value of an `interface{}` argument (invalid for nil),
/// borrowed unless the interface must be taken apart.
pub(super) fn dynamic<'v, 'a>(v: &'v Value<'a>) -> Cow<'v, Value<'a>> {
    v.unboxed_cow()
}

/// `reflect.Kind.String()` of a value's dynamic type.
pub(super) fn kind_name(v: &Value<'_>) -> &'static str {
    dynamic(v).kind().name()
}

/// Go's float-to-integer conversion on amd64: out of range is the minimum.
pub(super) fn float_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9.223372036854776e18..9.223372036854776e18).contains(&f) { i64::MIN } else { f as i64 }
}

/// cast's `trimZeroDecimal`: "1.00" -> "1".
fn trim_zero_decimal(s: &[u8]) -> &[u8] {
    let mut found_zero = false;
    for i in (1..=s.len()).rev() {
        match s[i - 1] {
            b'.' if found_zero => return &s[..i - 1],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// `cast.ToInt64` (errors give 0).
pub(super) fn to_int64(v: &Value<'_>) -> i64 {
    let v = dynamic(v);
    match &v.repr {
        Repr::Int(i, _) => *i,
        Repr::Uint(u, _) => *u as i64,
        Repr::Float(f, _) => float_to_i64(*f),
        Repr::Str(s, _) => injit_strconv::parse_int(trim_zero_decimal(s.as_bytes()), 0).unwrap_or(0),
        Repr::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// `cast.ToInt` (the same as `ToInt64` on 64-bit Go).
pub(super) fn to_int(v: &Value<'_>) -> i64 {
    to_int64(v)
}

/// `cast.ToFloat64` (errors give 0).
pub(super) fn to_float64(v: &Value<'_>) -> f64 {
    let v = dynamic(v);
    match &v.repr {
        Repr::Int(i, _) => *i as f64,
        Repr::Uint(u, _) => *u as f64,
        Repr::Float(f, Type::Float32) => *f as f32 as f64,
        Repr::Float(f, _) => *f,
        Repr::Str(s, _) => injit_strconv::parse_float(s.as_bytes()).unwrap_or(0.0),
        Repr::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// sprig's `strval`: strings as they are, Stringers through `String`,
/// anything else printed with `%v`.
/// A string is borrowed, not copied.
pub(super) fn strval<'v>(v: &'v Value<'_>) -> Cow<'v, [u8]> {
    // Boxing does not change what a string holds.
    if let Repr::Str(s, _) = &v.repr {
        return Cow::Borrowed(s.as_bytes());
    }
    let v = dynamic(v);
    Cow::Owned(if v.dyn_type() == Some(Type::ByteSlice) {
        (0..v.len().unwrap_or(0)).map(|i| to_int64(&v.index(i)) as u8).collect()
    } else if let Some(s) = crate::fmt::stringer(&v) {
        s
    } else {
        sprint(std::slice::from_ref(&v))
    })
}

/// Whether an `interface{}` argument is not nil: `dynamic(v).is_valid()`
/// without a copy of the value.
pub(super) fn is_present(v: &Value<'_>) -> bool {
    match v.repr {
        Repr::Invalid => false,
        Repr::Nil(Type::Any) => !v.boxed,
        _ => true,
    }
}

/// sprig's `empty`: nil, zero numbers, false, and empty strings, slices
/// and maps; structs never are.
pub(super) fn empty(v: &Value<'_>) -> bool {
    let v = dynamic(v);
    match &v.repr {
        Repr::Invalid | Repr::Nil(_) => true,
        Repr::Bool(b) => !b,
        Repr::Int(i, _) => *i == 0,
        Repr::Uint(u, _) => *u == 0,
        Repr::Float(f, _) => *f == 0.0,
        Repr::Complex(re, im, _) => *re == 0.0 && *im == 0.0,
        Repr::Str(s, _) => s.as_bytes().is_empty(),
        Repr::Data(_) | Repr::Slice(..) | Repr::Map(..) => v.len() == Some(0),
        Repr::Func(f) => f.is_nil(),
        Repr::Object(_) | Repr::Method(_) => false,
        Repr::Typed(t, d, _) => match t.kind() {
            Kind::Struct => false,
            _ => crate::value::typed::is_nil(*t, *d) || v.len() == Some(0),
        },
    }
}

/// The items of a slice argument as `l2.Index(i).Interface()` gives them,
/// or the kind that is not a slice (`None` for nil: Go panics).
pub(super) fn list_items<'a>(v: &Value<'a>) -> Result<Vec<Value<'a>>, Option<&'static str>> {
    let d = dynamic(v);
    if !d.is_valid() {
        return Err(None);
    }
    if d.kind() != Kind::Slice {
        return Err(Some(kind_name(&d)));
    }
    Ok((0..d.len().unwrap_or(0)).map(|i| d.index(i).into_element()).collect())
}

/// A Go panic message for a nil list, or sprig's error for a wrong kind.
pub(super) fn list_error(err: Option<&'static str>, what: impl FnOnce(&str) -> String) -> String {
    match err {
        None => NIL_DEREF.to_owned(),
        Some(kind) => what(kind),
    }
}

/// A `[]interface{}` made of `items`.
pub(super) fn any_slice<'a>(items: Vec<Value<'a>>) -> Value<'a> {
    Value::slice(items.into_iter().map(Value::into_element).collect(), Type::AnySlice)
}

/// A `[]string`.
pub(super) fn string_slice<'a>(items: Vec<Vec<u8>>) -> Value<'a> {
    Value::slice(items.into_iter().map(Value::string).collect(), Type::StringSlice)
}

/// `reflect.DeepEqual` of two dynamic values.
pub(super) fn deep_equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    let (a, b) = (dynamic(a), dynamic(b));
    if a.dyn_type() != b.dyn_type() {
        return false;
    }
    match (&a.repr, &b.repr) {
        (Repr::Invalid, Repr::Invalid) => true,
        (Repr::Bool(x), Repr::Bool(y)) => x == y,
        (Repr::Int(x, _), Repr::Int(y, _)) => x == y,
        (Repr::Uint(x, _), Repr::Uint(y, _)) => x == y,
        (Repr::Float(x, _), Repr::Float(y, _)) => x == y,
        (Repr::Complex(a1, b1, _), Repr::Complex(a2, b2, _)) => a1 == a2 && b1 == b2,
        (Repr::Str(x, _), Repr::Str(y, _)) => x.as_bytes() == y.as_bytes(),
        (Repr::Nil(_), Repr::Nil(_)) => true,
        (Repr::Func(_), Repr::Func(_)) => a.is_nil() && b.is_nil(),
        (Repr::Object(x), Repr::Object(y)) => Rc::ptr_eq(x, y) || x.string() == y.string() && x.string().is_some(),
        _ => match a.kind() {
            // A nil slice or map never equals an empty non-nil one.
            Kind::Slice => {
                if a.is_nil() != b.is_nil() {
                    return false;
                }
                let n = a.len().unwrap_or(0);
                n == b.len().unwrap_or(0) && (0..n).all(|i| deep_equal(&a.index(i), &b.index(i)))
            }
            Kind::Map => {
                if a.is_nil() != b.is_nil() {
                    return false;
                }
                let (ea, eb) = (a.map_entries(), b.map_entries());
                ea.len() == eb.len()
                    && ea
                        .iter()
                        .zip(&eb)
                        .all(|((ka, va), (kb, vb))| ka.as_bytes() == kb.as_bytes() && deep_equal(va, vb))
            }
            _ => false,
        },
    }
}

impl<'a> Value<'a> {
    /// The value as stored in an `interface{}` container: its dynamic value,
    /// nil as the nil interface (containers box again when read).
    pub fn into_element(self) -> Value<'a> {
        if !self.is_valid() {
            return Value::nil_interface();
        }
        if self.boxed && !matches!(self.repr, Repr::Nil(Type::Any)) {
            let mut v = self;
            v.boxed = false;
            return v;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_like_spf13_cast() {
        assert_eq!(to_int64(&Value::str(b"42")), 42);
        assert_eq!(to_int64(&Value::str(b"0x10")), 16);
        assert_eq!(to_int64(&Value::str(b"1.00")), 1);
        assert_eq!(to_int64(&Value::str(b"1.5")), 0);
        assert_eq!(to_int64(&Value::float(3.9)), 3);
        assert_eq!(to_int64(&Value::float(1e300)), i64::MIN);
        assert_eq!(to_int64(&Value::bool(true)), 1);
        assert_eq!(to_float64(&Value::str(b"1.5")), 1.5);
        assert_eq!(&*strval(&Value::float(1e6)), b"1e+06");
        assert!(empty(&Value::invalid()) && empty(&Value::int(0)) && !empty(&Value::str(b"0")));
    }
}
