//! sprig's string functions (strings.go, and goutils/xstrings helpers).

use injit_strconv::unicode;
use injit_strconv::{append_quoted, encode_rune};

use super::cast::{dynamic, is_present, strval};
use super::text::{self, byte_is_space, push_byte_rune, runes};
use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::types::{Kind, Type};
use crate::value::{MapValue, Value};

fn string<'a>(bytes: impl Into<std::rc::Rc<[u8]>>) -> Result<'a> {
    Ok(Value::string(bytes))
}

pub(super) fn trim<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(text::trim_space(a.str(0)))
}

pub(super) fn upper<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(text::to_upper(a.str(0)))
}

pub(super) fn lower<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(text::to_lower(a.str(0)))
}

pub(super) fn title<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(text::title(a.str(0)))
}

/// goutils.Uncapitalize: the first rune lower-cased.
pub(super) fn untitle<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let s = a.str(0);
    let mut out = Vec::with_capacity(s.len());
    let mut next = true;
    for (r, _) in runes(s) {
        if unicode::is_space(r) {
            next = true;
            encode_rune(&mut out, r);
        } else if next {
            encode_rune(&mut out, unicode::to_lower(r));
            next = false;
        } else {
            encode_rune(&mut out, r);
        }
    }
    string(out)
}

pub(super) fn substr<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (start, end, s) = (a.int(0), a.int(1), a.str(2));
    let len = s.len() as i64;
    let slice_err = |lo: i64, hi: i64| {
        if hi > len || hi < 0 {
            format!("runtime error: slice bounds out of range [:{hi}] with length {len}")
        } else {
            format!("runtime error: slice bounds out of range [{lo}:{hi}]")
        }
    };
    if start < 0 {
        if end < 0 || end > len {
            return Err(slice_err(0, end));
        }
        return string(&s[..end as usize]);
    }
    if end < 0 || end > len {
        if start > len {
            return Err(format!("runtime error: slice bounds out of range [{start}:{len}]"));
        }
        return string(&s[start as usize..]);
    }
    if start > end {
        return Err(slice_err(start, end));
    }
    string(&s[start as usize..end as usize])
}

pub(super) fn trunc<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (c, s) = (a.int(0), a.str(1));
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return string(&s[(len + c) as usize..]);
    }
    if c >= 0 && len > c {
        return string(&s[..c as usize]);
    }
    string(s)
}

pub(super) fn repeat<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(text::repeat(a.str(1), a.int(0))?)
}

/// `trimAll cutset s` (sprig swaps `strings.Trim`'s arguments).
pub(super) fn trim_all<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(text::trim(a.str(1), a.str(0)))
}

pub(super) fn trim_suffix<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (suffix, s) = (a.str(0), a.str(1));
    string(s.strip_suffix(suffix).unwrap_or(s))
}

pub(super) fn trim_prefix<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (prefix, s) = (a.str(0), a.str(1));
    string(s.strip_prefix(prefix).unwrap_or(s))
}

/// goutils.DeleteWhiteSpace: works on bytes, each read as a rune.
pub(super) fn nospace<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let s = a.str(0);
    if !s.iter().any(|&b| byte_is_space(b)) {
        return string(s);
    }
    let mut out = Vec::with_capacity(s.len());
    for &b in s.iter().filter(|&&b| !byte_is_space(b)) {
        push_byte_rune(&mut out, b);
    }
    string(out)
}

/// goutils.Initials: the first byte of each space-separated word.
pub(super) fn initials<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut out = Vec::new();
    let mut last_was_gap = true;
    for &b in a.str(0) {
        if byte_is_space(b) {
            last_was_gap = true;
        } else if last_was_gap {
            push_byte_rune(&mut out, b);
            last_was_gap = false;
        }
    }
    string(out)
}

