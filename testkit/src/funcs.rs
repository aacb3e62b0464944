//! The conformance kit's test-only functions (`testfuncs` in its batch
//! format): they give JSON data a way to reach `call` and function errors.
//! They are added to a function set as a program adds its own (Go's
//! `Funcs`), as the kit's oracle does; no set a user selects has them.

use std::rc::Rc;
use std::sync::OnceLock;

use injit_compiler::FunctionSet;
use injit_runtime::funcs::{CallCx, CustomFunction};
use injit_runtime::value::MapValue;
use injit_runtime::value::func::{FuncBody, FuncType, FuncValue};
use injit_runtime::{Library, Repr, Signature, Type, Value};

const ANY: &str = "interface {}";

/// The functions, as the oracle's `testFuncMap` declares them.
static KIT: [CustomFunction; 4] = [
    CustomFunction { signature: Signature::new("mkfunc", &["string"], false, &[ANY]), body: mkfunc },
    CustomFunction { signature: Signature::new("failwith", &["string"], false, &[ANY, "error"]), body: failwith },
    CustomFunction { signature: Signature::new("panicwith", &["string"], false, &[ANY]), body: panicwith },
    CustomFunction { signature: Signature::new("pair", &[ANY, ANY], false, &["map[string]interface {}"]), body: pair },
];

/// `library` with the kit's test functions added (built once per set).
pub fn functions(library: Library) -> FunctionSet {
    static SETS: [OnceLock<FunctionSet>; 3] = [const { OnceLock::new() }; 3];
    let i = match library {
        Library::Go => 0,
        Library::Sprig => 1,
        Library::Istio => 2,
    };
    *SETS[i].get_or_init(|| FunctionSet::new(library).with_custom(&KIT))
}

/// The signature of the kit's test function `name`, if it is one.
pub fn signature(name: &str) -> Option<&'static Signature> {
    KIT.iter().map(|f| &f.signature).find(|s| s.name == name)
}

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

/// A function value by name, for `call`.
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
    map.insert(Rc::from(&b"a"[..]), unbox_nil_aware(args[0].clone()));
    map.insert(Rc::from(&b"b"[..]), unbox_nil_aware(args[1].clone()));
    Ok(Value::map(map, Type::AnyMap))
}

/// A value stored into an `interface{}` container: kept by its dynamic
/// value (containers box on read).
fn unbox_nil_aware(value: Value<'_>) -> Value<'_> {
    if value.boxed && matches!(value.repr, Repr::Nil(Type::Any)) {
        return value;
    }
    let mut v = value;
    v.boxed = false;
    if !v.is_valid() {
        return Value::nil_interface();
    }
    v
}
