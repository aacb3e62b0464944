//! Password functions: `bcrypt`, `htpasswd` (bcrypt, `$2a$`, cost 10, as
//! Go's `x/crypto/bcrypt`) and `derivePassword` (the Master Password
//! algorithm: scrypt, then HMAC-SHA256 choosing template characters).

use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::value::Value;

const SEED: &[u8] = b"com.lyndir.masterpassword";
/// `bcrypt.DefaultCost` in Go (the Rust crate defaults to 12).
const GO_DEFAULT_COST: u32 = 10;

fn bcrypt_hash(input: &[u8]) -> String {
    match bcrypt::hash_with_result(input, GO_DEFAULT_COST) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

pub(super) fn bcrypt<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(bcrypt_hash(a.str(0)).into_bytes()))
}

pub(super) fn htpasswd<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let user = a.str(0);
    let mut out = Vec::new();
    if user.contains(&b':') {
        out.extend_from_slice(b"invalid username: ");
        out.extend_from_slice(user);
    } else {
        out.extend_from_slice(user);
        out.push(b':');
        out.extend_from_slice(bcrypt_hash(a.str(1)).as_bytes());
    }
    Ok(Value::string(out))
}

fn templates(kind: &[u8]) -> Option<&'static [&'static str]> {
    Some(match kind {
        b"maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        b"long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        b"medium" => &["CvcnoCvc", "CvcCvcno"],
        b"short" => &["Cvcn"],
        b"basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        b"pin" => &["nnnn"],
        _ => return None,
    })
}

fn characters(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// `derivePassword counter type password user site`.
pub(super) fn derive_password<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let counter = match a.arg(0).repr {
        crate::value::Repr::Uint(u, _) => u as u32,
        crate::value::Repr::Int(i, _) => i as u32,
        _ => 0,
    };
    let kind = a.str(1);
    let Some(templates) = templates(kind) else {
        let mut out = b"cannot find password template ".to_vec();
        out.extend_from_slice(kind);
        return Ok(Value::string(out));
    };
    let (password, user, site) = (a.str(2), a.str(3), a.str(4));
    let mut salt = SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user);
    let mut key = [0u8; 64];
    let params = scrypt::Params::new(15, 8, 2, 64).map_err(|e| e.to_string())?;
    if let Err(e) = scrypt::scrypt(password, &salt, &params, &mut key) {
        return Ok(Value::string(format!("failed to derive password: {e}").into_bytes()));
    }
    let mut message = SEED.to_vec();
    message.extend_from_slice(&(site.len() as u32).to_be_bytes());
    message.extend_from_slice(site);
    message.extend_from_slice(&counter.to_be_bytes());
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), &message);
    let seed = tag.as_ref();
    let template = templates[seed[0] as usize % templates.len()].as_bytes();
    let password: Vec<u8> = template
        .iter()
        .enumerate()
        .map(|(i, class)| {
            let chars = characters(*class);
            chars[seed[i + 1] as usize % chars.len()]
        })
        .collect();
    Ok(Value::string(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(counter: u64, kind: &str, password: &str, user: &str, site: &str) -> String {
        let s = |t: &str| Value::string(t.as_bytes().to_vec());
        let args = [Value::uint_of(counter, crate::types::Type::Uint32), s(kind), s(password), s(user), s(site)];
        String::from_utf8(derive_password(&CallCx::default(), &args).unwrap().as_bytes().unwrap().to_vec()).unwrap()
    }

    /// Go's answers (the oracle, sprig's `derivePassword`).
    #[test]
    fn master_passwords_are_gos() {
        assert_eq!(derive(1, "long", "password", "user", "example.com"), "ZedaFaxcZaso9*");
        assert_eq!(derive(3, "maximum", "pässwörd", "üser", "site"), "d7%dEzFPYLTwiP8M9!sr");
        assert_eq!(derive(0, "pin", "", "", ""), "2847");
        assert_eq!(derive(1, "nope", "p", "u", "s"), "cannot find password template nope");
    }

    #[test]
    fn bcrypt_hashes_verify() {
        let hash = bcrypt_hash(b"secret");
        assert!(hash.starts_with("$2a$10$"), "{hash}");
        assert!(::bcrypt::verify("secret", &hash).unwrap());
    }
}
