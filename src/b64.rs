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
pub(crate) fn decode_lenient(text: &str, max_decoded: usize) -> Result<Vec<u8>, String> {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let bytes = text.as_bytes();
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
    LENIENT.decode(&compact).map_err(|e| e.to_string())
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
    }
}
