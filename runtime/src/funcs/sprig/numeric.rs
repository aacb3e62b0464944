//! sprig's numeric functions (numeric.go): integer arithmetic through
//! cast's truncating conversions, float arithmetic through decimals.

use super::cast::{to_float64, to_int, to_int64};
use super::decimal::Decimal;
use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::types::Type;
use crate::value::Value;

fn int64<'a>(v: i64) -> Result<'a> {
    Ok(Value::int_of(v, Type::Int64))
}

pub(super) fn to_int_fn<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::int(to_int(a.arg(0))))
}

pub(super) fn to_int64_fn<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    int64(to_int64(a.arg(0)))
}

pub(super) fn to_float64_fn<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::float(to_float64(a.arg(0))))
}

pub(super) fn add<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    int64(a.all().iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))))
}

pub(super) fn add1<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    int64(to_int64(a.arg(0)).wrapping_add(1))
}

pub(super) fn sub<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    int64(to_int64(a.arg(0)).wrapping_sub(to_int64(a.arg(1))))
}

const DIVIDE_BY_ZERO: &str = "runtime error: integer divide by zero";

pub(super) fn div<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let d = to_int64(a.arg(1));
    if d == 0 {
        return Err(DIVIDE_BY_ZERO.to_owned());
    }
    int64(to_int64(a.arg(0)).wrapping_div(d))
}

pub(super) fn modulo<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let d = to_int64(a.arg(1));
    if d == 0 {
        return Err(DIVIDE_BY_ZERO.to_owned());
    }
    int64(to_int64(a.arg(0)).wrapping_rem(d))
}

pub(super) fn mul<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    int64(a.all().iter().skip(1).fold(to_int64(a.arg(0)), |acc, v| acc.wrapping_mul(to_int64(v))))
}

pub(super) fn max<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    int64(a.all().iter().skip(1).map(to_int64).fold(to_int64(a.arg(0)), i64::max))
}

pub(super) fn min<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    int64(a.all().iter().skip(1).map(to_int64).fold(to_int64(a.arg(0)), i64::min))
}

/// Go's `math.Max`: NaN wins, and +0 beats -0.
fn go_max(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x > 0.0 || y.is_infinite() && y > 0.0 {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y { x } else { y }
}

/// Go's `math.Min`: NaN wins, and -0 beats +0.
fn go_min(x: f64, y: f64) -> f64 {
    if x.is_infinite() && x < 0.0 || y.is_infinite() && y < 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y { x } else { y }
}

pub(super) fn maxf<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::float(a.all().iter().skip(1).map(to_float64).fold(to_float64(a.arg(0)), go_max)))
}

pub(super) fn minf<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::float(a.all().iter().skip(1).map(to_float64).fold(to_float64(a.arg(0)), go_min)))
}

/// `execDecimalOp`: operands through `NewFromFloat`, the result through
/// `Float64`.
fn decimal_op<'a>(first: f64, rest: &[f64], op: fn(&Decimal, &Decimal) -> Option<Decimal>) -> Result<'a> {
    let decimal = |f: f64| {
        if f.is_nan() || f.is_infinite() {
            return Err(format!(
                "Cannot create a Decimal from {}",
                injit_strconv::format_float(f, injit_strconv::FloatFormat::General { upper: false }, -1)
            ));
        }
        Ok(Decimal::from_f64(f))
    };
    let mut acc = decimal(first)?;
    for &x in rest {
        acc = op(&acc, &decimal(x)?).ok_or_else(|| "decimal division by 0".to_owned())?;
    }
    Ok(Value::float(acc.to_f64()))
}

fn floats(a: &[Value<'_>]) -> Vec<f64> {
    a.iter().map(to_float64).collect()
}

pub(super) fn addf<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    decimal_op(0.0, &floats(a.all()), |x, y| Some(x.add(y)))
}

pub(super) fn add1f<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    decimal_op(to_float64(a.arg(0)), &[1.0], |x, y| Some(x.add(y)))
}

pub(super) fn subf<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    decimal_op(to_float64(a.arg(0)), &floats(&a.all()[1..]), |x, y| Some(x.sub(y)))
}

pub(super) fn mulf<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    decimal_op(to_float64(a.arg(0)), &floats(&a.all()[1..]), |x, y| Some(x.mul(y)))
}

pub(super) fn divf<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    decimal_op(to_float64(a.arg(0)), &floats(&a.all()[1..]), Decimal::div)
}

pub(super) fn floor<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::float(to_float64(a.arg(0)).floor()))
}

pub(super) fn ceil<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::float(to_float64(a.arg(0)).ceil()))
}

/// `round value places [roundOn]`, sprig's way.
pub(super) fn round<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let round_on = a.all().get(2).map_or(0.5, to_float64);
    let val = to_float64(a.arg(0));
    let places = a.int(1) as f64;
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let frac = digit - digit.trunc();
    let rounded = if frac >= round_on { digit.ceil() } else { digit.floor() };
    Ok(Value::float(rounded / pow))
}

/// `toDecimal`: the value's text read as an octal number.
pub(super) fn to_decimal<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let text = crate::fmt::sprint(std::slice::from_ref(a.arg(0)));
    int64(injit_strconv::parse_int(&text, 8).unwrap_or(0))
}
