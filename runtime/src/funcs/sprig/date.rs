//! sprig's date functions (date.go) over Go's `time.Time`: `now`, `date`,
//! `dateInZone`, `htmlDate`, `dateModify`, `toDate`, `ago`, `duration`,
//! `durationRound`, `unixEpoch`, and the methods templates call on times
//! (`.Format`, `.Unix`, `.Year`...).

use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::gotime::{Location, Time, format_duration, parse_duration};
use crate::types::Type;
use crate::value::go_time::{GoTime, time};
use crate::value::{Repr, Value};

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
