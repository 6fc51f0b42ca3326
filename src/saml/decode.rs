//! The HTTP-POST binding: the `SAMLResponse` form value is base64 of the XML, nothing else.

use crate::error::EncodingError;

/// Decodes a posted `SAMLResponse` value (whitespace and line breaks tolerated) into XML bytes,
/// refusing anything that would decode to more than `max_xml` bytes before decoding it.
pub(crate) fn form_value(value: &[u8], max_xml: usize) -> Result<Vec<u8>, EncodingError> {
    let trimmed = value.trim_ascii();
    if trimmed.is_empty() {
        return Err(EncodingError::Empty);
    }
    // Base64 is 4/3 of the data; allow generous room for line breaks.
    let limit = max_xml.saturating_mul(2).saturating_add(1024);
    if trimmed.len() > limit {
        return Err(EncodingError::TooLarge {
            limit,
            actual: trimmed.len(),
        });
    }
    let text = trimmed;
    if text.starts_with(b"<") {
        return Err(EncodingError::Base64 {
            reason: "the value is raw XML; the HTTP-POST binding posts it base64-encoded (use validate_xml for raw XML)".into(),
        });
    }
    if memchr::memchr(b'%', text).is_some() {
        return Err(EncodingError::Base64 {
            reason: "the value is still URL-encoded (contains '%'); pass the decoded form field"
                .into(),
        });
    }
    // Base64 is ASCII: checked a word at a time (a UTF-8 check of the whole value cost as much
    // as decoding it).
    if !text.is_ascii() {
        return Err(EncodingError::Base64 {
            reason: "the value contains non-ASCII bytes".into(),
        });
    }
    let xml = crate::b64::decode_lenient(text, max_xml)
        .map_err(|reason| EncodingError::Base64 { reason })?;
    let body = xml
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(&xml)
        .trim_ascii_start();
    if body.first() != Some(&b'<') {
        let printable = std::str::from_utf8(&body[..body.len().min(16)])
            .is_ok_and(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()));
        return Err(if printable {
            EncodingError::NotXml {
                starts_with: String::from_utf8_lossy(&body[..body.len().min(16)]).into_owned(),
            }
        } else {
            EncodingError::Deflated
        });
    }
    Ok(xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_refuses() {
        assert_eq!(form_value(b"PGEvPg==", 100).unwrap(), b"<a/>");
        assert_eq!(form_value(b" PGEv\r\nPg== \n", 100).unwrap(), b"<a/>");
        assert_eq!(form_value(b"", 100), Err(EncodingError::Empty));
        assert!(matches!(
            form_value(b"<a/>", 100),
            Err(EncodingError::Base64 { .. })
        ));
        assert!(matches!(
            form_value(b"PGEvPg%3D%3D", 100),
            Err(EncodingError::Base64 { .. })
        ));
        assert!(matches!(
            form_value(b"aGVsbG8=", 100),
            Err(EncodingError::NotXml { .. })
        ));
        assert!(matches!(
            form_value("PGEv\u{e9}Pg==".as_bytes(), 100),
            Err(EncodingError::Base64 { reason }) if reason.contains("non-ASCII")
        ));
        // Raw DEFLATE of "<a/>": binary, not XML.
        assert_eq!(form_value(b"s0nUtwMA", 100), Err(EncodingError::Deflated));
        assert!(matches!(
            form_value(&[b'A'; 2000], 100),
            Err(EncodingError::TooLarge { .. })
        ));
    }
}
