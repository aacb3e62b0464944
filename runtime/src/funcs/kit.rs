//! The conformance kit's test-only functions (`testfuncs`): they give JSON
//! data a way to reach `call` and function errors. Not part of any function
//! set a user selects.

use std::rc::Rc;

use super::{Body, CallCx, NativeFn};
use crate::types::Type;
use crate::value::func::{FuncBody, FuncType, FuncValue};
use crate::value::{MapValue, Repr, Value};

fn func<'a>(params: &[Type], variadic: bool, results: &[Type], body: Option<FuncBody>) -> Value<'a> {
    let ty = FuncType { params: params.to_vec(), variadic, results: results.to_vec() };
    Value::new(Repr::Func(Rc::new(FuncValue { ty, body })))
}

fn str_arg<'a>(v: &'a Value<'_>) -> &'a [u8] {
    v.as_bytes().unwrap_or_default()
}

fn int_arg(v: &Value<'_>) -> i64 {
    match v.repr {
        Repr::Int(i, _) => i,
        _ => 0,
    }
}

fn mkfunc<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    let name = str_arg(&args[0]);
    let value = match name {
        b"upper" => func(
            &[Type::String],
            false,
            &[Type::String],
            Some(Box::new(|a| {
                let s = String::from_utf8_lossy(str_arg(&a[0]))
                    .chars()
                    .map(injit_strconv::unicode::to_upper)
                    .collect::<String>();
                Ok(Value::string(s.into_bytes()))
            })),
        ),
        b"add" => func(
            &[Type::Int, Type::Int],
            false,
            &[Type::Int],
            Some(Box::new(|a| Ok(Value::int(int_arg(&a[0]).wrapping_add(int_arg(&a[1])))))),
        ),
        b"concat" => func(
            &[Type::String, Type::StringSlice],
            true,
            &[Type::String],
            Some(Box::new(|a| Ok(Value::string(a.iter().flat_map(|v| str_arg(v).to_vec()).collect::<Vec<u8>>())))),
        ),
        b"fail" => func(&[], false, &[Type::String, Type::Error], Some(Box::new(|_| Err("boom".to_owned())))),
        b"boom" => func(&[], false, &[Type::String], Some(Box::new(|_| Err("kaboom".to_owned())))),
        b"nil" => func(&[], false, &[], None),
        b"two" => func(&[], false, &[Type::Int, Type::Int], Some(Box::new(|_| Ok(Value::int(1))))),
        _ => {
            return Err(format!("mkfunc: unknown function {}", injit_strconv::quote(name)));
        }
    };
    Ok(value)
}

fn failwith<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    Err(String::from_utf8_lossy(str_arg(&args[0])).into_owned())
}

/// Go recovers the panic and reports its value, so a panic and an error
/// read the same.
fn panicwith<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    Err(String::from_utf8_lossy(str_arg(&args[0])).into_owned())
}

fn pair<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    let mut map = MapValue::default();
    map.insert(Rc::from(&b"a"[..]), args[0].clone().unbox_nil_aware());
    map.insert(Rc::from(&b"b"[..]), args[1].clone().unbox_nil_aware());
    Ok(Value::map(map, Type::AnyMap))
}

impl<'a> Value<'a> {
    /// A value stored into an `interface{}` container: kept by its dynamic
    /// value (containers box on read).
    fn unbox_nil_aware(self) -> Value<'a> {
        if self.boxed && matches!(self.repr, Repr::Nil(Type::Any)) {
            return self;
        }
        let mut v = self;
        v.boxed = false;
        if !v.is_valid() {
            return Value::nil_interface();
        }
        v
    }
}

pub(crate) fn body(name: &str) -> Option<Body> {
    let native: NativeFn = match name {
        "mkfunc" => mkfunc,
        "failwith" => failwith,
        "panicwith" => panicwith,
        "pair" => pair,
        _ => return None,
    };
    Some(Body::Native(native))
}
