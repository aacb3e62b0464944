//! `semver` and `semverCompare`: Masterminds/semver v3 (as sprig v3.2.3
//! vendors it), its parsing, ordering and constraint language with the
//! same error texts.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::types::{Kind, NamedType, Type};
use crate::value::Value;
use crate::value::func::FuncType;
use crate::value::object::GoObject;

/// Go's `\s`, which is ASCII only.
const SPACE: &str = r"[\t\n\x0C\r ]";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
const VERSION: &str =
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const CONSTRAINT_VERSION: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

fn regex(pattern: String) -> Regex {
    Regex::new(&pattern).unwrap_or_else(|e| panic!("semver pattern {pattern}: {e}"))
}

static VERSION_RE: LazyLock<Regex> = LazyLock::new(|| regex(format!("^{VERSION}$")));
static CONSTRAINT_RE: LazyLock<Regex> =
    LazyLock::new(|| regex(format!(r"^{SPACE}*({OPS}){SPACE}*({CONSTRAINT_VERSION}){SPACE}*$")));
static RANGE_RE: LazyLock<Regex> =
    LazyLock::new(|| regex(format!(r"{SPACE}*({CONSTRAINT_VERSION}){SPACE}+-{SPACE}+({CONSTRAINT_VERSION}){SPACE}*")));
static FIND_RE: LazyLock<Regex> = LazyLock::new(|| regex(format!(r"({OPS}){SPACE}*({CONSTRAINT_VERSION})")));
static VALID_RE: LazyLock<Regex> = LazyLock::new(|| {
    regex(format!(
        r"^({SPACE}*({OPS}){SPACE}*({CONSTRAINT_VERSION}){SPACE}*)((?:{SPACE}+|,{SPACE}*)({OPS}){SPACE}*({CONSTRAINT_VERSION}){SPACE}*)*$"
    ))
});

/// A parsed semantic version (`*semver.Version`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

const NUM: &str = "0123456789";
const ALLOWED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789";

fn contains_only(s: &str, set: &str) -> bool {
    s.chars().all(|c| set.contains(c))
}

