//! Kubernetes `resource.Quantity`: parsing and the canonical form its
//! `String()` and JSON give (`2000m` → `2`, `1024Mi` → `1Gi`, `0.5` →
//! `500m`).

/// How a quantity was written, which decides how it is written back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// A quantity: `value / 10^9` exactly (nano precision, rounded up as
/// Kubernetes rounds), and its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

const DECIMAL: &[(&str, i32)] =
    &[("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];
const BINARY: &[(&str, u32)] = &[("Ki", 10), ("Mi", 20), ("Gi", 30), ("Ti", 40), ("Pi", 50), ("Ei", 60)];

impl Quantity {
    /// `resource.ParseQuantity`, for the forms templates and manifests use.
    pub fn parse(s: &str) -> Option<Quantity> {
        let s = s.trim();
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let end = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
        let (number, suffix) = body.split_at(end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        // The number as an integer of `10^-frac.len()` units.
        let digits = format!("{whole}{frac}");
        let mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
        let scale = -(frac.len() as i32);
        let (nanos, format) = if let Some(&(_, exp)) = DECIMAL.iter().find(|(n, _)| *n == suffix) {
            (scaled(mantissa, scale + exp + 9)?, Format::DecimalSI)
        } else if let Some(&(_, bits)) = BINARY.iter().find(|(n, _)| *n == suffix) {
            let factor = 1i128 << bits;
            (scaled(mantissa.checked_mul(factor)?, scale + 9)?, Format::BinarySI)
        } else if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
            (scaled(mantissa, scale + exp.parse::<i32>().ok()? + 9)?, Format::DecimalExponent)
        } else {
            return None;
        };
        Some(Quantity { nanos: if negative { -nanos } else { nanos }, format })
    }

    /// `ScaledValue(scale)`: `ceil(q / 10^scale)`, for `scale` -9 to 0
    /// (`Value` is 0, `MilliValue` -3); `None` beyond an int64.
    pub fn scaled_value(&self, scale: i32) -> Option<i64> {
        let divisor = 10i128.pow((9 + scale) as u32);
        i64::try_from(self.nanos.div_euclid(divisor) + i128::from(self.nanos.rem_euclid(divisor) != 0)).ok()
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// The name of how it was written (the `Format` field).
    pub fn format_name(&self) -> &'static str {
        format_name(self.format)
    }

    /// The canonical text (`Quantity.String()`).
    pub fn canonical(&self) -> String {
        let negative = self.nanos < 0;
        let n = self.nanos.unsigned_abs();
        let sign = if negative { "-" } else { "" };
        if n == 0 {
            return "0".to_owned();
        }
        if self.format == Format::BinarySI && n.is_multiple_of(1_000_000_000) {
            let bytes = n / 1_000_000_000;
            // The largest binary suffix that divides the value (≥ 1024).
            for &(name, bits) in BINARY.iter().rev() {
                if bytes >= (1 << bits) && bytes.is_multiple_of(1u128 << bits) {
                    return format!("{sign}{}{name}", bytes >> bits);
                }
            }
            return format!("{sign}{bytes}");
        }
        // Decimal: the largest power of 1000 that keeps the mantissa whole.
        let mut exp = -9i32;
        let mut mantissa = n;
        while exp < 18 && mantissa.is_multiple_of(1000) {
            mantissa /= 1000;
            exp += 3;
        }
        if self.format == Format::DecimalExponent {
            return if exp == 0 { format!("{sign}{mantissa}") } else { format!("{sign}{mantissa}e{exp}") };
        }
        let suffix = DECIMAL.iter().find(|(_, e)| *e == exp).map_or("", |(s, _)| *s);
        format!("{sign}{mantissa}{suffix}")
    }
}

/// `mantissa * 10^exp` in whole units, rounded up (away from zero).
fn scaled(mantissa: i128, exp: i32) -> Option<i128> {
    if exp >= 0 {
        return mantissa.checked_mul(10i128.checked_pow(exp as u32)?);
    }
    let divisor = 10i128.checked_pow((-exp) as u32)?;
    Some((mantissa + divisor - 1) / divisor)
}

/// What `%v` prints for a `resource.Quantity` value (its `String` method
/// needs a pointer): the struct as `ParseQuantity` fills it,
/// `{{value scale} {<nil>} cached-string Format}` — the cached string only
/// when the text was already canonical, and an `inf.Dec` pointer instead
/// of the int64 pair for values that need it.
pub fn go_internals(text: &str) -> String {
    let text = text.trim();
    if text == "0" {
        return "{{0 0} {<nil>} 0 DecimalSI}".to_owned();
    }
    let Some(parts) = parse_parts(text) else { return "{{0 0} {<nil>}  }".to_owned() };
    let format = format_name(parts.format);
    let (mut scale, precision, mantissa): (i64, i64, i64) = match parts.format {
        Format::BinarySI if parts.exponent >= 0 && parts.denom.is_empty() => {
            let precision = 15 - parts.num.len() as i64 - (parts.exponent as f32 * 3.0 / 10.0) as i64 - 1;
            (0, precision, 1i64 << parts.exponent)
        }
        Format::BinarySI => (0, -1, 1),
        _ => (parts.exponent, 18 - (parts.num.len() + parts.denom.len()) as i64, 1),
    };
    if precision >= 0 {
        scale -= parts.denom.len() as i64;
        let shifted = format!("{}{}", parts.num, parts.denom);
        if scale >= -9
            && let Ok(value) = shifted.parse::<i64>()
            && let Some(result) = value.checked_mul(mantissa)
        {
            let result = if parts.positive { result } else { -result };
            let canonical = match parts.format {
                Format::BinarySI => parts.exponent % 10 == 0 && value & 7 != 0,
                _ => scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0'),
            };
            let cached = if canonical { text } else { "" };
            return format!("{{{{{result} {scale}}} {{<nil>}} {cached} {format}}}");
        }
    }
    // Values beyond int64 are kept as an `inf.Dec` pointer.
    let format = match Quantity::parse(text) {
        Some(q) if parts.format == Format::BinarySI && q.nanos.abs() < 1_000_000_000 && q.nanos != 0 => "DecimalSI",
        _ => format,
    };
    format!("{{{{0 0}} {{0xc000000000}}  {format}}}")
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::DecimalSI => "DecimalSI",
        Format::BinarySI => "BinarySI",
        Format::DecimalExponent => "DecimalExponent",
    }
}

/// `AsApproximateFloat64`: the int64 amount `ParseQuantity` keeps as
/// `value * 10^scale` in floating point (`nanos / 10^9` for the values
/// it keeps as an `inf.Dec`).
pub fn approximate_float(text: &str) -> f64 {
    let internals = go_internals(text);
    // `{{value scale} ...}`: the int64 amount, when there is one.
    let amount = internals.strip_prefix("{{").and_then(|r| r.split_once('}')).map(|(pair, _)| pair);
    if let Some((value, scale)) = amount.and_then(|p| p.split_once(' '))
        && let (Ok(value), Ok(scale)) = (value.parse::<i64>(), scale.parse::<i32>())
        && (value, scale) != (0, 0)
    {
        return if scale == 0 { value as f64 } else { value as f64 * 10f64.powi(scale) };
    }
    Quantity::parse(text).map_or(0.0, |q| q.nanos as f64 / 1e9)
}

/// `parseQuantityString` and the suffix's meaning.
struct Parts<'t> {
    positive: bool,
    num: &'t str,
    denom: &'t str,
    format: Format,
    exponent: i64,
}

