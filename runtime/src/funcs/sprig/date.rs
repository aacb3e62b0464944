//! sprig's date functions (date.go) over Go's `time.Time`: `now`, `date`,
//! `dateInZone`, `htmlDate`, `dateModify`, `toDate`, `ago`, `duration`,
//! `durationRound`, `unixEpoch`, and the methods templates call on times
//! (`.Format`, `.Unix`, `.Year`...).

use std::sync::Arc;

use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::gotime::{Location, Time, format_duration, parse_duration};
use crate::types::{Kind, NamedType, Type};
use crate::value::func::FuncType;
use crate::value::object::GoObject;
use crate::value::{Repr, Value};

/// A `time.Time` value in a template.
#[derive(Clone, Debug)]
pub(crate) struct GoTime(pub(crate) Time);

/// `time.Time`.
fn time_type() -> Type {
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
            "Format" => Value::string(t.format(&String::from_utf8_lossy(args.str(0))).into_bytes()),
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
            "Add" => time(t.add(args.int(0))),
            "AddDate" => {
                let c = civil();
                let (h, m, s) = (c.hour, c.min, c.sec);
                let loc = Arc::clone(&t.loc);
                time(Time::date(
                    c.year + args.int(0),
                    c.month + args.int(1),
                    c.day + args.int(2),
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

fn time<'a>(t: Time) -> Value<'a> {
    Value::object(GoTime(t))
}

/// A date argument: a `time.Time`, or seconds since the epoch as an
/// `int`, `int32` or `int64` (`int32` only where sprig accepts it);
/// anything else means now.
fn date_arg(v: &Value<'_>, int32_too: bool) -> Time {
    let v = v.clone().unbox();
    if let Some(t) = v.as_go_object::<GoTime>() {
        return t.0.clone();
    }
    match v.repr {
        Repr::Int(n, Type::Int | Type::Int64) => Time::unix(n, 0),
        Repr::Int(n, Type::Int32) if int32_too => Time::unix(n, 0),
        _ => Time::now(),
    }
}

fn text(a: &[Value<'_>], i: usize) -> String {
    String::from_utf8_lossy(a.str(i)).into_owned()
}

fn in_zone(t: &Time, layout: &str, zone: &str) -> String {
    let loc = Location::load(zone).unwrap_or_else(|_| Location::utc());
    t.in_location(loc).format(layout)
}

pub(super) fn now<'a>(_: &CallCx, _: &[Value<'a>]) -> Result<'a> {
    Ok(time(Time::now()))
}

pub(super) fn date<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(in_zone(&date_arg(&a[1], true), &text(a, 0), "Local").into_bytes()))
}

pub(super) fn date_in_zone<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(in_zone(&date_arg(&a[1], true), &text(a, 0), &text(a, 2)).into_bytes()))
}

pub(super) fn html_date<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(in_zone(&date_arg(&a[0], true), "2006-01-02", "Local").into_bytes()))
}

pub(super) fn html_date_in_zone<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(in_zone(&date_arg(&a[0], true), "2006-01-02", &text(a, 1)).into_bytes()))
}

fn time_param(a: &[Value<'_>], i: usize) -> Time {
    a.get(i).and_then(|v| v.as_go_object::<GoTime>()).map_or_else(Time::zero, |t| t.0.clone())
}

pub(super) fn date_modify<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let t = time_param(a, 1);
    Ok(time(match parse_duration(&text(a, 0)) {
        Ok(d) => t.add(d),
        Err(_) => t,
    }))
}

pub(super) fn must_date_modify<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let d = parse_duration(&text(a, 0))?;
    Ok(time(time_param(a, 1).add(d)))
}

pub(super) fn to_date<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(time(Time::parse_in_location(&text(a, 0), &text(a, 1), Location::local()).unwrap_or_else(|_| Time::zero())))
}

pub(super) fn must_to_date<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Time::parse_in_location(&text(a, 0), &text(a, 1), Location::local()).map(time).map_err(|e| e.to_string())
}

pub(super) fn unix_epoch<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(time_param(a, 0).sec.to_string().into_bytes()))
}

/// `Duration.Round(m)`.
fn round(d: i64, m: i64) -> i64 {
    let half = |r: i64| (r as u64).wrapping_add(r as u64) < m as u64;
    let r = d % m;
    if d < 0 {
        let r = -r;
        if half(r) {
            return d + r;
        }
        return d.checked_sub(m - r).unwrap_or(i64::MIN);
    }
    if half(r) {
        return d - r;
    }
    d.checked_add(m - r).unwrap_or(i64::MAX)
}

pub(super) fn ago<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let t = date_arg(&a[0], false);
    Ok(Value::string(format_duration(round(t.since(), 1_000_000_000)).into_bytes()))
}

pub(super) fn duration<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = a[0].clone().unbox();
    let n = match &v.repr {
        Repr::Str(s, _) => injit_strconv::parse_int(s.as_bytes(), 10).unwrap_or(0),
        Repr::Int(n, Type::Int64) => *n,
        _ => 0,
    };
    Ok(Value::string(format_duration(n.wrapping_mul(1_000_000_000)).into_bytes()))
}

pub(super) fn duration_round<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = a[0].clone().unbox();
    let d = if let Some(t) = v.as_go_object::<GoTime>() {
        t.0.since()
    } else {
        match &v.repr {
            Repr::Str(s, _) => parse_duration(&String::from_utf8_lossy(s.as_bytes())).unwrap_or(0),
            Repr::Int(n, Type::Int64) => *n,
            _ => 0,
        }
    };
    let u = d.unsigned_abs();
    const SECOND: u64 = 1_000_000_000;
    let units = [
        (SECOND * 3600 * 24 * 365, "y"),
        (SECOND * 3600 * 24 * 30, "mo"),
        (SECOND * 3600 * 24, "d"),
        (SECOND * 3600, "h"),
        (SECOND * 60, "m"),
        (SECOND, "s"),
    ];
    let text = units
        .iter()
        .find(|(unit, _)| u > *unit)
        .map_or_else(|| "0s".to_owned(), |(unit, suffix)| format!("{}{suffix}", u / unit));
    Ok(Value::string(text.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_coarse_durations() {
        assert_eq!(round(1_499_999_999, 1_000_000_000), 1_000_000_000);
        assert_eq!(round(1_500_000_000, 1_000_000_000), 2_000_000_000);
        assert_eq!(round(-1_500_000_000, 1_000_000_000), -2_000_000_000);
        let cx = CallCx::default();
        let d = |v: Value<'static>| {
            String::from_utf8(duration_round(&cx, &[v]).unwrap().as_bytes().unwrap().to_vec()).unwrap()
        };
        assert_eq!(d(Value::string(b"2h30m".to_vec())), "2h");
        assert_eq!(d(Value::int_of(-90 * 86_400 * 1_000_000_000, Type::Int64)), "3mo");
        assert_eq!(d(Value::int(5)), "0s");
    }
}
