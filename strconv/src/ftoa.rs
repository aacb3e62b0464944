//! `strconv.FormatFloat(f, fmt, prec, 64)`.
//!
//! Digits come from Rust's formatter, which is exact in both of the modes Go
//! uses: shortest round-trip digits, and correct rounding (half to even on the
//! exact binary value) to a given precision. The layout around the digits
//! (`fmtE`, `fmtF`, `%g`'s choice between them, `%b`, `%x`) is Go's.

/// A conversion verb of `FormatFloat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatFormat {
    /// `'b'`: `-ddddp±ddd`, binary exponent.
    Binary,
    /// `'e'` / `'E'`.
    Exponent { upper: bool },
    /// `'f'`.
    Fixed,
    /// `'g'` / `'G'`.
    General { upper: bool },
    /// `'x'` / `'X'`: hexadecimal mantissa, binary exponent.
    Hex { upper: bool },
}

/// Decimal digits `d[0] d[1] ...` with the decimal point after `dp` digits;
/// `digits` is empty for zero. Trailing zeros are trimmed, as in Go.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Digits {
    pub digits: Vec<u8>,
    pub dp: i32,
}

fn digits_from_exponent_form(text: &str) -> Digits {
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa.bytes().filter(|b| b.is_ascii_digit()).collect();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return Digits { digits, dp: 0 };
    }
    Digits { digits, dp: exp + 1 }
}

/// The shortest digits that read back as `v` (Go's `ryuFtoaShortest`).
pub fn shortest_digits(v: f64) -> Digits {
    let a = v.abs();
    // Below 2^53 neighbouring doubles are at most 1 apart, so a whole
    // number's own digits are already the shortest: skip the formatter.
    if a.fract() == 0.0 && a < 1e15 {
        return integer_digits(a as u64);
    }
    digits_from_exponent_form(&format!("{a:e}"))
}

/// The shortest digits that read back as the `float32` `v`.
fn shortest_digits32(v: f32) -> Digits {
    let a = v.abs();
    if a.fract() == 0.0 && a < 1e7 {
        return integer_digits(a as u64);
    }
    digits_from_exponent_form(&format!("{a:e}"))
}

/// The digits of a whole number, trailing zeros trimmed.
fn integer_digits(mut n: u64) -> Digits {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while n > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let dp = (buf.len() - i) as i32;
    let mut end = buf.len();
    while end > i && buf[end - 1] == b'0' {
        end -= 1;
    }
    if end == i {
        return Digits { digits: Vec::new(), dp: 0 };
    }
    Digits { digits: buf[i..end].to_vec(), dp }
}

/// `v` rounded to `n >= 1` significant digits.
fn fixed_digits(v: f64, n: usize) -> Digits {
    digits_from_exponent_form(&format!("{:.*e}", n - 1, v.abs()))
}

