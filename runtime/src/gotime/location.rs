//! Time zones as Go's `time.Location`: UTC, fixed offsets, and zones read
//! from TZif files where Go's `time.LoadLocation` finds them (`$ZONEINFO`,
//! a directory or an uncompressed zip; the system's `/usr/share/zoneinfo`;
//! `$GOROOT/lib/time/zoneinfo.zip`), with the POSIX TZ rule at their end
//! for times past the last transition.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
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

/// Where Go looks for zoneinfo files on Unix (`platformZoneSources`).
const PLATFORM_SOURCES: [&str; 4] =
    ["/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo"];

/// Go's `errLocation`.
const INVALID_NAME: &str = "time: invalid location name";
/// Go's `errBadData`.
const BAD_DATA: &str = "malformed time zone information";
/// Go's `maxFileSize`: larger zone files are refused.
const MAX_FILE_SIZE: usize = 10 << 20;

/// Where `LoadLocation` reads zones from, chosen once per process.
struct Sources {
    /// `$ZONEINFO`, read at the first load as Go's `zoneinfoOnce` does; empty
    /// when unset.
    zoneinfo: OsString,
    /// Go's `platformZoneSources`, also used for `$TZ=name`.
    platform: Vec<OsString>,
    /// Whether `$GOROOT/lib/time/zoneinfo.zip` is the last resort.
    goroot: bool,
}

static SOURCES: OnceLock<Sources> = OnceLock::new();

fn sources() -> &'static Sources {
    SOURCES.get_or_init(|| Sources {
        zoneinfo: std::env::var_os("ZONEINFO").unwrap_or_default(),
        platform: PLATFORM_SOURCES.iter().map(OsString::from).collect(),
        goroot: true,
    })
}

/// Makes every zone load read `source` alone, a zoneinfo directory or an
/// uncompressed zip as `$ZONEINFO` names, and neither `$ZONEINFO`, the
/// system's zoneinfo nor `$GOROOT`: what Go's own tests do with
/// `ForceZipFileForTesting`. For test suites whose expected answers were
/// recorded with one tzdata release; the product never calls it. It must
/// come before the first zone is loaded; calling it again with the same
/// source does nothing.
pub fn set_zone_source_for_testing(source: &Path) -> Result<(), String> {
    let wanted = source.as_os_str();
    let chosen =
        SOURCES.get_or_init(|| Sources { zoneinfo: OsString::new(), platform: vec![wanted.to_owned()], goroot: false });
    if chosen.goroot || chosen.platform.len() != 1 || chosen.platform[0] != *wanted {
        return Err(format!("time zones were already read from elsewhere than {}", source.display()));
    }
    Ok(())
}

/// Why a source gave no zone data.
#[derive(Debug, PartialEq)]
enum ReadError {
    /// Go's `syscall.ENOENT`: not there, try the next source.
    NotFound,
    /// Anything else, the error `LoadLocation` reports if no source has it.
    Other(String),
}

/// An I/O error as Go's `syscall.Errno` prints it: the C library's message
/// with a lower-case first letter, no path.
fn errno(err: &std::io::Error) -> ReadError {
    if err.kind() == std::io::ErrorKind::NotFound {
        return ReadError::NotFound;
    }
    let text = err.to_string();
    let text = text.rfind(" (os error ").map_or(text.as_str(), |i| &text[..i]);
    let mut chars = text.chars();
    ReadError::Other(chars.next().map_or(String::new(), |c| c.to_lowercase().chain(chars).collect()))
}

fn join(dir: &OsStr, name: &OsStr) -> OsString {
    let mut path = dir.to_owned();
    path.push("/");
    path.push(name);
    path
}

/// Go's `readFile`: the whole file, refused past `maxFileSize`.
fn read_file(path: &OsStr) -> Result<Vec<u8>, ReadError> {
    let mut file = std::fs::File::open(path).map_err(|e| errno(&e))?;
    let mut data = Vec::new();
    file.by_ref().take(MAX_FILE_SIZE as u64 + 1).read_to_end(&mut data).map_err(|e| errno(&e))?;
    if data.len() > MAX_FILE_SIZE {
        return Err(ReadError::Other(format!("time: file {} is too large", path.to_string_lossy())));
    }
    Ok(data)
}

/// Go's `loadTzinfoFromDirOrZip`: `dir` ending in `.zip` is an uncompressed
/// zip file, anything else a directory (empty: `name` is a path).
fn read_tzinfo(dir: &OsStr, name: &OsStr) -> Result<Vec<u8>, ReadError> {
    let bytes = dir.as_bytes();
    if bytes.len() > 4 && bytes.ends_with(b".zip") {
        return read_from_zip(dir, name.as_bytes());
    }
    if dir.is_empty() { read_file(name) } else { read_file(&join(dir, name)) }
}

