//! Go's `encoding/base64` standard encoding, for templates (`b64enc`,
//! `toJson` of a `[]byte`) and for callers outside them (go-yaml's
//! `!!binary`, Kubernetes secrets, admission patches).

use std::sync::LazyLock;

use super::corrupt_input;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `base64.StdEncoding.EncodeToString`.
pub fn encode(bytes: &[u8]) -> String {
    // Three input bytes to four output at a time, into place (an
    // admission patch is kilobytes): the two six-bit digit pairs of each
    // twelve bits come from one table.
    static PAIRS: LazyLock<Box<[[u8; 2]; 4096]>> = LazyLock::new(|| {
        let mut pairs = Box::new([[0; 2]; 4096]);
        for (n, pair) in pairs.iter_mut().enumerate() {
            *pair = [B64[n >> 6], B64[n & 63]];
        }
        pairs
    });
    let pairs = &**PAIRS;
    let mut out = vec![0u8; bytes.len().div_ceil(3) * 4];
    let mut chunks = bytes.chunks_exact(3);
    for (chunk, digits) in (&mut chunks).zip(out.chunks_exact_mut(4)) {
        let n = usize::from(chunk[0]) << 16 | usize::from(chunk[1]) << 8 | usize::from(chunk[2]);
        digits[..2].copy_from_slice(&pairs[n >> 12]);
        digits[2..].copy_from_slice(&pairs[n & 0xfff]);
    }
    let digit = |n: u32, i: u32| B64[((n >> (18 - 6 * i)) & 63) as usize];
    let last = match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            [digit(n, 0), digit(n, 1), b'=', b'=']
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            [digit(n, 0), digit(n, 1), digit(n, 2), b'=']
        }
        _ => return String::from_utf8(out).expect("base64 is ASCII"),
    };
    let end = out.len() - 4;
    out[end..].copy_from_slice(&last);
    String::from_utf8(out).expect("base64 is ASCII")
}

fn value(c: u8) -> Option<u8> {
    B64.iter().position(|&x| x == c).map(|p| p as u8)
}

/// `base64.StdEncoding.DecodeString`, transcribed from Go's `decodeQuantum`
/// (newlines skipped, padding required, trailing bits ignored).
pub fn decode(src: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    loop {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut err = None;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(corrupt_input("base64", si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(corrupt_input("base64", si - 1));
            }
            match j {
                0 | 1 => return Err(corrupt_input("base64", si - 1)),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(corrupt_input("base64", src.len()));
                    }
                    if src[si] != b'=' {
                        return Err(corrupt_input("base64", si - 1));
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                err = Some(corrupt_input("base64", si));
            }
            dlen = j;
            break;
        }
        let val = (dbuf[0] as u32) << 18 | (dbuf[1] as u32) << 12 | (dbuf[2] as u32) << 6 | dbuf[3] as u32;
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(e) = err {
            return Err(e);
        }
        if dlen < 4 {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_go() {
        // RFC 4648's test vectors, which Go's tests use.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), encoded);
        }
        let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
        for len in 0..bytes.len() {
            let encoded = encode(&bytes[..len]);
            assert_eq!(encoded.len(), len.div_ceil(3) * 4);
            assert_eq!(decode(encoded.as_bytes()).expect("decodes"), &bytes[..len], "{len}");
        }
    }

    #[test]
    fn decodes_like_go() {
        assert_eq!(decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode(b"aGVsbG8").unwrap_err(), "illegal base64 data at input byte 4");
        assert_eq!(decode(b"aGVsbG8=x").unwrap_err(), "illegal base64 data at input byte 8");
        assert_eq!(decode(b"aG=sbG8=").unwrap_err(), "illegal base64 data at input byte 2");
        assert_eq!(decode(b"aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(decode(b"aGVsbG8==").unwrap_err(), "illegal base64 data at input byte 8");
        assert_eq!(decode(b"aGl=").unwrap(), b"hi");
    }
}
