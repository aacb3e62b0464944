//! Go's `fmt.Sscanf(in, "%d<sep>%d", &a, &b)` into two `uint32`s, which
//! OpenShift's `ParseBlock` (copied into Istio's `openshift.go`) uses to
//! read `1000620000/10000` and `1000620000-1000629999`.
//!
//! What Sscanf does here: each `%d` skips spaces (a newline is an error),
//! reads decimal digits (no sign for unsigned integers) and fails on
//! overflow; the separator must be the next character; input after the
//! second number is ignored.

/// Why Sscanf failed, with Go's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// No input where a number should start (`io.EOF`).
    #[error("EOF")]
    Eof,
    /// The input ended where the separator should be.
    #[error("unexpected EOF")]
    UnexpectedEof,
    #[error("unexpected newline")]
    UnexpectedNewline,
    #[error("expected integer")]
    ExpectedInteger,
    #[error("input does not match format")]
    Mismatch,
    /// More than `uint64` holds (`strconv.ParseUint`'s error).
    #[error("strconv.ParseUint: parsing {0:?}: value out of range")]
    OutOfRange(String),
    /// More than `uint32` holds.
    #[error("unsigned integer overflow on token {0}")]
    Overflow(String),
}

/// `Sscanf(input, "%d" + sep + "%d", &first, &second)` with `uint32`
/// operands: both numbers, or the error Sscanf returns.
pub(crate) fn two_u32(input: &str, sep: char) -> Result<(u32, u32), ScanError> {
    let mut rest = input;
    let first = scan_u32(&mut rest)?;
    match rest.chars().next() {
        None => return Err(ScanError::UnexpectedEof),
        Some(c) if c != sep => return Err(ScanError::Mismatch),
        Some(c) => rest = &rest[c.len_utf8()..],
    }
    let second = scan_u32(&mut rest)?;
    Ok((first, second))
}

/// One `%d` into a `uint32` (`scanUint`), advancing `rest`.
fn scan_u32(rest: &mut &str) -> Result<u32, ScanError> {
    skip_space(rest)?;
    if rest.is_empty() {
        return Err(ScanError::Eof);
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(ScanError::ExpectedInteger);
    }
    let token = &rest[..digits];
    *rest = &rest[digits..];
    let wide: u64 = token.parse().map_err(|_| ScanError::OutOfRange(token.to_owned()))?;
    u32::try_from(wide).map_err(|_| ScanError::Overflow(token.to_owned()))
}

/// `SkipSpace` with newlines not counting as space (`Sscanf`).
fn skip_space(rest: &mut &str) -> Result<(), ScanError> {
    while let Some(c) = rest.chars().next() {
        if c == '\r' && rest[1..].starts_with('\n') {
            *rest = &rest[1..];
            continue;
        }
        if c == '\n' {
            return Err(ScanError::UnexpectedNewline);
        }
        if !is_space(c) {
            break;
        }
        *rest = &rest[c.len_utf8()..];
    }
    Ok(())
}

/// The space characters of Go's `fmt` scanner.
fn is_space(c: char) -> bool {
    matches!(c as u32,
        0x09..=0x0d | 0x20 | 0x85 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x2028 | 0x2029 | 0x202f | 0x205f | 0x3000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_go_sscanf_reads_two_numbers() {
        assert_eq!(two_u32("1000620000/10000", '/'), Ok((1_000_620_000, 10_000)));
        assert_eq!(two_u32(" 7/ 8 trailing", '/'), Ok((7, 8)));
        assert_eq!(two_u32("1/2/3", '/'), Ok((1, 2)));
        assert_eq!(two_u32("4294967295-0", '-'), Ok((u32::MAX, 0)));
        assert_eq!(two_u32("", '/'), Err(ScanError::Eof));
        assert_eq!(two_u32("1", '/'), Err(ScanError::UnexpectedEof));
        assert_eq!(two_u32("1/", '/'), Err(ScanError::Eof));
        assert_eq!(two_u32("1 /2", '/'), Err(ScanError::Mismatch));
        assert_eq!(two_u32("abc", '-'), Err(ScanError::ExpectedInteger));
        assert_eq!(two_u32("-1-2", '-'), Err(ScanError::ExpectedInteger));
        assert_eq!(two_u32("+1/2", '/'), Err(ScanError::ExpectedInteger));
        assert_eq!(two_u32("\n1/2", '/'), Err(ScanError::UnexpectedNewline));
        assert_eq!(two_u32("4294967296/1", '/'), Err(ScanError::Overflow("4294967296".to_owned())));
        assert!(matches!(two_u32("99999999999999999999/1", '/'), Err(ScanError::OutOfRange(_))));
        assert_eq!(
            two_u32("99999999999999999999/1", '/').unwrap_err().to_string(),
            "strconv.ParseUint: parsing \"99999999999999999999\": value out of range"
        );
    }

    /// Every short string over the characters that matter (and some that
    /// do not) gives an answer, never a panic.
    #[test]
    fn never_panics() {
        crate::cluster::short_strings(|text| {
            let _ = two_u32(text, '/');
            let _ = two_u32(text, '-');
        });
    }
}