fn validate_prerelease(p: &str) -> std::result::Result<(), String> {
    for part in p.split('.') {
        if contains_only(part, NUM) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("Version segment starts with 0".to_owned());
            }
        } else if !contains_only(part, ALLOWED) {
            return Err("Invalid Prerelease string".to_owned());
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> std::result::Result<(), String> {
    if m.split('.').all(|part| contains_only(part, ALLOWED)) {
        Ok(())
    } else {
        Err("Invalid Metadata string".to_owned())
    }
}

fn segment(text: &str) -> std::result::Result<u64, String> {
    let digits = text.trim_start_matches('.');
    injit_strconv::parse_uint(digits.as_bytes(), 10).map_err(|e| {
        format!(
            "Error parsing version segment: strconv.ParseUint: parsing {}: {}",
            injit_strconv::quote(digits.as_bytes()),
            e.text()
        )
    })
}

impl Version {
    /// `semver.NewVersion`.
    pub(crate) fn parse(v: &str) -> std::result::Result<Version, String> {
        let m = VERSION_RE.captures(v).ok_or_else(|| "Invalid Semantic Version".to_owned())?;
        let group = |i: usize| m.get(i).map_or("", |g| g.as_str());
        let mut sv = Version {
            major: segment(group(1))?,
            minor: 0,
            patch: 0,
            pre: group(5).to_owned(),
            metadata: group(8).to_owned(),
            original: v.to_owned(),
        };
        if !group(2).is_empty() {
            sv.minor = segment(group(2))?;
        }
        if !group(3).is_empty() {
            sv.patch = segment(group(3))?;
        }
        if !sv.pre.is_empty() {
            validate_prerelease(&sv.pre)?;
        }
        if !sv.metadata.is_empty() {
            validate_metadata(&sv.metadata)?;
        }
        Ok(sv)
    }

    fn compare(&self, o: &Version) -> Ordering {
        let by_numbers = self.major.cmp(&o.major).then(self.minor.cmp(&o.minor)).then(self.patch.cmp(&o.patch));
        if by_numbers != Ordering::Equal {
            return by_numbers;
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => compare_prerelease(&self.pre, &o.pre),
        }
    }

    fn v_prefix(&self) -> &'static str {
        if self.original.starts_with('v') { "v" } else { "" }
    }

    /// A copy with new numbers, pre-release and metadata cleared, and
    /// `original` rebuilt (as the `Inc*` methods do).
    fn bumped(&self, major: u64, minor: u64, patch: u64) -> Version {
        let mut next = Version { major, minor, patch, ..Version::default() };
        next.original = format!("{}{next}", self.v_prefix());
        next
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(v: &str, o: &str) -> Ordering {
    let (sparts, oparts): (Vec<&str>, Vec<&str>) = (v.split('.').collect(), o.split('.').collect());
    for i in 0..sparts.len().max(oparts.len()) {
        let d = compare_pre_part(sparts.get(i).copied().unwrap_or(""), oparts.get(i).copied().unwrap_or(""));
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    let oi = injit_strconv::parse_uint(o.as_bytes(), 10);
    let si = injit_strconv::parse_uint(s.as_bytes(), 10);
    match (si, oi) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        // A number sorts before a word.
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(si), Ok(oi)) => {
            if si > oi {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

impl GoObject for Version {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn type_name(&self) -> &'static str {
        "*semver.Version"
    }

    fn kind(&self) -> Kind {
        Kind::Pointer
    }

    fn method_type(&self, name: &str) -> Option<FuncType> {
        let ty = |params: &[Type], results: &[Type]| FuncType {
            params: params.to_vec(),
            variadic: false,
            results: results.to_vec(),
        };
        let version = Type::Named(NamedType::new("*semver.Version"));
        Some(match name {
            "Major" | "Minor" | "Patch" => ty(&[], &[Type::Uint64]),
            "Prerelease" | "Metadata" | "Original" | "String" => ty(&[], &[Type::String]),
            "IncMajor" | "IncMinor" | "IncPatch" => ty(&[], &[Type::Named(NamedType::new("semver.Version"))]),
            "LessThan" | "GreaterThan" | "Equal" => ty(&[version], &[Type::Bool]),
            "Compare" => ty(&[version], &[Type::Int]),
            "SetPrerelease" | "SetMetadata" => {
                ty(&[Type::String], &[Type::Named(NamedType::new("semver.Version")), Type::Error])
            }
            _ => return None,
        })
    }

    fn call_method<'a>(&self, name: &str, args: &[Value<'a>]) -> std::result::Result<Value<'a>, String> {
        let other = || -> std::result::Result<Version, String> {
            args.first()
                .and_then(|a| a.as_go_object::<Version>())
                .cloned()
                .ok_or_else(|| "invalid memory address or nil pointer dereference".to_owned())
        };
        Ok(match name {
            "Major" => Value::uint_of(self.major, Type::Uint64),
            "Minor" => Value::uint_of(self.minor, Type::Uint64),
            "Patch" => Value::uint_of(self.patch, Type::Uint64),
            "Prerelease" => Value::string(self.pre.clone().into_bytes()),
            "Metadata" => Value::string(self.metadata.clone().into_bytes()),
            "Original" => Value::string(self.original.clone().into_bytes()),
            "String" => Value::string(self.to_string().into_bytes()),
            "IncPatch" if !self.pre.is_empty() => {
                let mut next = Version { pre: String::new(), metadata: String::new(), ..self.clone() };
                next.original = format!("{}{next}", self.v_prefix());
                Value::object(ValueVersion(next))
            }
            "IncPatch" => Value::object(ValueVersion(self.bumped(self.major, self.minor, self.patch + 1))),
            "IncMinor" => Value::object(ValueVersion(self.bumped(self.major, self.minor + 1, 0))),
            "IncMajor" => Value::object(ValueVersion(self.bumped(self.major + 1, 0, 0))),
            "LessThan" => Value::bool(self.compare(&other()?) == Ordering::Less),
            "GreaterThan" => Value::bool(self.compare(&other()?) == Ordering::Greater),
            "Equal" => Value::bool(self.compare(&other()?) == Ordering::Equal),
            "Compare" => Value::int(self.compare(&other()?) as i64),
            "SetPrerelease" | "SetMetadata" => {
                let text = String::from_utf8_lossy(args.first().map_or(&[][..], |a| a.as_bytes().unwrap_or_default()))
                    .into_owned();
                let mut next = self.clone();
                if name == "SetPrerelease" {
                    if !text.is_empty() {
                        validate_prerelease(&text)?;
                    }
                    next.pre = text;
                } else {
                    if !text.is_empty() {
                        validate_metadata(&text)?;
                    }
                    next.metadata = text;
                }
                next.original = format!("{}{next}", self.v_prefix());
                Value::object(ValueVersion(next))
            }
            _ => return Err(format!("can't call method {name}")),
        })
    }

    fn string(&self) -> Option<String> {
        Some(self.to_string())
    }

    fn json(&self) -> Option<std::result::Result<Vec<u8>, String>> {
        let mut out = Vec::new();
        crate::encoding::json::write_json_string(&mut out, self.to_string().as_bytes(), true);
        Some(Ok(out))
    }
}

/// A `semver.Version` value (what the `Inc*` methods return): prints and
/// marshals as its pointer does.
#[derive(Clone, Debug)]
struct ValueVersion(Version);

impl GoObject for ValueVersion {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn type_name(&self) -> &'static str {
        "semver.Version"
    }

    fn kind(&self) -> Kind {
        Kind::Struct
    }

    fn method_type(&self, name: &str) -> Option<FuncType> {
        // Value receivers only: the pointer methods are not in the set.
        match name {
            "LessThan" | "GreaterThan" | "Equal" | "Compare" | "Original" => None,
            _ => self.0.method_type(name),
        }
    }

    fn call_method<'a>(&self, name: &str, args: &[Value<'a>]) -> std::result::Result<Value<'a>, String> {
        self.0.call_method(name, args)
    }

    fn string(&self) -> Option<String> {
        self.0.string()
    }

    fn json(&self) -> Option<std::result::Result<Vec<u8>, String>> {
        self.0.json()
    }
}

