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
                    // Go's int arithmetic wraps.
                    c.year.wrapping_add(int_arg(args, 0)),
                    c.month.wrapping_add(int_arg(args, 1)),
                    c.day.wrapping_add(int_arg(args, 2)),
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

/// A `time.Duration` a method returned (durationpb's `AsDuration`).
#[derive(Clone, Debug)]
pub struct GoDuration(pub i64);

impl GoObject for GoDuration {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn type_name(&self) -> &'static str {
        "time.Duration"
    }

    fn kind(&self) -> Kind {
        Kind::Int64
    }

    fn method_type(&self, name: &str) -> Option<FuncType> {
        let result = match name {
            "String" => Type::String,
            "Seconds" | "Minutes" | "Hours" => Type::Float64,
            "Milliseconds" | "Microseconds" | "Nanoseconds" => Type::Int64,
            _ => return None,
        };
        Some(FuncType { params: Vec::new(), variadic: false, results: vec![result] })
    }

    fn call_method<'a>(&self, name: &str, _: &[Value<'a>]) -> Result<Value<'a>, String> {
        let d = self.0;
        // Go splits whole and fractional parts to keep precision.
        let split = |unit: i64| (d / unit) as f64 + (d % unit) as f64 / unit as f64;
        Ok(match name {
            "String" => Value::string(crate::gotime::format_duration(d).into_bytes()),
            "Seconds" => Value::new(Repr::Float(split(1_000_000_000), Type::Float64)),
            "Minutes" => Value::new(Repr::Float(split(60_000_000_000), Type::Float64)),
            "Hours" => Value::new(Repr::Float(split(3_600_000_000_000), Type::Float64)),
            "Milliseconds" => Value::int_of(d / 1_000_000, Type::Int64),
            "Microseconds" => Value::int_of(d / 1_000, Type::Int64),
            "Nanoseconds" => Value::int_of(d, Type::Int64),
            _ => return Err(format!("time.Duration has no method {name}")),
        })
    }

    fn string(&self) -> Option<String> {
        Some(crate::gotime::format_duration(self.0))
    }

    fn json(&self) -> Option<Result<Vec<u8>, String>> {
        Some(Ok(self.0.to_string().into_bytes()))
    }
}

/// `schema.GroupVersionKind`, as `TypeMeta.GroupVersionKind()` gives it.
#[derive(Clone, Debug)]
pub struct GroupVersionKind {
    group: String,
    version: String,
    kind: String,
}

impl GroupVersionKind {
    /// `schema.FromAPIVersionAndKind`: an `apiVersion` that does not parse
    /// (more than one `/`) gives the empty group and version.
    pub fn of(api_version: &str, kind: &str) -> GroupVersionKind {
        let (group, version) = match api_version.split_once('/') {
            None => ("", api_version),
            Some((_, v)) if v.contains('/') => ("", ""),
            Some((g, v)) => (g, v),
        };
        GroupVersionKind { group: group.to_owned(), version: version.to_owned(), kind: kind.to_owned() }
    }
}

impl GoObject for GroupVersionKind {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn type_name(&self) -> &'static str {
        "schema.GroupVersionKind"
    }

    fn kind(&self) -> Kind {
        Kind::Struct
    }

    fn method_type(&self, name: &str) -> Option<FuncType> {
        (name == "String").then(|| FuncType { params: Vec::new(), variadic: false, results: vec![Type::String] })
    }

    fn call_method<'a>(&self, name: &str, _: &[Value<'a>]) -> Result<Value<'a>, String> {
        match name {
            "String" => Ok(Value::string(self.string().unwrap_or_default().into_bytes())),
            _ => Err(format!("schema.GroupVersionKind has no method {name}")),
        }
    }

    fn fields<'a>(&self) -> Vec<(&'static str, Value<'a>)> {
        vec![
            ("Group", Value::string(self.group.clone().into_bytes())),
            ("Version", Value::string(self.version.clone().into_bytes())),
            ("Kind", Value::string(self.kind.clone().into_bytes())),
        ]
    }

    fn string(&self) -> Option<String> {
        Some(format!("{}/{}, Kind={}", self.group, self.version, self.kind))
    }
}

/// A `metav1.Time` a method made (`Rfc3339Copy`), not read from the data:
/// `time.Time`'s methods and printing, metav1's JSON.
#[derive(Clone, Debug)]
pub struct MetaTime(pub Time);

impl MetaTime {
    /// `Rfc3339Copy`: the time through RFC 3339 text and back, so to the
    /// second, in UTC for a UTC time (what `time.Parse` gives for `Z`).
    pub fn rfc3339_copy(t: &Time) -> MetaTime {
        const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
        let text = t.format(RFC3339);
        MetaTime(Time::parse_in_location(RFC3339, &text, Location::utc()).unwrap_or_else(|_| Time::zero()))
    }
}

impl GoObject for MetaTime {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn type_name(&self) -> &'static str {
        "v1.Time"
    }

    fn kind(&self) -> Kind {
        Kind::Struct
    }

    fn method_type(&self, name: &str) -> Option<FuncType> {
        // `Before` and `Equal` take a `*metav1.Time`, which templates
        // cannot make.
        if matches!(name, "Before" | "Equal") {
            return None;
        }
        GoTime(self.0.clone()).method_type(name)
    }

    fn call_method<'a>(&self, name: &str, args: &[Value<'a>]) -> Result<Value<'a>, String> {
        GoTime(self.0.clone()).call_method(name, args)
    }

    fn string(&self) -> Option<String> {
        Some(self.0.string())
    }

    fn json(&self) -> Option<Result<Vec<u8>, String>> {
        if self.0.is_zero() {
            return Some(Ok(b"null".to_vec()));
        }
        let utc = self.0.in_location(Location::utc());
        Some(Ok(format!("\"{}\"", utc.format("2006-01-02T15:04:05Z07:00")).into_bytes()))
    }
}
