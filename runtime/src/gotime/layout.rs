//! Go's layout-based `Format` and `Parse` (`2006-01-02T15:04:05Z07:00`):
//! the same chunking of the layout into elements, the same output, the
//! same errors.

use std::fmt;
use std::sync::Arc;

use super::{Location, Time, days_in, is_leap};

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAYS_BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/// A layout element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    /// Fractional seconds: digits, separator, trimmed (`9`) or not (`0`).
    Frac {
        digits: usize,
        separator: u8,
        trim: bool,
    },
}

/// `nextStdChunk`: the text before the next element, the element, the rest.
fn next_chunk(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout.get(i..).is_some_and(|rest| rest.starts_with(s));
    for i in 0..b.len() {
        let found = match b[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    Some((Std::LongMonth, 7))
                } else if !starts_lower(&layout[i + 3..]) {
                    Some((Std::Month, 3))
                } else {
                    None
                }
            }
            b'M' if at(i, "Mon") => {
                if at(i, "Monday") {
                    Some((Std::LongWeekDay, 6))
                } else if !starts_lower(&layout[i + 3..]) {
                    Some((Std::WeekDay, 3))
                } else {
                    None
                }
            }
            b'M' if at(i, "MST") => Some((Std::Tz, 3)),
            b'0' if b.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) => {
                let std = [Std::ZeroMonth, Std::ZeroDay, Std::ZeroHour12, Std::ZeroMinute, Std::ZeroSecond, Std::Year]
                    [(b[i + 1] - b'1') as usize];
                Some((std, 2))
            }
            b'0' if at(i, "002") => Some((Std::ZeroYearDay, 3)),
            b'1' if b.get(i + 1) == Some(&b'5') => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if at(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if b.get(i + 1) == Some(&b'2') => {
                if at(i + 1, "2006") {
                    // `_2006` is a literal `_` and the long year.
                    return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
                }
                Some((Std::UnderDay, 2))
            }
            b'_' if at(i, "__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if b.get(i + 1) == Some(&b'M') => Some((Std::PM, 2)),
            b'p' if b.get(i + 1) == Some(&b'm') => Some((Std::Pm, 2)),
            b'-' => [
                ("-070000", Std::NumSecondsTz),
                ("-07:00:00", Std::NumColonSecondsTz),
                ("-0700", Std::NumTz),
                ("-07:00", Std::NumColonTz),
                ("-07", Std::NumShortTz),
            ]
            .into_iter()
            .find(|(s, _)| at(i, s))
            .map(|(s, std)| (std, s.len())),
            b'Z' => [
                ("Z070000", Std::Iso8601SecondsTz),
                ("Z07:00:00", Std::Iso8601ColonSecondsTz),
                ("Z0700", Std::Iso8601Tz),
                ("Z07:00", Std::Iso8601ColonTz),
                ("Z07", Std::Iso8601ShortTz),
            ]
            .into_iter()
            .find(|(s, _)| at(i, s))
            .map(|(s, std)| (std, s.len())),
            c @ (b'.' | b',') if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if b.get(j).is_some_and(u8::is_ascii_digit) {
                    None
                } else {
                    Some((Std::Frac { digits: j - (i + 1), separator: c, trim: ch == b'9' }, j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = found {
            return (&layout[..i], Some(std), &layout[i + len..]);
        }
    }
    (layout, None, "")
}

fn starts_lower(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

/// Go's `appendInt`: `x` zero-padded to `width`.
fn push_int(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    let digits = x.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

pub(super) fn format(t: &Time, layout: &str) -> String {
    let zone = t.loc.lookup(t.sec);
    let c = super::civil(t.sec + i64::from(zone.offset));
    let offset = i64::from(zone.offset);
    let mut out = String::with_capacity(layout.len() + 10);
    let mut layout = layout;
    loop {
        let (prefix, std, suffix) = next_chunk(layout);
        out.push_str(prefix);
        let Some(std) = std else { break };
        layout = suffix;
        match std {
            Std::Year => push_int(&mut out, c.year.abs() % 100, 2),
            Std::LongYear => push_int(&mut out, c.year, 4),
            Std::Month => out.push_str(&LONG_MONTHS[(c.month - 1) as usize][..3]),
            Std::LongMonth => out.push_str(LONG_MONTHS[(c.month - 1) as usize]),
            Std::NumMonth => push_int(&mut out, c.month, 0),
            Std::ZeroMonth => push_int(&mut out, c.month, 2),
            Std::WeekDay => out.push_str(&LONG_DAYS[c.weekday as usize][..3]),
            Std::LongWeekDay => out.push_str(LONG_DAYS[c.weekday as usize]),
            Std::Day => push_int(&mut out, c.day, 0),
            Std::UnderDay => {
                if c.day < 10 {
                    out.push(' ');
                }
                push_int(&mut out, c.day, 0);
            }
            Std::ZeroDay => push_int(&mut out, c.day, 2),
            Std::UnderYearDay => {
                if c.yday < 100 {
                    out.push(' ');
                    if c.yday < 10 {
                        out.push(' ');
                    }
                }
                push_int(&mut out, c.yday, 0);
            }
            Std::ZeroYearDay => push_int(&mut out, c.yday, 3),
            Std::Hour => push_int(&mut out, c.hour, 2),
            Std::Hour12 | Std::ZeroHour12 => {
                let hr = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
                push_int(&mut out, hr, if std == Std::ZeroHour12 { 2 } else { 0 });
            }
            Std::Minute => push_int(&mut out, c.min, 0),
            Std::ZeroMinute => push_int(&mut out, c.min, 2),
            Std::Second => push_int(&mut out, c.sec, 0),
            Std::ZeroSecond => push_int(&mut out, c.sec, 2),
            Std::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Std::Tz => {
                if !zone.name.is_empty() {
                    out.push_str(&zone.name);
                } else {
                    let minutes = offset / 60;
                    out.push(if minutes < 0 { '-' } else { '+' });
                    push_int(&mut out, minutes.abs() / 60, 2);
                    push_int(&mut out, minutes.abs() % 60, 2);
                }
            }
            Std::Frac { digits, separator, trim } => {
                if trim && (digits == 0 || t.nsec == 0) {
                    continue;
                }
                let mut frac = format!("{:09}", t.nsec);
                frac.truncate(digits.min(9));
                if trim {
                    while frac.ends_with('0') {
                        frac.pop();
                    }
                }
                if !(trim && frac.is_empty()) {
                    out.push(separator as char);
                    out.push_str(&frac);
                }
            }
            zone_std => {
                let iso = matches!(
                    zone_std,
                    Std::Iso8601Tz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonSecondsTz
                );
                if offset == 0 && iso {
                    out.push('Z');
                    continue;
                }
                let minutes = offset / 60;
                out.push(if minutes < 0 { '-' } else { '+' });
                let (minutes, abs_offset) = (minutes.abs(), offset.abs());
                push_int(&mut out, minutes / 60, 2);
                let colon = matches!(
                    zone_std,
                    Std::Iso8601ColonTz | Std::NumColonTz | Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz
                );
                if colon {
                    out.push(':');
                }
                if !matches!(zone_std, Std::NumShortTz | Std::Iso8601ShortTz) {
                    push_int(&mut out, minutes % 60, 2);
                }
                if matches!(
                    zone_std,
                    Std::Iso8601SecondsTz | Std::NumSecondsTz | Std::NumColonSecondsTz | Std::Iso8601ColonSecondsTz
                ) {
                    if matches!(zone_std, Std::NumColonSecondsTz | Std::Iso8601ColonSecondsTz) {
                        out.push(':');
                    }
                    push_int(&mut out, abs_offset % 60, 2);
                }
            }
        }
    }
    out
}

/// `time.ParseError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeParseError {
    layout: String,
    value: String,
    layout_elem: String,
    value_elem: String,
    message: String,
}

/// Go's `time.quote` (non-ASCII and control bytes as `\x..`).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) >= 0x80 || c < ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

impl fmt::Display for TimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(
                f,
                "parsing time {} as {}: cannot parse {} as {}",
                quote(&self.value),
                quote(&self.layout),
                quote(&self.value_elem),
                quote(&self.layout_elem)
            )
        } else {
            write!(f, "parsing time {}{}", quote(&self.value), self.message)
        }
    }
}

impl std::error::Error for TimeParseError {}

/// Go's `skip`: matches a layout's literal text (a space matches any run
/// of spaces).
fn skip<'v>(mut value: &'v str, mut prefix: &str) -> Option<&'v str> {
    while let Some(p) = prefix.as_bytes().first() {
        if *p == b' ' {
            if value.as_bytes().first().is_some_and(|c| *c != b' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        if value.as_bytes().first() != Some(p) {
            return None;
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Some(value)
}

/// Case-insensitive name lookup (`lookup`).
fn lookup<'v>(names: &[&str], value: &'v str) -> Option<(usize, &'v str)> {
    names.iter().enumerate().find_map(|(i, name)| {
        let head = value.get(..name.len())?;
        head.eq_ignore_ascii_case(name).then(|| (i, &value[name.len()..]))
    })
}

fn digit(s: &str, i: usize) -> bool {
    s.as_bytes().get(i).is_some_and(u8::is_ascii_digit)
}

fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    if !digit(s, 0) {
        return None;
    }
    let b = s.as_bytes();
    if !digit(s, 1) {
        return if fixed { None } else { Some((i64::from(b[0] - b'0'), &s[1..])) };
    }
    Some((i64::from(b[0] - b'0') * 10 + i64::from(b[1] - b'0'), &s[2..]))
}

fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let n = s.bytes().take(3).take_while(u8::is_ascii_digit).count();
    if n == 0 || (fixed && n != 3) {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// Go's `atoi`: an optionally signed decimal integer, the whole string.
fn atoi(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    Some(if neg { -v } else { v })
}

/// Fractional seconds from `.ddd` (`parseNanoseconds`).
fn parse_nanoseconds(value: &str, nbytes: usize) -> Result<i64, Option<&'static str>> {
    if !matches!(value.as_bytes().first(), Some(b'.' | b',')) {
        return Err(None);
    }
    let nbytes = nbytes.min(10);
    let ns = atoi(&value[1..nbytes]).ok_or(None)?;
    if ns < 0 {
        return Err(Some("fractional second"));
    }
    Ok(ns * 10i64.pow((10 - nbytes) as u32))
}

/// The length of a zone abbreviation at the start of `value`.
fn parse_time_zone(value: &str) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if value.starts_with("ChST") || value.starts_with("MeST") {
        return Some(4);
    }
    if let Some(rest) = value.strip_prefix("GMT") {
        return Some(3 + if rest.is_empty() { 0 } else { parse_signed_offset(rest) });
    }
    if value.starts_with(['+', '-']) {
        return Some(parse_signed_offset(value)).filter(|n| *n > 0);
    }
    let upper = value.bytes().take(6).take_while(u8::is_ascii_uppercase).count();
    match upper {
        5 if value.as_bytes()[4] == b'T' => Some(5),
        4 if value.as_bytes()[3] == b'T' || value.starts_with("WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

fn parse_signed_offset(value: &str) -> usize {
    if !value.starts_with(['+', '-']) {
        return 0;
    }
    let digits = value[1..].bytes().take_while(u8::is_ascii_digit).count();
    match value[1..1 + digits].parse::<u64>() {
        Ok(x) if digits > 0 && x <= 23 => 1 + digits,
        _ => 0,
    }
}

/// `time.ParseInLocation`.
pub(super) fn parse(layout: &str, value: &str, default_loc: Arc<Location>) -> Result<Time, TimeParseError> {
    let (alayout, avalue) = (layout, value);
    let error = |layout_elem: &str, value_elem: &str, message: &str| TimeParseError {
        layout: alayout.to_owned(),
        value: avalue.to_owned(),
        layout_elem: layout_elem.to_owned(),
        value_elem: value_elem.to_owned(),
        message: message.to_owned(),
    };
    let (mut layout, mut value) = (layout, value);
    let (mut am, mut pm) = (false, false);
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let mut utc = false;
    let mut zone_offset: Option<i64> = None;
    let mut zone_name = String::new();
    loop {
        let (prefix, std, suffix) = next_chunk(layout);
        let std_str = &layout[prefix.len()..layout.len() - suffix.len()];
        value = skip(value, prefix).ok_or_else(|| error(prefix, value, ""))?;
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(error("", value, &format!(": extra text: {}", quote(value))));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut range_err: Option<&str> = None;
        let ok: Option<()> = (|| {
            match std {
                Std::Year => {
                    let p = value.get(..2)?;
                    value = &value[2..];
                    let y = atoi(p)?;
                    year = if y >= 69 { y + 1900 } else { y + 2000 };
                }
                Std::LongYear => {
                    if value.len() < 4 || !digit(value, 0) {
                        return None;
                    }
                    year = atoi(&value[..4])?;
                    value = &value[4..];
                }
                Std::Month | Std::LongMonth => {
                    let names: Vec<&str> = if std == Std::Month {
                        LONG_MONTHS.iter().map(|m| &m[..3]).collect()
                    } else {
                        LONG_MONTHS.to_vec()
                    };
                    let (m, rest) = lookup(&names, value)?;
                    month = m as i64 + 1;
                    value = rest;
                }
                Std::NumMonth | Std::ZeroMonth => {
                    let (m, rest) = getnum(value, std == Std::ZeroMonth)?;
                    month = m;
                    value = rest;
                    if !(1..=12).contains(&month) {
                        range_err = Some("month");
                    }
                }
                Std::WeekDay | Std::LongWeekDay => {
                    let names: Vec<&str> = if std == Std::WeekDay {
                        LONG_DAYS.iter().map(|d| &d[..3]).collect()
                    } else {
                        LONG_DAYS.to_vec()
                    };
                    value = lookup(&names, value)?.1;
                }
                Std::Day | Std::UnderDay | Std::ZeroDay => {
                    if std == Std::UnderDay && value.starts_with(' ') {
                        value = &value[1..];
                    }
                    let (d, rest) = getnum(value, std == Std::ZeroDay)?;
                    day = d;
                    value = rest;
                }
                Std::UnderYearDay | Std::ZeroYearDay => {
                    for _ in 0..2 {
                        if std == Std::UnderYearDay && value.starts_with(' ') {
                            value = &value[1..];
                        }
                    }
                    let (d, rest) = getnum3(value, std == Std::ZeroYearDay)?;
                    yday = d;
                    value = rest;
                }
                Std::Hour => {
                    let (h, rest) = getnum(value, false)?;
                    hour = h;
                    value = rest;
                    if !(0..24).contains(&hour) {
                        range_err = Some("hour");
                    }
                }
                Std::Hour12 | Std::ZeroHour12 => {
                    let (h, rest) = getnum(value, std == Std::ZeroHour12)?;
                    hour = h;
                    value = rest;
                    if !(0..=12).contains(&hour) {
                        range_err = Some("hour");
                    }
                }
                Std::Minute | Std::ZeroMinute => {
                    let (m, rest) = getnum(value, std == Std::ZeroMinute)?;
                    min = m;
                    value = rest;
                    if !(0..60).contains(&min) {
                        range_err = Some("minute");
                    }
                }
                Std::Second | Std::ZeroSecond => {
                    let (s, rest) = getnum(value, std == Std::ZeroSecond)?;
                    sec = s;
                    value = rest;
                    if !(0..60).contains(&sec) {
                        range_err = Some("second");
                        return Some(());
                    }
                    // A fractional second in the value but not the layout.
                    if value.len() >= 2 && matches!(value.as_bytes()[0], b'.' | b',') && digit(value, 1) {
                        if matches!(next_chunk(layout).1, Some(Std::Frac { .. })) {
                            return Some(());
                        }
                        let n = 2 + value[2..].bytes().take_while(u8::is_ascii_digit).count();
                        match parse_nanoseconds(value, n) {
                            Ok(ns) => nsec = ns,
                            Err(Some(r)) => range_err = Some(r),
                            Err(None) => return None,
                        }
                        value = &value[n..];
                    }
                }
                Std::PM | Std::Pm => {
                    let p = value.get(..2)?;
                    value = &value[2..];
                    let (upper, lower) = if std == Std::PM { ("PM", "AM") } else { ("pm", "am") };
                    if p == upper {
                        pm = true;
                    } else if p == lower {
                        am = true;
                    } else {
                        return None;
                    }
                }
                Std::Tz => {
                    if let Some(rest) = value.strip_prefix("UTC") {
                        utc = true;
                        value = rest;
                        return Some(());
                    }
                    let n = parse_time_zone(value)?;
                    zone_name = value[..n].to_owned();
                    value = &value[n..];
                }
                Std::Frac { digits, trim: false, .. } => {
                    let n = 1 + digits;
                    if value.len() < n {
                        return None;
                    }
                    match parse_nanoseconds(value, n) {
                        Ok(ns) => nsec = ns,
                        Err(Some(r)) => range_err = Some(r),
                        Err(None) => return None,
                    }
                    value = &value[n..];
                }
                Std::Frac { trim: true, .. } => {
                    if value.len() < 2 || !matches!(value.as_bytes()[0], b'.' | b',') || !digit(value, 1) {
                        return Some(());
                    }
                    let i = value[1..].bytes().take_while(u8::is_ascii_digit).count();
                    match parse_nanoseconds(value, 1 + i) {
                        Ok(ns) => nsec = ns,
                        Err(Some(r)) => range_err = Some(r),
                        Err(None) => return None,
                    }
                    value = &value[1 + i..];
                }
                zone_std => {
                    let iso = matches!(
                        zone_std,
                        Std::Iso8601Tz
                            | Std::Iso8601ShortTz
                            | Std::Iso8601ColonTz
                            | Std::Iso8601SecondsTz
                            | Std::Iso8601ColonSecondsTz
                    );
                    if iso && value.starts_with('Z') {
                        value = &value[1..];
                        utc = true;
                        return Some(());
                    }
                    let b = value.as_bytes();
                    let (sign, hh, mm, ss, len) = match zone_std {
                        Std::Iso8601ColonTz | Std::NumColonTz => {
                            if b.len() < 6 || b[3] != b':' {
                                return None;
                            }
                            (b[0], &value[1..3], &value[4..6], "00", 6)
                        }
                        Std::NumShortTz | Std::Iso8601ShortTz => {
                            if b.len() < 3 {
                                return None;
                            }
                            (b[0], &value[1..3], "00", "00", 3)
                        }
                        Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => {
                            if b.len() < 9 || b[3] != b':' || b[6] != b':' {
                                return None;
                            }
                            (b[0], &value[1..3], &value[4..6], &value[7..9], 9)
                        }
                        Std::Iso8601SecondsTz | Std::NumSecondsTz => {
                            if b.len() < 7 {
                                return None;
                            }
                            (b[0], &value[1..3], &value[3..5], &value[5..7], 7)
                        }
                        _ => {
                            if b.len() < 5 {
                                return None;
                            }
                            (b[0], &value[1..3], &value[3..5], "00", 5)
                        }
                    };
                    value = &value[len..];
                    let hr = getnum(hh, true)?.0;
                    let mi = getnum(mm, true)?.0;
                    let se = getnum(ss, true)?.0;
                    if hr > 24 {
                        range_err = Some("time zone offset hour");
                    }
                    if mi > 60 {
                        range_err = Some("time zone offset minute");
                    }
                    if se > 60 {
                        range_err = Some("time zone offset second");
                    }
                    let offset = (hr * 60 + mi) * 60 + se;
                    zone_offset = Some(match sign {
                        b'+' => offset,
                        b'-' => -offset,
                        _ => return None,
                    });
                }
            }
            Some(())
        })();
        if let Some(r) = range_err {
            return Err(error(std_str, value, &format!(": {r} out of range")));
        }
        if ok.is_none() {
            return Err(error(std_str, hold, ""));
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let (mut m, mut d) = (0, 0);
        if is_leap(year) {
            if yday == 31 + 29 {
                m = 2;
                d = 29;
            } else if yday > 31 + 29 {
                yday -= 1;
            }
        }
        if !(1..=365).contains(&yday) {
            return Err(error("", value, ": day-of-year out of range"));
        }
        if m == 0 {
            m = (yday - 1) / 31 + 1;
            if DAYS_BEFORE[m as usize] < yday {
                m += 1;
            }
            d = yday - DAYS_BEFORE[(m - 1) as usize];
        }
        if month >= 0 && month != m {
            return Err(error("", value, ": day-of-year does not match month"));
        }
        month = m;
        if day >= 0 && day != d {
            return Err(error("", value, ": day-of-year does not match day"));
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month, year) {
        return Err(error("", value, ": day out of range"));
    }
    if utc {
        return Ok(Time::date(year, month, day, hour, min, sec, nsec, Location::utc()));
    }
    let local = Location::local();
    if let Some(offset) = zone_offset {
        let mut t = Time::date(year, month, day, hour, min, sec, nsec, Location::utc());
        t.sec -= offset;
        let found = local.lookup(t.sec);
        if i64::from(found.offset) == offset && (zone_name.is_empty() || found.name == zone_name) {
            t.loc = local;
            return Ok(t);
        }
        t.loc = Location::fixed(&zone_name, offset as i32);
        return Ok(t);
    }
    if !zone_name.is_empty() {
        let mut t = Time::date(year, month, day, hour, min, sec, nsec, Location::utc());
        if let Some(offset) = local.lookup_name(&zone_name, t.sec) {
            t.sec -= i64::from(offset);
            t.loc = local;
            return Ok(t);
        }
        let offset = match zone_name.strip_prefix("GMT") {
            Some(hours) if zone_name.len() > 3 => atoi(hours).unwrap_or(0) * 3600,
            _ => 0,
        };
        t.loc = Location::fixed(&zone_name, offset as i32);
        return Ok(t);
    }
    Ok(Time::date(year, month, day, hour, min, sec, nsec, default_loc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_utc(layout: &str, value: &str) -> Result<String, String> {
        parse(layout, value, Location::utc()).map(|t| t.string()).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_as_go() {
        assert_eq!(parse_utc("2006-01-02", "2024-02-29"), Ok("2024-02-29 00:00:00 +0000 UTC".to_owned()));
        assert_eq!(
            parse_utc("2006-01-02T15:04:05Z07:00", "2024-05-06T07:08:09.5+02:00"),
            Ok("2024-05-06 07:08:09.5 +0200 +0200".to_owned())
        );
        assert_eq!(
            parse_utc("Jan _2 3:04PM", "feb  3 1:05pm"),
            Err("parsing time \"feb  3 1:05pm\" as \"Jan _2 3:04PM\": cannot parse \"pm\" as \"PM\"".to_owned())
        );
        assert_eq!(
            parse_utc("2006-01-02", "2023-02-29"),
            Err("parsing time \"2023-02-29\": day out of range".to_owned())
        );
        assert_eq!(
            parse_utc("2006-01-02", "2023-13-01"),
            Err("parsing time \"2023-13-01\": month out of range".to_owned())
        );
        assert_eq!(parse_utc("2006", "2023x"), Err("parsing time \"2023x\": extra text: \"x\"".to_owned()));
        assert_eq!(
            parse_utc("2006-01-02", "hello"),
            Err("parsing time \"hello\" as \"2006-01-02\": cannot parse \"hello\" as \"2006\"".to_owned())
        );
        assert_eq!(parse_utc("2006 002", "2024 060"), Ok("2024-02-29 00:00:00 +0000 UTC".to_owned()));
    }
}
