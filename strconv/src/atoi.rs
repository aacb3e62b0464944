//! `strconv.ParseUint` and `ParseInt`, including base 0's prefixes and `_`.

use crate::NumError;

/// Go's `underscoreOK`: underscores only between digits, or between a base
/// prefix and a digit.
pub(crate) fn underscore_ok(s: &[u8]) -> bool {
    // 0 = digit or base prefix, b'_' = underscore, b'^' = start, b'!' = other.
    let mut saw = b'^';
    let mut s = s;
    if let Some(b'+' | b'-') = s.first() {
        s = &s[1..];
    }
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1].eq_ignore_ascii_case(&b'x');
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, base, 64)`; `base` 0 reads Go's prefixes
/// (`0x`, `0o`, `0b`, leading `0` for octal) and allows `_` separators.
pub fn parse_uint(s: &[u8], base: u32) -> Result<u64, NumError> {
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let base0 = base == 0;
    let mut digits = s;
    let mut base = base as u64;
    if base0 {
        base = 10;
        if s[0] == b'0' {
            let prefix = s.get(1).map(|b| b.to_ascii_lowercase());
            match prefix {
                Some(b'b') if s.len() >= 3 => (base, digits) = (2, &s[2..]),
                Some(b'o') if s.len() >= 3 => (base, digits) = (8, &s[2..]),
                Some(b'x') if s.len() >= 3 => (base, digits) = (16, &s[2..]),
                _ => (base, digits) = (8, &s[1..]),
            }
        }
    } else if !(2..=36).contains(&base) {
        return Err(NumError::Syntax);
    }
    let mut underscores = false;
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'_' if base0 => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => (c - b'0') as u64,
            _ if c.is_ascii_alphabetic() => (c.to_ascii_lowercase() - b'a') as u64 + 10,
            _ => return Err(NumError::Syntax),
        };
        if d >= base {
            return Err(NumError::Syntax);
        }
        // Go gives up at the first overflow: what follows is not read,
        // even a byte that would be a syntax error.
        n = n.checked_mul(base).and_then(|m| m.checked_add(d)).ok_or(NumError::Range)?;
    }
    if underscores && !underscore_ok(s) {
        return Err(NumError::Syntax);
    }
    Ok(n)
}

/// `strconv.ParseInt(s, base, 64)` with its value on every error: 0 for
/// bad syntax, the nearest bound out of range (what callers that drop
/// the error, like sprig's `atoi`, see).
pub fn parse_int_lossy(s: &[u8], base: u32) -> i64 {
    match parse_int(s, base) {
        Ok(n) => n,
        Err(NumError::Range) if s.first() == Some(&b'-') => i64::MIN,
        Err(NumError::Range) => i64::MAX,
        Err(_) => 0,
    }
}

/// `strconv.ParseInt(s, base, 64)`.
pub fn parse_int(s: &[u8], base: u32) -> Result<i64, NumError> {
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let (neg, body) = match s[0] {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint(body, base)?;
    const CUTOFF: u64 = 1 << 63;
    if !neg && magnitude >= CUTOFF {
        return Err(NumError::Range);
    }
    if neg && magnitude > CUTOFF {
        return Err(NumError::Range);
    }
    Ok(if neg { (magnitude as i64).wrapping_neg() } else { magnitude as i64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        assert_eq!(parse_int(b"0x1F", 0), Ok(31));
        assert_eq!(parse_int(b"0o17", 0), Ok(15));
        assert_eq!(parse_int(b"017", 0), Ok(15));
        assert_eq!(parse_int(b"0b101", 0), Ok(5));
        assert_eq!(parse_int(b"1_000", 0), Ok(1000));
        assert_eq!(parse_int(b"1__0", 0), Err(NumError::Syntax));
        assert_eq!(parse_int(b"08", 0), Err(NumError::Syntax));
        assert_eq!(parse_int(b"-9223372036854775808", 0), Ok(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808", 0), Err(NumError::Range));
        assert_eq!(parse_uint(b"9223372036854775808", 0), Ok(1 << 63));
        assert_eq!(parse_uint(b"18446744073709551616", 0), Err(NumError::Range));
        assert_eq!(parse_int(b"1_000", 10), Err(NumError::Syntax));
        assert_eq!(parse_int(b"0", 0), Ok(0));
        assert_eq!(parse_int(b"0x", 0), Err(NumError::Syntax));
        // Overflow ends the scan before a later syntax error.
        assert_eq!(parse_int(b"99999999999999999999x", 10), Err(NumError::Range));
        assert_eq!(parse_uint(b"0x1_0000_0000_0000_0000__", 0), Err(NumError::Range));
        assert_eq!(parse_int_lossy(b"99999999999999999999", 10), i64::MAX);
        assert_eq!(parse_int_lossy(b"-99999999999999999999", 10), i64::MIN);
        assert_eq!(parse_int_lossy(b"12a", 10), 0);
    }
}
