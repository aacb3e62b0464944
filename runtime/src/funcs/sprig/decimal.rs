//! shopspring/decimal, as far as sprig's float arithmetic (`addf`, `subf`,
//! `mulf`, `divf`, `add1f`) needs it: exact decimal sums and products,
//! quotients rounded to 16 places, converted back to the nearest float64.

use std::cmp::Ordering;

/// `±mag × 10^exp`, `mag` as decimal digits (most significant first, no
/// leading zeros; empty for zero).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Decimal {
    neg: bool,
    mag: Vec<u8>,
    exp: i64,
}

fn trim(mut mag: Vec<u8>) -> Vec<u8> {
    let lead = mag.iter().take_while(|&&d| d == 0).count();
    mag.drain(..lead);
    mag
}

fn cmp_mag(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let (mut i, mut j, mut carry) = (a.len(), b.len(), 0u8);
    while i > 0 || j > 0 || carry > 0 {
        let x = if i > 0 {
            i -= 1;
            a[i]
        } else {
            0
        };
        let y = if j > 0 {
            j -= 1;
            b[j]
        } else {
            0
        };
        let s = x + y + carry;
        out.push(s % 10);
        carry = s / 10;
    }
    out.reverse();
    trim(out)
}

/// `a - b` for `a >= b`.
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let (mut i, mut j, mut borrow) = (a.len(), b.len(), 0i8);
    while i > 0 {
        i -= 1;
        let y = if j > 0 {
            j -= 1;
            b[j] as i8
        } else {
            0
        };
        let mut d = a[i] as i8 - y - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out.push(d as u8);
    }
    out.reverse();
    trim(out)
}

fn mul_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut acc = vec![0u32; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate().rev() {
        for (j, &y) in b.iter().enumerate().rev() {
            acc[i + j + 1] += x as u32 * y as u32;
        }
    }
    for k in (1..acc.len()).rev() {
        let carry = acc[k] / 10;
        acc[k] %= 10;
        acc[k - 1] += carry;
    }
    trim(acc.into_iter().map(|d| d as u8).collect())
}

/// Truncating division of magnitudes: (quotient, remainder).
fn divmod_mag(a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut q = Vec::with_capacity(a.len());
    let mut r: Vec<u8> = Vec::new();
    for &d in a {
        r.push(d);
        r = trim(r);
        let mut digit = 0;
        while cmp_mag(&r, b) != Ordering::Less {
            r = sub_mag(&r, b);
            digit += 1;
        }
        q.push(digit);
    }
    (trim(q), r)
}

fn shift(mag: &[u8], zeros: i64) -> Vec<u8> {
    if mag.is_empty() {
        return Vec::new();
    }
    let mut out = mag.to_vec();
    out.extend(std::iter::repeat_n(0, zeros.max(0) as usize));
    out
}

impl Decimal {
    fn new(neg: bool, mag: Vec<u8>, exp: i64) -> Decimal {
        let mag = trim(mag);
        Decimal { neg: neg && !mag.is_empty(), mag, exp }
    }

    /// `NewFromFloat`: the shortest decimal that reads back as `f`.
    pub(super) fn from_f64(f: f64) -> Decimal {
        let digits = injit_strconv::shortest_digits(f);
        let mag: Vec<u8> = digits.digits.iter().map(|d| d - b'0').collect();
        let exp = digits.dp as i64 - mag.len() as i64;
        Decimal::new(f.is_sign_negative(), mag, exp)
    }

    fn rescale(&self, exp: i64) -> Vec<u8> {
        shift(&self.mag, self.exp - exp)
    }

    pub(super) fn add(&self, o: &Decimal) -> Decimal {
        let exp = self.exp.min(o.exp);
        let (a, b) = (self.rescale(exp), o.rescale(exp));
        if self.neg == o.neg {
            return Decimal::new(self.neg, add_mag(&a, &b), exp);
        }
        match cmp_mag(&a, &b) {
            Ordering::Less => Decimal::new(o.neg, sub_mag(&b, &a), exp),
            _ => Decimal::new(self.neg, sub_mag(&a, &b), exp),
        }
    }

    pub(super) fn neg(&self) -> Decimal {
        Decimal::new(!self.neg, self.mag.clone(), self.exp)
    }

    pub(super) fn sub(&self, o: &Decimal) -> Decimal {
        self.add(&o.neg())
    }

    pub(super) fn mul(&self, o: &Decimal) -> Decimal {
        Decimal::new(self.neg != o.neg, mul_mag(&self.mag, &o.mag), self.exp + o.exp)
    }

    fn cmp_abs(&self, o: &Decimal) -> Ordering {
        let exp = self.exp.min(o.exp);
        cmp_mag(&self.rescale(exp), &o.rescale(exp))
    }

    /// `Div`: `DivRound(d2, 16)`; `None` when dividing by zero (Go panics).
    pub(super) fn div(&self, o: &Decimal) -> Option<Decimal> {
        const PRECISION: i64 = 16;
        if o.mag.is_empty() {
            return None;
        }
        // QuoRem(d2, precision)
        let scale = -PRECISION;
        let e = self.exp - o.exp - scale;
        let (aa, bb, scalerest) = if e < 0 {
            (self.mag.clone(), shift(&o.mag, -e), self.exp)
        } else {
            (shift(&self.mag, e), o.mag.clone(), scale + o.exp)
        };
        let (q, r) = divmod_mag(&aa, &bb);
        let negative = self.neg != o.neg;
        let q = Decimal::new(negative, q, scale);
        // The remainder has the dividend's sign; only its magnitude matters.
        let r2 = Decimal::new(false, mul_mag(&r, &[2]), scalerest + PRECISION);
        if r2.cmp_abs(o) == Ordering::Less {
            return Some(q);
        }
        let ulp = Decimal::new(false, vec![1], -PRECISION);
        Some(if negative { q.sub(&ulp) } else { q.add(&ulp) })
    }

    /// `Float64`: the nearest float64 to the exact value.
    pub(super) fn to_f64(&self) -> f64 {
        if self.mag.is_empty() {
            return 0.0;
        }
        let digits: String = self.mag.iter().map(|d| (b'0' + d) as char).collect();
        let text = format!("{}{}e{}", if self.neg { "-" } else { "" }, digits, self.exp);
        text.parse().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    fn d(f: f64) -> Decimal {
        Decimal::from_f64(f)
    }

    #[test]
    fn decimal_arithmetic_like_shopspring() {
        assert_eq!(d(0.1).add(&d(0.2)).to_f64(), 0.3);
        assert_eq!(d(1.0).sub(&d(0.25)).to_f64(), 0.75);
        assert_eq!(d(1.5).mul(&d(2.0)).to_f64(), 3.0);
        assert_eq!(d(1.0).div(&d(4.0)).unwrap().to_f64(), 0.25);
        assert_eq!(d(1.0).div(&d(3.0)).unwrap().to_f64(), 0.3333333333333333);
        assert_eq!(d(2.0).div(&d(3.0)).unwrap().to_f64(), 0.6666666666666667);
        assert_eq!(d(-2.0).div(&d(3.0)).unwrap().to_f64(), -0.6666666666666667);
        assert!(d(1.0).div(&d(0.0)).is_none());
    }
}