/// One comparison of a constraint (`>= 1.2`).
#[derive(Debug)]
struct Constraint {
    con: Version,
    op: String,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

fn parse_constraint(c: &str) -> std::result::Result<Constraint, String> {
    if c.is_empty() {
        return Ok(Constraint {
            con: Version { original: "0.0.0".to_owned(), ..Version::default() },
            op: String::new(),
            minor_dirty: false,
            patch_dirty: false,
            dirty: true,
        });
    }
    let m = CONSTRAINT_RE.captures(c).ok_or_else(|| format!("improper constraint: {c}"))?;
    let group = |i: usize| m.get(i).map_or("", |g| g.as_str());
    let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
    let mut ver = group(2).to_owned();
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    if is_x(major) || major.is_empty() {
        ver = format!("0.0.0{pre}");
        dirty = true;
    } else if is_x(minor.trim_start_matches('.')) || minor.is_empty() {
        minor_dirty = true;
        dirty = true;
        ver = format!("{major}.0.0{pre}");
    } else if is_x(patch.trim_start_matches('.')) || patch.is_empty() {
        dirty = true;
        patch_dirty = true;
        ver = format!("{major}{minor}.0{pre}");
    }
    let con = Version::parse(&ver).map_err(|_| "constraint Parser Error".to_owned())?;
    Ok(Constraint { con, op: group(1).to_owned(), minor_dirty, patch_dirty, dirty })
}

impl Constraint {
    /// Whether `v` satisfies the comparison (the error texts of `Validate`
    /// are not needed by `Check`, which is all sprig calls).
    fn check(&self, v: &Version) -> bool {
        let c = self;
        if c.op != "!=" && !v.pre.is_empty() && c.con.pre.is_empty() {
            return false;
        }
        match c.op.as_str() {
            "" | "=" => {
                if c.dirty {
                    tilde(v, c)
                } else {
                    v.compare(&c.con) == Ordering::Equal
                }
            }
            "!=" => not_equal(v, c),
            ">" => {
                if !c.dirty {
                    return v.compare(&c.con) == Ordering::Greater;
                }
                if v.major != c.con.major {
                    return v.major > c.con.major;
                }
                if c.minor_dirty {
                    return false;
                }
                if c.patch_dirty {
                    return v.minor > c.con.minor;
                }
                v.compare(&c.con) == Ordering::Greater
            }
            "<" => v.compare(&c.con) == Ordering::Less,
            ">=" | "=>" => v.compare(&c.con) != Ordering::Less,
            "<=" | "=<" => {
                if !c.dirty {
                    return v.compare(&c.con) != Ordering::Greater;
                }
                !(v.major > c.con.major || v.major == c.con.major && v.minor > c.con.minor && !c.minor_dirty)
            }
            "~" | "~>" => tilde(v, c),
            "^" => caret(v, c),
            _ => false,
        }
    }
}

fn not_equal(v: &Version, c: &Constraint) -> bool {
    if c.dirty {
        if !v.pre.is_empty() && c.con.pre.is_empty() {
            return false;
        }
        if c.con.major != v.major {
            return true;
        }
        if c.con.minor != v.minor && !c.minor_dirty {
            return true;
        } else if c.minor_dirty {
            return false;
        } else if c.con.patch != v.patch && !c.patch_dirty {
            return true;
        } else if c.patch_dirty {
            if !v.pre.is_empty() || !c.con.pre.is_empty() {
                return compare_prerelease(&v.pre, &c.con.pre) != Ordering::Equal;
            }
            return false;
        }
    }
    v.compare(&c.con) != Ordering::Equal
}

fn tilde(v: &Version, c: &Constraint) -> bool {
    if v.compare(&c.con) == Ordering::Less {
        return false;
    }
    if c.con.major == 0 && c.con.minor == 0 && c.con.patch == 0 && !c.minor_dirty && !c.patch_dirty {
        return true;
    }
    if v.major != c.con.major {
        return false;
    }
    v.minor == c.con.minor || c.minor_dirty
}

fn caret(v: &Version, c: &Constraint) -> bool {
    if v.compare(&c.con) == Ordering::Less {
        return false;
    }
    if c.con.major > 0 || c.minor_dirty {
        return v.major == c.con.major;
    }
    if c.con.major == 0 && v.major > 0 {
        return false;
    }
    if c.con.minor > 0 || c.patch_dirty {
        return v.minor == c.con.minor;
    }
    if c.con.minor == 0 && v.minor > 0 {
        return false;
    }
    c.con.patch == v.patch
}

/// `rewriteRange`: `1 - 2` becomes `>= 1, <= 2`.
fn rewrite_range(i: &str) -> String {
    let mut out = i.to_owned();
    for m in RANGE_RE.captures_iter(i) {
        let whole = m.get(0).map_or("", |g| g.as_str());
        let (low, high) = (m.get(1).map_or("", |g| g.as_str()), m.get(11).map_or("", |g| g.as_str()));
        out = out.replacen(whole, &format!(">= {low}, <= {high}"), 1);
    }
    out
}

/// `semver.NewConstraint`: alternatives (`||`) of conjunctions.
fn parse_constraints(c: &str) -> std::result::Result<Vec<Vec<Constraint>>, String> {
    let c = rewrite_range(c);
    c.split("||")
        .map(|alternative| {
            if !VALID_RE.is_match(alternative) {
                return Err(format!("improper constraint: {alternative}"));
            }
            let found: Vec<&str> = FIND_RE.find_iter(alternative).map(|m| m.as_str()).collect();
            let parts = if found.is_empty() { vec![alternative] } else { found };
            parts.into_iter().map(parse_constraint).collect()
        })
        .collect()
}

pub(super) fn semver<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let text = String::from_utf8_lossy(a.str(0)).into_owned();
    Ok(Value::object(Version::parse(&text)?))
}

