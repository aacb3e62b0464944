//! `strconv.Quote`, `QuoteRune`, `QuoteToASCII`, `Unquote` and `UnquoteChar`.

use crate::utf8::{RUNE_ERROR, decode_rune, encode_rune};
use crate::{NumError, unicode};

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

#[derive(Clone, Copy)]
enum Mode {
    Printable,
    AsciiOnly,
}

fn append_escaped_rune(out: &mut Vec<u8>, r: char, quote: u8, mode: Mode) {
    if r as u32 == quote as u32 || r == '\\' {
        out.push(b'\\');
        encode_rune(out, r);
        return;
    }
    let printable = match mode {
        Mode::AsciiOnly => r.is_ascii() && unicode::is_print(r),
        Mode::Printable => unicode::is_print(r),
    };
    if printable {
        encode_rune(out, r);
        return;
    }
    match r {
        '\u{07}' => out.extend_from_slice(b"\\a"),
        '\u{08}' => out.extend_from_slice(b"\\b"),
        '\u{0c}' => out.extend_from_slice(b"\\f"),
        '\n' => out.extend_from_slice(b"\\n"),
        '\r' => out.extend_from_slice(b"\\r"),
        '\t' => out.extend_from_slice(b"\\t"),
        '\u{0b}' => out.extend_from_slice(b"\\v"),
        _ => {
            let c = r as u32;
            if c < 0x20 || c == 0x7f {
                out.extend_from_slice(b"\\x");
                out.push(LOWER_HEX[(c >> 4) as usize]);
                out.push(LOWER_HEX[(c & 0xf) as usize]);
            } else if c < 0x10000 {
                out.extend_from_slice(b"\\u");
                for shift in (0..4).rev() {
                    out.push(LOWER_HEX[((c >> (shift * 4)) & 0xf) as usize]);
                }
            } else {
                out.extend_from_slice(b"\\U");
                for shift in (0..8).rev() {
                    out.push(LOWER_HEX[((c >> (shift * 4)) & 0xf) as usize]);
                }
            }
        }
    }
}

fn append_quoted_with(out: &mut Vec<u8>, s: &[u8], quote: u8, mode: Mode) {
    out.push(quote);
    let mut i = 0;
    while i < s.len() {
        // Runs of printable ASCII other than the quote and '\\' are copied
        // as they are: nearly all of a typical string.
        let plain = s[i..].iter().take_while(|&&b| (0x20..0x7f).contains(&b) && b != quote && b != b'\\').count();
        if plain > 0 {
            out.extend_from_slice(&s[i..i + plain]);
            i += plain;
            continue;
        }
        let (r, width) = if s[i] < 0x80 { (s[i] as char, 1) } else { decode_rune(&s[i..]) };
        if width == 1 && r == RUNE_ERROR {
            out.extend_from_slice(b"\\x");
            out.push(LOWER_HEX[(s[i] >> 4) as usize]);
            out.push(LOWER_HEX[(s[i] & 0xf) as usize]);
            i += 1;
            continue;
        }
        append_escaped_rune(out, r, quote, mode);
        i += width;
    }
    out.push(quote);
}

/// Appends `strconv.Quote(s)`.
pub fn append_quoted(out: &mut Vec<u8>, s: &[u8]) {
    append_quoted_with(out, s, b'"', Mode::Printable);
}

/// Appends `strconv.QuoteToASCII(s)`.
pub fn append_quoted_ascii(out: &mut Vec<u8>, s: &[u8]) {
    append_quoted_with(out, s, b'"', Mode::AsciiOnly);
}

/// Appends `strconv.QuoteRune(r)` (or `QuoteRuneToASCII` when `ascii_only`).
/// Go quotes a rune given as an integer; out-of-range values become U+FFFD.
pub fn append_quoted_rune(out: &mut Vec<u8>, r: i64, ascii_only: bool) {
    let r = u32::try_from(r).ok().and_then(char::from_u32).unwrap_or(RUNE_ERROR);
    out.push(b'\'');
    append_escaped_rune(out, r, b'\'', if ascii_only { Mode::AsciiOnly } else { Mode::Printable });
    out.push(b'\'');
}

/// `strconv.Quote`.
pub fn quote(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    append_quoted(&mut out, s);
    // Quoting escapes every invalid byte, so the result is always UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// `strconv.QuoteRune`.
pub fn quote_rune(r: char) -> String {
    let mut out = Vec::new();
    append_quoted_rune(&mut out, r as i64, false);
    String::from_utf8(out).unwrap_or_default()
}

/// One decoded character of a quoted literal (`strconv.UnquoteChar`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unquoted {
    /// The rune, or a byte value for `\x` and octal escapes.
    pub value: u32,
    /// Whether `value` must be encoded as UTF-8 (false for byte escapes).
    pub multibyte: bool,
    /// Bytes consumed from the input.
    pub consumed: usize,
}

