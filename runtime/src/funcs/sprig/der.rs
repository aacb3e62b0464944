//! Just enough DER and PEM for the private keys sprig writes and reads
//! (PKCS#1 and PKCS#8 wrappers, SEC1 EC keys, OpenSSL DSA keys), as Go's
//! `encoding/asn1` and `encoding/pem` lay them out.

use crate::encoding::base64;

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;

/// A DER element: tag, length, contents.
pub(crate) fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = contents.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(contents);
    out
}

pub(crate) fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub(crate) fn unsigned(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = {
        let start = magnitude.iter().position(|b| *b != 0).unwrap_or(magnitude.len());
        &magnitude[start..]
    };
    let mut body = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(trimmed);
    tlv(INTEGER, &body)
}

pub(crate) fn small_int(n: u8) -> Vec<u8> {
    tlv(INTEGER, &[n])
}

/// An element read from DER.
pub(crate) struct Element<'d> {
    pub(crate) tag: u8,
    pub(crate) contents: &'d [u8],
}

/// Reads the next element of `input`, returning it and the rest.
pub(crate) fn read(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| acc << 8 | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((Element { tag, contents: &rest[..len] }, &rest[len..]))
}

/// The elements inside a SEQUENCE's contents.
pub(crate) fn elements(mut contents: &[u8]) -> Option<Vec<Element<'_>>> {
    let mut out = Vec::new();
    while !contents.is_empty() {
        let (e, rest) = read(contents)?;
        out.push(e);
        contents = rest;
    }
    Some(out)
}

/// `pem.EncodeToMemory`: base64 in 64-column lines.
pub(crate) fn pem(kind: &str, der: &[u8]) -> String {
    let body = base64::encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// `pem.Decode`: the first PEM block's type and bytes.
pub(crate) fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let type_end = rest.find("-----")?;
    let kind = &rest[..type_end];
    if kind.contains('\n') {
        return None;
    }
    let body = rest[type_end + 5..].strip_prefix('\n').or_else(|| rest[type_end + 5..].strip_prefix("\r\n"))?;
    let end_marker = format!("-----END {kind}-----");
    let end = body.find(&end_marker)?;
    let lines: String = body[..end]
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let der = base64::decode(lines.as_bytes()).ok()?;
    Some((kind.to_owned(), der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_and_pem_round_trip() {
        assert_eq!(unsigned(&[0x00, 0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(unsigned(&[0x01]), [0x02, 0x01, 0x01]);
        let long = tlv(OCTET_STRING, &[7; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (e, rest) = read(&long).unwrap();
        assert_eq!((e.tag, e.contents.len(), rest.len()), (OCTET_STRING, 300, 0));
        let text = pem("TEST", &long);
        assert!(text.starts_with("-----BEGIN TEST-----\n") && text.ends_with("-----END TEST-----\n"));
        assert_eq!(pem_decode(&text), Some(("TEST".to_owned(), long)));
    }
}