/// goutils.SwapCase.
pub(super) fn swapcase<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut out = Vec::new();
    let mut whitespace = true;
    for (r, _) in runes(a.str(0)) {
        let mapped = if unicode::is_upper(r) || unicode::is_title(r) {
            whitespace = false;
            unicode::to_lower(r)
        } else if unicode::is_lower(r) {
            let m = if whitespace { unicode::to_title(r) } else { unicode::to_upper(r) };
            whitespace = false;
            m
        } else {
            whitespace = unicode::is_space(r);
            r
        };
        encode_rune(&mut out, mapped);
    }
    string(out)
}

/// goutils.AbbreviateFull; errors (too small a width) give "".
fn abbreviate_full(s: &[u8], offset: i64, max_width: i64) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    if max_width < 4 {
        return Vec::new();
    }
    let len = s.len() as i64;
    if len <= max_width {
        return s.to_vec();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        let mut out = s[..(max_width - 3) as usize].to_vec();
        out.extend_from_slice(b"...");
        return out;
    }
    if max_width < 7 {
        return Vec::new();
    }
    let mut out = b"...".to_vec();
    if offset + max_width - 3 < len {
        out.extend(abbreviate_full(&s[offset as usize..], 0, max_width - 3));
    } else {
        out.extend_from_slice(&s[(len - (max_width - 3)) as usize..]);
    }
    out
}

pub(super) fn abbrev<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (width, s) = (a.int(0), a.str(1));
    if width < 4 {
        return string(s);
    }
    string(abbreviate_full(s, 0, width))
}

pub(super) fn abbrevboth<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (left, right, s) = (a.int(0), a.int(1), a.str(2));
    if right < 4 || left > 0 && right < 7 {
        return string(s);
    }
    string(abbreviate_full(s, left, right))
}

/// goutils.WrapCustom.
fn wrap_custom<'a>(s: &[u8], wrap_length: i64, newline: &[u8], wrap_long_words: bool) -> Result<'a> {
    if s.is_empty() {
        return string(Vec::new());
    }
    let newline: &[u8] = if newline.is_empty() { b"\n" } else { newline };
    let wrap_length = wrap_length.max(1) as usize;
    let len = s.len();
    let mut offset = 0usize;
    let mut out = Vec::with_capacity(len + 8);
    while len - offset > wrap_length {
        if s[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = wrap_length + offset + 1;
        let window = &s[offset..end.min(len)];
        let space = window.iter().rposition(|&b| b == b' ');
        if let Some(at) = space {
            let at = at + offset;
            out.extend_from_slice(&s[offset..at]);
            out.extend_from_slice(newline);
            offset = at + 1;
        } else if wrap_long_words {
            let end = wrap_length + offset;
            out.extend_from_slice(&s[offset..end]);
            out.extend_from_slice(newline);
            offset += wrap_length;
        } else {
            let end = wrap_length + offset;
            match s[end..].iter().position(|&b| b == b' ') {
                None => {
                    out.extend_from_slice(&s[offset..]);
                    offset = len;
                }
                Some(index) => {
                    let at = index + end;
                    out.extend_from_slice(&s[offset..at]);
                    out.extend_from_slice(newline);
                    offset = at + 1;
                }
            }
        }
    }
    out.extend_from_slice(&s[offset.min(len)..]);
    string(out)
}

pub(super) fn wrap<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    wrap_custom(a.str(1), a.int(0), b"", false)
}

pub(super) fn wrap_with<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    wrap_custom(a.str(2), a.int(0), a.str(1), true)
}

pub(super) fn contains<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(text::contains(a.str(1), a.str(0))))
}

pub(super) fn has_prefix<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(text::has_prefix(a.str(1), a.str(0))))
}

pub(super) fn has_suffix<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(a.str(1).ends_with(a.str(0))))
}

/// `quote`: each non-nil argument's `strval`, Go-quoted.
pub(super) fn quote<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut out = Vec::new();
    quote_into(cx, a, &mut out)?;
    string(out)
}

