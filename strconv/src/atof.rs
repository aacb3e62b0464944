//! `strconv.ParseFloat(s, 64)`: Go's syntax (hex mantissas, `_`, `inf`,
//! `nan`), correctly rounded values.

use crate::NumError;
use crate::atoi::underscore_ok;

fn special(s: &[u8]) -> Option<(f64, usize)> {
    let common_prefix =
        |s: &[u8], word: &[u8]| s.iter().zip(word).take_while(|(a, b)| a.to_ascii_lowercase() == **b).count();
    let (sign, nsign, body) = match s.first()? {
        b'+' => (1.0, 1, &s[1..]),
        b'-' => (-1.0, 1, &s[1..]),
        _ => (1.0, 0, s),
    };
    match body.first()? {
        b'i' | b'I' => {
            let mut n = common_prefix(body, b"infinity");
            if 3 < n && n < 8 {
                n = 3;
            }
            (n == 3 || n == 8).then(|| (sign * f64::INFINITY, nsign + n))
        }
        b'n' | b'N' if nsign == 0 => (common_prefix(body, b"nan") == 3).then_some((f64::NAN, 3)),
        _ => None,
    }
}

/// What `readFloat` found: enough to compute a hex value, and the length read.
struct Scanned {
    mantissa: u64,
    exp: i64,
    neg: bool,
    trunc: bool,
    hex: bool,
    len: usize,
}

fn read_float(s: &[u8]) -> Option<Scanned> {
    let mut i = 0;
    let mut underscores = false;
    let mut neg = false;
    match s.first()? {
        b'+' => i += 1,
        b'-' => {
            neg = true;
            i += 1
        }
        _ => {}
    }
    let mut base: u64 = 10;
    let mut max_mant_digits = 19;
    let mut exp_char = b'e';
    let mut hex = false;
    if i + 2 < s.len() && s[i] == b'0' && s[i + 1].eq_ignore_ascii_case(&b'x') {
        base = 16;
        max_mant_digits = 16;
        i += 2;
        exp_char = b'p';
        hex = true;
    }
    let (mut sawdot, mut sawdigits) = (false, false);
    let (mut nd, mut nd_mant, mut dp) = (0i64, 0i64, 0i64);
    let mut mantissa: u64 = 0;
    let mut trunc = false;
    while i < s.len() {
        let c = s[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if sawdot {
                break;
            }
            sawdot = true;
            dp = nd;
        } else if c.is_ascii_digit() {
            sawdigits = true;
            if c == b'0' && nd == 0 {
                dp -= 1;
                i += 1;
                continue;
            }
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa * base + (c - b'0') as u64;
                nd_mant += 1;
            } else if c != b'0' {
                trunc = true;
            }
        } else if base == 16 && c.to_ascii_lowercase().is_ascii_hexdigit() {
            sawdigits = true;
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa * 16 + (c.to_ascii_lowercase() - b'a' + 10) as u64;
                nd_mant += 1;
            } else {
                trunc = true;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !sawdigits {
        return None;
    }
    if !sawdot {
        dp = nd;
    }
    if base == 16 {
        dp *= 4;
        nd_mant *= 4;
    }
    if i < s.len() && s[i].to_ascii_lowercase() == exp_char {
        i += 1;
        let mut esign = 1;
        match s.get(i)? {
            b'+' => i += 1,
            b'-' => {
                i += 1;
                esign = -1
            }
            _ => {}
        }
        if !s.get(i)?.is_ascii_digit() {
            return None;
        }
        let mut e: i64 = 0;
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
            if s[i] == b'_' {
                underscores = true;
            } else if e < 10000 {
                e = e * 10 + (s[i] - b'0') as i64;
            }
            i += 1;
        }
        dp += e * esign;
    } else if base == 16 {
        return None;
    }
    let exp = if mantissa != 0 { dp - nd_mant } else { 0 };
    if underscores && !underscore_ok(&s[..i]) {
        return None;
    }
    Some(Scanned { mantissa, exp, neg, trunc, hex, len: i })
}

