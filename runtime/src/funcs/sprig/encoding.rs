//! Encodings and checksums: `b64enc`/`b64dec`, `b32enc`/`b32dec`,
//! `sha1sum`, `sha256sum`, `adler32sum`, with Go's error texts.

use sha1::Digest;

use super::{ArgAccess, Result};
use crate::encoding::{base32, base64};
use crate::funcs::CallCx;
use crate::value::Value;

pub(super) fn b64enc<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(base64::encode(a.str(0)).into_bytes()))
}

/// Decoding errors come back as the result text, as sprig does.
pub(super) fn b64dec<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(base64::decode(a.str(0)).unwrap_or_else(String::into_bytes)))
}

pub(super) fn b32enc<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(base32::encode(a.str(0)).into_bytes()))
}

pub(super) fn b32dec<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(base32::decode(a.str(0)).unwrap_or_else(String::into_bytes)))
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|b| [HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]).collect()
}

pub(super) fn sha1sum<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(hex(&sha1::Sha1::digest(a.str(0)))))
}

pub(super) fn sha256sum<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(hex(&sha2::Sha256::digest(a.str(0)))))
}

pub(super) fn adler32sum<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    const MOD: u32 = 65521;
    let (mut s1, mut s2) = (1u32, 0u32);
    for &b in a.str(0) {
        s1 = (s1 + b as u32) % MOD;
        s2 = (s2 + s1) % MOD;
    }
    Ok(Value::string((s2 << 16 | s1).to_string().into_bytes()))
}
