//! Go's `time` package, as far as templates reach it (sprig's date
//! functions): instants with a location and an optional monotonic
//! reading, civil dates, `Format` and `Parse` with Go layouts, time zones
//! from zoneinfo where Go finds it (`$ZONEINFO`, then the system's),
//! `Duration`'s text (and protobuf's).
//!
//! On the runtime's lowest floor (0) with `types`: it imports nothing from
//! the crate, so the encodings and typed views can read Go durations.

mod duration;
mod layout;
mod location;

use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use duration::{format_duration, parse_duration, parse_proto_duration};
pub use layout::TimeParseError;
pub use location::{Location, set_zone_source_for_testing};

const SECONDS_PER_DAY: i64 = 86_400;

/// An instant as Go's `time.Time` holds it.
#[derive(Clone, Debug)]
pub struct Time {
    /// Seconds since the Unix epoch.
    pub sec: i64,
    pub nsec: u32,
    pub loc: Arc<Location>,
    /// The monotonic clock reading (nanoseconds since the process started),
    /// which only `time.Now()` carries; `String` prints it.
    pub mono: Option<i64>,
}

fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

impl Time {
    /// `time.Now()`, in the local zone.
    pub fn now() -> Time {
        let start = process_start();
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let mono = i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX).saturating_add(1);
        Time { sec: wall.as_secs() as i64, nsec: wall.subsec_nanos(), loc: Location::local(), mono: Some(mono) }
    }

    /// `time.Unix(sec, nsec)`, in the local zone.
    pub fn unix(sec: i64, nsec: i64) -> Time {
        let (sec, nsec) = (sec + nsec.div_euclid(1_000_000_000), nsec.rem_euclid(1_000_000_000));
        Time { sec, nsec: nsec as u32, loc: Location::local(), mono: None }
    }

    /// The zero `time.Time` (January 1, year 1, 00:00:00 UTC).
    pub fn zero() -> Time {
        Time { sec: days_from_civil(1, 1, 1) * SECONDS_PER_DAY, nsec: 0, loc: Location::utc(), mono: None }
    }

    pub fn is_zero(&self) -> bool {
        self.sec == days_from_civil(1, 1, 1) * SECONDS_PER_DAY && self.nsec == 0
    }

    /// `time.Date`: normalises out-of-range fields and resolves the wall
    /// time in `loc` (around a transition, as Go does).
    #[allow(clippy::too_many_arguments)]
    pub fn date(year: i64, month: i64, day: i64, hour: i64, min: i64, sec: i64, nsec: i64, loc: Arc<Location>) -> Time {
        let (year, m) = norm(year, month - 1, 12);
        let (sec, nsec) = norm(sec, nsec, 1_000_000_000);
        let (min, sec) = norm(min, sec, 60);
        let (hour, min) = norm(hour, min, 60);
        let (day, hour) = norm(day, hour, 24);
        let days = days_from_civil(year, m + 1, 1) + day - 1;
        let mut unix = days * SECONDS_PER_DAY + hour * 3600 + min * 60 + sec;
        let found = loc.lookup(unix);
        if found.offset != 0 {
            let utc = unix - i64::from(found.offset);
            let offset = if utc < found.start || utc >= found.end { loc.lookup(utc).offset } else { found.offset };
            unix -= i64::from(offset);
        }
        Time { sec: unix, nsec: nsec as u32, loc, mono: None }
    }

    /// `t.In(loc)`.
    pub fn in_location(&self, loc: Arc<Location>) -> Time {
        Time { sec: self.sec, nsec: self.nsec, loc, mono: None }
    }

    /// `t.Add(d)`.
    pub fn add(&self, d: i64) -> Time {
        let mut sec = self.sec + d / 1_000_000_000;
        let mut nsec = i64::from(self.nsec) + d % 1_000_000_000;
        if nsec >= 1_000_000_000 {
            sec += 1;
            nsec -= 1_000_000_000;
        } else if nsec < 0 {
            sec -= 1;
            nsec += 1_000_000_000;
        }
        let mono = self.mono.and_then(|m| m.checked_add(d));
        Time { sec, nsec: nsec as u32, loc: Arc::clone(&self.loc), mono }
    }

    /// `time.Since(t)` in nanoseconds (saturating, as `Sub`).
    pub fn since(&self) -> i64 {
        let now = Time::now();
        let secs = i128::from(now.sec - self.sec) * 1_000_000_000 + i128::from(now.nsec) - i128::from(self.nsec);
        secs.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// Zone name and offset in effect at this instant.
    fn zone(&self) -> (String, i32) {
        let z = self.loc.lookup(self.sec);
        (z.name, z.offset)
    }

    /// The civil fields in the time's location.
    pub fn civil(&self) -> Civil {
        let (_, offset) = self.zone();
        civil(self.sec + i64::from(offset))
    }

    /// `t.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        layout::format(self, layout)
    }

    /// `t.String()`, with the monotonic reading when there is one.
    pub fn string(&self) -> String {
        let mut s = self.format("2006-01-02 15:04:05.999999999 -0700 MST");
        if let Some(m) = self.mono {
            let sign = if m < 0 { '-' } else { '+' };
            let m = m.unsigned_abs();
            let (m1, m2) = (m / 1_000_000_000, m % 1_000_000_000);
            let (m0, m1) = (m1 / 1_000_000_000, m1 % 1_000_000_000);
            s.push_str(" m=");
            s.push(sign);
            if m0 != 0 {
                s.push_str(&format!("{m0}{m1:09}"));
            } else {
                s.push_str(&m1.to_string());
            }
            s.push_str(&format!(".{m2:09}"));
        }
        s
    }

    /// `t.MarshalJSON()`: RFC 3339 with nanoseconds, quoted.
    pub fn json(&self) -> Result<String, String> {
        let year = self.civil().year;
        if !(0..=9999).contains(&year) {
            return Err("Time.MarshalJSON: year outside of range [0,9999]".to_owned());
        }
        Ok(format!("\"{}\"", self.format("2006-01-02T15:04:05.999999999Z07:00")))
    }

    /// `time.ParseInLocation(layout, value, loc)`.
    pub fn parse_in_location(layout: &str, value: &str, loc: Arc<Location>) -> Result<Time, TimeParseError> {
        layout::parse(layout, value, loc)
    }
}

