//! `eq`, `ne`, `lt`, `le`, `gt`, `ge` with Go's type rules and errors.

use crate::fmt::Printer;
use crate::types::{BasicKind, Kind};
use crate::value::{Repr, Value};

const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";
const BAD_COMPARISON: &str = "incompatible types for comparison";
const NO_COMPARISON: &str = "missing argument for comparison";

fn basic_kind(v: &Value<'_>) -> BasicKind {
    v.kind().basic()
}

fn as_int(v: &Value<'_>) -> i64 {
    match v.repr {
        Repr::Int(i, _) => i,
        _ => 0,
    }
}

fn as_uint(v: &Value<'_>) -> u64 {
    match v.repr {
        Repr::Uint(u, _) => u,
        _ => 0,
    }
}

fn as_float(v: &Value<'_>) -> f64 {
    match v.repr {
        Repr::Float(f, _) => f,
        _ => 0.0,
    }
}

fn as_complex(v: &Value<'_>) -> (f64, f64) {
    match v.repr {
        Repr::Complex(re, im, _) => (re, im),
        _ => (0.0, 0.0),
    }
}

fn as_bool(v: &Value<'_>) -> bool {
    matches!(v.repr, Repr::Bool(true))
}

/// Go's `isNil` in funcs.go: invalid values count as nil.
fn is_nil(v: &Value<'_>) -> bool {
    !v.is_valid() || (v.kind().can_be_nil() && v.is_nil())
}

/// `%s` of a value, as `fmt.Errorf("%s", reflectValue)` prints it.
fn show(v: &Value<'_>, verb: char) -> String {
    let mut buf = Vec::new();
    let mut p = Printer::new(&mut buf);
    if v.is_valid() {
        p.print_value(v, verb, 0);
    } else {
        buf.extend_from_slice(b"<invalid reflect.Value>");
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn type_name(v: &Value<'_>) -> String {
    if v.is_valid() { v.type_name() } else { "<nil>".to_owned() }
}

/// Values of kinds `eq` has no rule for (maps, slices, funcs): Go compares
/// them with `==` on interfaces, which only works for comparable types.
fn compare_other(a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    let (ka, kb) = (a.kind(), b.kind());
    let can_compare = ka == kb || ka == Kind::Invalid || kb == Kind::Invalid;
    if !can_compare {
        return Err(format!(
            "non-comparable types {}: {}, {}: {}",
            show(a, 's'),
            type_name(a),
            type_name(b),
            show(b, 'v')
        ));
    }
    if is_nil(a) || is_nil(b) {
        return Ok(is_nil(a) == is_nil(b));
    }
    // Comparable typed structs and pointers: Go's `==` on interfaces.
    if let (Repr::Typed(ta, da, _), Repr::Typed(tb, db, _)) = (&a.repr, &b.repr)
        && crate::value::typed::is_comparable(*tb)
    {
        return Ok(ta == tb && crate::value::typed::equal(*ta, *da, *db));
    }
    // Maps, slices and funcs are not comparable in Go.
    Err(format!("non-comparable type {}: {}", show(b, 's'), type_name(b)))
}

/// `eq arg1 arg2...`: true if `arg1` equals any of the others.
pub fn eq(arg1: &Value<'_>, args: &[Value<'_>]) -> Result<bool, String> {
    let arg1 = arg1.unboxed_cow();
    if args.is_empty() {
        return Err(NO_COMPARISON.to_owned());
    }
    let k1 = basic_kind(&arg1);
    for arg in args {
        let arg = arg.unboxed_cow();
        let k2 = basic_kind(&arg);
        let truth = if k1 != k2 {
            match (k1, k2) {
                (BasicKind::Int, BasicKind::Uint) => as_int(&arg1) >= 0 && as_int(&arg1) as u64 == as_uint(&arg),
                (BasicKind::Uint, BasicKind::Int) => as_int(&arg) >= 0 && as_uint(&arg1) == as_int(&arg) as u64,
                _ => {
                    if arg1.is_valid() && arg.is_valid() {
                        return Err(BAD_COMPARISON.to_owned());
                    }
                    false
                }
            }
        } else {
            match k1 {
                BasicKind::Bool => as_bool(&arg1) == as_bool(&arg),
                BasicKind::Complex => as_complex(&arg1) == as_complex(&arg),
                BasicKind::Float => as_float(&arg1) == as_float(&arg),
                BasicKind::Int => as_int(&arg1) == as_int(&arg),
                BasicKind::String => arg1.as_bytes() == arg.as_bytes(),
                BasicKind::Uint => as_uint(&arg1) == as_uint(&arg),
                BasicKind::Invalid => compare_other(&arg1, &arg)?,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn ne(a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    eq(a, std::slice::from_ref(b)).map(|e| !e)
}

pub fn lt(a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    let a = a.unboxed_cow();
    let k1 = basic_kind(&a);
    if k1 == BasicKind::Invalid {
        return Err(BAD_COMPARISON_TYPE.to_owned());
    }
    let b = b.unboxed_cow();
    let k2 = basic_kind(&b);
    if k2 == BasicKind::Invalid {
        return Err(BAD_COMPARISON_TYPE.to_owned());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (BasicKind::Int, BasicKind::Uint) => Ok(as_int(&a) < 0 || (as_int(&a) as u64) < as_uint(&b)),
            (BasicKind::Uint, BasicKind::Int) => Ok(as_int(&b) >= 0 && as_uint(&a) < as_int(&b) as u64),
            _ => Err(BAD_COMPARISON.to_owned()),
        };
    }
    match k1 {
        BasicKind::Bool | BasicKind::Complex => Err(BAD_COMPARISON_TYPE.to_owned()),
        BasicKind::Float => Ok(as_float(&a) < as_float(&b)),
        BasicKind::Int => Ok(as_int(&a) < as_int(&b)),
        BasicKind::String => Ok(a.as_bytes() < b.as_bytes()),
        BasicKind::Uint => Ok(as_uint(&a) < as_uint(&b)),
        BasicKind::Invalid => Err(BAD_COMPARISON_TYPE.to_owned()),
    }
}

pub fn le(a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}

pub fn gt(a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    le(a, b).map(|le| !le)
}

pub fn ge(a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    lt(a, b).map(|lt| !lt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Type;

    #[test]
    fn compares_like_go() {
        let f = Value::float(1.0).boxed();
        assert_eq!(eq(&f, &[Value::int(1)]), Err(BAD_COMPARISON.to_owned()));
        assert_eq!(eq(&f, &[Value::float(1.0)]), Ok(true));
        assert_eq!(eq(&Value::invalid(), &[Value::str(b"")]), Ok(false));
        assert_eq!(eq(&Value::invalid(), &[Value::invalid()]), Ok(true));
        assert_eq!(eq(&Value::str(b"a"), &[Value::str(b"a"), Value::int(1)]), Ok(true));
        assert_eq!(eq(&Value::str(b"a"), &[Value::str(b"b"), Value::int(1)]), Err(BAD_COMPARISON.to_owned()));
        assert_eq!(lt(&Value::invalid(), &Value::int(1)), Err(BAD_COMPARISON_TYPE.to_owned()));
        assert_eq!(lt(&Value::int(-1), &Value::uint_of(0, Type::Uint)), Ok(true));
        assert_eq!(gt(&Value::str(b"b"), &Value::str(b"a")), Ok(true));
    }
}
