//! Randomness for `randAlpha`, `randInt`, `uuidv4`, `shuffle`: from the
//! operating system, as Go's crypto/rand (and seeded math/rand) give
//! unpredictable values.

use super::{ArgAccess, Result};
use crate::encoding::base64;
use crate::funcs::CallCx;
use crate::value::Value;

pub(super) fn fill(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        // No OS randomness: fall back to a clock-seeded generator.
        let mut x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.as_nanos() as u64);
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
}

fn next_u64() -> u64 {
    let mut b = [0u8; 8];
    fill(&mut b);
    u64::from_le_bytes(b)
}

/// A uniform number below `n` (`n > 0`).
pub(super) fn below(n: u64) -> u64 {
    let zone = u64::MAX - u64::MAX % n;
    loop {
        let x = next_u64();
        if x < zone {
            return x % n;
        }
    }
}

fn random_from(charset: &[u8], count: i64) -> std::result::Result<Vec<u8>, String> {
    if count <= 0 {
        return Ok(Vec::new());
    }
    too_many(count)?;
    Ok((0..count).map(|_| charset[below(charset.len() as u64) as usize]).collect())
}

/// Refuses counts past what injit builds into one string.
fn too_many(count: i64) -> std::result::Result<(), String> {
    if count as u64 > super::MAX_BUILT_BYTES as u64 {
        return Err(format!("{count} bytes are more than injit builds into one string ({})", super::MAX_BUILT_BYTES));
    }
    Ok(())
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const NUMERIC: &[u8] = b"0123456789";

pub(super) fn rand_alpha<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(random_from(LETTERS, a.int(0))?))
}

pub(super) fn rand_alpha_num<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(random_from(ALPHANUMERIC, a.int(0))?))
}

pub(super) fn rand_numeric<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(random_from(NUMERIC, a.int(0))?))
}

/// Printable ASCII, space to tilde.
pub(super) fn rand_ascii<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let charset: Vec<u8> = (32..=126).collect();
    Ok(Value::string(random_from(&charset, a.int(0))?))
}

pub(super) fn rand_int<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (min, max) = (a.int(0), a.int(1));
    let span = max.wrapping_sub(min);
    if span <= 0 {
        return Err("invalid argument to Intn".to_owned());
    }
    Ok(Value::int(below(span as u64) as i64 + min))
}

pub(super) fn rand_bytes<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let count = a.int(0);
    if count < 0 {
        return Err("runtime error: makeslice: len out of range".to_owned());
    }
    too_many(count)?;
    let mut buf = vec![0u8; count as usize];
    fill(&mut buf);
    Ok(Value::string(base64::encode(&buf).into_bytes()))
}

/// A random (version 4) UUID, as google/uuid formats it.
pub(super) fn uuidv4<'a>(_: &CallCx, _: &[Value<'a>]) -> Result<'a> {
    let mut b = [0u8; 16];
    fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let text = format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]);
    Ok(Value::string(text.into_bytes()))
}
