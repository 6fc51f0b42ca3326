//! The decryption path: unwrap the content key with the SP's keys, decrypt the data. It returns
//! bytes whatever happens: a failed unwrap continues with a random content key, a bad CBC padding
//! keeps its bytes, a bad GCM tag or length gives nothing. What comes out is then parsed and
//! verified, and every failure on the way is the one `decryption` error, so no step can be told
//! apart from another by its outcome.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM};
use aws_lc_rs::cipher::{DecryptingKey, DecryptionContext, UnboundCipherKey, AES_128, AES_256};
use aws_lc_rs::iv::FixedLength;
use ring::rand::{SecureRandom, SystemRandom};

use super::key::SpDecryptionKey;
use super::xmlenc::{DataCipher, KeyTransport, Parts};

/// The largest content key (AES-256).
const MAX_KEY: usize = 32;

/// The content key: the first wrapped key one of `keys` unwraps to the cipher's key length,
/// else random bytes (so that the rest of the path runs the same).
fn content_key(parts: &Parts, keys: &[SpDecryptionKey]) -> [u8; MAX_KEY] {
    let len = parts.cipher.key_len();
    let mut cek = [0u8; MAX_KEY];
    let mut out = [0u8; 1024];
    for w in &parts.keys {
        for k in keys {
            if w.value.len() != k.size_bytes() {
                continue;
            }
            let got = match w.transport {
                KeyTransport::Oaep(d) => k.oaep(d.algorithm(), &w.value, &mut out),
                KeyTransport::Pkcs1 => k.pkcs1(&w.value, &mut out),
            };
            if let Some(key) = got.filter(|key| key.len() == len) {
                cek[..len].copy_from_slice(key);
                out.fill(0);
                return cek;
            }
        }
    }
    out.fill(0);
    // Implicit rejection: a key nobody can know, and the same work as a real one.
    if SystemRandom::new().fill(&mut cek).is_err() {
        // Without randomness the data is not decrypted at all: nothing comes out.
        cek.fill(0);
    }
    cek
}

/// AES-CBC (XML Encryption: the IV first; the last plaintext byte is the padding length, the
/// other padding bytes are arbitrary).
fn cbc(cek: &[u8], data: &[u8]) -> Vec<u8> {
    let alg = if cek.len() == 16 { &AES_128 } else { &AES_256 };
    let Some((iv, body)) = data.split_first_chunk::<16>() else {
        return Vec::new();
    };
    if body.is_empty() || body.len() % 16 != 0 {
        return Vec::new();
    }
    let mut out = body.to_vec();
    let key = UnboundCipherKey::new(alg, cek).and_then(DecryptingKey::cbc);
    let Ok(key) = key else {
        return Vec::new();
    };
    let len = match key.decrypt(&mut out, DecryptionContext::Iv128(FixedLength::from(*iv))) {
        Ok(plain) => plain.len(),
        Err(_) => return Vec::new(),
    };
    out.truncate(len);
    // An impossible padding length removes nothing: the bytes then fail to parse.
    let pad = usize::from(out.last().copied().unwrap_or(0));
    let valid = (1..=16).contains(&pad) && pad <= out.len();
    out.truncate(out.len() - if valid { pad } else { 0 });
    out
}

/// AES-GCM (XML Encryption 1.1: a 12-byte IV, the ciphertext, a 16-byte tag).
fn gcm(cek: &[u8], data: &[u8]) -> Vec<u8> {
    let alg = if cek.len() == 16 {
        &AES_128_GCM
    } else {
        &AES_256_GCM
    };
    if data.len() < 12 + 16 {
        return Vec::new();
    }
    let (iv, body) = data.split_at(12);
    let (Ok(key), Ok(nonce)) = (
        UnboundKey::new(alg, cek),
        Nonce::try_assume_unique_for_key(iv),
    ) else {
        return Vec::new();
    };
    let mut out = body.to_vec();
    match LessSafeKey::new(key).open_in_place(nonce, Aad::empty(), &mut out) {
        Ok(plain) => {
            let n = plain.len();
            out.truncate(n);
            out
        }
        Err(_) => Vec::new(),
    }
}

/// The plaintext of `parts` (see the module: bytes whatever happens).
pub(crate) fn decrypt(parts: &Parts, keys: &[SpDecryptionKey]) -> Vec<u8> {
    let mut cek = content_key(parts, keys);
    let key = &cek[..parts.cipher.key_len()];
    let plain = match parts.cipher {
        DataCipher::Aes128Cbc | DataCipher::Aes256Cbc => cbc(key, &parts.data),
        DataCipher::Aes128Gcm | DataCipher::Aes256Gcm => gcm(key, &parts.data),
    };
    cek.fill(0);
    plain
}
