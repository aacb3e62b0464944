//! YAML as Kubernetes tooling writes it: `sigs.k8s.io/yaml.Marshal`, which
//! turns a value into JSON, reads that with go-yaml v2 (so integers stay
//! integers) and writes it with go-yaml v2's emitter. Map keys are sorted
//! with go-yaml's "natural" order (`a2` before `a10`); strings that would
//! read back as something else are quoted; long scalars fold at 80 columns
//! on spaces; multi-line strings become literal blocks. The emitter below
//! follows libyaml's (go-yaml's `emitterc.go`) decisions step by step for
//! the block styles a marshalled document uses.

use std::cmp::Ordering;

use super::json::NumberMode;
use crate::value::data::Data;

/// A document as go-yaml marshals it from decoded JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum YamlNode {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Vec<u8>),
    Seq(Vec<YamlNode>),
    /// Entries in the order given; `marshal` sorts them as go-yaml does.
    Map(Vec<(YamlNode, YamlNode)>),
}

/// JSON text as go-yaml reads it (numbers as integers where they can be).
pub fn node_from_json(json: &[u8]) -> Result<YamlNode, String> {
    let data = Data::from_json(json, NumberMode::JsonNumber).map_err(|e| e.message)?;
    Ok(node_from_data(&data))
}

/// Decoded data as a YAML node; `json.Number` text decides int or float.
pub fn node_from_data(data: &Data) -> YamlNode {
    match data {
        Data::Null => YamlNode::Null,
        Data::Bool(b) => YamlNode::Bool(*b),
        Data::Number(f) => float_or_int(*f),
        Data::JsonNumber(text) => number(text),
        Data::String(s) => YamlNode::Str(s.as_bytes().to_vec()),
        Data::Array(items) => YamlNode::Seq(items.iter().map(node_from_data).collect()),
        Data::Object(o) => {
            YamlNode::Map(o.iter().map(|(k, v)| (YamlNode::Str(k.as_bytes().to_vec()), node_from_data(v))).collect())
        }
    }
}

fn float_or_int(f: f64) -> YamlNode {
    if f.fract() == 0.0 && f.abs() < 9.2e18 { YamlNode::Int(f as i64) } else { YamlNode::Float(f) }
}

/// A number's text resolved as go-yaml resolves a plain scalar.
fn number(text: &str) -> YamlNode {
    if let Ok(i) = injit_strconv::parse_int(text.as_bytes(), 10) {
        return YamlNode::Int(i);
    }
    if let Ok(u) = injit_strconv::parse_uint(text.as_bytes(), 10) {
        return YamlNode::Uint(u);
    }
    YamlNode::Float(injit_strconv::parse_float(text.as_bytes()).unwrap_or(0.0))
}

/// `yaml.Marshal`: the document, ending in a newline.
pub fn marshal(node: &YamlNode) -> Vec<u8> {
    let mut e = Emitter::default();
    e.emit_node(node, true, false, false, false);
    // Document end: finish the last line.
    e.write_indent();
    e.out
}