/// Broken-down time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    /// 1-12.
    pub month: i64,
    pub day: i64,
    /// 1-366.
    pub yday: i64,
    /// 0 = Sunday.
    pub weekday: i64,
    pub hour: i64,
    pub min: i64,
    pub sec: i64,
}

/// Local seconds since the epoch as civil fields.
pub fn civil(local: i64) -> Civil {
    let days = local.div_euclid(SECONDS_PER_DAY);
    let secs = local.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        yday: days - days_from_civil(year, 1, 1) + 1,
        weekday: (days + 4).rem_euclid(7),
        hour: secs / 3600,
        min: secs % 3600 / 60,
        sec: secs % 60,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (days since 1970-01-01).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `norm`: moves overflow of `lo` (base `base`) into `hi`.
fn norm(hi: i64, lo: i64, base: i64) -> (i64, i64) {
    (hi + lo.div_euclid(base), lo.rem_euclid(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-719_468, -1, 0, 1, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil(0), Civil { year: 1970, month: 1, day: 1, yday: 1, weekday: 4, hour: 0, min: 0, sec: 0 });
    }

    #[test]
    fn formats_as_go() {
        let t = Time::date(2009, 11, 10, 23, 4, 5, 123_456_789, Location::utc());
        assert_eq!(t.string(), "2009-11-10 23:04:05.123456789 +0000 UTC");
        assert_eq!(t.format("Mon Jan _2 15:04:05 MST 2006"), "Tue Nov 10 23:04:05 UTC 2009");
        assert_eq!(
            t.format("3:04PM, Monday January 2 '06 .000 ,99 Z07:00 002 __2"),
            "11:04PM, Tuesday November 10 '09 .123 ,12 Z 314 314"
        );
        let fixed = Location::fixed("", -(3 * 3600 + 30 * 60));
        assert_eq!(
            t.in_location(fixed).format("2006-01-02T15:04:05-07:00:00 MST"),
            "2009-11-10T19:34:05-03:30:00 -0330"
        );
        assert_eq!(Time::date(2009, 13, 32, 25, 0, 0, 0, Location::utc()).format("2006-01-02 15"), "2010-02-02 01");
        assert_eq!(Time::unix(0, 0).in_location(Location::utc()).json().unwrap(), "\"1970-01-01T00:00:00Z\"");
    }
}
