//! The one email rule: what SCIM (userName and emails), the SAML validator and domain claims
//! accept as an email address, and the normalized domain they compare (see [`EmailAddress`]).

use super::{is_invisible_char, DomainName};

/// Why a text is not an email address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{email:?} is not an email address: {reason}")]
pub struct EmailError {
    /// The input (shortened to 80 characters).
    pub email: String,
    /// What is wrong, for the person who typed it.
    pub reason: String,
}

/// An email address that passed the crate's one email rule: the text as given and its
/// normalized domain. The rule:
/// - the address is the whole string: surrounding whitespace is **refused**, not trimmed (two
///   values that differ only by a space are not quietly made one user, nor two);
/// - no invisible character ([`is_invisible_char`](crate::is_invisible_char): controls,
///   bidirectional overrides, soft hyphens, joiners, ...) anywhere, and no whitespace;
/// - exactly one `@`; the local part is 1 to 64 bytes of dot-separated atoms (RFC 5322
///   `dot-atom`: letters, digits, `` !#$%&'*+-/=?^_`{|}~ ``, and non-ASCII letters as RFC 6531
///   allows); quoted local parts (`"a b"@example.com`) are refused;
/// - the domain is a host name of at least two labels, Unicode or punycode, without a trailing
///   dot, normalized by [`DomainName::parse`] (IDNA to ASCII, lowercase): `bücher.example` and
///   `xn--bcher-kva.example` are the same domain. It must be written in one of those two standard
///   forms (any case): percent escapes (`ex%61mple.com`), full-width letters or dots, which IDNA
///   would quietly map to another spelling, are refused;
/// - at most 254 bytes in all (RFC 5321's limit for a path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress {
    text: String,
    at: usize,
    domain: DomainName,
}

const ATEXT_SYMBOLS: &str = "!#$%&'*+-/=?^_`{|}~";

/// A plain ASCII address the rule certainly accepts: dot-atoms of ASCII `atext` before the `@`;
/// after it, at least two labels of letters, digits and inner hyphens, none punycode, the last
/// starting with a letter (so no host parser reads it as an IP address). Anything else (and
/// every refusal) is left to [`EmailAddress::parse`].
fn plainly_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 254 {
        return false;
    }
    let Some(at) = b.iter().position(|&c| c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    let atom = |c: u8| c.is_ascii_alphanumeric() || ATEXT_SYMBOLS.as_bytes().contains(&c);
    if local.is_empty()
        || local.len() > 64
        || local
            .split(|&c| c == b'.')
            .any(|a| a.is_empty() || !a.iter().all(|&c| atom(c)))
    {
        return false;
    }
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&c| c == b'.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
            && label
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'-')
            && !(label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"));
        if !ok {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.first().is_some_and(u8::is_ascii_alphabetic)
}

fn atom_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ATEXT_SYMBOLS.contains(c)
        || (!c.is_ascii() && !c.is_whitespace() && !is_invisible_char(c))
}

impl EmailAddress {
    /// Whether `s` passes the rule: exactly `EmailAddress::parse(s).is_ok()`, without
    /// allocating for a plain ASCII address (the validator checks every SAML email this way).
    ///
    /// ```
    /// use sso_scim::EmailAddress;
    /// assert!(EmailAddress::is_valid("jane.doe+sso@example.com"));
    /// assert!(EmailAddress::is_valid("Jane@Bücher.example"));
    /// assert!(!EmailAddress::is_valid("jane@example"));
    /// ```
    pub fn is_valid(s: &str) -> bool {
        plainly_valid(s) || EmailAddress::parse(s).is_ok()
    }

