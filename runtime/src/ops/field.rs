//! Go's `evalField`: `.Name` on a value — a map key or a method.

use std::rc::Rc;

use crate::types::{Kind, Type};
use crate::value::data::Data;
use crate::value::object::BoundMethod;
use crate::value::typed::Place;
use crate::value::{Repr, Value};

/// What a missing map key evaluates to (`missingkey=...`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Missing {
    #[default]
    Invalid,
    Zero,
    Error,
}

fn quoted(name: &[u8]) -> String {
    injit_strconv::quote(name)
}

fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// The result of a niladic method of `recv` named `name`, if it has one.
fn method<'a>(recv: &Value<'a>, name: &[u8]) -> Option<Result<Value<'a>, String>> {
    match (&recv.repr, name) {
        // A protobuf enum's name.
        (Repr::Int(n, Type::Go(t)), b"String") => {
            crate::value::typed_field::enum_string(*t, *n).map(|s| Ok(Value::string(s.into_bytes())))
        }
        // Its number (`protoreflect.EnumNumber`).
        (Repr::Int(n, Type::Go(t)), b"Number") if crate::value::typed_field::enum_string(*t, *n).is_some() => {
            Some(Ok(Value::int_of(*n, Type::Int32)))
        }
        // encoding/json.Number's methods.
        (Repr::Str(s, Type::JsonNumber), b"String") => Some(Ok(Value::new(Repr::Str(s.clone(), Type::String)))),
        (Repr::Str(s, Type::JsonNumber), b"Float64") => Some(
            injit_strconv::parse_float(s.as_bytes())
                .map(Value::float)
                .map_err(|e| format!("strconv.ParseFloat: parsing {}: {}", quoted(s.as_bytes()), e.text())),
        ),
        (Repr::Str(s, Type::JsonNumber), b"Int64") => Some(
            injit_strconv::parse_int(s.as_bytes(), 10)
                .map(|i| Value::int_of(i, Type::Int64))
                .map_err(|e| format!("strconv.ParseInt: parsing {}: {}", quoted(s.as_bytes()), e.text())),
        ),
        _ => None,
    }
}

/// `.name` of a JSON object `recv` that has no key `name`.
pub fn missing_key<'a>(recv: &Value<'a>, name: &[u8], missing: Missing) -> Result<Value<'a>, String> {
    match missing {
        Missing::Invalid => Ok(Value::invalid()),
        Missing::Zero => Ok(recv.map_zero()),
        Missing::Error => Err(format!("map has no entry for key {}", quoted(name))),
    }
}

/// Evaluates `.name` on `recv`. `args` is how many arguments the template
/// passes (a method would receive them; a map key cannot take any).
pub fn eval_field<'a>(recv: &Value<'a>, name: &[u8], args: usize, missing: Missing) -> Result<Value<'a>, String> {
    if !recv.is_valid() {
        if missing == Missing::Error {
            return Err(format!("nil data; no entry for key {}", quoted(name)));
        }
        return Ok(Value::invalid());
    }
    // The common case first: a key of a JSON object.
    if let (Repr::Data(Data::Object(object)), 0) = (&recv.repr, args) {
        return match object.get(name) {
            Some(d) => Ok(Value::from_data(d, true)),
            None => missing_key(recv, name, missing),
        };
    }
    // Only error texts need the static type's name.
    let static_type = || recv.type_name();
    let receiver = recv.unboxed();
    if recv.boxed && !receiver.is_valid() {
        return Err(format!("nil pointer evaluating {}.{}", static_type(), show(name)));
    }
    if let Repr::Typed(t, d, place) = &receiver.repr {
        // go-to-protobuf's `String` is on the pointer.
        if name == b"String"
            && (t.kind() == Kind::Pointer || *place == Place::Addressable)
            && let Some(text) = crate::fmt::generated_string_method(*t, *d)
        {
            if args != 0 {
                return Err(format!("wrong number of args for String: want 0 got {args}"));
            }
            return Ok(Value::string(text));
        }
        let missing_zero = match missing {
            Missing::Invalid => Some(false),
            Missing::Zero => Some(true),
            Missing::Error => None,
        };
        return crate::value::typed_field::field(
            *t,
            *d,
            *place,
            &String::from_utf8_lossy(name),
            args,
            missing_zero,
            &static_type,
        );
    }
    if let Repr::Object(object) = &receiver.repr {
        let method_name = String::from_utf8_lossy(name);
        if let Some(ty) = object.method_type(&method_name) {
            let want = ty.params.len();
            if ty.variadic {
                if args < want - 1 {
                    return Err(format!(
                        "wrong number of args for {method_name}: want at least {} got {args}",
                        want - 1
                    ));
                }
            } else if args != want {
                return Err(format!("wrong number of args for {method_name}: want {want} got {args}"));
            }
            if want == 0 {
                return object.call_method(&method_name, &[]).map_err(|e| format!("error calling {method_name}: {e}"));
            }
            let bound = BoundMethod { receiver: object.clone(), name: method_name.into_owned(), ty };
            return Ok(Value::new(Repr::Method(Rc::new(bound))));
        }
        if let Some((_, field)) = object.fields().into_iter().find(|(n, _)| n.as_bytes() == name) {
            if args != 0 {
                return Err(format!("{} has arguments but cannot be invoked as function", show(name)));
            }
            return Ok(field);
        }
        return Err(format!("can't evaluate field {} in type {}", show(name), static_type()));
    }
    if let Some(result) = method(&receiver, name) {
        if args != 0 {
            return Err(format!("wrong number of args for {}: want 0 got {args}", show(name)));
        }
        return result.map_err(|e| format!("error calling {}: {e}", show(name)));
    }
    if receiver.kind() == Kind::Map && matches!(receiver.dyn_type(), Some(Type::AnyMap | Type::StringMap)) {
        if args != 0 {
            return Err(format!("{} is not a method but has arguments", show(name)));
        }
        return match receiver.map_get(name) {
            Some(v) => Ok(v),
            None => match missing {
                Missing::Invalid => Ok(Value::invalid()),
                Missing::Zero => Ok(receiver.map_zero()),
                Missing::Error => Err(format!("map has no entry for key {}", quoted(name))),
            },
        };
    }
    Err(format!("can't evaluate field {} in type {}", show(name), static_type()))
}