fn parse_parts(text: &str) -> Option<Parts<'_>> {
    let (positive, body) = match text.as_bytes().first()? {
        b'-' => (false, &text[1..]),
        b'+' => (true, &text[1..]),
        _ => (true, text),
    };
    let body = body.trim_start_matches('0');
    let num_end = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
    let num = if num_end == 0 { "0" } else { &body[..num_end] };
    let mut rest = &body[num_end..];
    let mut denom = "";
    if let Some(after) = rest.strip_prefix('.') {
        let end = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
        denom = &after[..end];
        rest = &after[end..];
    }
    let (format, exponent) = if let Some(&(_, exp)) = DECIMAL.iter().find(|(n, _)| *n == rest) {
        (Format::DecimalSI, i64::from(exp))
    } else if let Some(&(_, bits)) = BINARY.iter().find(|(n, _)| *n == rest) {
        (Format::BinarySI, i64::from(bits))
    } else if rest.len() > 1 && rest.starts_with(['e', 'E']) {
        (Format::DecimalExponent, rest[1..].parse::<i64>().ok()?)
    } else {
        return None;
    };
    Some(Parts { positive, num, denom, format, exponent })
}

/// A quantity's canonical text, or the text as given when it does not
/// parse.
pub fn canonical(text: &str) -> String {
    Quantity::parse(text).map_or_else(|| text.to_owned(), |q| q.canonical())
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn canonical_forms_as_kubernetes() {
        assert_eq!(canonical("2000m"), "2");
        assert_eq!(canonical("1024Mi"), "1Gi");
        assert_eq!(canonical("128Mi"), "128Mi");
        assert_eq!(canonical("100m"), "100m");
        assert_eq!(canonical("0.5"), "500m");
        assert_eq!(canonical("1.5Gi"), "1536Mi");
        assert_eq!(canonical("0"), "0");
        assert_eq!(canonical("1e3"), "1e3");
        assert_eq!(canonical("1000"), "1k");
        assert_eq!(canonical("500"), "500");
        assert_eq!(canonical("0.1m"), "100u");
        assert_eq!(canonical("1.0000000001"), "1000000001n");
    }

    #[test]
    fn printed_values_show_goes_struct() {
        use super::go_internals;
        assert_eq!(go_internals("500m"), "{{500 -3} {<nil>} 500m DecimalSI}");
        assert_eq!(go_internals("2000m"), "{{2000 -3} {<nil>}  DecimalSI}");
        assert_eq!(go_internals("1Gi"), "{{1073741824 0} {<nil>} 1Gi BinarySI}");
        assert_eq!(go_internals("1024Mi"), "{{1073741824 0} {<nil>}  BinarySI}");
        assert_eq!(go_internals("0.5"), "{{5 -1} {<nil>}  DecimalSI}");
        assert_eq!(go_internals("2"), "{{2 0} {<nil>} 2 DecimalSI}");
        assert_eq!(go_internals("0"), "{{0 0} {<nil>} 0 DecimalSI}");
        assert_eq!(go_internals("1e3"), "{{1 3} {<nil>} 1e3 DecimalExponent}");
    }
}