fn get2(b: &[u8], at: usize) -> usize {
    b.get(at..at + 2).map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fn get4(b: &[u8], at: usize) -> usize {
    b.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Go's `loadTzinfoFromZip`: the entry `name` of an uncompressed zip file,
/// found through its central directory.
fn read_from_zip(zipfile: &OsStr, name: &[u8]) -> Result<Vec<u8>, ReadError> {
    const END_HEADER: usize = 0x0605_4b50;
    const CENTRAL_HEADER: usize = 0x0201_4b50;
    const LOCAL_HEADER: usize = 0x0403_4b50;
    const END_SIZE: usize = 22;
    const LOCAL_SIZE: usize = 30;
    let mut file = std::fs::File::open(zipfile).map_err(|e| errno(&e))?;
    let corrupt = || ReadError::Other(format!("corrupt zip file {}", zipfile.to_string_lossy()));
    let mut pread = |buf: &mut [u8], at: SeekFrom| file.seek(at).and_then(|_| file.read_exact(buf)).is_ok();
    let mut tail = [0u8; END_SIZE];
    if !pread(&mut tail, SeekFrom::End(-(END_SIZE as i64))) || get4(&tail, 0) != END_HEADER {
        return Err(corrupt());
    }
    let entries = get2(&tail, 10);
    let mut dir = vec![0u8; get4(&tail, 12)];
    if !pread(&mut dir, SeekFrom::Start(get4(&tail, 16) as u64)) {
        return Err(corrupt());
    }
    let mut rest = dir.as_slice();
    for _ in 0..entries {
        if get4(rest, 0) != CENTRAL_HEADER {
            break;
        }
        let (method, size, name_len) = (get2(rest, 10), get4(rest, 24), get2(rest, 28));
        let (extra_len, comment_len, offset) = (get2(rest, 30), get2(rest, 32), get4(rest, 42));
        let entry_name = rest.get(46..46 + name_len).ok_or_else(corrupt)?;
        let found = entry_name == name;
        rest = rest.get(46 + name_len + extra_len + comment_len..).ok_or_else(corrupt)?;
        if !found {
            continue;
        }
        if method != 0 {
            return Err(ReadError::Other(format!(
                "unsupported compression for {} in {}",
                String::from_utf8_lossy(name),
                zipfile.to_string_lossy()
            )));
        }
        let mut local = vec![0u8; LOCAL_SIZE + name_len];
        if !pread(&mut local, SeekFrom::Start(offset as u64))
            || get4(&local, 0) != LOCAL_HEADER
            || get2(&local, 8) != method
            || get2(&local, 26) != name_len
            || &local[LOCAL_SIZE..] != name
        {
            return Err(corrupt());
        }
        let extra_len = get2(&local, 28);
        let mut data = vec![0u8; size];
        if !pread(&mut data, SeekFrom::Start((offset + LOCAL_SIZE + name_len + extra_len) as u64)) {
            return Err(corrupt());
        }
        return Ok(data);
    }
    Err(ReadError::NotFound)
}

/// Go's `loadLocation`: the first of `sources` (then `$GOROOT`'s zip, when
/// `goroot`) holding `name` as valid TZif data.
fn load_from(name: &str, sources: &[OsString], goroot: bool) -> Result<Location, String> {
    let file = OsStr::new(name);
    let mut first_err = None;
    let mut attempt = |data: Result<Vec<u8>, ReadError>| {
        let err = match data {
            Ok(data) => match parse_tzif(name, &data) {
                Some(loc) => return Some(loc),
                None => ReadError::Other(BAD_DATA.to_owned()),
            },
            Err(err) => err,
        };
        if let (None, ReadError::Other(text)) = (&first_err, err) {
            first_err = Some(text);
        }
        None
    };
    for source in sources {
        if let Some(loc) = attempt(read_tzinfo(source, file)) {
            return Ok(loc);
        }
    }
    // `runtime.GOROOT()`: `$GOROOT`; injit has no GOROOT of its own, as a
    // Go binary built with `-trimpath`.
    if goroot
        && let Some(root) = std::env::var_os("GOROOT").filter(|r| !r.is_empty())
        && let Some(loc) = attempt(read_tzinfo(&join(&root, OsStr::new("lib/time/zoneinfo.zip")), file))
    {
        return Ok(loc);
    }
    Err(first_err.unwrap_or_else(|| format!("unknown time zone {name}")))
}

/// Go's `time.LoadLocation` for a name that is not `""`, `UTC` or `Local`:
/// `zoneinfo` (`$ZONEINFO`) first, then the platform's sources.
fn load_location(name: &str, sources: &Sources) -> Result<Location, String> {
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Err(INVALID_NAME.to_owned());
    }
    let mut first_err = None;
    if !sources.zoneinfo.is_empty() {
        match read_tzinfo(&sources.zoneinfo, OsStr::new(name)) {
            Ok(data) => match parse_tzif(name, &data) {
                Some(loc) => return Ok(loc),
                None => first_err = Some(BAD_DATA.to_owned()),
            },
            Err(ReadError::Other(text)) => first_err = Some(text),
            Err(ReadError::NotFound) => {}
        }
    }
    load_from(name, &sources.platform, sources.goroot).map_err(|err| first_err.unwrap_or(err))
}

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

    /// `time.Local` (`initLocal`): `$TZ`, else `/etc/localtime`, else UTC.
    pub fn local() -> Arc<Location> {
        static LOCAL: OnceLock<Arc<Location>> = OnceLock::new();
        Arc::clone(LOCAL.get_or_init(|| {
            let renamed = |loc: Location, name: &str| Arc::new(Location { name: name.to_owned(), ..loc });
            match std::env::var_os("TZ") {
                None => {
                    if let Ok(loc) = load_from("localtime", &[OsString::from("/etc")], true) {
                        return renamed(loc, "Local");
                    }
                }
                Some(tz) => {
                    let tz = tz.into_vec();
                    let tz = String::from_utf8_lossy(tz.strip_prefix(b":").unwrap_or(&tz)).into_owned();
                    if tz.starts_with('/') {
                        if let Ok(loc) = load_from(&tz, &[OsString::new()], true) {
                            let name = if tz == "/etc/localtime" { "Local" } else { tz.as_str() };
                            return renamed(loc, name);
                        }
                    } else if !tz.is_empty()
                        && tz != "UTC"
                        && let Ok(loc) = load_from(&tz, &sources().platform, sources().goroot)
                    {
                        return Arc::new(loc);
                    }
                }
            }
            Location::utc()
        }))
    }

    /// `time.LoadLocation(name)`.
    pub fn load(name: &str) -> Result<Arc<Location>, String> {
        match name {
            "" | "UTC" => Ok(Location::utc()),
            "Local" => Ok(Location::local()),
            _ => load_location(name, sources()).map(Arc::new),
        }
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

    /// A TZif file with one fixed zone.
    fn tzif(abbr: &str, offset: i32) -> Vec<u8> {
        let mut out = b"TZif".to_vec();
        out.extend([0u8; 16]);
        for count in [0, 0, 0, 0, 1, abbr.len() as u32 + 1] {
            out.extend(count.to_be_bytes());
        }
        out.extend(offset.to_be_bytes());
        out.extend([0, 0]);
        out.extend(abbr.bytes().chain([0]));
        out
    }

    /// A zip file as `zip -0` writes it (Go's `zoneinfo.zip`): each entry
    /// `(name, data, method)` stored as given.
    fn zip(entries: &[(&str, &[u8], u16)]) -> Vec<u8> {
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for &(name, data, method) in entries {
            let offset = out.len() as u32;
            let sizes = [data.len() as u32; 2];
            out.extend(0x0403_4b50u32.to_le_bytes());
            out.extend([10, 0, 0, 0]);
            out.extend(method.to_le_bytes());
            out.extend([0; 8]);
            sizes.iter().for_each(|s| out.extend(s.to_le_bytes()));
            out.extend((name.len() as u16).to_le_bytes());
            out.extend([0, 0]);
            out.extend(name.bytes());
            out.extend(data);
            central.extend(0x0201_4b50u32.to_le_bytes());
            central.extend([20, 3, 10, 0, 0, 0]);
            central.extend(method.to_le_bytes());
            central.extend([0; 8]);
            sizes.iter().for_each(|s| central.extend(s.to_le_bytes()));
            central.extend((name.len() as u16).to_le_bytes());
            central.extend([0; 12]);
            central.extend(offset.to_le_bytes());
            central.extend(name.bytes());
        }
        let central_at = out.len() as u32;
        out.extend(&central);
        out.extend(0x0605_4b50u32.to_le_bytes());
        out.extend([0; 4]);
        out.extend([(entries.len() as u16).to_le_bytes(), (entries.len() as u16).to_le_bytes()].concat());
        out.extend((central.len() as u32).to_le_bytes());
        out.extend(central_at.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    /// A fresh directory holding `files`.
    fn dir(test: &str, files: &[(&str, Vec<u8>)]) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!("injit-zoneinfo-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (name, data) in files {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, data).unwrap();
        }
        root
    }

    fn sources(zoneinfo: &Path, platform: &[&Path]) -> Sources {
        Sources {
            zoneinfo: zoneinfo.as_os_str().to_owned(),
            platform: platform.iter().map(|p| p.as_os_str().to_owned()).collect(),
            goroot: false,
        }
    }

    /// The zone `name` gives at the epoch, or the error.
    fn zone(name: &str, sources: &Sources) -> Result<(String, i32), String> {
        load_location(name, sources).map(|loc| {
            assert_eq!(loc.name(), name);
            let z = loc.lookup(0);
            (z.name, z.offset)
        })
    }

    #[test]
    fn zoneinfo_names_an_uncompressed_zip_as_go_reads_it() {
        let root = dir("zip", &[]);
        let zip_path = root.join("zoneinfo.zip");
        let bad = b"TZif garbage".as_slice();
        let files: &[(&str, &[u8], u16)] =
            &[("Test/Zone", &tzif("ABC", 3600), 0), ("Test/Deflated", &tzif("DEF", 60), 8), ("Test/Bad", bad, 0)];
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(&zip_path, zip(files)).unwrap();
        let only_zip = sources(&zip_path, &[]);
        assert_eq!(zone("Test/Zone", &only_zip), Ok(("ABC".to_owned(), 3600)));
        assert_eq!(zone("Test/Missing", &only_zip), Err("unknown time zone Test/Missing".to_owned()));
        let unsupported = format!("unsupported compression for Test/Deflated in {}", zip_path.display());
        assert_eq!(zone("Test/Deflated", &only_zip), Err(unsupported));
        assert_eq!(zone("Test/Bad", &only_zip), Err(BAD_DATA.to_owned()));
        // Not a zip: its end record is missing.
        let not_zip = root.join("not.zip");
        std::fs::write(&not_zip, tzif("ABC", 3600)).unwrap();
        let corrupt = format!("corrupt zip file {}", not_zip.display());
        assert_eq!(zone("Test/Zone", &sources(&not_zip, &[])), Err(corrupt));
        // A missing zip is a missing zone.
        let gone = sources(&root.join("gone.zip"), &[]);
        assert_eq!(zone("Test/Zone", &gone), Err("unknown time zone Test/Zone".to_owned()));
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn zoneinfo_comes_before_the_system_which_still_answers_what_it_lacks() {
        let system = dir(
            "system",
            &[("Test/Zone", tzif("SYS", 7200)), ("Test/Other", tzif("OTH", -60)), ("Test/Fixed", tzif("FIX", 5))],
        );
        let zoneinfo = dir("zoneinfo-dir", &[("Test/Zone", tzif("ZIN", 3600)), ("Test/Fixed", b"bad".to_vec())]);
        let zip_path = zoneinfo.join("zoneinfo.zip");
        std::fs::write(&zip_path, zip(&[("Test/Zone", &tzif("ZIP", 1800), 0)])).unwrap();
        for (source, abbr, offset) in [(&zoneinfo, "ZIN", 3600), (&zip_path, "ZIP", 1800)] {
            let both = sources(source, &[&system]);
            assert_eq!(zone("Test/Zone", &both), Ok((abbr.to_owned(), offset)));
            assert_eq!(zone("Test/Other", &both), Ok(("OTH".to_owned(), -60)));
        }
        // Bad data in $ZONEINFO: the system's file, and only without it the
        // error.
        assert_eq!(zone("Test/Fixed", &sources(&zoneinfo, &[&system])), Ok(("FIX".to_owned(), 5)));
        assert_eq!(zone("Test/Fixed", &sources(&zoneinfo, &[])), Err(BAD_DATA.to_owned()));
        // $ZONEINFO a file but no zip: read as a directory, which fails.
        let file = zoneinfo.join("Test/Zone");
        assert_eq!(zone("Test/Other", &sources(&file, &[&system])), Ok(("OTH".to_owned(), -60)));
        assert_eq!(zone("Test/Other", &sources(&file, &[])), Err("not a directory".to_owned()));
        // Empty: unset.
        assert_eq!(zone("Test/Zone", &sources(Path::new(""), &[&system])), Ok(("SYS".to_owned(), 7200)));
        std::fs::remove_dir_all(system).unwrap();
        std::fs::remove_dir_all(zoneinfo).unwrap();
    }

    #[test]
    fn names_with_dot_dot_or_a_leading_slash_are_refused() {
        let root = dir("dotdot", &[("Test/a..b", tzif("ABC", 0)), ("x", tzif("ABC", 0))]);
        let both = sources(&root, &[&root]);
        for name in ["Test/a..b", "../x", "Test/../x", "/x", "\\x"] {
            assert_eq!(zone(name, &both), Err(INVALID_NAME.to_owned()), "{name}");
        }
        assert_eq!(zone("x", &both), Ok(("ABC".to_owned(), 0)));
        std::fs::remove_dir_all(root).unwrap();
    }

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
