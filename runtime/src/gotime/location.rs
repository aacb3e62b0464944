//! Time zones as Go's `time.Location`: UTC, fixed offsets, and zones read
//! from the system's TZif files (`/usr/share/zoneinfo`), with the POSIX TZ
//! rule at their end for times past the last transition.

use std::sync::{Arc, OnceLock};

use super::{days_from_civil, days_in, is_leap};

const ALPHA: i64 = i64::MIN;
const OMEGA: i64 = i64::MAX;

#[derive(Clone, Debug)]
struct Zone {
    name: String,
    offset: i32,
    is_dst: bool,
}

#[derive(Clone, Copy, Debug)]
struct Transition {
    when: i64,
    index: u8,
}

/// A time zone.
#[derive(Debug)]
pub struct Location {
    name: String,
    zones: Vec<Zone>,
    tx: Vec<Transition>,
    /// The TZ string for times after the last transition.
    extend: String,
}

/// The zone in effect at an instant, and for how long.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub name: String,
    pub offset: i32,
    pub start: i64,
    pub end: i64,
    pub is_dst: bool,
}

/// Where Go looks for zoneinfo files on Unix.
const ZONE_SOURCES: [&str; 4] =
    ["/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/"];

impl Location {
    pub fn utc() -> Arc<Location> {
        static UTC: OnceLock<Arc<Location>> = OnceLock::new();
        Arc::clone(UTC.get_or_init(|| {
            Arc::new(Location { name: "UTC".to_owned(), zones: Vec::new(), tx: Vec::new(), extend: String::new() })
        }))
    }

    /// `time.FixedZone(name, offset)`.
    pub fn fixed(name: &str, offset: i32) -> Arc<Location> {
        Arc::new(Location {
            name: name.to_owned(),
            zones: vec![Zone { name: name.to_owned(), offset, is_dst: false }],
            tx: vec![Transition { when: ALPHA, index: 0 }],
            extend: String::new(),
        })
    }

    /// `time.Local`: `$TZ`, else `/etc/localtime`, else UTC.
    pub fn local() -> Arc<Location> {
        static LOCAL: OnceLock<Arc<Location>> = OnceLock::new();
        Arc::clone(LOCAL.get_or_init(|| {
            let renamed = |loc: Location, name: &str| Arc::new(Location { name: name.to_owned(), ..loc });
            match std::env::var("TZ") {
                Err(_) => {
                    if let Some(loc) = read_tzif("localtime", "/etc/localtime") {
                        return renamed(loc, "Local");
                    }
                }
                Ok(tz) => {
                    let tz = tz.strip_prefix(':').unwrap_or(&tz).to_owned();
                    if tz.starts_with('/') {
                        if let Some(loc) = read_tzif(&tz, &tz) {
                            let name = if tz == "/etc/localtime" { "Local" } else { tz.as_str() };
                            return renamed(loc, name);
                        }
                    } else if !tz.is_empty()
                        && tz != "UTC"
                        && let Ok(loc) = Location::load(&tz)
                    {
                        return loc;
                    }
                }
            }
            Location::utc()
        }))
    }

    /// `time.LoadLocation(name)`.
    pub fn load(name: &str) -> Result<Arc<Location>, String> {
        match name {
            "" | "UTC" => return Ok(Location::utc()),
            "Local" => return Ok(Location::local()),
            _ => {}
        }
        if name.split('/').any(|part| part == "..") || name.starts_with('/') || name.starts_with('\\') {
            return Err("time: invalid location name".to_owned());
        }
        if let Ok(dir) = std::env::var("ZONEINFO")
            && !dir.is_empty()
            && let Some(loc) = read_tzif(name, &format!("{dir}/{name}"))
        {
            return Ok(Arc::new(loc));
        }
        for source in ZONE_SOURCES {
            if let Some(loc) = read_tzif(name, &format!("{source}{name}")) {
                return Ok(Arc::new(loc));
            }
        }
        Err(format!("unknown time zone {name}"))
    }

