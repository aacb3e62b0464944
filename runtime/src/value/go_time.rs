//! Go's `time.Time` as a template sees it: a value with methods (`.Format`,
//! `.Unix`, `.Year`...). sprig's date functions make them, and so does
//! `metav1.Time`, which embeds one.

use std::sync::Arc;

use super::func::FuncType;
use super::object::GoObject;
use super::{Repr, Value};
use crate::gotime::{Location, Time};
use crate::types::{Kind, NamedType, Type};

/// A `time.Time` value in a template.
#[derive(Clone, Debug)]
pub struct GoTime(pub Time);

/// `time.Time`.
pub fn time_type() -> Type {
    Type::Named(NamedType::new("time.Time"))
}

impl GoObject for GoTime {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn type_name(&self) -> &'static str {
        "time.Time"
    }

    fn kind(&self) -> Kind {
        Kind::Struct
    }

    fn method_type(&self, name: &str) -> Option<FuncType> {
        let ty = |params: &[Type], results: &[Type]| FuncType {
            params: params.to_vec(),
            variadic: false,
            results: results.to_vec(),
        };
        Some(match name {
            "Format" => ty(&[Type::String], &[Type::String]),
            "String" => ty(&[], &[Type::String]),
            "Unix" | "UnixNano" | "UnixMilli" | "UnixMicro" => ty(&[], &[Type::Int64]),
            "Year" | "YearDay" | "Day" | "Hour" | "Minute" | "Second" | "Nanosecond" => ty(&[], &[Type::Int]),
            "IsZero" => ty(&[], &[Type::Bool]),
            "UTC" | "Local" => ty(&[], &[time_type()]),
            "Add" => ty(&[Type::Int64], &[time_type()]),
            "AddDate" => ty(&[Type::Int, Type::Int, Type::Int], &[time_type()]),
            "Before" | "After" | "Equal" => ty(&[time_type()], &[Type::Bool]),
            _ => return None,
        })
    }

    fn call_method<'a>(&self, name: &str, args: &[Value<'a>]) -> std::result::Result<Value<'a>, String> {
        let t = &self.0;
        let other =
            || args.first().and_then(|a| a.as_go_object::<GoTime>()).map(|g| (g.0.sec, g.0.nsec)).unwrap_or_default();
        let civil = || t.civil();
        Ok(match name {
            "Format" => Value::string(t.format(&String::from_utf8_lossy(str_arg(args, 0))).into_bytes()),
            "String" => Value::string(t.string().into_bytes()),
            "Unix" => Value::int_of(t.sec, Type::Int64),
            "UnixMilli" => Value::int_of(t.sec.wrapping_mul(1_000) + i64::from(t.nsec / 1_000_000), Type::Int64),
            "UnixMicro" => Value::int_of(t.sec.wrapping_mul(1_000_000) + i64::from(t.nsec / 1_000), Type::Int64),
            "UnixNano" => Value::int_of(t.sec.wrapping_mul(1_000_000_000) + i64::from(t.nsec), Type::Int64),
            "Year" => Value::int(civil().year),
            "YearDay" => Value::int(civil().yday),
            "Day" => Value::int(civil().day),
            "Hour" => Value::int(civil().hour),
            "Minute" => Value::int(civil().min),
            "Second" => Value::int(civil().sec),
            "Nanosecond" => Value::int(i64::from(t.nsec)),
            "IsZero" => Value::bool(t.is_zero()),
            "UTC" => time(t.in_location(Location::utc())),
            "Local" => time(t.in_location(Location::local())),
            "Add" => time(t.add(int_arg(args, 0))),
            "AddDate" => {
                let c = civil();
                let (h, m, s) = (c.hour, c.min, c.sec);
                let loc = Arc::clone(&t.loc);
                time(Time::date(
                    c.year + int_arg(args, 0),
                    c.month + int_arg(args, 1),
                    c.day + int_arg(args, 2),
                    h,
                    m,
                    s,
                    i64::from(t.nsec),
                    loc,
                ))
            }
            "Before" => Value::bool((t.sec, t.nsec) < other()),
            "After" => Value::bool((t.sec, t.nsec) > other()),
            "Equal" => Value::bool((t.sec, t.nsec) == other()),
            _ => return Err(format!("time.Time has no method {name}")),
        })
    }

    fn string(&self) -> Option<String> {
        Some(self.0.string())
    }

    fn json(&self) -> Option<std::result::Result<Vec<u8>, String>> {
        Some(self.0.json().map(String::into_bytes))
    }

    fn go_type(&self) -> Type {
        time_type()
    }
}

pub fn time<'a>(t: Time) -> Value<'a> {
    Value::object(GoTime(t))
}

/// A `string` parameter.
fn str_arg<'v>(args: &'v [Value<'_>], i: usize) -> &'v [u8] {
    args[i].as_bytes().unwrap_or_default()
}

/// An `int` parameter.
fn int_arg(args: &[Value<'_>], i: usize) -> i64 {
    match args[i].repr {
        Repr::Int(v, _) => v,
        Repr::Uint(v, _) => v as i64,
        _ => 0,
    }
}
