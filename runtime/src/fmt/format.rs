//! Go's `fmt/format.go`: padding and the formatting of numbers and strings
//! under the current flags.

use injit_strconv::{
    FloatFormat, append_quoted, append_quoted_ascii, append_quoted_rune, format_float_bits, shortest_integral,
};

/// Flags, width and precision of one verb.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Flags {
    pub(crate) wid_present: bool,
    pub(crate) prec_present: bool,
    pub(crate) minus: bool,
    pub(crate) plus: bool,
    pub(crate) sharp: bool,
    pub(crate) space: bool,
    pub(crate) zero: bool,
    pub(crate) plus_v: bool,
    pub(crate) sharp_v: bool,
    pub(crate) wid: usize,
    pub(crate) prec: usize,
}

pub(crate) const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
pub(crate) const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

/// A buffer being formatted into, with the current flags.
pub(crate) struct Fmt<'b> {
    pub(crate) buf: &'b mut Vec<u8>,
    pub(crate) f: Flags,
}

fn rune_count(b: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        let (_, w) = if b[i] < 0x80 { ('\0', 1) } else { injit_strconv::decode_rune(&b[i..]) };
        i += w.max(1);
        n += 1;
    }
    n
}

impl Fmt<'_> {
    pub(crate) fn write_padding(&mut self, n: usize) {
        let byte = if self.f.zero && !self.f.minus { b'0' } else { b' ' };
        self.buf.extend(std::iter::repeat_n(byte, n));
    }

    /// Appends `b` padded to the width (in runes).
    pub(crate) fn pad(&mut self, b: &[u8]) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.extend_from_slice(b);
            return;
        }
        let width = self.f.wid.saturating_sub(rune_count(b));
        if !self.f.minus {
            self.write_padding(width);
            self.buf.extend_from_slice(b);
        } else {
            self.buf.extend_from_slice(b);
            self.write_padding(width);
        }
    }

    pub(crate) fn fmt_boolean(&mut self, v: bool) {
        self.pad(if v { b"true" } else { b"false" });
    }

    /// `%U`: `U+0041`, and with `#` the rune quoted when printable.
    pub(crate) fn fmt_unicode(&mut self, u: u64) {
        let mut prec = 4;
        if self.f.prec_present && self.f.prec > 4 {
            prec = self.f.prec;
        }
        let mut hex = Vec::new();
        let mut v = u;
        loop {
            hex.push(UDIGITS[(v & 0xF) as usize]);
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        while hex.len() < prec {
            hex.push(b'0');
        }
        hex.extend_from_slice(b"+U");
        hex.reverse();
        if self.f.sharp
            && let Some(r) = u32::try_from(u).ok().and_then(char::from_u32)
            && injit_strconv::unicode::is_print(r)
        {
            hex.extend_from_slice(b" '");
            injit_strconv::encode_rune(&mut hex, r);
            hex.push(b'\'');
        }
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad(&hex);
        self.f.zero = old_zero;
    }

    pub(crate) fn fmt_integer(&mut self, u: u64, base: u64, is_signed: bool, verb: char, digits: &[u8; 17]) {
        let negative = is_signed && (u as i64) < 0;
        let mut u = if negative { (u as i64).unsigned_abs() } else { u };
        let mut prec = 0usize;
        if self.f.prec_present {
            prec = self.f.prec;
            if prec == 0 && u == 0 {
                let old_zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid);
                self.f.zero = old_zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        // Digits are produced in reverse.
        let mut out: Vec<u8> = Vec::with_capacity(24 + prec);
        loop {
            out.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while out.len() < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => out.extend_from_slice(b"b0"),
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(digits[16]);
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.extend_from_slice(b"o0");
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad(&out);
        self.f.zero = old_zero;
    }

    fn truncate<'s>(&self, s: &'s [u8]) -> &'s [u8] {
        if self.f.prec_present {
            let mut n = self.f.prec;
            let mut i = 0;
            while i < s.len() {
                if n == 0 {
                    return &s[..i];
                }
                n -= 1;
                let w = if s[i] < 0x80 { 1 } else { injit_strconv::decode_rune(&s[i..]).1.max(1) };
                i += w;
            }
        }
        s
    }

    pub(crate) fn fmt_s(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        self.pad(s);
    }

    /// `%x` of a string or bytes.
    pub(crate) fn fmt_sx(&mut self, s: &[u8], digits: &[u8; 17]) {
        let mut length = s.len();
        if self.f.prec_present && self.f.prec < length {
            length = self.f.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.f.wid);
            }
            return;
        }
        if self.f.wid_present && self.f.wid > width && !self.f.minus {
            self.write_padding(self.f.wid - width);
        }
        if self.f.sharp {
            self.buf.push(b'0');
            self.buf.push(digits[16]);
        }
        for (i, &c) in s[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(b' ');
                if self.f.sharp {
                    self.buf.push(b'0');
                    self.buf.push(digits[16]);
                }
            }
            self.buf.push(digits[(c >> 4) as usize]);
            self.buf.push(digits[(c & 0xF) as usize]);
        }
        if self.f.wid_present && self.f.wid > width && self.f.minus {
            self.write_padding(self.f.wid - width);
        }
    }

    /// `%q` of a string.
    pub(crate) fn fmt_q(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            let mut out = Vec::with_capacity(s.len() + 2);
            out.push(b'`');
            out.extend_from_slice(s);
            out.push(b'`');
            self.pad(&out);
            return;
        }
        let mut out = Vec::with_capacity(s.len() + 2);
        if self.f.plus {
            append_quoted_ascii(&mut out, s);
        } else {
            append_quoted(&mut out, s);
        }
        self.pad(&out);
    }

    /// `%c`.
    pub(crate) fn fmt_c(&mut self, c: u64) {
        let r = u32::try_from(c).ok().and_then(char::from_u32).unwrap_or(injit_strconv::RUNE_ERROR);
        let mut out = Vec::new();
        injit_strconv::encode_rune(&mut out, r);
        self.pad(&out);
    }

    /// `%q` of a rune.
    pub(crate) fn fmt_qc(&mut self, c: u64) {
        let r = if c > 0x10FFFF { 0xFFFD } else { c as i64 };
        let mut out = Vec::new();
        append_quoted_rune(&mut out, r, self.f.plus);
        self.pad(&out);
    }

    /// Go's `fmtFloat`; `verb` is one of b e E f g G x X.
    pub(crate) fn fmt_float(&mut self, v: f64, size: usize, verb: char, prec: i32) {
        let prec = if self.f.prec_present { self.f.prec as i32 } else { prec };
        let format = match verb {
            'b' => FloatFormat::Binary,
            'e' => FloatFormat::Exponent { upper: false },
            'E' => FloatFormat::Exponent { upper: true },
            'f' => FloatFormat::Fixed,
            'g' => FloatFormat::General { upper: false },
            'G' => FloatFormat::General { upper: true },
            'x' => FloatFormat::Hex { upper: false },
            _ => FloatFormat::Hex { upper: true },
        };
        // Whole numbers printed plainly: no digit generation, no buffers.
        let mut digits = [0; 24];
        if prec < 0
            && !(self.f.plus || self.f.space || self.f.sharp || self.f.zero)
            && let Some(text) = shortest_integral(v, format, size as u32, &mut digits)
        {
            self.pad(text);
            return;
        }
        let text = format_float_bits(v, format, prec, size as u32);
        let mut num: Vec<u8> = Vec::with_capacity(text.len() + 8);
        if text.starts_with('-') || text.starts_with('+') {
            num.extend_from_slice(text.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(text.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num.get(1) == Some(&b'I') || num.get(1) == Some(&b'N') {
            let old_zero = self.f.zero;
            self.f.zero = false;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad(&num);
            self.f.zero = old_zero;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i32 = 0;
            if matches!(verb, 'v' | 'g' | 'G' | 'x') {
                digits = if prec == -1 { 6 } else { prec };
            }
            let mut tail: Vec<u8> = Vec::new();
            let mut has_decimal_point = false;
            let mut saw_nonzero_digit = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_decimal_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero_digit = true;
                        }
                        if saw_nonzero_digit {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_decimal_point {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        if self.f.plus || num[0] != b'+' {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.f.wid > num.len() {
                self.buf.push(num[0]);
                self.write_padding(self.f.wid - num.len());
                self.buf.extend_from_slice(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(&num[1..]);
    }
}

/// `strconv.CanBackquote`.
pub(crate) fn can_backquote(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        let (r, w) = injit_strconv::decode_rune(&s[i..]);
        i += w.max(1);
        if w > 1 {
            if r == '\u{FEFF}' {
                return false;
            }
            continue;
        }
        if r == injit_strconv::RUNE_ERROR {
            return false;
        }
        if (r < ' ' && r != '\t') || r == '`' || r == '\u{7F}' {
            return false;
        }
    }
    true
}
