//! The DNS proof of a domain claim: the TXT record an organization publishes, and the check of
//! what a resolver answered against it. Pure: no DNS here (see [`TxtResolver`](super::TxtResolver)).
//!
//! The record is `TXT _sso-scim-challenge.<domain>` with the value
//! `sso-scim-verification=<token>`, the token being 32 URL-safe base64 characters (192 random
//! bits) issued for that organization's claim. A TXT record made of several character-strings
//! counts as their concatenation (as RFC 7208 §3.3 reads them).

use super::DomainName;

/// The label under which the proof is published.
pub const TXT_LABEL: &str = "_sso-scim-challenge";
/// The prefix of the record's value.
pub const TXT_VALUE_PREFIX: &str = "sso-scim-verification=";
/// TXT records examined per answer, at most; the rest are ignored.
pub const MAX_TXT_RECORDS: usize = 64;
/// A TXT record longer than this (all its strings together) is ignored: it cannot be ours.
pub const MAX_TXT_BYTES: usize = 1024;

/// The random token of one organization's claim of one domain.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClaimToken(String);

impl std::fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClaimToken({:?})", self.0)
    }
}

/// A claim token that is not 32 URL-safe base64 characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a claim token is 32 URL-safe base64 characters")]
pub struct InvalidClaimToken;

impl ClaimToken {
    /// A token from 24 random bytes.
    pub fn from_random(bytes: [u8; 24]) -> ClaimToken {
        use base64::Engine;
        ClaimToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A stored token, checked.
    pub fn parse(s: &str) -> Result<ClaimToken, InvalidClaimToken> {
        let ok = s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(ClaimToken(s.to_owned()))
        } else {
            Err(InvalidClaimToken)
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The TXT record to publish: its full name (without a trailing dot) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxtRecord {
    /// `_sso-scim-challenge.<domain>`.
    pub name: String,
    /// `sso-scim-verification=<token>`.
    pub value: String,
}

impl TxtRecord {
    /// The record proving the claim of `domain` with `token`.
    pub fn for_claim(domain: &DomainName, token: &ClaimToken) -> TxtRecord {
        TxtRecord {
            name: format!("{TXT_LABEL}.{}", domain.as_str()),
            value: format!("{TXT_VALUE_PREFIX}{}", token.as_str()),
        }
    }
}

/// What a resolver answered for a TXT query (successful answers; failures are [`DnsFailure`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The name exists and has these TXT records, each a list of character-strings.
    Records(Vec<Vec<Vec<u8>>>),
    /// The name exists but has no TXT record (NOERROR, no answer).
    NoRecords,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
}

/// A DNS lookup that gave no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsFailure {
    /// The server answered SERVFAIL (often a broken DNSSEC chain or an unreachable
    /// authoritative server).
    #[error("the DNS server failed (SERVFAIL) for {name}")]
    ServFail {
        /// The name queried.
        name: String,
    },
    /// No answer within the timeout.
    #[error("the DNS lookup of {name} timed out")]
    Timeout {
        /// The name queried.
        name: String,
    },
    /// Anything else: refused, unreachable server, malformed answer.
    #[error("the DNS lookup of {name} failed: {detail}")]
    Other {
        /// The name queried.
        name: String,
        /// What the resolver said.
        detail: String,
    },
}

/// Why a proof did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofFailure {
    /// The name does not exist.
    #[error("{name} does not exist in DNS (NXDOMAIN): publish the TXT record {name} with the value {expected:?}")]
    NxDomain {
        /// The record's name.
        name: String,
        /// The value to publish.
        expected: String,
    },
    /// The name has no TXT record.
    #[error("{name} has no TXT record: publish one with the value {expected:?}")]
    NoTxt {
        /// The record's name.
        name: String,
        /// The value to publish.
        expected: String,
    },
    /// TXT records exist but none has the expected value.
    #[error("none of the {found} TXT records of {name} is {expected:?}{stale}", stale = if *.other_tokens > 0 { " (one carries another sso-scim token: an older claim's record? replace it)" } else { "" })]
    Mismatch {
        /// The record's name.
        name: String,
        /// The value to publish.
        expected: String,
        /// Records examined.
        found: usize,
        /// Records with our prefix but another token.
        other_tokens: usize,
    },
    /// The lookup failed: nothing is known about the record.
    #[error(transparent)]
    Dns(#[from] DnsFailure),
}

impl ProofFailure {
    /// Is this a definite answer (the record is not there), rather than a failed lookup? A
    /// re-verification demotes a verified claim only on a definite answer.
    pub fn is_definite(&self) -> bool {
        !matches!(self, ProofFailure::Dns(_))
    }

    /// A stable code: `nxdomain`, `no_txt`, `mismatch`, `servfail`, `timeout`, `dns`.
    pub fn code(&self) -> &'static str {
        match self {
            ProofFailure::NxDomain { .. } => "nxdomain",
            ProofFailure::NoTxt { .. } => "no_txt",
            ProofFailure::Mismatch { .. } => "mismatch",
            ProofFailure::Dns(DnsFailure::ServFail { .. }) => "servfail",
            ProofFailure::Dns(DnsFailure::Timeout { .. }) => "timeout",
            ProofFailure::Dns(_) => "dns",
        }
    }
}

