//! Go's `unicode/utf8` decoding: invalid bytes decode one at a time as U+FFFD.

/// U+FFFD, what Go decodes an invalid byte to.
pub const RUNE_ERROR: char = '\u{FFFD}';

/// Decodes the first rune of `s` the way Go's `utf8.DecodeRune` does:
/// returns `(rune, width)`; an invalid or truncated sequence is
/// `(RUNE_ERROR, 1)`, and an empty input `(RUNE_ERROR, 0)`.
pub fn decode_rune(s: &[u8]) -> (char, usize) {
    let Some(&b0) = s.first() else {
        return (RUNE_ERROR, 0);
    };
    if b0 < 0x80 {
        return (b0 as char, 1);
    }
    let width = match b0 {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (RUNE_ERROR, 1),
    };
    if s.len() < width {
        return (RUNE_ERROR, 1);
    }
    match std::str::from_utf8(&s[..width]) {
        Ok(text) => (text.chars().next().unwrap_or(RUNE_ERROR), width),
        Err(_) => (RUNE_ERROR, 1),
    }
}

/// Decodes the last rune of `s`, as Go's `utf8.DecodeLastRune`.
pub fn decode_last_rune(s: &[u8]) -> (char, usize) {
    if s.is_empty() {
        return (RUNE_ERROR, 0);
    }
    let end = s.len();
    let lowest = end.saturating_sub(4);
    let mut start = end - 1;
    while start > lowest && (s[start] & 0xC0) == 0x80 {
        start -= 1;
    }
    let (r, w) = decode_rune(&s[start..end]);
    if start + w != end {
        return (RUNE_ERROR, 1);
    }
    (r, w)
}

/// Appends the UTF-8 encoding of `r`.
pub fn encode_rune(out: &mut Vec<u8>, r: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(r.encode_utf8(&mut buf).as_bytes());
}