fn fmt_e(out: &mut String, neg: bool, d: &Digits, prec: usize, upper: bool) {
    if neg {
        out.push('-');
    }
    out.push(d.digits.first().map_or('0', |&c| c as char));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(d.digits.get(i).map_or('0', |&c| c as char));
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    let mut exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

fn fmt_f(out: &mut String, neg: bool, d: &Digits, prec: usize) {
    if neg {
        out.push('-');
    }
    if d.dp > 0 {
        for i in 0..d.dp as usize {
            out.push(d.digits.get(i).map_or('0', |&c| c as char));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i64 {
            let j = d.dp as i64 + i - 1;
            let c = if j >= 0 { d.digits.get(j as usize).copied() } else { None };
            out.push(c.map_or('0', |c| c as char));
        }
    }
}

fn fmt_b(out: &mut String, neg: bool, mant: u64, exp: i32, mant_bits: i32) {
    if neg {
        out.push('-');
    }
    out.push_str(&mant.to_string());
    out.push('p');
    let exp = exp - mant_bits;
    if exp >= 0 {
        out.push('+');
    }
    out.push_str(&exp.to_string());
}

fn fmt_x(out: &mut String, prec: i32, upper: bool, neg: bool, mut mant: u64, mut exp: i32, mant_bits: i32) {
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - mant_bits;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    if neg {
        out.push('-');
    }
    out.push('0');
    out.push(if upper { 'X' } else { 'x' });
    out.push((b'0' + ((mant >> 60) & 1) as u8) as char);
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push('.');
        for _ in 0..prec {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    }
    out.push(if upper { 'P' } else { 'p' });
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

/// `strconv.FormatFloat(v, fmt, prec, 64)`; a negative `prec` means the
/// shortest representation that reads back exactly.
pub fn format_float(v: f64, format: FloatFormat, prec: i32) -> String {
    format_float_bits(v, format, prec, 64)
}

/// What `format_float_bits(v, format, -1, bits)` gives when `v` is a
/// whole number whose shortest form is its decimal digits (ports, counts,
/// sizes: the numbers templates print most), written into `buf` without
/// generating digits or allocating; `None` for every other value.
pub fn shortest_integral(v: f64, format: FloatFormat, bits: u32, buf: &mut [u8; 24]) -> Option<&[u8]> {
    let v = if bits == 32 { f64::from(v as f32) } else { v };
    // Below the limit every whole number is exact and its own shortest
    // form: float64 spacing is at most 1 under 2^53, float32's under 2^24.
    // `'g'` turns to an exponent from 1e6 on (precision 6 for the shortest).
    let limit = match format {
        FloatFormat::Fixed if bits == 32 => 16_777_216.0,
        FloatFormat::Fixed => 1e15,
        FloatFormat::General { .. } => 1e6,
        _ => return None,
    };
    // Zero is left out for its sign (`-0`).
    if v == 0.0 || v.fract() != 0.0 || v.abs() >= limit {
        return None;
    }
    let mut n = v.abs() as u64;
    let mut at = buf.len();
    while n > 0 || at == buf.len() {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    if v < 0.0 {
        at -= 1;
        buf[at] = b'-';
    }
    Some(&buf[at..])
}

/// `strconv.FormatFloat(v, fmt, prec, bits)`: with `bits == 32` the value
/// is first rounded to `float32`, and the shortest digits are those that
/// read back as that `float32` (`0.1`, not `0.10000000149011612`).
pub fn format_float_bits(v: f64, format: FloatFormat, prec: i32, bits: u32) -> String {
    let mut out = String::new();
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-Inf".into() } else { "+Inf".into() };
    }
    let single = bits == 32;
    let (neg, mut mant, biased, mant_bits, bias) = if single {
        let b = (v as f32).to_bits();
        (b >> 31 != 0, u64::from(b & ((1 << 23) - 1)), ((b >> 23) & 0xff) as i32, 23, 127)
    } else {
        let b = v.to_bits();
        (b >> 63 != 0, b & ((1 << 52) - 1), ((b >> 52) & 0x7ff) as i32, 52, 1023)
    };
    if single && (v as f32).is_infinite() {
        return if v < 0.0 { "-Inf".into() } else { "+Inf".into() };
    }
    let exp = if biased == 0 {
        1 - bias
    } else {
        mant |= 1 << mant_bits;
        biased - bias
    };
    let v = if single { f64::from(v as f32) } else { v };
    let shortest_digits = |v: f64| if single { shortest_digits32(v as f32) } else { shortest_digits(v) };
    match format {
        FloatFormat::Binary => {
            fmt_b(&mut out, neg, mant, exp, mant_bits);
            return out;
        }
        FloatFormat::Hex { upper } => {
            fmt_x(&mut out, prec, upper, neg, mant, exp, mant_bits);
            return out;
        }
        _ => {}
    }
    let shortest = prec < 0;
    match format {
        FloatFormat::Fixed if !shortest => {
            if neg {
                out.push('-');
            }
            out.push_str(&format!("{:.*}", prec as usize, v.abs()));
            out
        }
        FloatFormat::Fixed => {
            let d = shortest_digits(v);
            let prec = (d.digits.len() as i32 - d.dp).max(0) as usize;
            fmt_f(&mut out, neg, &d, prec);
            out
        }
        FloatFormat::Exponent { upper } => {
            let (d, prec) = if shortest {
                let d = shortest_digits(v);
                let p = d.digits.len().saturating_sub(1);
                (d, p)
            } else {
                (fixed_digits(v, prec as usize + 1), prec as usize)
            };
            fmt_e(&mut out, neg, &d, prec, upper);
            out
        }
        FloatFormat::General { upper } => {
            let (d, mut prec) = if shortest {
                let d = shortest_digits(v);
                let n = d.digits.len() as i32;
                (d, n)
            } else {
                let p = prec.max(1);
                (fixed_digits(v, p as usize), p)
            };
            let nd = d.digits.len() as i32;
            let mut eprec = prec;
            if eprec > nd && nd >= d.dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.dp - 1;
            if exp < -4 || exp >= eprec {
                if prec > nd {
                    prec = nd;
                }
                fmt_e(&mut out, neg, &d, (prec - 1).max(0) as usize, upper);
                return out;
            }
            if prec > d.dp {
                prec = nd;
            }
            fmt_f(&mut out, neg, &d, (prec - d.dp).max(0) as usize);
            out
        }
        FloatFormat::Binary | FloatFormat::Hex { .. } => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_written_as_formatted() {
        let mut samples: Vec<f64> = (-2000..2000).map(f64::from).collect();
        for e in 0..16 {
            let p = 10f64.powi(e);
            samples.extend([p, p - 1.0, p + 1.0, -p, 9_007_199_254_740_991.0, 16_777_217.0, 123_456_792.0, 0.5, -0.0]);
        }
        let formats = [FloatFormat::Fixed, FloatFormat::General { upper: false }, FloatFormat::General { upper: true }];
        for v in samples {
            for format in formats {
                for bits in [32, 64] {
                    let mut buf = [0; 24];
                    if let Some(text) = shortest_integral(v, format, bits, &mut buf) {
                        let expected = format_float_bits(v, format, -1, bits);
                        assert_eq!(std::str::from_utf8(text).ok(), Some(expected.as_str()), "{v} {format:?} {bits}");
                    }
                }
            }
        }
        let mut buf = [0; 24];
        assert!(shortest_integral(15001.0, FloatFormat::General { upper: false }, 64, &mut buf).is_some());
        assert!(shortest_integral(1e6, FloatFormat::General { upper: false }, 64, &mut buf).is_none());
    }

    fn g(v: f64) -> String {
        format_float(v, FloatFormat::General { upper: false }, -1)
    }

    #[test]
    fn shortest_general_like_go() {
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(999999.9), "999999.9");
        assert_eq!(g(1234567.0), "1.234567e+06");
        assert_eq!(g(1e6), "1e+06");
        assert_eq!(g(2e7), "2e+07");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001), "1e-05");
        assert_eq!(g(-0.0), "-0");
        assert_eq!(g(0.0), "0");
        assert_eq!(g(0.1), "0.1");
        assert_eq!(g(1e21), "1e+21");
        assert_eq!(g(1e-300), "1e-300");
        assert_eq!(g(123.456), "123.456");
    }

    #[test]
    fn precision_like_go() {
        let f = |v, fmt, p| format_float(v, fmt, p);
        assert_eq!(f(1.23456, FloatFormat::Fixed, 2), "1.23");
        assert_eq!(f(2.5, FloatFormat::Fixed, 0), "2");
        assert_eq!(f(-1.0, FloatFormat::Fixed, 3), "-1.000");
        assert_eq!(f(1234.5678, FloatFormat::Exponent { upper: false }, 2), "1.23e+03");
        assert_eq!(f(0.0, FloatFormat::Exponent { upper: false }, 6), "0.000000e+00");
        assert_eq!(f(1.0, FloatFormat::General { upper: false }, 3), "1");
        assert_eq!(f(1234.0, FloatFormat::General { upper: false }, 3), "1.23e+03");
        assert_eq!(f(100.0, FloatFormat::General { upper: false }, 3), "100");
        assert_eq!(f(1e6, FloatFormat::Exponent { upper: true }, -1), "1E+06");
        assert_eq!(f(1.0, FloatFormat::Binary, -1), "4503599627370496p-52");
        assert_eq!(f(1.0, FloatFormat::Hex { upper: false }, -1), "0x1p+00");
        assert_eq!(f(3.0, FloatFormat::Hex { upper: true }, 2), "0X1.80P+01");
    }

    #[test]
    fn whole_numbers_take_the_fast_path_unchanged() {
        for v in [0.0, 1.0, 10.0, 8080.0, 15001.0, 1e6, 123456789012345.0, 999999999999999.0, 1e14, -42.0] {
            let slow = digits_from_exponent_form(&format!("{:e}", f64::abs(v)));
            assert_eq!(shortest_digits(v), slow, "{v}");
        }
        for v in [0.0f32, 1.0, 16.0, 9999999.0, 1e6] {
            let slow = digits_from_exponent_form(&format!("{:e}", v.abs()));
            assert_eq!(shortest_digits32(v), slow, "{v}");
        }
    }

    #[test]
    fn float32_like_go() {
        let f = |v, fmt, p| format_float_bits(v, fmt, p, 32);
        assert_eq!(f(0.1, FloatFormat::General { upper: false }, -1), "0.1");
        assert_eq!(f(f64::from(0.1f32), FloatFormat::General { upper: false }, -1), "0.1");
        assert_eq!(f(16777217.0, FloatFormat::Fixed, -1), "16777216");
        assert_eq!(f(1e39, FloatFormat::General { upper: false }, -1), "+Inf");
        assert_eq!(f(1.0, FloatFormat::Binary, -1), "8388608p-23");
        assert_eq!(f(3.0, FloatFormat::Hex { upper: false }, -1), "0x1.8p+01");
        assert_eq!(f(0.1, FloatFormat::Fixed, 20), "0.10000000149011611938");
        assert_eq!(f(1e100, FloatFormat::Exponent { upper: false }, 3), "+Inf");
        assert_eq!(format_float(1e100, FloatFormat::Exponent { upper: false }, 3), "1.000e+100");
    }
}