/// Go's `atofHex` for float64: round half to even, with a sticky bit for
/// digits beyond the 16 kept.
fn atof_hex(sc: &Scanned) -> Result<f64, NumError> {
    const MANTBITS: i64 = 52;
    const BIAS: i64 = -1023;
    let max_exp = (1 << 11) + BIAS - 2;
    let min_exp = BIAS + 1;
    let mut mantissa = sc.mantissa;
    let mut exp = sc.exp + MANTBITS;
    while mantissa != 0 && mantissa >> (MANTBITS + 2) == 0 {
        mantissa <<= 1;
        exp -= 1;
    }
    if sc.trunc {
        mantissa |= 1;
    }
    while mantissa >> (1 + MANTBITS + 2) != 0 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    while mantissa > 1 && exp < min_exp - 2 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    let mut round = mantissa & 3;
    mantissa >>= 2;
    round |= mantissa & 1;
    exp += 2;
    if round == 3 {
        mantissa += 1;
        if mantissa == 1 << (1 + MANTBITS) {
            mantissa >>= 1;
            exp += 1;
        }
    }
    if mantissa >> MANTBITS == 0 {
        exp = BIAS;
    }
    let mut err = None;
    if exp > max_exp {
        mantissa = 1 << MANTBITS;
        exp = max_exp + 1;
        err = Some(NumError::Range);
    }
    let mut bits = mantissa & ((1 << MANTBITS) - 1);
    bits |= (((exp - BIAS) & ((1 << 11) - 1)) as u64) << MANTBITS;
    if sc.neg {
        bits |= 1 << 63;
    }
    match err {
        Some(e) => Err(e),
        None => Ok(f64::from_bits(bits)),
    }
}

/// `strconv.ParseFloat(s, 64)`.
pub fn parse_float(s: &[u8]) -> Result<f64, NumError> {
    match parse_float_with_value(s) {
        (value, None) => Ok(value),
        (_, Some(err)) => Err(err),
    }
}

/// ParseFloat's value together with its error, as Go returns both (±Inf
/// with a range error).
fn parse_float_with_value(s: &[u8]) -> (f64, Option<NumError>) {
    if let Some((value, n)) = special(s) {
        return if n == s.len() { (value, None) } else { (0.0, Some(NumError::Syntax)) };
    }
    let Some(sc) = read_float(s) else {
        return (0.0, Some(NumError::Syntax));
    };
    if sc.len != s.len() {
        return (0.0, Some(NumError::Syntax));
    }
    if sc.hex {
        return match atof_hex(&sc) {
            Ok(v) => (v, None),
            Err(e) => (if sc.neg { f64::NEG_INFINITY } else { f64::INFINITY }, Some(e)),
        };
    }
    // The syntax is Go's; the value is the correctly rounded one, which is
    // what Rust's parser computes once the separators are gone.
    let cleaned: String = s.iter().filter(|&&b| b != b'_').map(|&b| b as char).collect();
    match cleaned.parse::<f64>() {
        Ok(v) if v.is_infinite() => (v, Some(NumError::Range)),
        Ok(v) => (v, None),
        Err(_) => (0.0, Some(NumError::Syntax)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        assert_eq!(parse_float(b"1e3"), Ok(1000.0));
        assert_eq!(parse_float(b"0x1p-2"), Ok(0.25));
        assert_eq!(parse_float(b"0x1.8p1"), Ok(3.0));
        assert_eq!(parse_float(b"1_000.5"), Ok(1000.5));
        assert_eq!(parse_float(b"1__0"), Err(NumError::Syntax));
        assert_eq!(parse_float(b"1e400"), Err(NumError::Range));
        assert_eq!(parse_float(b"1e-400"), Ok(0.0));
        assert_eq!(parse_float(b".5"), Ok(0.5));
        assert_eq!(parse_float(b"5."), Ok(5.0));
        assert_eq!(parse_float(b"1e"), Err(NumError::Syntax));
        assert_eq!(parse_float(b"0x1"), Err(NumError::Syntax));
        assert_eq!(parse_float(b"-Inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_float(b"nan").unwrap().is_nan());
        assert_eq!(parse_float(b"infinity"), Ok(f64::INFINITY));
        assert_eq!(parse_float(b"infin"), Err(NumError::Syntax));
        assert_eq!(parse_float(b"08"), Ok(8.0));
        assert_eq!(parse_float(b"0x1.fffffffffffff8p1023"), Err(NumError::Range));
    }
}
