//! Which domains an organization may claim: not a public suffix (ICANN or private registry, from
//! the Public Suffix List compiled into the `psl` crate), not a free-mail provider.
//!
//! The free-mail list is `free_mail.txt`: the 14,125 domains of the npm package
//! `free-email-domains` 1.12.6 (MIT, © Kiko Beats), which merges HubSpot's list of free email
//! providers with two disposable-email blocklists. Hosts that must allow one of them (a company
//! whose real domain is listed) use [`ClaimRules::allow`]. Its license is in `free_mail.LICENSE`.

use std::collections::BTreeSet;

use super::DomainName;

/// Why a domain cannot be claimed at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimRefusal {
    /// The domain is a public suffix (`co.uk`) or a private-registry suffix (`github.io`,
    /// `s3.amazonaws.com`): names under it belong to different people.
    #[error("{domain} is a public suffix ({kind}): names under it belong to different owners, so it cannot be claimed; claim your own domain under it instead")]
    PublicSuffix {
        /// The domain.
        domain: String,
        /// `ICANN` or `private registry`.
        kind: &'static str,
    },
    /// The domain is a free or disposable email provider's (`gmail.com`).
    #[error("{domain} is a free or disposable email provider's domain: its addresses belong to the provider's users, not to one organization")]
    FreeMail {
        /// The domain.
        domain: String,
    },
}

impl ClaimRefusal {
    /// A stable code: `public_suffix` or `free_mail`.
    pub fn code(&self) -> &'static str {
        match self {
            ClaimRefusal::PublicSuffix { .. } => "public_suffix",
            ClaimRefusal::FreeMail { .. } => "free_mail",
        }
    }
}

static FREE_MAIL: &str = include_str!("free_mail.txt");

/// Is `domain` on the built-in free-mail list? (Binary search over the sorted list.)
pub fn is_free_mail(domain: &DomainName) -> bool {
    let d = domain.as_str();
    // The file is sorted bytewise, one domain per line: search it without building a table.
    let mut lo = 0usize;
    let mut hi = FREE_MAIL.len();
    let bytes = FREE_MAIL.as_bytes();
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        // The line containing `mid`.
        let start = bytes[..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = bytes[mid..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| mid + p);
        let line = &FREE_MAIL[start..end];
        match line.cmp(d) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

/// The public suffix `domain` is (ICANN or private section), if it is one.
fn public_suffix_kind(domain: &DomainName) -> Option<&'static str> {
    let s = psl::suffix(domain.as_str().as_bytes())?;
    if s.as_bytes() != domain.as_str().as_bytes() || !s.is_known() {
        return None;
    }
    Some(match s.typ() {
        Some(psl::Type::Private) => "private registry",
        _ => "ICANN",
    })
}

/// The rules a domain must pass before an organization may claim it.
///
/// A claim covers **exactly the domain claimed**: a claim of `example.com` does not cover
/// `eu.example.com` (claim it too; its TXT record lives under `eu.example.com`). Subdomains are
/// often delegated to other parties (a marketing agency, a hosting provider), so a proof on the
/// parent says nothing about who controls mail on a subdomain.
#[derive(Clone, Debug, Default)]
pub struct ClaimRules {
    allowed: BTreeSet<DomainName>,
}

impl ClaimRules {
    /// The default rules: public suffixes and the built-in free-mail list refused.
    pub fn new() -> ClaimRules {
        ClaimRules::default()
    }

    /// Allows `domain` although it is on the free-mail list (a company whose real domain is
    /// listed). Public suffixes stay refused.
    pub fn allow(mut self, domain: DomainName) -> ClaimRules {
        self.allowed.insert(domain);
        self
    }

    /// May `domain` be claimed?
    pub fn check(&self, domain: &DomainName) -> Result<(), ClaimRefusal> {
        if let Some(kind) = public_suffix_kind(domain) {
            return Err(ClaimRefusal::PublicSuffix {
                domain: domain.to_string(),
                kind,
            });
        }
        if is_free_mail(domain) && !self.allowed.contains(domain) {
            return Err(ClaimRefusal::FreeMail {
                domain: domain.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> DomainName {
        DomainName::parse(s).unwrap()
    }

    #[test]
    fn refuses_suffixes_and_free_mail() {
        let r = ClaimRules::new();
        for (s, code) in [
            ("co.uk", "public_suffix"),
            ("github.io", "public_suffix"),
            ("s3.amazonaws.com", "public_suffix"),
            ("com.au", "public_suffix"),
            ("gmail.com", "free_mail"),
            ("outlook.com", "free_mail"),
            ("yahoo.com", "free_mail"),
            ("GMX.de", "free_mail"),
        ] {
            assert_eq!(r.check(&d(s)).unwrap_err().code(), code, "{s}");
        }
        for s in [
            "example.com",
            "example.co.uk",
            "acme.github.io",
            "eu.example.com",
            "xn--bcher-kva.example",
            "acme.test",
            "google.com",
        ] {
            assert_eq!(r.check(&d(s)), Ok(()), "{s}");
        }
        let allowed = ClaimRules::new().allow(d("gmx.de"));
        assert_eq!(allowed.check(&d("gmx.de")), Ok(()));
        assert!(allowed.check(&d("co.uk")).is_err());
    }

    #[test]
    fn free_mail_list_is_sorted_and_searchable() {
        let lines: Vec<&str> = FREE_MAIL.lines().collect();
        assert!(lines.len() > 10_000);
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        for l in [lines[0], lines[lines.len() / 2], lines[lines.len() - 1]] {
            assert!(is_free_mail(&d(l)), "{l}");
        }
        assert!(!is_free_mail(&d("zzzzzz-not-listed.example")));
        assert!(!is_free_mail(&d("000.example")));
    }
}
