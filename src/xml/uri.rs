//! The URI rules for namespace names.

/// Only the characters RFC 3986 allows in a URI, and `%` only before two hex digits (libxml2
/// refuses to canonicalize a document with any other namespace name).
pub(super) fn is_uri_reference(uri: &str) -> bool {
    let b = uri.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if URI_CHAR[c as usize] {
            i += 1;
            continue;
        }
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        return false;
    }
    true
}

/// The characters RFC 3986 allows in a URI reference, `%` aside.
static URI_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let extra = b"-._~:/?#[]@!$&'()*+,;=";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
};

/// An absolute URI starts with a scheme: a letter, then letters, digits, `+`, `-` or `.`, then `:`.
pub(super) fn has_scheme(uri: &str) -> bool {
    let b = uri.as_bytes();
    let Some(end) = b.iter().position(|&c| c == b':') else {
        return false;
    };
    match b[..end].split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic()
                && rest
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        for ok in [
            "urn:a",
            "http://www.w3.org/2000/09/xmldsig#",
            "a+b-c.d:x",
            "u:%41%7e",
        ] {
            assert!(has_scheme(ok) && is_uri_reference(ok), "{ok}");
        }
        for no_scheme in ["", ":a", "1a:b", "a_b:c", "rel/ative", "a/b:c"] {
            assert!(!has_scheme(no_scheme), "{no_scheme}");
        }
        for bad in ["urn:a b", "u:%4", "u:%zz", "u:\\", "u:é", "u:<", "u:\"x"] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
    }
}