fn hex_value(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// `strconv.UnquoteChar(s, quote)`.
pub fn unquote_char(s: &[u8], quote: u8) -> Result<Unquoted, NumError> {
    let Some(&c) = s.first() else {
        return Err(NumError::Syntax);
    };
    if c == quote && (quote == b'\'' || quote == b'"') {
        return Err(NumError::Syntax);
    }
    if c >= 0x80 {
        let (r, width) = decode_rune(s);
        return Ok(Unquoted { value: r as u32, multibyte: true, consumed: width });
    }
    if c != b'\\' {
        return Ok(Unquoted { value: c as u32, multibyte: false, consumed: 1 });
    }
    let Some(&esc) = s.get(1) else {
        return Err(NumError::Syntax);
    };
    let simple = |v: u8| Ok(Unquoted { value: v as u32, multibyte: false, consumed: 2 });
    match esc {
        b'a' => simple(0x07),
        b'b' => simple(0x08),
        b'f' => simple(0x0c),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(0x0b),
        b'x' | b'u' | b'U' => {
            let n = match esc {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = s.get(2..2 + n).ok_or(NumError::Syntax)?;
            let mut v = 0u32;
            for &d in digits {
                v = (v << 4) | hex_value(d).ok_or(NumError::Syntax)?;
            }
            if esc == b'x' {
                return Ok(Unquoted { value: v, multibyte: false, consumed: 2 + n });
            }
            if char::from_u32(v).is_none() {
                return Err(NumError::Syntax);
            }
            Ok(Unquoted { value: v, multibyte: true, consumed: 2 + n })
        }
        b'0'..=b'7' => {
            let mut v = (esc - b'0') as u32;
            let digits = s.get(2..4).ok_or(NumError::Syntax)?;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return Err(NumError::Syntax);
                }
                v = (v << 3) | (d - b'0') as u32;
            }
            if v > 255 {
                return Err(NumError::Syntax);
            }
            Ok(Unquoted { value: v, multibyte: false, consumed: 4 })
        }
        b'\\' => simple(b'\\'),
        b'\'' | b'"' => {
            if esc != quote {
                return Err(NumError::Syntax);
            }
            simple(esc)
        }
        _ => Err(NumError::Syntax),
    }
}

/// `strconv.Unquote`: the bytes a Go string, rune or raw literal denotes.
pub fn unquote(s: &[u8]) -> Result<Vec<u8>, NumError> {
    let n = s.len();
    if n < 2 {
        return Err(NumError::Syntax);
    }
    let quote = s[0];
    if quote != s[n - 1] {
        return Err(NumError::Syntax);
    }
    let body = &s[1..n - 1];
    match quote {
        b'`' => {
            if body.contains(&b'`') {
                return Err(NumError::Syntax);
            }
            Ok(body.iter().copied().filter(|&b| b != b'\r').collect())
        }
        b'"' | b'\'' => {
            if body.contains(&b'\n') {
                return Err(NumError::Syntax);
            }
            let mut out = Vec::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let ch = unquote_char(rest, quote)?;
                if ch.value < 0x80 || !ch.multibyte {
                    out.push(ch.value as u8);
                } else {
                    encode_rune(&mut out, char::from_u32(ch.value).unwrap_or(RUNE_ERROR));
                }
                rest = &rest[ch.consumed..];
                if quote == b'\'' {
                    break;
                }
            }
            if quote == b'\'' && (!rest.is_empty() || body.is_empty()) {
                return Err(NumError::Syntax);
            }
            Ok(out)
        }
        _ => Err(NumError::Syntax),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote(b"a\"b\\c\n\x01\x7f\xff\xe2\x80\xa8\xc3\xa9"), r#""a\"b\\c\n\x01\x7f\xff\u2028é""#);
        assert_eq!(quote_rune('\''), r"'\''");
        assert_eq!(quote("\u{1F600}".as_bytes()), "\"\u{1F600}\"");
        let mut ascii = Vec::new();
        append_quoted_ascii(&mut ascii, "é\u{1F600}".as_bytes());
        assert_eq!(ascii, br#""\u00e9\U0001f600""#);
    }

    #[test]
    fn unquotes_like_go() {
        assert_eq!(unquote(br#""a\x41\101\u00e9\t""#).unwrap(), "aAAé\t".as_bytes());
        assert_eq!(unquote(br#""\xff""#).unwrap(), b"\xff");
        assert_eq!(unquote(b"`a\r\nb`").unwrap(), b"a\nb");
        assert_eq!(unquote(br#""\'""#), Err(NumError::Syntax));
        assert_eq!(unquote(br#""\ud800""#), Err(NumError::Syntax));
        assert_eq!(unquote(b"'ab'"), Err(NumError::Syntax));
        assert_eq!(unquote_char(br"\x41'", b'\'').unwrap().value, 0x41);
    }
}