    /// A location from TZif data (`time.LoadLocationFromTZData`).
    pub fn from_tzif(name: &str, data: &[u8]) -> Option<Location> {
        parse_tzif(name, data)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone in effect at Unix second `sec` (`Location.lookup`).
    pub fn lookup(&self, sec: i64) -> Lookup {
        if self.zones.is_empty() {
            return Lookup { name: "UTC".to_owned(), offset: 0, start: ALPHA, end: OMEGA, is_dst: false };
        }
        if self.tx.is_empty() || sec < self.tx[0].when {
            let zone = &self.zones[self.first_zone()];
            let end = self.tx.first().map_or(OMEGA, |t| t.when);
            return Lookup { name: zone.name.clone(), offset: zone.offset, start: ALPHA, end, is_dst: zone.is_dst };
        }
        let (mut lo, mut hi, mut end) = (0, self.tx.len(), OMEGA);
        while hi - lo > 1 {
            let m = (lo + hi) / 2;
            if sec < self.tx[m].when {
                end = self.tx[m].when;
                hi = m;
            } else {
                lo = m;
            }
        }
        let zone = &self.zones[self.tx[lo].index as usize];
        let start = self.tx[lo].when;
        if lo == self.tx.len() - 1
            && !self.extend.is_empty()
            && let Some(found) = tzset(&self.extend, start, sec)
        {
            return found;
        }
        Lookup { name: zone.name.clone(), offset: zone.offset, start, end, is_dst: zone.is_dst }
    }

    /// The offset of a zone named `name` around `unix` (`lookupName`).
    pub fn lookup_name(&self, name: &str, unix: i64) -> Option<i32> {
        for zone in self.zones.iter().filter(|z| z.name == name) {
            let found = self.lookup(unix - i64::from(zone.offset));
            if found.name == zone.name {
                return Some(found.offset);
            }
        }
        self.zones.iter().find(|z| z.name == name).map(|z| z.offset)
    }

    /// The zone for times before the first transition (`lookupFirstZone`).
    fn first_zone(&self) -> usize {
        if !self.tx.iter().any(|t| t.index == 0) {
            return 0;
        }
        if let Some(first) = self.tx.first()
            && self.zones[first.index as usize].is_dst
            && let Some(zi) = (0..first.index as usize).rev().find(|&zi| !self.zones[zi].is_dst)
        {
            return zi;
        }
        self.zones.iter().position(|z| !z.is_dst).unwrap_or(0)
    }
}

fn read_tzif(name: &str, path: &str) -> Option<Location> {
    let data = std::fs::read(path).ok()?;
    parse_tzif(name, &data)
}

struct Reader<'d> {
    data: &'d [u8],
}