pub(super) fn semver_compare<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let constraint = String::from_utf8_lossy(a.str(0)).into_owned();
    let version = String::from_utf8_lossy(a.str(1)).into_owned();
    let alternatives = parse_constraints(&constraint)?;
    let v = Version::parse(&version)?;
    Ok(Value::bool(alternatives.iter().any(|all| all.iter().all(|c| c.check(&v)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(c: &str, v: &str) -> bool {
        let alternatives = parse_constraints(c).expect("constraint");
        let v = Version::parse(v).expect("version");
        alternatives.iter().any(|all| all.iter().all(|c| c.check(&v)))
    }

    #[test]
    fn constraints_as_masterminds() {
        assert!(check(">=1.2.0", "1.3.0"));
        assert!(!check("^1.2", "2.0.0"));
        assert!(check("~1.2.3", "1.2.9"));
        assert!(!check(">=1.20.0", "1.21.0-gke.100"));
        assert!(check(">=1.20.0-0", "1.21.0-gke.100"));
        assert!(check("1.2 - 1.4", "1.3.5"));
        // `>3` is "dirty" in its minor version: 3.x does not satisfy it.
        assert!(!check(">1.0, <2.0 || >3", "3.5.0"));
        assert!(check(">1.0, <2.0 || >3", "4.0.0"));
        assert!(!check(">1.0, <2.0 || >3", "2.5.0"));
        assert!(check("1.x", "1.9.9"));
        assert!(check("!=1.2.3", "1.2.4"));
        assert!(check("^0.2.3", "0.2.5"));
        assert!(!check("^0.2.3", "0.3.0"));
        assert_eq!(parse_constraints("!!").err().as_deref(), Some("improper constraint: !!"));
    }

    #[test]
    fn ordering_as_masterminds() {
        let v = |s: &str| Version::parse(s).expect("version");
        assert_eq!(v("1.0.0-alpha").compare(&v("1.0.0-alpha.1")), Ordering::Less);
        assert_eq!(v("1.0.0-alpha.1").compare(&v("1.0.0-alpha.beta")), Ordering::Less);
        assert_eq!(v("1.0.0-rc.1").compare(&v("1.0.0")), Ordering::Less);
        assert_eq!(v("v1.2").to_string(), "1.2.0");
        assert_eq!(Version::parse("01.2.3").map(|v| v.major), Ok(1));
        assert_eq!(Version::parse("1.2.3-01").err().as_deref(), Some("Version segment starts with 0"));
    }
}
