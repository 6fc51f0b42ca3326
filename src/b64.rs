//! Base64 as SAML uses it: standard alphabet, whitespace and line breaks tolerated.

use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;

/// Standard alphabet; padding optional (some encoders drop it); trailing bits must be zero.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 after removing XML whitespace (space, tab, CR, LF), refusing inputs whose
/// decoded size would exceed `max_decoded` before doing any work.
pub(crate) fn decode_lenient(
    text: impl AsRef<[u8]>,
    max_decoded: usize,
) -> Result<Vec<u8>, String> {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let bytes = text.as_ref();
    // The common case (a form value without line breaks) is decoded in place, without a copy.
    // memchr scans with SIMD; the common case finds nothing.
    let first_ws = match (
        memchr::memchr3(b'\n', b'\r', b' ', bytes),
        memchr::memchr(b'\t', bytes),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let compact: std::borrow::Cow<'_, [u8]> = match first_ws {
        None => std::borrow::Cow::Borrowed(bytes),
        Some(first) => {
            // Copy the runs between whitespace (lines of 64 or 76 characters) in one piece each.
            let mut out = Vec::with_capacity(bytes.len());
            out.extend_from_slice(&bytes[..first]);
            let mut start = first + 1;
            while let Some(off) = bytes[start..].iter().position(is_ws) {
                out.extend_from_slice(&bytes[start..start + off]);
                start += off + 1;
            }
            out.extend_from_slice(&bytes[start..]);
            std::borrow::Cow::Owned(out)
        }
    };
    if compact.len() / 4 * 3 > max_decoded {
        return Err(format!("longer than {max_decoded} decoded bytes"));
    }
    decode_compact(&compact)
}

/// Decodes base64 without whitespace: with SIMD when the text is canonical (padded to a
/// multiple of four, or unpadded), which is what `LENIENT` accepts too; anything the vectorized
/// decoder refuses goes through `LENIENT`, for its exact result and error message.
fn decode_compact(compact: &[u8]) -> Result<Vec<u8>, String> {
    let fast = if compact.len() % 4 == 0 {
        base64_simd::STANDARD.decode_to_vec(compact)
    } else {
        base64_simd::STANDARD_NO_PAD.decode_to_vec(compact)
    };
    match fast {
        Ok(v) => Ok(v),
        Err(_) => LENIENT.decode(compact).map_err(|e| e.to_string()),
    }
}

/// Decoded bytes that are usually small (a digest, a signature value), held without allocating
/// up to [`SmallBytes::INLINE`] bytes.
pub(crate) struct SmallBytes {
    inline: [u8; SmallBytes::INLINE],
    len: usize,
    heap: Option<Vec<u8>>,
}

impl SmallBytes {
    /// Enough for an RSA-8192 signature value.
    pub(crate) const INLINE: usize = 1024;

    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match &self.heap {
            Some(v) => v,
            None => &self.inline[..self.len],
        }
    }
}

impl std::fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// [`decode_lenient`] for short values: decoded on the stack when the text (without whitespace)
/// fits, with exactly `decode_lenient`'s result and errors otherwise.
pub(crate) fn decode_lenient_small(text: &str, max_decoded: usize) -> Result<SmallBytes, String> {
    const TEXT: usize = SmallBytes::INLINE / 3 * 4 + 4;
    let mut compact = [0u8; TEXT];
    let mut n = 0;
    let mut fits = true;
    for &b in text.as_bytes() {
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            continue;
        }
        if n == TEXT {
            fits = false;
            break;
        }
        compact[n] = b;
        n += 1;
    }
    if fits && n / 4 * 3 <= max_decoded {
        let mut out = SmallBytes {
            inline: [0; SmallBytes::INLINE],
            len: 0,
            heap: None,
        };
        if let Ok(len) = LENIENT.decode_slice(&compact[..n], &mut out.inline) {
            out.len = len;
            return Ok(out);
        }
    }
    // Anything unusual (long, malformed): the general path, for its exact result and message.
    decode_lenient(text, max_decoded).map(|v| SmallBytes {
        inline: [0; SmallBytes::INLINE],
        len: 0,
        heap: Some(v),
    })
}

/// Standard base64 with padding (for output).
pub(crate) fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_of_whitespace_and_padding() {
        assert_eq!(decode_lenient("aGVs\r\nbG8=", 100).unwrap(), b"hello");
        assert_eq!(decode_lenient(" aGVsbG8 ", 100).unwrap(), b"hello");
        assert!(decode_lenient("aGVsbG8*", 100).is_err());
        assert!(
            decode_lenient("aGVsbG9=", 100).is_err(),
            "non-zero trailing bits"
        );
        assert!(decode_lenient("aGVsbG8=", 3).is_err());
        assert_eq!(encode(b"hello"), "aGVsbG8=");
        for text in [
            "aGVs\r\nbG8=",
            " aGVsbG8 ",
            "aGVsbG8*",
            "aGVsbG9=",
            "",
            "QQ",
            "QQ===",
        ] {
            assert_eq!(
                decode_lenient_small(text, 100).map(|b| b.as_slice().to_vec()),
                decode_lenient(text, 100),
                "{text:?}"
            );
        }
        // The vectorized path and the general one agree, whatever the input.
        let mut inputs: Vec<String> = [
            "", "Q", "QQ", "QQ=", "QQ==", "QQ===", "QUI", "QUI=", "QUJD", "QUJD====", "QR==",
            "QUJ=", "=QUJ", "QU=J", "aGVsbG8", "aGVsbG8=", "aGVsbG9=", "a-b_", "a b=",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in 0..70 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let e = encode(&bytes);
            inputs.push(e.trim_end_matches('=').to_owned());
            inputs.push(e);
        }
        for text in &inputs {
            assert_eq!(
                decode_compact(text.as_bytes()),
                LENIENT.decode(text.as_bytes()).map_err(|e| e.to_string()),
                "{text:?}"
            );
        }
        let long = encode(&[7u8; 3000]);
        assert_eq!(
            decode_lenient_small(&long, 5000).unwrap().as_slice(),
            &[7u8; 3000]
        );
        assert!(decode_lenient_small(&long, 100).is_err());
    }
}