impl<'d> Reader<'d> {
    fn take(&mut self, n: usize) -> Option<&'d [u8]> {
        if self.data.len() < n {
            return None;
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn parse_tzif(name: &str, data: &[u8]) -> Option<Location> {
    let mut d = Reader { data };
    if d.take(4)? != b"TZif" {
        return None;
    }
    let version = match d.take(16)?[0] {
        0 => 1,
        b'2' => 2,
        b'3' | b'4' => 3,
        _ => return None,
    };
    let mut counts = [0usize; 6];
    for c in counts.iter_mut() {
        *c = d.u32()? as usize;
    }
    let [nutc, nstd, nleap, ntime, nzone, nchar] = counts;
    let mut size = 4;
    if version > 1 {
        d.take(ntime * 4 + ntime + nzone * 6 + nchar + nleap * 8 + nstd + nutc + 4 + 16)?;
        for c in counts.iter_mut() {
            *c = d.u32()? as usize;
        }
        size = 8;
    }
    let [nutc, nstd, nleap, ntime, nzone, nchar] = counts;
    let times = d.take(ntime * size)?;
    let indexes = d.take(ntime)?;
    let zone_data = d.take(nzone * 6)?;
    let abbrev = d.take(nchar)?;
    d.take(nleap * (size + 4))?;
    d.take(nstd)?;
    d.take(nutc)?;
    let rest = d.data;
    let extend = if rest.len() > 2 && rest[0] == b'\n' && rest[rest.len() - 1] == b'\n' {
        String::from_utf8_lossy(&rest[1..rest.len() - 1]).into_owned()
    } else {
        String::new()
    };
    if nzone == 0 {
        return None;
    }
    let mut zones = Vec::with_capacity(nzone);
    for z in zone_data.chunks_exact(6) {
        let offset = i32::from_be_bytes([z[0], z[1], z[2], z[3]]);
        let start = z[5] as usize;
        if start >= abbrev.len() {
            return None;
        }
        let end = abbrev[start..].iter().position(|&b| b == 0).map_or(abbrev.len(), |p| start + p);
        zones.push(Zone { name: String::from_utf8_lossy(&abbrev[start..end]).into_owned(), offset, is_dst: z[4] != 0 });
    }
    let mut tx = Vec::with_capacity(ntime);
    for (i, &index) in indexes.iter().enumerate() {
        let b = &times[i * size..(i + 1) * size];
        let when = if size == 4 {
            i64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        } else {
            i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        };
        if index as usize >= zones.len() {
            return None;
        }
        tx.push(Transition { when, index });
    }
    if tx.is_empty() {
        tx.push(Transition { when: ALPHA, index: 0 });
    }
    Some(Location { name: name.to_owned(), zones, tx, extend })
}

#[derive(Clone, Copy)]
enum RuleKind {
    Julian,
    DayOfYear,
    MonthWeekDay,
}

#[derive(Clone, Copy)]
struct Rule {
    kind: RuleKind,
    day: i64,
    week: i64,
    mon: i64,
    time: i64,
}

/// The zone a POSIX TZ string gives at `sec` (`tzset`).
fn tzset(s: &str, last_tx: i64, sec: i64) -> Option<Lookup> {
    let (mut std_name, s) = tzset_name(s)?;
    let (std_offset, s) = tzset_offset(s)?;
    let mut std_offset = -std_offset;
    if s.is_empty() || s.starts_with(',') {
        return Some(Lookup {
            name: std_name.to_owned(),
            offset: std_offset as i32,
            start: last_tx,
            end: OMEGA,
            is_dst: false,
        });
    }
    let (mut dst_name, mut s) = tzset_name(s)?;
    let mut dst_offset = if s.is_empty() || s.starts_with(',') {
        std_offset + 3600
    } else {
        let (off, rest) = tzset_offset(s)?;
        s = rest;
        -off
    };
    let owned;
    if s.is_empty() {
        owned = ",M3.2.0,M11.1.0".to_owned();
        s = &owned;
    }
    if !s.starts_with([',', ';']) {
        return None;
    }
    let (start_rule, s) = tzset_rule(&s[1..])?;
    let s = s.strip_prefix(',')?;
    let (end_rule, s) = tzset_rule(s)?;
    if !s.is_empty() {
        return None;
    }
    let days = sec.div_euclid(86_400);
    let (year, _, _) = super::civil_from_days(days);
    let year_start = days_from_civil(year, 1, 1) * 86_400;
    let ysec = sec - year_start;
    let mut start_sec = tzrule_time(year, start_rule, std_offset);
    let mut end_sec = tzrule_time(year, end_rule, dst_offset);
    let (mut dst_is_dst, mut std_is_dst) = (true, false);
    if end_sec < start_sec {
        std::mem::swap(&mut start_sec, &mut end_sec);
        std::mem::swap(&mut std_name, &mut dst_name);
        std::mem::swap(&mut std_offset, &mut dst_offset);
        std::mem::swap(&mut std_is_dst, &mut dst_is_dst);
    }
    let found = |name: &str, offset: i64, start, end, is_dst| Lookup {
        name: name.to_owned(),
        offset: offset as i32,
        start,
        end,
        is_dst,
    };
    Some(if ysec < start_sec {
        found(std_name, std_offset, year_start, start_sec + year_start, std_is_dst)
    } else if ysec >= end_sec {
        found(std_name, std_offset, end_sec + year_start, year_start + 365 * 86_400, std_is_dst)
    } else {
        found(dst_name, dst_offset, start_sec + year_start, end_sec + year_start, dst_is_dst)
    })
}

fn tzset_name(s: &str) -> Option<(&str, &str)> {
    if s.is_empty() {
        return None;
    }
    if let Some(quoted) = s.strip_prefix('<') {
        let end = quoted.find('>')?;
        return Some((&quoted[..end], &quoted[end + 1..]));
    }
    match s.find(|c: char| c.is_ascii_digit() || matches!(c, ',' | '-' | '+')) {
        Some(i) if i < 3 => None,
        Some(i) => Some((&s[..i], &s[i..])),
        None if s.len() < 3 => None,
        None => Some((s, "")),
    }
}

fn tzset_offset(s: &str) -> Option<(i64, &str)> {
    let (neg, s) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let (hours, mut s) = tzset_num(s, 0, 24 * 7)?;
    let mut off = hours * 3600;
    if let Some(rest) = s.strip_prefix(':') {
        let (mins, rest) = tzset_num(rest, 0, 59)?;
        off += mins * 60;
        s = rest;
        if let Some(rest) = s.strip_prefix(':') {
            let (secs, rest) = tzset_num(rest, 0, 59)?;
            off += secs;
            s = rest;
        }
    }
    Some((if neg { -off } else { off }, s))
}

fn tzset_rule(s: &str) -> Option<(Rule, &str)> {
    let mut rule = Rule { kind: RuleKind::DayOfYear, day: 0, week: 0, mon: 0, time: 2 * 3600 };
    let mut s = if let Some(rest) = s.strip_prefix('J') {
        let (day, rest) = tzset_num(rest, 1, 365)?;
        rule.kind = RuleKind::Julian;
        rule.day = day;
        rest
    } else if let Some(rest) = s.strip_prefix('M') {
        let (mon, rest) = tzset_num(rest, 1, 12)?;
        let (week, rest) = tzset_num(rest.strip_prefix('.')?, 1, 5)?;
        let (day, rest) = tzset_num(rest.strip_prefix('.')?, 0, 6)?;
        rule = Rule { kind: RuleKind::MonthWeekDay, day, week, mon, ..rule };
        rest
    } else {
        let (day, rest) = tzset_num(s, 0, 365)?;
        rule.day = day;
        rest
    };
    if let Some(rest) = s.strip_prefix('/') {
        let (time, rest) = tzset_offset(rest)?;
        rule.time = time;
        s = rest;
    }
    Some((rule, s))
}

fn tzset_num(s: &str, min: i64, max: i64) -> Option<(i64, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut num = 0i64;
    for b in s[..digits].bytes() {
        num = num * 10 + i64::from(b - b'0');
        if num > max {
            return None;
        }
    }
    if num < min {
        return None;
    }
    Some((num, &s[digits..]))
}

/// Seconds into `year` at which `rule` fires, in UTC.
fn tzrule_time(year: i64, rule: Rule, offset: i64) -> i64 {
    let days = match rule.kind {
        RuleKind::Julian => rule.day - 1 + i64::from(is_leap(year) && rule.day >= 60),
        RuleKind::DayOfYear => rule.day,
        RuleKind::MonthWeekDay => {
            let first = days_from_civil(year, rule.mon, 1);
            let dow = (first + 4).rem_euclid(7);
            let mut d = (rule.day - dow).rem_euclid(7);
            for _ in 1..rule.week {
                if d + 7 >= days_in(rule.mon, year) {
                    break;
                }
                d += 7;
            }
            first - days_from_civil(year, 1, 1) + d
        }
    };
    days * 86_400 + rule.time - offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_rules_give_daylight_time() {
        // Central Europe: CET, CEST from the last Sunday of March 01:00 UTC.
        let rule = "CET-1CEST,M3.5.0,M10.5.0/3";
        let march_30_2025_noon = days_from_civil(2025, 3, 30) * 86_400 + 12 * 3600;
        let z = tzset(rule, 0, march_30_2025_noon).unwrap();
        assert_eq!((z.name.as_str(), z.offset, z.is_dst), ("CEST", 7200, true));
        let january = days_from_civil(2025, 1, 15) * 86_400;
        assert_eq!(tzset(rule, 0, january).unwrap().name, "CET");
        // Southern hemisphere rules swap.
        let sydney = "AEST-10AEDT,M10.1.0,M4.1.0/3";
        assert_eq!(tzset(sydney, 0, january).unwrap().name, "AEDT");
        assert_eq!(tzset("<+0330>-3:30", 0, january).unwrap().offset, 12_600);
    }
}
