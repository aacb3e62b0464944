//! Go's `strings` and `unicode/utf8` helpers on byte strings, as sprig's
//! string functions use them.

use injit_strconv::unicode;
use injit_strconv::{decode_rune, encode_rune};

/// The runes of `s` as Go's `for range` decodes them, with byte widths.
pub(super) fn runes(s: &[u8]) -> impl Iterator<Item = (char, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= s.len() {
            return None;
        }
        let (r, w) = if s[i] < 0x80 { (s[i] as char, 1) } else { decode_rune(&s[i..]) };
        let w = w.max(1);
        i += w;
        Some((r, w))
    })
}

/// `strings.Map`: each rune mapped (invalid bytes are U+FFFD).
pub(super) fn map_runes(s: &[u8], f: impl Fn(char) -> char) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for (r, _) in runes(s) {
        encode_rune(&mut out, f(r));
    }
    out
}

pub(super) fn to_upper(s: &[u8]) -> Vec<u8> {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    map_runes(s, unicode::to_upper)
}

pub(super) fn to_lower(s: &[u8]) -> Vec<u8> {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    map_runes(s, unicode::to_lower)
}

/// `strings.Title` (deprecated in Go, still what sprig's `title` is).
pub(super) fn title(s: &[u8]) -> Vec<u8> {
    fn is_separator(r: char) -> bool {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if unicode::is_letter(r) || unicode::is_digit(r) {
            return false;
        }
        unicode::is_space(r)
    }
    let mut prev = ' ';
    let mut out = Vec::with_capacity(s.len());
    for (r, _) in runes(s) {
        let mapped = if is_separator(prev) { unicode::to_title(r) } else { r };
        prev = r;
        encode_rune(&mut out, mapped);
    }
    out
}

/// `strings.TrimSpace`.
pub(super) fn trim_space(s: &[u8]) -> &[u8] {
    trim_func(s, unicode::is_space)
}

/// `strings.TrimFunc`.
pub(super) fn trim_func(s: &[u8], f: impl Fn(char) -> bool) -> &[u8] {
    let mut start = 0;
    for (r, w) in runes(s) {
        if !f(r) {
            break;
        }
        start += w;
    }
    let mut end = s.len();
    while end > start {
        let (r, w) = injit_strconv::decode_last_rune(&s[start..end]);
        if !f(r) {
            break;
        }
        end -= w.max(1);
    }
    &s[start..end]
}

/// `strings.Trim(s, cutset)`.
pub(super) fn trim(s: &[u8], cutset: &[u8]) -> Vec<u8> {
    let set: Vec<char> = runes(cutset).map(|(r, _)| r).collect();
    trim_func(s, |r| set.contains(&r)).to_vec()
}

pub(super) fn has_prefix(s: &[u8], prefix: &[u8]) -> bool {
    s.starts_with(prefix)
}

pub(super) fn contains(s: &[u8], sub: &[u8]) -> bool {
    sub.is_empty() || memchr::memmem::find(s, sub).is_some()
}

/// `strings.Replace(s, old, new, -1)`.
pub(super) fn replace_all(s: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    if old.is_empty() {
        // An empty pattern matches at the start and after each rune.
        out.extend_from_slice(new);
        let mut at = 0;
        for (_, w) in runes(s) {
            out.extend_from_slice(&s[at..at + w]);
            out.extend_from_slice(new);
            at += w;
        }
        return out;
    }
    let mut last = 0;
    for at in memchr::memmem::find_iter(s, old) {
        if at < last {
            continue;
        }
        out.extend_from_slice(&s[last..at]);
        out.extend_from_slice(new);
        last = at + old.len();
    }
    out.extend_from_slice(&s[last..]);
    out
}

/// `strings.SplitN(s, sep, n)`; `n < 0` means all.
pub(super) fn split_n(s: &[u8], sep: &[u8], n: i64) -> Vec<Vec<u8>> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        // explode: one element per UTF-8 sequence (or invalid byte).
        let pieces: Vec<(usize, usize)> = {
            let mut v = Vec::new();
            let mut i = 0;
            for (_, w) in runes(s) {
                v.push((i, w));
                i += w;
            }
            v
        };
        let limit = if n < 0 || n as usize > pieces.len() { pieces.len() } else { n as usize };
        let mut out: Vec<Vec<u8>> =
            pieces[..limit.saturating_sub(1)].iter().map(|&(i, w)| s[i..i + w].to_vec()).collect();
        if limit > 0 {
            let start = pieces[limit - 1].0;
            out.push(s[start..].to_vec());
        }
        return out;
    }
    let mut out = Vec::new();
    let mut rest = s;
    while n < 0 || (out.len() as i64) < n - 1 {
        match memchr::memmem::find(rest, sep) {
            Some(at) => {
                out.push(rest[..at].to_vec());
                rest = &rest[at + sep.len()..];
            }
            None => break,
        }
    }
    out.push(rest.to_vec());
    out
}

/// `strings.Repeat`.
pub(super) fn repeat(s: &[u8], count: i64) -> Result<Vec<u8>, String> {
    if count < 0 {
        return Err("strings: negative Repeat count".to_owned());
    }
    let total = (s.len() as u128) * count as u128;
    if total > (1 << 63) {
        return Err("strings: Repeat output length overflow".to_owned());
    }
    if total > super::MAX_BUILT_BYTES as u128 {
        return Err(format!("{total} bytes are more than injit builds into one string ({})", super::MAX_BUILT_BYTES));
    }
    Ok(s.repeat(count as usize))
}

/// `unicode.IsSpace` on a byte read as a rune (goutils reads bytes).
pub(super) fn byte_is_space(b: u8) -> bool {
    unicode::is_space(b as char)
}

/// Appends a byte as the rune of the same value, as Go's
/// `WriteRune(rune(str[i]))` does.
pub(super) fn push_byte_rune(out: &mut Vec<u8>, b: u8) {
    encode_rune(out, b as char);
}
