//! The builtins' bodies (`and`, `or` and `call` are special forms the
//! executor evaluates itself).

use super::{Body, CallCx, NativeFn, WriteFn};
use crate::fmt::{Printer, sprint, sprintf, sprintln};
use crate::ops::{builtins as ops, compare};
use crate::value::Value;

fn string<'a>(bytes: Vec<u8>) -> Result<Value<'a>, String> {
    Ok(Value::string(bytes))
}

fn print<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    string(sprint(args))
}

fn println<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    string(sprintln(args))
}

fn printf<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    string(sprintf(args[0].as_bytes().unwrap_or_default(), &args[1..]))
}

fn print_into(_: &CallCx, args: &[Value<'_>], out: &mut Vec<u8>) -> Result<(), String> {
    Printer::new(out).do_print(args);
    Ok(())
}

fn println_into(_: &CallCx, args: &[Value<'_>], out: &mut Vec<u8>) -> Result<(), String> {
    Printer::new(out).do_println(args);
    Ok(())
}

fn printf_into(_: &CallCx, args: &[Value<'_>], out: &mut Vec<u8>) -> Result<(), String> {
    Printer::new(out).do_printf(args[0].as_bytes().unwrap_or_default(), &args[1..]);
    Ok(())
}

/// The builtins that print their result straight into the output.
pub(crate) fn writer(name: &str) -> Option<WriteFn> {
    Some(match name {
        "print" => print_into,
        "println" => println_into,
        "printf" => printf_into,
        _ => return None,
    })
}

fn html<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    string(ops::html_escape(&ops::eval_args(args)))
}

fn js<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    string(ops::js_escape(&ops::eval_args(args)))
}

fn urlquery<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    string(ops::query_escape(&ops::eval_args(args)))
}

fn index<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    ops::index(&args[0], &args[1..])
}

fn slice<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    ops::slice(&args[0], &args[1..])
}

fn len<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    ops::length(&args[0]).map(|n| Value::int(n as i64))
}

fn not<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    Ok(Value::bool(ops::not(&args[0])))
}

fn eq<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
    compare::eq(&args[0], &args[1..]).map(Value::bool)
}

macro_rules! binary {
    ($name:ident, $op:path) => {
        fn $name<'a>(_: &CallCx, args: &[Value<'a>]) -> Result<Value<'a>, String> {
            $op(&args[0], &args[1]).map(Value::bool)
        }
    };
}

binary!(ne, compare::ne);
binary!(lt, compare::lt);
binary!(le, compare::le);
binary!(gt, compare::gt);
binary!(ge, compare::ge);

/// The body of builtin `name`.
pub(crate) fn body(name: &str) -> Option<Body> {
    let native: NativeFn = match name {
        "and" => return Some(Body::And),
        "or" => return Some(Body::Or),
        "call" => return Some(Body::Call),
        "html" => html,
        "index" => index,
        "slice" => slice,
        "js" => js,
        "len" => len,
        "not" => not,
        "print" => print,
        "printf" => printf,
        "println" => println,
        "urlquery" => urlquery,
        "eq" => eq,
        "ne" => ne,
        "lt" => lt,
        "le" => le,
        "gt" => gt,
        "ge" => ge,
        _ => return None,
    };
    Some(Body::Native(native))
}
