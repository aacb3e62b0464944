//! Numeric constants, interpreted as Go's `parse.newNumber` does: one literal
//! may be an int, a uint, a float and a complex at once.

use injit_strconv::{parse_float, parse_int, parse_uint, unquote_char};

use crate::ast::{Number, Pos, Span};

/// How the lexer classified the literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberKind {
    Number,
    Char,
    Complex,
}

fn blank(pos: Pos, text: &str, span: Span) -> Number {
    Number {
        pos,
        text: text.to_owned(),
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        uint64: 0,
        float64: 0.0,
        complex128: (0.0, 0.0),
        is_char: false,
        span,
    }
}

/// `f` as an int64 when Go's `float64(int64(f)) == f` holds.
fn exact_int(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&f)).then_some(f as i64)
}

/// `f` as a uint64 when Go's `float64(uint64(f)) == f` holds.
fn exact_uint(f: f64) -> Option<u64> {
    (f.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&f)).then_some(f as u64)
}

fn simplify_complex(n: &mut Number) {
    let (re, im) = n.complex128;
    n.is_float = im == 0.0;
    if n.is_float {
        n.float64 = re;
        if let Some(i) = exact_int(re) {
            n.is_int = true;
            n.int64 = i;
        }
        if let Some(u) = exact_uint(re) {
            n.is_uint = true;
            n.uint64 = u;
        }
    }
}

/// `fmt.Sscan` of a complex literal such as `1+2i`: a real part and a signed
/// imaginary part ending in `i`.
fn scan_complex(text: &str) -> Option<(f64, f64)> {
    let bytes = text.as_bytes();
    let body = text.strip_suffix('i')?;
    // The imaginary part starts at the last sign that is not an exponent's.
    let split = (1..body.len())
        .rev()
        .find(|&i| matches!(bytes[i], b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E' | b'p' | b'P'))?;
    let re = parse_float(&body.as_bytes()[..split]).ok()?;
    let im = parse_float(&body.as_bytes()[split..]).ok()?;
    Some((re, im))
}

/// Go's `newNumber`; the error is the message Go's parser reports.
pub(crate) fn new_number(pos: Pos, text: &str, kind: NumberKind, span: Span) -> Result<Number, String> {
    let mut n = blank(pos, text, span);
    match kind {
        NumberKind::Char => {
            let bytes = text.as_bytes();
            let quote = bytes[0];
            let ch = unquote_char(&bytes[1..], quote).map_err(|e| e.text().to_owned())?;
            if &bytes[1 + ch.consumed..] != b"'" {
                return Err(format!("malformed character constant: {text}"));
            }
            let v = ch.value as i64;
            n.int64 = v;
            n.is_int = true;
            n.uint64 = v as u64;
            n.is_uint = true;
            n.float64 = v as f64;
            n.is_float = true;
            n.is_char = true;
            return Ok(n);
        }
        NumberKind::Complex => {
            let Some(c) = scan_complex(text) else {
                return Err("expected integer".to_owned());
            };
            n.complex128 = c;
            n.is_complex = true;
            simplify_complex(&mut n);
            return Ok(n);
        }
        NumberKind::Number => {}
    }
    if let Some(imag) = text.strip_suffix('i')
        && let Ok(f) = parse_float(imag.as_bytes())
    {
        n.is_complex = true;
        n.complex128 = (0.0, f);
        simplify_complex(&mut n);
        return Ok(n);
    }
    let unsigned = parse_uint(text.as_bytes(), 0);
    if let Ok(u) = unsigned {
        n.is_uint = true;
        n.uint64 = u;
    }
    if let Ok(i) = parse_int(text.as_bytes(), 0) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            // -0 parses as an int but not as a uint.
            n.is_uint = true;
            n.uint64 = unsigned.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float64 = n.uint64 as f64;
    } else if let Ok(f) = parse_float(text.as_bytes()) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", injit_strconv::quote(text.as_bytes())));
        }
        n.is_float = true;
        n.float64 = f;
        // Go converts with float64(int64(f)) == f; the float must be integral
        // and in range for the conversion to round-trip.
        if !n.is_int && f.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&f) {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if !n.is_uint && f.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&f) {
            n.is_uint = true;
            n.uint64 = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", injit_strconv::quote(text.as_bytes())));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Result<Number, String> {
        new_number(0, text, NumberKind::Number, Span::default())
    }

    #[test]
    fn interprets_like_go() {
        let n = num("1e3").unwrap();
        assert!(n.is_float && n.is_int && n.int64 == 1000);
        assert_eq!(num("08").unwrap_err(), "integer overflow: \"08\"");
        assert_eq!(num("-").unwrap_err(), "illegal number syntax: \"-\"");
        let big = num("9223372036854775808").unwrap();
        assert!(big.is_uint && !big.is_int && big.is_float);
        let c = new_number(0, "1+2i", NumberKind::Complex, Span::default()).unwrap();
        assert!(c.is_complex && !c.is_float && c.complex128 == (1.0, 2.0));
        let i = num("1i").unwrap();
        assert!(i.is_complex && i.complex128 == (0.0, 1.0));
        let ch = new_number(0, "'\\x41'", NumberKind::Char, Span::default()).unwrap();
        assert_eq!(ch.int64, 65);
        assert_eq!(new_number(0, "''", NumberKind::Char, Span::default()).unwrap_err(), "invalid syntax");
        let zero = num("-0").unwrap();
        assert!(zero.is_int && zero.is_uint);
    }
}