/// Does `answer` (for `expected.name`) carry the expected record? A record matches when its
/// character-strings, concatenated, equal the expected value exactly. At most
/// [`MAX_TXT_RECORDS`] records are examined and records over [`MAX_TXT_BYTES`] are skipped,
/// so an answer's size never costs more than that.
pub fn check_proof(
    expected: &TxtRecord,
    answer: Result<&TxtAnswer, &DnsFailure>,
) -> Result<(), ProofFailure> {
    let records = match answer {
        Err(e) => return Err(ProofFailure::Dns(e.clone())),
        Ok(TxtAnswer::NxDomain) => {
            return Err(ProofFailure::NxDomain {
                name: expected.name.clone(),
                expected: expected.value.clone(),
            })
        }
        Ok(TxtAnswer::NoRecords) => {
            return Err(ProofFailure::NoTxt {
                name: expected.name.clone(),
                expected: expected.value.clone(),
            })
        }
        Ok(TxtAnswer::Records(r)) if r.is_empty() => {
            return Err(ProofFailure::NoTxt {
                name: expected.name.clone(),
                expected: expected.value.clone(),
            })
        }
        Ok(TxtAnswer::Records(r)) => r,
    };
    let want = expected.value.as_bytes();
    let (mut found, mut other_tokens) = (0, 0);
    for strings in records.iter().take(MAX_TXT_RECORDS) {
        found += 1;
        let len: usize = strings.iter().map(Vec::len).sum();
        if len > MAX_TXT_BYTES {
            continue;
        }
        let value: Vec<u8> = strings.concat();
        if value == want {
            return Ok(());
        }
        if value.starts_with(TXT_VALUE_PREFIX.as_bytes()) {
            other_tokens += 1;
        }
    }
    Err(ProofFailure::Mismatch {
        name: expected.name.clone(),
        expected: expected.value.clone(),
        found,
        other_tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TxtRecord {
        let d = DomainName::parse("Example.COM.").unwrap();
        TxtRecord::for_claim(&d, &ClaimToken::from_random([7; 24]))
    }

    #[test]
    fn every_answer_has_a_defined_result() {
        let r = record();
        assert_eq!(r.name, "_sso-scim-challenge.example.com");
        assert!(r.value.starts_with("sso-scim-verification=") && r.value.len() == 22 + 32);
        let v = r.value.as_bytes().to_vec();
        let ok = |a: TxtAnswer| check_proof(&r, Ok(&a));
        assert_eq!(ok(TxtAnswer::Records(vec![vec![v.clone()]])), Ok(()));
        // Split into several strings, among other records.
        let (a, b) = v.split_at(10);
        assert_eq!(
            ok(TxtAnswer::Records(vec![
                vec![b"v=spf1 -all".to_vec()],
                vec![a.to_vec(), b.to_vec()]
            ])),
            Ok(())
        );
        assert_eq!(ok(TxtAnswer::NxDomain).unwrap_err().code(), "nxdomain");
        assert_eq!(ok(TxtAnswer::NoRecords).unwrap_err().code(), "no_txt");
        assert_eq!(ok(TxtAnswer::Records(vec![])).unwrap_err().code(), "no_txt");
        let stale = format!("{TXT_VALUE_PREFIX}{}", "A".repeat(32)).into_bytes();
        match ok(TxtAnswer::Records(vec![vec![stale]])) {
            Err(ProofFailure::Mismatch {
                found: 1,
                other_tokens: 1,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // Whitespace or case changes are not the value.
        let mut upper = v.clone();
        upper.make_ascii_uppercase();
        assert!(ok(TxtAnswer::Records(vec![vec![upper]])).is_err());
        assert!(ok(TxtAnswer::Records(vec![
            vec![[v.as_slice(), b" "].concat()]
        ]))
        .is_err());
        // Oversized records are skipped; too many records are not all read.
        let mut big = v.clone();
        big.extend(std::iter::repeat_n(b'x', MAX_TXT_BYTES));
        assert!(ok(TxtAnswer::Records(vec![vec![big]])).is_err());
        let mut many = vec![vec![b"noise".to_vec()]; MAX_TXT_RECORDS];
        many.push(vec![v.clone()]);
        match ok(TxtAnswer::Records(many)) {
            Err(ProofFailure::Mismatch { found, .. }) => assert_eq!(found, MAX_TXT_RECORDS),
            other => panic!("{other:?}"),
        }
        for (f, code) in [
            (
                DnsFailure::ServFail {
                    name: r.name.clone(),
                },
                "servfail",
            ),
            (
                DnsFailure::Timeout {
                    name: r.name.clone(),
                },
                "timeout",
            ),
        ] {
            let e = check_proof(&r, Err(&f)).unwrap_err();
            assert_eq!(e.code(), code);
            assert!(!e.is_definite());
        }
        assert!(ok(TxtAnswer::NxDomain).unwrap_err().is_definite());
    }

    #[test]
    fn tokens_parse() {
        let t = ClaimToken::from_random([200; 24]);
        assert_eq!(ClaimToken::parse(t.as_str()), Ok(t));
        for bad in [
            "",
            "short",
            &"a".repeat(33),
            &format!("{}=", "a".repeat(31)),
        ] {
            assert!(ClaimToken::parse(bad).is_err(), "{bad}");
        }
    }
}
