//! The URI rules for namespace names.

/// Only the characters RFC 3986 allows in a URI, and `%` only before two hex digits (libxml2
/// refuses to canonicalize a document with any other namespace name).
pub(super) fn is_uri_reference(uri: &str) -> bool {
    let b = uri.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

/// An absolute URI starts with a scheme: a letter, then letters, digits, `+`, `-` or `.`, then `:`.
pub(super) fn has_scheme(uri: &str) -> bool {
    match uri.split_once(':') {
        Some((scheme, _)) => {
            let mut c = scheme.chars();
            matches!(c.next(), Some(f) if f.is_ascii_alphabetic())
                && c.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}
