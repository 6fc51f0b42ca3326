//! Email domains and addresses: the one normalization and the one email rule that domain
//! claims, SCIM and SSO share; which domains may be claimed; the DNS proof of a claim and the
//! resolvers that read it.

#[cfg(feature = "dns")]
mod dns;
mod email;
mod proof;
mod resolver;
mod suffix;
mod text;

#[cfg(feature = "dns")]
pub use dns::{DnsResolver, DnsSetupError};
pub use email::{EmailAddress, EmailError};
pub use proof::{
    check_proof, ClaimToken, DnsFailure, InvalidClaimToken, ProofFailure, TxtAnswer, TxtRecord,
    MAX_TXT_BYTES, MAX_TXT_RECORDS, TXT_LABEL, TXT_VALUE_PREFIX,
};
pub use resolver::{StaticResolver, TxtResolver};
pub use suffix::{is_free_mail, ClaimRefusal, ClaimRules};
pub use text::{forbidden_char, is_forbidden_char, is_invisible_char};

/// Why a domain was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{domain:?} is not a valid domain name: {reason}")]
pub struct DomainError {
    /// The input (shortened).
    pub domain: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// Normalizes a domain name for comparison and storage: surrounding whitespace and one trailing
/// dot removed, internationalized names converted to their ASCII (punycode) form, lowercase.
/// IP addresses and single-label names are refused.
///
/// ```
/// assert_eq!(sso_scim::normalize_domain(" Example.COM. ").unwrap(), "example.com");
/// assert_eq!(sso_scim::normalize_domain("bücher.example").unwrap(), "xn--bcher-kva.example");
/// assert!(sso_scim::normalize_domain("192.168.0.1").is_err());
/// ```
pub fn normalize_domain(domain: &str) -> Result<String, DomainError> {
    let fail = |reason| DomainError {
        domain: domain.chars().take(80).collect(),
        reason,
    };
    let d = domain.trim();
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.is_empty() || d.len() > 253 {
        return Err(fail("empty or longer than 253 characters"));
    }
    match url::Host::parse(d) {
        Ok(url::Host::Domain(ascii)) => {
            // The ASCII (punycode) form is what DNS carries: its length is the one that counts.
            if ascii.len() > 253 {
                return Err(fail(
                    "longer than 253 characters in its ASCII (punycode) form",
                ));
            }
            let labels: Vec<&str> = ascii.split('.').collect();
            if labels.len() < 2 {
                return Err(fail("a domain needs at least two labels (example.com)"));
            }
            let ok = labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
            if !ok {
                return Err(fail(
                    "labels are letters, digits and inner hyphens, at most 63 characters",
                ));
            }
            Ok(ascii.to_ascii_lowercase())
        }
        Ok(_) => Err(fail("an IP address is not a domain")),
        Err(_) => Err(fail("not a host name")),
    }
}

/// A normalized domain name (see [`normalize_domain`]): what stores key domain claims by. Only
/// [`DomainName::parse`] makes one, so a store is never handed an unnormalized domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Normalizes and checks `domain` ([`normalize_domain`]).
    pub fn parse(domain: &str) -> Result<DomainName, DomainError> {
        normalize_domain(domain).map(DomainName)
    }

    /// The normalized name (lowercase ASCII, punycode for internationalized labels).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DomainName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The normalized domain of an email address, by the email rule ([`EmailAddress::parse`]).
pub fn email_domain(email: &str) -> Result<DomainName, EmailError> {
    EmailAddress::parse(email).map(|e| e.domain().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(normalize_domain("EXAMPLE.co.uk").unwrap(), "example.co.uk");
        assert_eq!(
            email_domain("Jane@Sub.Example.com").unwrap().as_str(),
            "sub.example.com"
        );
        for bad in [
            "",
            ".",
            "localhost",
            "[::1]",
            "10.0.0.1",
            "a..b",
            "-a.com",
            "a_b.com",
            "exa mple.com",
            "a@b.com",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
        assert!(email_domain("nodomain").is_err());
        assert!(email_domain("@example.com").is_err());
    }
}