/// go-yaml's `keyList.Less`: numbers by value, then strings with runs of
/// digits compared as numbers and letters before other characters.
pub fn key_less(a: &YamlNode, b: &YamlNode) -> bool {
    let (af, bf) = (key_float(a), key_float(b));
    if let (Some(x), Some(y)) = (af, bf) {
        return x < y;
    }
    let (YamlNode::Str(a), YamlNode::Str(b)) = (a, b) else {
        return kind_rank(a) < kind_rank(b);
    };
    let (ar, br): (Vec<char>, Vec<char>) =
        (String::from_utf8_lossy(a).chars().collect(), String::from_utf8_lossy(b).chars().collect());
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let (al, bl) = (injit_strconv::unicode::is_letter(ar[i]), injit_strconv::unicode::is_letter(br[i]));
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && injit_strconv::unicode::is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && injit_strconv::unicode::is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(i64::from(ar[ai] as u32) - i64::from('0' as u32));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && injit_strconv::unicode::is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(i64::from(br[bi] as u32) - i64::from('0' as u32));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

fn key_float(n: &YamlNode) -> Option<f64> {
    match n {
        YamlNode::Int(i) => Some(*i as f64),
        YamlNode::Uint(u) => Some(*u as f64),
        YamlNode::Float(f) => Some(*f),
        _ => None,
    }
}

/// `reflect.Kind` order of non-number, non-string keys.
fn kind_rank(n: &YamlNode) -> u8 {
    match n {
        YamlNode::Null => 0,
        YamlNode::Bool(_) => 1,
        YamlNode::Int(_) => 2,
        YamlNode::Uint(_) => 7,
        YamlNode::Float(_) => 14,
        YamlNode::Map(_) => 21,
        YamlNode::Seq(_) => 23,
        YamlNode::Str(_) => 24,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// What `yaml_emitter_analyze_scalar` learns about a scalar.
struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

const BEST_INDENT: i32 = 2;
const BEST_WIDTH: usize = 80;

struct Emitter {
    out: Vec<u8>,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    whitespace: bool,
    indention: bool,
    mapping_context: bool,
    simple_key_context: bool,
}

impl Default for Emitter {
    fn default() -> Self {
        Emitter {
            out: Vec::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            mapping_context: false,
            simple_key_context: false,
        }
    }
}

fn is_space(v: &[u8], i: usize) -> bool {
    v.get(i) == Some(&b' ')
}

fn is_break(v: &[u8], i: usize) -> bool {
    match v.get(i) {
        Some(b'\r' | b'\n') => true,
        Some(0xC2) => v.get(i + 1) == Some(&0x85),
        Some(0xE2) => v.get(i + 1) == Some(&0x80) && matches!(v.get(i + 2), Some(0xA8 | 0xA9)),
        _ => false,
    }
}

fn is_blankz(v: &[u8], i: usize) -> bool {
    i >= v.len() || v[i] == b' ' || v[i] == b'\t' || is_break(v, i) || v[i] == 0
}

fn width(b: u8) -> usize {
    match b {
        b if b & 0x80 == 0 => 1,
        b if b & 0xE0 == 0xC0 => 2,
        b if b & 0xF0 == 0xE0 => 3,
        b if b & 0xF8 == 0xF0 => 4,
        _ => 1,
    }
}

fn is_printable(v: &[u8], i: usize) -> bool {
    let at = |k: usize| v.get(i + k).copied().unwrap_or(0);
    let b = at(0);
    b == 0x0A
        || (0x20..=0x7E).contains(&b)
        || (b == 0xC2 && at(1) >= 0xA0)
        || (b > 0xC2 && b < 0xED)
        || (b == 0xED && at(1) < 0xA0)
        || b == 0xEE
        || (b == 0xEF && !(at(1) == 0xBB && at(2) == 0xBF) && !(at(1) == 0xBF && (at(2) == 0xBE || at(2) == 0xBF)))
}

fn analyze(value: &[u8]) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let (mut block_indicators, mut flow_indicators, mut line_breaks, mut special_characters) =
        (false, false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) = (false, false, false, false);
    if value.len() >= 3 && (value.starts_with(b"---") || value.starts_with(b"...")) {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < value.len() {
        let w = width(value[i]);
        let followed_by_whitespace =
            i + w >= value.len() || matches!(value[i + w], b' ' | b'\t') || is_break(value, i + w);
        if i == 0 {
            match value[i] {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%'
                | b'@' | b'`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                b'?' | b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match value[i] {
                b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                b':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                b'#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        // The emitter writes Unicode as is (`yaml_emitter_set_unicode`).
        if !is_printable(value, i) {
            special_characters = true;
        }
        if is_space(value, i) {
            if i == 0 {
                leading_space = true;
            }
            if i + w == value.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(value, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == value.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(value, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// The style go-yaml's encoder asks for a string (`stringv`).
fn requested_style(s: &[u8]) -> Style {
    if s.contains(&b'\n') {
        return Style::Literal;
    }
    if resolves_to_string(s) && !is_base60_float(s) { Style::Plain } else { Style::DoubleQuoted }
}

/// Whether a plain scalar would read back as a string (go-yaml `resolve`).
fn resolves_to_string(s: &[u8]) -> bool {
    !plain_is_typed(&String::from_utf8_lossy(s))
}

fn plain_is_typed(s: &str) -> bool {
    !matches!(resolve_plain(s), Resolved::Str)
}

/// What go-yaml v2's `resolve` makes of a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A timestamp (which decodes to a string in `interface{}`).
    Timestamp,
    Str,
}

/// go-yaml v2's `resolve("", s)`: the first character decides whether the
/// text can be anything but a string.
pub fn resolve_plain(s: &str) -> Resolved {
    let Some(&first) = s.as_bytes().first() else { return Resolved::Null };
    let hinted = matches!(
        first,
        b'+' | b'-' | b'0'..=b'9' | b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' | b'.'
    );
    if !hinted {
        return Resolved::Str;
    }
    match s {
        "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    if first == b'.' {
        return injit_strconv::parse_float(s.as_bytes()).map_or(Resolved::Str, Resolved::Float);
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Resolved::Str;
    }
    if is_timestamp(s) {
        return Resolved::Timestamp;
    }
    let plain = s.replace('_', "");
    if let Ok(i) = injit_strconv::parse_int(plain.as_bytes(), 0) {
        return Resolved::Int(i);
    }
    if let Ok(u) = injit_strconv::parse_uint(plain.as_bytes(), 0) {
        return Resolved::Uint(u);
    }
    if is_yaml_float(&plain)
        && let Ok(f) = injit_strconv::parse_float(plain.as_bytes())
    {
        return Resolved::Float(f);
    }
    if let Some(digits) = plain.strip_prefix("0b") {
        if let Ok(i) = injit_strconv::parse_int(digits.as_bytes(), 2) {
            return Resolved::Int(i);
        }
        if let Ok(u) = injit_strconv::parse_uint(digits.as_bytes(), 2) {
            return Resolved::Uint(u);
        }
    } else if let Some(digits) = plain.strip_prefix("-0b")
        && let Ok(i) = injit_strconv::parse_int(format!("-{digits}").as_bytes(), 2)
    {
        return Resolved::Int(i);
    }
    Resolved::Str
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// go-yaml's timestamps: four digits and a dash, then one of its layouts
/// (`2006-1-2T15:4:5.999999999Z07:00`, with `t`, `2006-1-2 15:4:5.999999999`,
/// `2006-1-2`) as `time.Parse` reads them.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    // `1` and `2` in a layout take one or two digits; `15` two digits, and
    // `4`/`5` one or two.
    let number = |i: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        (*i - start >= min).then(|| s[start..*i].parse().unwrap_or(0))
    };
    let Some(month) = number(&mut i, 1, 2) else { return false };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = number(&mut i, 1, 2) else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(month, s[..4].parse().unwrap_or(0)) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let Some(hour) = number(&mut i, 2, 2) else { return false };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(minute) = number(&mut i, 1, 2) else { return false };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(second) = number(&mut i, 1, 2) else { return false };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !zoned {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let rest = &b[i + 1..];
            rest.len() == 5
                && rest[2] == b':'
                && [0, 1, 3, 4].iter().all(|&k| rest[k].is_ascii_digit())
                && s[i + 1..i + 3].parse::<u32>().is_ok_and(|h| h <= 23)
                && s[i + 4..i + 6].parse::<u32>().is_ok_and(|m| m <= 59)
        }
        _ => false,
    }
}

fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// go-yaml's base-60 float check (`1:20`), quoted for old parsers.
fn is_base60_float(s: &[u8]) -> bool {
    let Some(&c) = s.first() else { return false };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(&b':') {
        return false;
    }
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let mut i = usize::from(c == b'+' || c == b'-');
    if !s.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while s.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let group = &s[start..i];
        let valid = match group.len() {
            1 => true,
            2 => group[0] <= b'5',
            _ => false,
        };
        if !valid {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
            i += 1;
        }
    }
    i == s.len()
}

impl Emitter {
    fn put(&mut self, b: u8) {
        self.out.push(b);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
    }

    /// Copies one character (a UTF-8 sequence) at `*i`.
    fn write(&mut self, v: &[u8], i: &mut usize) {
        let w = width(v[*i]).min(v.len() - *i);
        self.out.extend_from_slice(&v[*i..*i + w]);
        self.column += 1;
        *i += w;
    }

    fn write_break(&mut self, v: &[u8], i: &mut usize) {
        if v[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            let w = width(v[*i]).min(v.len() - *i);
            self.out.extend_from_slice(&v[*i..*i + w]);
            self.column = 0;
            *i += w;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, indicator: &[u8], need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        for &b in indicator {
            self.out.push(b);
            self.column += 1;
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn emit_node(&mut self, node: &YamlNode, _root: bool, _sequence: bool, mapping: bool, simple_key: bool) {
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match node {
            YamlNode::Seq(items) if items.is_empty() => self.emit_empty(b"[", b"]"),
            YamlNode::Map(entries) if entries.is_empty() => self.emit_empty(b"{", b"}"),
            YamlNode::Seq(items) => {
                self.increase_indent(false, self.mapping_context && !self.indention);
                for item in items {
                    self.write_indent();
                    self.write_indicator(b"-", true, false, true);
                    self.emit_node(item, false, true, false, false);
                }
                self.pop_indent();
            }
            YamlNode::Map(entries) => {
                let mut sorted: Vec<&(YamlNode, YamlNode)> = entries.iter().collect();
                sorted.sort_by(|a, b| {
                    if key_less(&a.0, &b.0) {
                        Ordering::Less
                    } else if key_less(&b.0, &a.0) {
                        Ordering::Greater
                    } else {
                        Ordering::Equal
                    }
                });
                self.increase_indent(false, false);
                for (key, value) in sorted {
                    self.write_indent();
                    if self.is_simple_key(key) {
                        self.emit_node(key, false, false, true, true);
                        self.write_indicator(b":", false, false, false);
                    } else {
                        self.write_indicator(b"?", true, false, true);
                        self.emit_node(key, false, false, true, false);
                        self.write_indent();
                        self.write_indicator(b":", true, false, true);
                    }
                    self.emit_node(value, false, false, true, false);
                }
                self.pop_indent();
            }
            scalar => {
                let (text, style) = scalar_text(scalar);
                self.emit_scalar(&text, style);
            }
        }
    }

    fn is_simple_key(&self, key: &YamlNode) -> bool {
        match key {
            YamlNode::Seq(items) => items.is_empty(),
            YamlNode::Map(entries) => entries.is_empty(),
            scalar => {
                let (text, _) = scalar_text(scalar);
                !analyze(&text).multiline && text.len() <= 128
            }
        }
    }

    fn emit_empty(&mut self, open: &[u8], close: &[u8]) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn emit_scalar(&mut self, value: &[u8], requested: Style) {
        let a = analyze(value);
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Plain {
            if !a.block_plain_allowed {
                style = Style::SingleQuoted;
            }
            if value.is_empty() && self.simple_key_context {
                style = Style::SingleQuoted;
            }
        }
        if style == Style::SingleQuoted && !a.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || self.simple_key_context) {
            style = Style::DoubleQuoted;
        }
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(value, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &[u8], allow_breaks: bool) {
        if !self.whitespace {
            self.put(b' ');
        }
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !is_space(value, i + 1) {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &[u8], allow_breaks: bool) {
        self.write_indicator(b"'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let mut i = 0;
        while i < value.len() {
            if is_space(value, i) {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < value.len() - 1
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && value[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if value[i] == b'\'' {
                    self.put(b'\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator(b"'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, value: &[u8], allow_breaks: bool) {
        self.write_indicator(b"\"", true, false, false);
        let mut spaces = false;
        let mut i = 0;
        while i < value.len() {
            // go-yaml's `is_bom` looks at the start of the value, not at `i`:
            // after a leading BOM every character is escaped.
            let bom = value.starts_with(&[0xEF, 0xBB, 0xBF]);
            if !is_printable(value, i) || bom || is_break(value, i) || value[i] == b'"' || value[i] == b'\\' {
                let w = width(value[i]).min(value.len() - i);
                let v = String::from_utf8_lossy(&value[i..i + w]).chars().next().map_or(0xFFFD, |c| c as u32);
                i += w;
                self.put(b'\\');
                let simple = match v {
                    0x00 => Some(b'0'),
                    0x07 => Some(b'a'),
                    0x08 => Some(b'b'),
                    0x09 => Some(b't'),
                    0x0A => Some(b'n'),
                    0x0B => Some(b'v'),
                    0x0C => Some(b'f'),
                    0x0D => Some(b'r'),
                    0x1B => Some(b'e'),
                    0x22 => Some(b'"'),
                    0x5C => Some(b'\\'),
                    0x85 => Some(b'N'),
                    0xA0 => Some(b'_'),
                    0x2028 => Some(b'L'),
                    0x2029 => Some(b'P'),
                    _ => None,
                };
                match simple {
                    Some(c) => self.put(c),
                    None => {
                        let (prefix, digits) = if v <= 0xFF {
                            (b'x', 2)
                        } else if v <= 0xFFFF {
                            (b'u', 4)
                        } else {
                            (b'U', 8)
                        };
                        self.put(prefix);
                        for k in (0..digits).rev() {
                            let digit = ((v >> (4 * k)) & 0xF) as u8;
                            self.put(if digit < 10 { digit + b'0' } else { digit + b'A' - 10 });
                        }
                    }
                }
                spaces = false;
            } else if is_space(value, i) {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < value.len() - 1 {
                    self.write_indent();
                    if is_space(value, i + 1) {
                        self.put(b'\\');
                    }
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator(b"\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &[u8]) {
        self.write_indicator(b"|", true, false, false);
        // Block scalar hints: indentation when the text starts with a space
        // or a break, and chomping from its trailing breaks.
        if is_space(value, 0) || is_break(value, 0) {
            self.write_indicator(&[b'0' + BEST_INDENT as u8], false, false, false);
        }
        let chomp = match value.len() {
            0 => Some(b'-'),
            n => {
                let mut i = n - 1;
                while i > 0 && value[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                if !is_break(value, i) {
                    Some(b'-')
                } else if i == 0 {
                    Some(b'+')
                } else {
                    let mut j = i - 1;
                    while j > 0 && value[j] & 0xC0 == 0x80 {
                        j -= 1;
                    }
                    is_break(value, j).then_some(b'+')
                }
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(&[c], false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < value.len() {
            if is_break(value, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(value, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// A scalar's text and the style go-yaml's encoder asks for.
fn scalar_text(node: &YamlNode) -> (Vec<u8>, Style) {
    match node {
        YamlNode::Null => (b"null".to_vec(), Style::Plain),
        YamlNode::Bool(b) => ((if *b { "true" } else { "false" }).as_bytes().to_vec(), Style::Plain),
        YamlNode::Int(i) => (i.to_string().into_bytes(), Style::Plain),
        YamlNode::Uint(u) => (u.to_string().into_bytes(), Style::Plain),
        YamlNode::Float(f) => {
            let text = injit_strconv::format_float(*f, injit_strconv::FloatFormat::General { upper: false }, -1);
            let text = match text.as_str() {
                "+Inf" => ".inf".to_owned(),
                "-Inf" => "-.inf".to_owned(),
                "NaN" => ".nan".to_owned(),
                _ => text,
            };
            (text.into_bytes(), Style::Plain)
        }
        YamlNode::Str(s) => (s.clone(), requested_style(s)),
        YamlNode::Seq(_) | YamlNode::Map(_) => (Vec::new(), Style::Plain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(json: &str) -> String {
        String::from_utf8(marshal(&node_from_json(json.as_bytes()).expect("json"))).expect("utf-8")
    }

    #[test]
    fn block_layout_as_go_yaml_v2() {
        assert_eq!(yaml(r#"{"b":[1,"x"],"a":{"c":{},"d":[]}}"#), "a:\n  c: {}\n  d: []\nb:\n- 1\n- x\n");
        assert_eq!(yaml(r#"[{"name":"a","v":1},{"name":"b"}]"#), "- name: a\n  v: 1\n- name: b\n");
        assert_eq!(yaml(r#"{"k":[[1,2]]}"#), "k:\n- - 1\n  - 2\n");
    }

    #[test]
    fn strings_quoted_when_they_would_read_back_otherwise() {
        assert_eq!(
            yaml(r#"{"a":"15020","b":"*","c":"","d":"true","e":"a: b","f":"x'y","g":"1.5"}"#),
            "a: \"15020\"\nb: '*'\nc: \"\"\nd: \"true\"\ne: 'a: b'\nf: x'y\ng: \"1.5\"\n"
        );
        assert_eq!(yaml(r#"{"a":"line1\nline2","b":"x\n"}"#), "a: |-\n  line1\n  line2\nb: |\n  x\n");
        assert_eq!(yaml(r#"{"a":1.5,"b":1e+21,"c":100}"#), "a: 1.5\nb: 1e+21\nc: 100\n");
    }

    #[test]
    fn keys_in_natural_order() {
        assert_eq!(yaml(r#"{"a10":1,"a2":2,"B":3,"a":4}"#), "B: 3\na: 4\na2: 2\na10: 1\n");
    }

    #[test]
    fn long_scalars_fold_at_80_columns() {
        let words = "word ".repeat(30);
        let out = yaml(&format!(r#"{{"k":"{}"}}"#, words.trim()));
        assert!(out.lines().count() > 1, "{out}");
        assert!(out.lines().nth(1).is_some_and(|l| l.starts_with("  word")), "{out}");
    }
}
