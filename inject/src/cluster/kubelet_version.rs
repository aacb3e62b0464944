//! A node's kubelet version as Istio reads it for native sidecars:
//! `hashicorp/go-version`'s `NewVersion` (v1.9.0, pinned by Istio at
//! 86c9f01f), of which only the minor segment is looked at.
//!
//! The grammar is go-version's `^v?([0-9]+(\.[0-9]+)*?)(-PRE|PRE)?(\+META)?$`
//! with PRE and META dot-separated runs of `[0-9A-Za-z-~]`; missing
//! segments count as 0 (`"1"` is 1.0.0), and a segment beyond `int64`
//! is an error.

/// Why a kubelet version cannot be read (Istio then treats the node as
/// too old for native sidecars).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("malformed version: {0}")]
    Malformed(String),
    #[error("error parsing version: segment {0} is out of range")]
    OutOfRange(String),
}

/// The minor segment (`Segments()[1]`) of a kubelet version such as
/// `v1.33.2-eks-4f4795d`.
pub fn minor(version: &str) -> Result<i64, VersionError> {
    let malformed = || VersionError::Malformed(version.to_owned());
    let rest = version.strip_prefix('v').unwrap_or(version);
    // The numeric segments: the longest `N(.N)*` prefix (what follows can
    // start neither with a digit nor with a dot, so the lazy group ends
    // there too).
    let mut end = 0;
    let bytes = rest.as_bytes();
    loop {
        let digits = bytes[end..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(malformed());
        }
        end += digits;
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
        } else {
            break;
        }
    }
    let (segments, mut tail) = rest.split_at(end);
    // Pre-release: `-` then identifiers, or identifiers starting with a
    // letter, `-` or `~`.
    if let Some(after) = tail.strip_prefix('-') {
        tail = identifiers(after).ok_or_else(malformed)?;
    } else if tail.starts_with(|c: char| c.is_ascii_alphabetic() || c == '~') {
        tail = identifiers(tail).ok_or_else(malformed)?;
    }
    if let Some(after) = tail.strip_prefix('+') {
        tail = identifiers(after).ok_or_else(malformed)?;
    }
    if !tail.is_empty() {
        return Err(malformed());
    }
    let mut parsed = segments.split('.').map(|s| s.parse::<i64>().map_err(|_| VersionError::OutOfRange(s.to_owned())));
    let _major = parsed.next().transpose()?;
    let minor = parsed.next().transpose()?.unwrap_or(0);
    parsed.try_for_each(|s| s.map(drop))?;
    Ok(minor)
}

/// Consumes `C+(\.C+)*` with `C` in `[0-9A-Za-z-~]`; the rest, or `None`
/// when there is no identifier.
fn identifiers(text: &str) -> Option<&str> {
    let is_c = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'~';
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        let run = bytes[at..].iter().take_while(|b| is_c(b)).count();
        if run == 0 {
            return None;
        }
        at += run;
        if bytes.get(at) == Some(&b'.') && bytes.get(at + 1).is_some_and(is_c) {
            at += 1;
        } else {
            return Some(&text[at..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minors_as_go_version_reads_them() {
        for (version, want) in [
            ("v1.33.0", 33),
            ("1.28.0", 28),
            ("v1.34.1-eks-4f4795d", 34),
            ("v1.33.2+k3s1", 33),
            ("v1.30.0-gke.1.2+meta.x", 30),
            ("1.33rc1", 33),
            ("1", 0),
            ("v2.0.0", 0),
            ("1.33.0.7", 33),
            ("01.033", 33),
        ] {
            assert_eq!(minor(version), Ok(want), "{version}");
        }
        for bad in ["", "v", "x1.33", "1.33.", "1..33", " 1.33.0", "1.33.0 ", "1.33-", "1.33+", "1.33_0", "V1.33"] {
            assert!(matches!(minor(bad), Err(VersionError::Malformed(_))), "{bad:?}");
        }
        assert!(matches!(minor("1.99999999999999999999"), Err(VersionError::OutOfRange(_))));
        assert!(matches!(minor("1.2.99999999999999999999"), Err(VersionError::OutOfRange(_))));
    }

    /// Every short string over the characters that matter (and some that
    /// do not) gives an answer, never a panic.
    #[test]
    fn never_panics() {
        crate::cluster::short_strings(|text| {
            let _ = minor(text);
        });
    }
}
