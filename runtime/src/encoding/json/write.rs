//! JSON text of strings and floats, byte for byte as Go's `encoding/json`
//! writes them; every JSON writer in the crate goes through these.

/// encoding/json's float encoding: shortest digits, exponent form outside
/// [1e-6, 1e21) at the value's own precision, exponents unpadded (`1e-7`).
pub fn write_json_float(out: &mut Vec<u8>, f: f64, bits32: bool) -> Result<(), String> {
    use injit_strconv::{FloatFormat, format_float, format_float_bits};
    if f.is_nan() || f.is_infinite() {
        let text = format_float(f, FloatFormat::General { upper: false }, -1);
        return Err(format!("json: unsupported value: {text}"));
    }
    let abs = f.abs();
    let exponent =
        abs != 0.0 && if bits32 { !(1e-6f32..1e21f32).contains(&(abs as f32)) } else { !(1e-6..1e21).contains(&abs) };
    let format = if exponent { FloatFormat::Exponent { upper: false } } else { FloatFormat::Fixed };
    let mut digits = [0; 24];
    if let Some(text) = injit_strconv::shortest_integral(f, format, if bits32 { 32 } else { 64 }, &mut digits) {
        out.extend_from_slice(text);
        return Ok(());
    }
    let mut text = format_float_bits(f, format, -1, if bits32 { 32 } else { 64 }).into_bytes();
    let n = text.len();
    if exponent && n >= 4 && text[n - 4] == b'e' && text[n - 3] == b'-' && text[n - 2] == b'0' {
        text.remove(n - 2);
    }
    out.extend_from_slice(&text);
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// encoding/json's string encoding.
pub fn write_json_string(out: &mut Vec<u8>, s: &[u8], escape_html: bool) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let safe = |b: u8| {
        (0x20..0x80).contains(&b) && b != b'"' && b != b'\\' && !(escape_html && matches!(b, b'<' | b'>' | b'&'))
    };
    let mut i = 0;
    while i < s.len() {
        // Runs of bytes written as they are go out in one copy.
        let run = s[i..].iter().position(|&b| !safe(b)).unwrap_or(s.len() - i);
        out.extend_from_slice(&s[i..i + run]);
        i += run;
        if i == s.len() {
            break;
        }
        let b = s[i];
        if b < 0x80 {
            match b {
                b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xF) as usize]]),
            }
            i += 1;
            continue;
        }
        let (r, size) = injit_strconv::decode_rune(&s[i..]);
        if r == injit_strconv::RUNE_ERROR && size <= 1 {
            out.extend_from_slice(b"\\ufffd");
            i += 1;
            continue;
        }
        if r == '\u{2028}' || r == '\u{2029}' {
            out.extend_from_slice(b"\\u202");
            out.push(HEX[(r as u32 & 0xF) as usize]);
        } else {
            out.extend_from_slice(&s[i..i + size]);
        }
        i += size;
    }
    out.push(b'"');
}