/// `quote` printed: appended to `out`.
pub(super) fn quote_into(_: &CallCx, a: &[Value<'_>], out: &mut Vec<u8>) -> std::result::Result<(), String> {
    let start = out.len();
    for v in a.all().iter().filter(|v| is_present(v)) {
        if out.len() > start {
            out.push(b' ');
        }
        let text = strval(v);
        // Quotes and the text itself, most often all there is: one
        // allocation rather than a doubling per few bytes.
        out.reserve(text.len() + 3);
        append_quoted(out, &text);
    }
    Ok(())
}

/// `squote`: each non-nil argument printed with `%v` in single quotes.
pub(super) fn squote<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut out = Vec::new();
    for v in a.all().iter().filter(|v| dynamic(v).is_valid()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.push(b'\'');
        out.extend(crate::fmt::sprintf(b"%v", std::slice::from_ref(v)));
        out.push(b'\'');
    }
    string(out)
}

/// `cat`: the non-nil arguments printed with `%v`, space-separated.
pub(super) fn cat<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let values: Vec<Value<'a>> = a.all().iter().filter(|v| dynamic(v).is_valid()).cloned().collect();
    let format = "%v ".repeat(values.len());
    let format = format.trim_end_matches(' ');
    string(crate::fmt::sprintf(format.as_bytes(), &values))
}

fn indent_bytes<'a>(spaces: i64, v: &[u8]) -> Result<'a> {
    let mut out = Vec::new();
    indent_lines_into(spaces, v, &mut out)?;
    string(out)
}

/// `v` with `spaces` spaces before each line, appended to `out`.
fn indent_lines_into(spaces: i64, v: &[u8], out: &mut Vec<u8>) -> std::result::Result<(), String> {
    let lines = 1 + memchr::memchr_iter(b'\n', v).count() as u128;
    let total = v.len() as u128 + lines * spaces.max(0) as u128;
    if total > super::MAX_BUILT_BYTES as u128 {
        return Err(format!("{total} bytes are more than injit builds into one string ({})", super::MAX_BUILT_BYTES));
    }
    let pad = text::repeat(b" ", spaces)?;
    out.reserve(total as usize);
    out.extend_from_slice(&pad);
    let mut rest = v;
    while let Some(i) = memchr::memchr(b'\n', rest) {
        out.extend_from_slice(&rest[..=i]);
        out.extend_from_slice(&pad);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    Ok(())
}

pub(super) fn indent<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    indent_bytes(a.int(0), a.str(1))
}

pub(super) fn nindent<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut out = Vec::new();
    nindent_into(cx, a, &mut out)?;
    string(out)
}

/// `indent` printed: appended to `out`.
pub(super) fn indent_into(_: &CallCx, a: &[Value<'_>], out: &mut Vec<u8>) -> std::result::Result<(), String> {
    indent_lines_into(a.int(0), a.str(1), out)
}

/// `nindent` printed: appended to `out`.
pub(super) fn nindent_into(_: &CallCx, a: &[Value<'_>], out: &mut Vec<u8>) -> std::result::Result<(), String> {
    out.push(b'\n');
    indent_lines_into(a.int(0), a.str(1), out)
}

/// `replace old new src`.
pub(super) fn replace<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(text::replace_all(a.str(2), a.str(0), a.str(1)))
}

pub(super) fn plural<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(if a.int(2) == 1 { a.str(0) } else { a.str(1) })
}

pub(super) fn to_string<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(strval(a.arg(0)).into_owned())
}

/// sprig's `strslice`: a list's non-nil items as strings; a non-list as a
/// one-element list.
pub(super) fn strslice(v: &Value<'_>) -> Vec<Vec<u8>> {
    let mut items = Vec::new();
    for_each_str(v, |item| items.push(item.to_vec()));
    items
}