    /// Checks `s` against the rule (see [`EmailAddress`]).
    ///
    /// ```
    /// use sso_scim::EmailAddress;
    /// let e = EmailAddress::parse("Jane.Doe@Bücher.example").unwrap();
    /// assert_eq!(e.domain().as_str(), "xn--bcher-kva.example");
    /// assert_eq!(e.local_part(), "Jane.Doe");
    /// assert!(EmailAddress::parse("boss@evil.com@example.com").is_err());
    /// assert!(EmailAddress::parse(" jane@example.com").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<EmailAddress, EmailError> {
        let fail = |reason: &str| EmailError {
            email: s.chars().take(80).collect(),
            reason: reason.to_owned(),
        };
        if s.is_empty() {
            return Err(fail("it is empty"));
        }
        if s.trim() != s {
            return Err(fail(
                "it has whitespace before or after it; send the address alone",
            ));
        }
        if let Some(c) = s.chars().find(|&c| is_invisible_char(c)) {
            return Err(fail(&format!(
                "it contains the invisible or control character U+{:04X}",
                c as u32
            )));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(fail("it contains whitespace"));
        }
        if s.len() > 254 {
            return Err(fail("it is longer than 254 bytes"));
        }
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(fail("it must contain exactly one @"));
        };
        if local.is_empty() {
            return Err(fail("the part before @ is empty"));
        }
        if local.len() > 64 {
            return Err(fail("the part before @ is longer than 64 bytes"));
        }
        if local
            .split('.')
            .any(|atom| atom.is_empty() || !atom.chars().all(atom_char))
        {
            return Err(fail(
                "the part before @ must be dot-separated words of letters, digits and !#$%&'*+-/=?^_`{|}~ (no quotes, brackets or consecutive dots)",
            ));
        }
        if domain.ends_with('.') {
            return Err(fail("the domain ends with a dot"));
        }
        if domain.contains('%') {
            return Err(fail("the domain contains a percent escape; write it out"));
        }
        let normalized =
            DomainName::parse(domain).map_err(|e| fail(&format!("its domain: {}", e.reason)))?;
        // The text must already be the ASCII form or its Unicode form: no spelling that IDNA
        // maps (full-width letters, ideographic dots), so one mailbox has one key.
        let lower = domain.to_lowercase();
        if lower != normalized.as_str() {
            let (unicode, mapped) = idna::domain_to_unicode(normalized.as_str());
            if mapped.is_err() || unicode != lower {
                return Err(fail(&format!(
                    "its domain is not written in a standard form; write {} (or {unicode})",
                    normalized.as_str()
                )));
            }
        }
        Ok(EmailAddress {
            text: s.to_owned(),
            at: local.len(),
            domain: normalized,
        })
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The part before `@`, as given.
    pub fn local_part(&self) -> &str {
        &self.text[..self.at]
    }

    /// The normalized domain (lowercase ASCII, punycode for internationalized labels).
    pub fn domain(&self) -> &DomainName {
        &self.domain
    }

    /// The address as its uniqueness keys compare it: the local part in Unicode lowercase, `@`,
    /// the normalized domain (`Jo@Bücher.example` and `jo@xn--bcher-kva.example` are one).
    pub fn key(&self) -> String {
        format!(
            "{}@{}",
            self.local_part().to_lowercase(),
            self.domain.as_str()
        )
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_plain_check_agrees_with_the_parse() {
        for s in [
            "a@b.co",
            "A.B+c@EXAMPLE.COM",
            "a@1.2.3.4",
            "a@b.123",
            "a@b.0x1",
            "a@0x1.com",
            "a@xn--bcher-kva.example",
            "a@XN--bcher-kva.example",
            "a@ab--cd.com",
            "a@-a.com",
            "a@a-.com",
            "a@example",
            "a@example.",
            "a@.example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@exa_mple.com",
            "\"a\"@example.com",
            "a@example.com1",
            "é@example.com",
            "a@bücher.example",
            "a@b@c.com",
            "@example.com",
            "a@",
            "",
        ] {
            assert_eq!(
                plainly_valid(s) || EmailAddress::parse(s).is_ok(),
                EmailAddress::parse(s).is_ok(),
                "{s:?}"
            );
            if plainly_valid(s) {
                assert!(EmailAddress::parse(s).is_ok(), "{s:?}");
            }
        }
        let long_label = format!("a@{}.com", "b".repeat(64));
        assert!(!plainly_valid(&long_label) && EmailAddress::parse(&long_label).is_err());
    }

    use super::*;

    #[test]
    fn accepts_real_addresses() {
        for (ok, domain) in [
            ("a@b.co", "b.co"),
            ("jane.doe+x@example.com", "example.com"),
            ("O'Brien@Sub.Example.COM", "sub.example.com"),
            ("x@sub.exa-mple.org", "sub.exa-mple.org"),
            ("é@例え.jp", "xn--r8jz45g.jp"),
            ("user@xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("a!#$%&'*+-/=?^_`{|}~@example.com", "example.com"),
        ] {
            let e = EmailAddress::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(e.domain().as_str(), domain, "{ok}");
            assert_eq!(e.as_str(), ok);
        }
        assert_eq!(
            EmailAddress::parse("u@bücher.example").unwrap().domain(),
            EmailAddress::parse("u@xn--bcher-kva.example")
                .unwrap()
                .domain(),
            "a Unicode domain and its punycode are one domain"
        );
        assert_eq!(
            EmailAddress::parse("Jo@Bücher.Example").unwrap().key(),
            EmailAddress::parse("jo@xn--bcher-kva.example")
                .unwrap()
                .key(),
            "and one key"
        );
    }

    #[test]
    fn refuses_what_the_probe_sent_and_more() {
        for bad in [
            "boss@evil.com@example.com",
            "@@example.com",
            "<script>@example.com",
            "x2@ example.com",
            "x3@example.com\n",
            "nul\u{0}@example.com",
            "rtl\u{202e}@example.com",
            " alice@example.com",
            "alice@example.com ",
            "",
            "a",
            "@b.co",
            "a@",
            "a@b",
            "a b@c.d",
            "a@b..c",
            "a@-b.c",
            "a@b.c-",
            "a@b_c.d",
            "a..b@c.d",
            ".a@c.d",
            "a.@c.d",
            "\"a b\"@c.d",
            "a@example.com.",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "zw\u{200b}j@example.com",
            "admin\u{ad}@example.com",
            "jane@ex%61mple.com",
            "jane@ｅｘａｍｐｌｅ.com",
            "jane@example。com",
            "jane@exam\u{ad}ple.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(EmailAddress::parse(&long_local).is_err());
        let long = format!("a@{}.com", "b.".repeat(130));
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn errors_say_what_to_fix() {
        let e = EmailAddress::parse("alice@example.com ").unwrap_err();
        assert!(e.reason.contains("whitespace before or after"), "{e}");
        let e = EmailAddress::parse("rtl\u{202e}@example.com").unwrap_err();
        assert!(e.reason.contains("U+202E"), "{e}");
        let e = EmailAddress::parse("boss@evil.com@example.com").unwrap_err();
        assert!(e.reason.contains("exactly one @"), "{e}");
    }
}
