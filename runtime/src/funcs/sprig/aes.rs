//! `encryptAES` and `decryptAES`: AES-256-CBC with the password as key
//! (zero-padded or cut to 32 bytes), PKCS#7 padding and a random IV in
//! front, base64. Decryption fails exactly where Go's would panic, with
//! Go's messages.

use aes::Aes256;
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit, generic_array::GenericArray};

use super::{ArgAccess, Result};
use crate::encoding::base64;
use crate::funcs::CallCx;
use crate::value::Value;

const BLOCK: usize = 16;

fn cipher(password: &[u8]) -> Aes256 {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password[..n]);
    Aes256::new(GenericArray::from_slice(&key))
}

pub(super) fn encrypt_aes<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let plaintext = a.str(1);
    if plaintext.is_empty() {
        return Ok(Value::string(Vec::new()));
    }
    let aes = cipher(a.str(0));
    let padding = BLOCK - plaintext.len() % BLOCK;
    let mut content = plaintext.to_vec();
    content.extend(std::iter::repeat_n(padding as u8, padding));
    let mut out = vec![0u8; BLOCK];
    getrandom::fill(&mut out).map_err(|e| e.to_string())?;
    let mut previous: [u8; BLOCK] = out[..BLOCK].try_into().expect("one block");
    for chunk in content.chunks(BLOCK) {
        let mut block = [0u8; BLOCK];
        for i in 0..BLOCK {
            block[i] = chunk[i] ^ previous[i];
        }
        let mut b = GenericArray::from(block);
        aes.encrypt_block(&mut b);
        previous = b.into();
        out.extend_from_slice(&previous);
    }
    Ok(Value::string(base64::encode(&out).into_bytes()))
}

pub(super) fn decrypt_aes<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let encoded = a.str(1);
    if encoded.is_empty() {
        return Ok(Value::string(Vec::new()));
    }
    let aes = cipher(a.str(0));
    let crypt = base64::decode(encoded)?;
    if crypt.len() < BLOCK {
        // Go decodes into a buffer of `DecodedLen` bytes.
        let capacity = encoded.len() / 4 * 3;
        return Err(format!("runtime error: slice bounds out of range [:16] with capacity {capacity}"));
    }
    let (iv, body) = crypt.split_at(BLOCK);
    if body.len() % BLOCK != 0 {
        return Err("crypto/cipher: input not full blocks".to_owned());
    }
    let mut previous: [u8; BLOCK] = iv.try_into().expect("one block");
    let mut plain = Vec::with_capacity(body.len());
    for chunk in body.chunks(BLOCK) {
        let mut b = GenericArray::clone_from_slice(chunk);
        aes.decrypt_block(&mut b);
        plain.extend(b.iter().zip(previous).map(|(x, p)| x ^ p));
        previous.copy_from_slice(chunk);
    }
    let Some(&last) = plain.last() else {
        return Err("runtime error: index out of range [-1]".to_owned());
    };
    let keep = plain.len() as i64 - i64::from(last);
    if keep < 0 {
        return Err(format!("runtime error: slice bounds out of range [:{keep}]"));
    }
    plain.truncate(keep as usize);
    Ok(Value::string(plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: super::super::super::NativeFn, args: &[&[u8]]) -> std::result::Result<String, String> {
        let args: Vec<Value<'static>> = args.iter().map(|s| Value::string(s.to_vec())).collect();
        f(&CallCx::default(), &args).map(|v| String::from_utf8(v.as_bytes().unwrap().to_vec()).unwrap())
    }

    #[test]
    fn round_trip_and_goes_failures() {
        let secret = call(encrypt_aes, &[b"pw", b"hello, world"]).unwrap();
        assert_eq!(call(decrypt_aes, &[b"pw", secret.as_bytes()]).unwrap(), "hello, world");
        assert_eq!(
            call(decrypt_aes, &[b"secret", b"c2hvcnQ="]).unwrap_err(),
            "runtime error: slice bounds out of range [:16] with capacity 6"
        );
        assert_eq!(
            call(decrypt_aes, &[b"secret", b"QUJDREVGR0hJSktMTU5PUA=="]).unwrap_err(),
            "runtime error: index out of range [-1]"
        );
        assert_eq!(
            call(decrypt_aes, &[b"secret", b"QUJDREVGR0hJSktMTU5PUEFCQw=="]).unwrap_err(),
            "crypto/cipher: input not full blocks"
        );
        assert_eq!(
            call(decrypt_aes, &[b"secret", b"QUJDREVGR0hJSktMTU5PUEFCQ0RFRkdISUpLTE1OT1A="]).unwrap_err(),
            "runtime error: slice bounds out of range [:-210]"
        );
    }
}