/// [`strslice`] item by item, without copying strings.
fn for_each_str(v: &Value<'_>, mut f: impl FnMut(&[u8])) {
    let d = v.unboxed_cow();
    let n = d.len().unwrap_or(0);
    if d.dyn_type() == Some(Type::StringSlice) {
        (0..n).for_each(|i| f(d.index(i).as_bytes().unwrap_or_default()));
    } else if d.kind() == Kind::Slice {
        for i in 0..n {
            let item = d.index(i);
            if is_present(&item) {
                f(&strval(&item));
            }
        }
    } else if d.is_valid() {
        f(&strval(&d));
    }
}

pub(super) fn to_strings<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(super::cast::string_slice(strslice(a.arg(0))))
}

pub(super) fn join<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let separator = a.str(0);
    let mut out = Vec::new();
    let mut first = true;
    for_each_str(a.arg(1), |item| {
        if !first {
            out.extend_from_slice(separator);
        }
        first = false;
        out.extend_from_slice(item);
    });
    string(out)
}

fn split_map<'a>(parts: Vec<Vec<u8>>) -> Result<'a> {
    let mut map = MapValue::default();
    for (i, part) in parts.into_iter().enumerate() {
        map.insert(std::rc::Rc::from(format!("_{i}").as_bytes()), Value::string(part));
    }
    Ok(Value::map(map, Type::StringMap))
}

pub(super) fn split<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    split_map(text::split_n(a.str(1), a.str(0), -1))
}

pub(super) fn splitn<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    split_map(text::split_n(a.str(2), a.str(0), a.int(1)))
}

pub(super) fn split_list<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(super::cast::string_slice(text::split_n(a.str(1), a.str(0), -1)))
}

/// `sortAlpha`: a list's items as sorted strings; anything else as a
/// one-element list.
pub(super) fn sort_alpha<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = dynamic(a.arg(0));
    let mut items = if v.kind() == Kind::Slice { strslice(&v) } else { vec![strval(&v).into_owned()] };
    items.sort();
    Ok(super::cast::string_slice(items))
}

/// `atoi`: `strconv.Atoi` with its error dropped, so out of range is the
/// nearest bound and bad syntax 0.
pub(super) fn atoi<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::int(injit_strconv::parse_int_lossy(a.str(0), 10)))
}

pub(super) fn hello<'a>(_: &CallCx, _: &[Value<'a>]) -> Result<'a> {
    string(&b"Hello!"[..])
}

pub(super) fn fail<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Err(String::from_utf8_lossy(a.str(0)).into_owned())
}

/// xstrings.ToCamelCase, transcribed (a string of connectors only repeats
/// its last one, as xstrings does).
pub(super) fn camelcase<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let is_connector = |r: char| r == '-' || r == '_' || unicode::is_space(r);
    let decode = |s: &[u8]| {
        let (r, w) = injit_strconv::decode_rune(s);
        (r, w.max(1))
    };
    let mut rest = a.str(0);
    if rest.is_empty() {
        return string(Vec::new());
    }
    let mut out = Vec::new();
    let mut r0 = '\0';
    let mut size = 0;
    while !rest.is_empty() {
        let (r, w) = decode(rest);
        size = w;
        rest = &rest[w..];
        r0 = r;
        if !is_connector(r0) {
            r0 = unicode::to_upper(r0);
            break;
        }
        encode_rune(&mut out, r0);
    }
    if rest.is_empty() {
        if size != 0 {
            encode_rune(&mut out, r0);
        }
        return string(out);
    }
    while !rest.is_empty() {
        let r1 = r0;
        let (r, w) = decode(rest);
        rest = &rest[w..];
        r0 = r;
        if is_connector(r0) && is_connector(r1) {
            encode_rune(&mut out, r1);
            continue;
        }
        if is_connector(r1) {
            r0 = unicode::to_upper(r0);
        } else {
            r0 = unicode::to_lower(r0);
            encode_rune(&mut out, r1);
        }
    }
    encode_rune(&mut out, r0);
    string(out)
}

pub(super) fn snakecase<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(super::xstrings::camel_case_to_lower_case(a.str(0), '_'))
}

pub(super) fn kebabcase<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    string(super::xstrings::camel_case_to_lower_case(a.str(0), '-'))
}
