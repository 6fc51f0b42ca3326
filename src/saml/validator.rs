//! `AssertionValidator`: from the posted SAMLResponse to a `PendingLogin`.

use std::collections::{BTreeMap, HashSet};

use super::assertion::{PendingLogin, VerifiedAssertion};
use super::config::SsoConfig;
use super::request_state::{Mode, RequestState};
use super::requests::RequestId;
use super::{ns, read};
use crate::dsig::{self, Policy, RsaKey, DSIG_NS};
use crate::error::{
    ClaimError, ConditionError, SamlError, SignatureError, SignedPart, StructureError, UsageError,
};
use crate::time::Timestamp;
use crate::xml::{Document, Element, Limits, XML_NS};

/// Validates SAML responses for one organization's [`SsoConfig`].
///
/// ```no_run
/// # async fn demo(config: sso_scim::SsoConfig, form_value: &str, ids: &[String]) -> Result<(), Box<dyn std::error::Error>> {
/// use sso_scim::{AssertionValidator, MemoryReplayCache, RequestState, Timestamp};
/// let validator = AssertionValidator::new(config);
/// let replay = MemoryReplayCache::new();
/// let pending = validator.validate(form_value, &RequestState::outstanding(ids), Timestamp::now())?;
/// let user = pending.consume(&replay).await?;
/// println!("log in {}", user.email().unwrap_or(user.name_id()));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AssertionValidator {
    config: SsoConfig,
    keys: Vec<RsaKey>,
    limits: Limits,
}

/// The bearer confirmation that passed.
struct Confirmation<'d> {
    not_on_or_after: Timestamp,
    in_response_to: Option<&'d str>,
}

impl AssertionValidator {
    /// A validator for `config`. Cheap: the certificates' keys were parsed when the config was built.
    pub fn new(config: SsoConfig) -> AssertionValidator {
        let keys = config.keys();
        let limits = Limits::default().with_max_bytes(config.max_response_bytes());
        AssertionValidator {
            config,
            keys,
            limits,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SsoConfig {
        &self.config
    }

    /// Validates the `SAMLResponse` form value as posted to the ACS URL (base64; whitespace and
    /// line breaks tolerated; never DEFLATE) at instant `now`.
    pub fn validate(
        &self,
        saml_response: impl AsRef<[u8]>,
        requests: &RequestState<'_>,
        now: Timestamp,
    ) -> Result<PendingLogin, SamlError> {
        let xml =
            super::decode::form_value(saml_response.as_ref(), self.config.max_response_bytes())?;
        let doc = Document::parse_owned(xml, &self.limits)?;
        self.validate_document(&doc, requests, now)
    }

    /// Validates a response given as raw XML bytes (for tools and tests; browsers post base64).
    pub fn validate_xml(
        &self,
        xml: &[u8],
        requests: &RequestState<'_>,
        now: Timestamp,
    ) -> Result<PendingLogin, SamlError> {
        let doc = Document::parse(xml, &self.limits)?;
        self.validate_document(&doc, requests, now)
    }

    fn validate_document(
        &self,
        doc: &Document,
        requests: &RequestState<'_>,
        now: Timestamp,
    ) -> Result<PendingLogin, SamlError> {
        let cfg = &self.config;
        if matches!(requests.mode, Mode::Stateless) && !cfg.allows_idp_initiated() {
            return Err(UsageError::NoRequestState.into());
        }
        let root = doc.root();
        if !root.is(ns::SAMLP, "Response") {
            return Err(StructureError::NotAResponse {
                found: format!("{{{}}}{}", root.namespace(), root.local_name()),
            }
            .into());
        }
        read::version(root, "Response")?;
        check_unique_ids(doc)?;

        // Shape: exactly one Assertion, signatures only where SAML puts them.
        let mut assertions = Vec::new();
        let mut signatures = Vec::new();
        for e in doc.elements() {
            if e.namespace() == ns::SAML {
                match e.local_name() {
                    "Assertion" => assertions.push(e),
                    "EncryptedAssertion" => return Err(StructureError::EncryptedAssertion.into()),
                    _ => {}
                }
            } else if e.is(DSIG_NS, "Signature") {
                signatures.push(e);
            }
        }
        if assertions.len() > 1 {
            return Err(StructureError::MultipleAssertions {
                count: assertions.len(),
            }
            .into());
        }
        let assertion = assertions.first().copied();
        let (mut response_sig, mut assertion_sig) = (None, None);
        for s in signatures {
            let parent = s.parent();
            let slot = match (parent, assertion) {
                (Some(p), _) if p == root => (&mut response_sig, SignedPart::Response),
                (Some(p), Some(a)) if p == a && a.parent() == Some(root) => {
                    (&mut assertion_sig, SignedPart::Assertion)
                }
                _ => {
                    return Err(SignatureError::Misplaced {
                        parent: parent
                            .map(|p| p.qualified_name().into_owned())
                            .unwrap_or_default(),
                    }
                    .into())
                }
            };
            if slot.0.replace(s).is_some() {
                return Err(SignatureError::Multiple {
                    part: slot.1,
                    count: 2,
                }
                .into());
            }
        }

        let policy = Policy {
            insecure_allow_sha1: cfg.insecure_allow_sha1(),
        };
        let mut scratch = Vec::with_capacity(doc_size_hint(doc));
        if let Some(s) = response_sig {
            let parsed = dsig::parse(s, SignedPart::Response)?;
            dsig::verify(
                &parsed,
                SignedPart::Response,
                root,
                &self.keys,
                policy,
                &mut scratch,
            )?;
            self.cross_check(doc, SignedPart::Response)?;
        }
        read::status(root)?;
        let assertion = assertion.ok_or(StructureError::NoAssertion)?;
        if assertion.parent() != Some(root) {
            return Err(StructureError::MisplacedAssertion.into());
        }
        match assertion_sig {
            Some(s) => {
                let parsed = dsig::parse(s, SignedPart::Assertion)?;
                dsig::verify(
                    &parsed,
                    SignedPart::Assertion,
                    assertion,
                    &self.keys,
                    policy,
                    &mut scratch,
                )?;
                self.cross_check(doc, SignedPart::Assertion)?;
            }
            None if response_sig.is_none() => return Err(SignatureError::Unsigned.into()),
            None => {}
        }
        // From here on, everything is read from `assertion` (covered by a verified signature,
        // directly or through the Response) or from the Response only to refuse.

        if let Some(ri) = read::one(root, ns::SAML, "Issuer")? {
            self.check_issuer(Some(ri), "Response")?;
        }
        self.check_issuer(read::one(assertion, ns::SAML, "Issuer")?, "Assertion")?;
        // SAML bindings 2.0 §3.5.5.2: Destination is required on a signed Response; when
        // present it must be our ACS URL. An unsigned Response (only the Assertion signed) may
        // omit it: the bearer confirmation's Recipient, checked below, binds the assertion.
        match root.attribute("Destination") {
            Some(d) if cfg.is_acs_url(d) => {}
            None if response_sig.is_none() => {}
            got => {
                return Err(ConditionError::Destination {
                    expected: cfg.acs_url().to_owned(),
                    got: got.map(str::to_owned),
                }
                .into())
            }
        }
        read::version(assertion, "Assertion")?;
        let assertion_id = match assertion.attribute("ID") {
            Some(id) if !id.is_empty() => id,
            _ => {
                return Err(StructureError::Missing {
                    what: "Assertion/@ID",
                }
                .into())
            }
        };

        // Conditions: time window and audience.
        let conditions = read::one(assertion, ns::SAML, "Conditions")?;
        let mut latest = None;
        if let Some(c) = conditions {
            let nb = read::time_attr(c, "NotBefore", "Conditions/@NotBefore")?;
            let noa = read::time_attr(c, "NotOnOrAfter", "Conditions/@NotOnOrAfter")?;
            self.check_window("Conditions", nb, noa, now)?;
            check_condition_kinds(c)?;
            latest = noa;
        }
        self.check_audience(conditions)?;

        // Subject: NameID and a bearer confirmation for us.
        let subject =
            read::one(assertion, ns::SAML, "Subject")?.ok_or(StructureError::Missing {
                what: "Assertion/Subject",
            })?;
        if read::one(subject, ns::SAML, "EncryptedID")?.is_some() {
            return Err(StructureError::EncryptedId.into());
        }
        let name_id_el =
            read::one(subject, ns::SAML, "NameID")?.ok_or(ClaimError::MissingNameId)?;
        let name_id = read::text(name_id_el)?;
        if name_id.is_empty() {
            return Err(ClaimError::MissingNameId.into());
        }
        let response_irt = root.attribute("InResponseTo");
        let confirmation = self.check_confirmations(subject, response_irt, now)?;
        let in_response_to = self.check_in_response_to(
            response_irt,
            response_sig.is_some(),
            &confirmation,
            requests,
        )?;
        latest = Some(match latest {
            Some(t) if t > confirmation.not_on_or_after => t,
            _ => confirmation.not_on_or_after,
        });

        // Attributes.
        let attributes = read::attributes(assertion)?;
        let email = self.email(&attributes)?;
        let pick = |name: &str| {
            attributes
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .flat_map(|(_, v)| v.iter())
                .find(|v| !v.is_empty())
                .cloned()
        };
        let first_name = pick(cfg.first_name_attribute());
        let last_name = pick(cfg.last_name_attribute());

        let authn = assertion.children_named(ns::SAML, "AuthnStatement").next();
        let (session_index, session_not_on_or_after, authn_instant) = match authn {
            Some(a) => (
                a.attribute("SessionIndex").map(str::to_owned),
                read::time_attr(
                    a,
                    "SessionNotOnOrAfter",
                    "AuthnStatement/@SessionNotOnOrAfter",
                )?,
                read::time_attr(a, "AuthnInstant", "AuthnStatement/@AuthnInstant")?,
            ),
            None => (None, None, None),
        };
        // A session the IdP already ended is no login (python3-saml refuses it too).
        self.check_window(
            "AuthnStatement/@SessionNotOnOrAfter",
            None,
            session_not_on_or_after,
            now,
        )?;
        let remember_until = latest.unwrap_or(now).saturating_add(cfg.clock_skew());

        Ok(PendingLogin {
            assertion: VerifiedAssertion {
                issuer: cfg.idp_issuer().to_owned(),
                assertion_id: assertion_id.to_owned(),
                name_id,
                name_id_format: name_id_el.attribute("Format").map(str::to_owned),
                email,
                first_name,
                last_name,
                attributes,
                session_index,
                session_not_on_or_after,
                authn_instant,
                in_response_to: in_response_to.map(str::to_owned),
                remember_until,
                verified_signatures: [
                    response_sig.map(|_| SignedPart::Response),
                    assertion_sig.map(|_| SignedPart::Assertion),
                ]
                .into_iter()
                .flatten()
                .collect(),
            },
            now,
            request_to_consume: match requests.mode {
                Mode::Stored("") => in_response_to.map(RequestId::new),
                Mode::Stored(scope) => in_response_to.map(|id| RequestId::scoped(scope, id)),
                _ => None,
            },
        })
    }

    /// With the `xmlsec` feature: libxmlsec1 must accept the signature we just verified.
    #[cfg(feature = "xmlsec")]
    fn cross_check(&self, doc: &Document, part: SignedPart) -> Result<(), SignatureError> {
        let pems: Vec<String> = self
            .config
            .idp_certificates()
            .iter()
            .map(|c| c.to_pem())
            .collect();
        match dsig::libxmlsec_verifies(doc.source().as_bytes(), part, &pems) {
            Ok(true) => Ok(()),
            Ok(false) => Err(SignatureError::CrossCheck {
                part,
                reason: "libxmlsec1 does not verify this signature".into(),
            }),
            Err(reason) => Err(SignatureError::CrossCheck { part, reason }),
        }
    }

    #[cfg(not(feature = "xmlsec"))]
    fn cross_check(&self, _doc: &Document, _part: SignedPart) -> Result<(), SignatureError> {
        Ok(())
    }

    fn check_issuer(
        &self,
        issuer: Option<Element<'_>>,
        element: &'static str,
    ) -> Result<(), SamlError> {
        let expected = self.config.idp_issuer();
        let fail = |got: Option<String>| ConditionError::Issuer {
            element,
            expected: expected.to_owned(),
            got,
        };
        let Some(issuer) = issuer else {
            return Err(fail(None).into());
        };
        let got = read::text(issuer)?;
        if got != expected {
            return Err(fail(Some(got)).into());
        }
        match issuer.attribute("Format") {
            None | Some(ns::ENTITY_FORMAT) => Ok(()),
            Some(_) => Err(fail(Some(got)).into()),
        }
    }

    fn check_window(
        &self,
        what: &'static str,
        not_before: Option<Timestamp>,
        not_on_or_after: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<(), SamlError> {
        let skew = self.config.clock_skew();
        if let Some(nb) = not_before {
            if now.saturating_add(skew) < nb {
                return Err(ConditionError::NotYetValid {
                    what,
                    not_before: nb,
                    now,
                    skew,
                }
                .into());
            }
        }
        if let Some(noa) = not_on_or_after {
            if now.saturating_sub(skew) >= noa {
                return Err(ConditionError::Expired {
                    what,
                    not_on_or_after: noa,
                    now,
                    skew,
                }
                .into());
            }
        }
        Ok(())
    }

    fn check_audience(&self, conditions: Option<Element<'_>>) -> Result<(), SamlError> {
        let expected = self.config.sp_entity_id();
        let mut restrictions = conditions
            .into_iter()
            .flat_map(|c| c.children_named(ns::SAML, "AudienceRestriction"))
            .peekable();
        if restrictions.peek().is_none() {
            return Err(ConditionError::Audience {
                expected: expected.to_owned(),
                got: Vec::new(),
            }
            .into());
        }
        // Every AudienceRestriction must be satisfied (SAML core 2.5.1.4).
        for r in restrictions {
            let mut got = Vec::new();
            for a in r.children_named(ns::SAML, "Audience") {
                got.push(read::text(a)?);
            }
            if !got.iter().any(|a| a == expected) {
                return Err(ConditionError::Audience {
                    expected: expected.to_owned(),
                    got,
                }
                .into());
            }
        }
        Ok(())
    }

    /// Finds a bearer SubjectConfirmation whose data holds for us now; reports the first failure.
    fn check_confirmations<'d>(
        &self,
        subject: Element<'d>,
        response_irt: Option<&'d str>,
        now: Timestamp,
    ) -> Result<Confirmation<'d>, SamlError> {
        let mut first_error: Option<SamlError> = None;
        for c in subject.children_named(ns::SAML, "SubjectConfirmation") {
            if c.attribute("Method") != Some(ns::BEARER) {
                continue;
            }
            let result = (|| -> Result<Confirmation<'d>, SamlError> {
                let scd = read::one(c, ns::SAML, "SubjectConfirmationData")?
                    .ok_or(ConditionError::NoBearerConfirmation)?;
                let recipient = scd.attribute("Recipient");
                if !recipient.is_some_and(|r| self.config.is_acs_url(r)) {
                    return Err(ConditionError::Recipient {
                        expected: self.config.acs_url().to_owned(),
                        got: recipient.map(str::to_owned),
                    }
                    .into());
                }
                let noa =
                    read::time_attr(scd, "NotOnOrAfter", "SubjectConfirmationData/@NotOnOrAfter")?
                        .ok_or(StructureError::Missing {
                            what: "SubjectConfirmationData/@NotOnOrAfter",
                        })?;
                let nb = read::time_attr(scd, "NotBefore", "SubjectConfirmationData/@NotBefore")?;
                self.check_window("SubjectConfirmationData", nb, Some(noa), now)?;
                let irt = scd.attribute("InResponseTo");
                if let (Some(r), Some(s)) = (response_irt, irt) {
                    if r != s {
                        return Err(ConditionError::InResponseToMismatch {
                            response: Some(r.to_owned()),
                            confirmation: Some(s.to_owned()),
                        }
                        .into());
                    }
                }
                Ok(Confirmation {
                    not_on_or_after: noa,
                    in_response_to: irt,
                })
            })();
            match result {
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| ConditionError::NoBearerConfirmation.into()))
    }

    /// Judges InResponseTo. The value judged is the signed one: the confirmation's (always inside
    /// the verified Assertion), or the Response's only when the Response signature was verified.
    fn check_in_response_to<'d>(
        &self,
        response_irt: Option<&'d str>,
        response_signed: bool,
        confirmation: &Confirmation<'d>,
        requests: &RequestState<'_>,
    ) -> Result<Option<&'d str>, SamlError> {
        let judged = match (confirmation.in_response_to, response_irt) {
            (Some(c), _) => Some(c),
            (None, Some(r)) if response_signed => Some(r),
            (None, Some(r)) => {
                return Err(ConditionError::InResponseToMismatch {
                    response: Some(r.to_owned()),
                    confirmation: None,
                }
                .into())
            }
            (None, None) => None,
        };
        let ids = match &requests.mode {
            Mode::Outstanding(ids) => ids,
            // Stateless host with IdP-initiated logins allowed (checked on entry): not judged.
            Mode::Stateless => return Ok(judged),
            // Judged at consume, against the store.
            Mode::Stored(_) => {
                return match judged {
                    None if !self.config.allows_idp_initiated() => {
                        Err(ConditionError::InResponseTo {
                            got: None,
                            outstanding: 0,
                        }
                        .into())
                    }
                    j => Ok(j),
                }
            }
        };
        match judged {
            Some(v) if ids.contains(&v) => Ok(Some(v)),
            None if self.config.allows_idp_initiated() => Ok(None),
            got => Err(ConditionError::InResponseTo {
                got: got.map(str::to_owned),
                outstanding: ids.len(),
            }
            .into()),
        }
    }

    fn email(
        &self,
        attributes: &BTreeMap<String, Vec<String>>,
    ) -> Result<Option<String>, SamlError> {
        let name = self.config.email_attribute();
        let mut values: Vec<&String> = attributes
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.iter())
            .filter(|v| !v.is_empty())
            .collect();
        values.dedup();
        let required = self.config.require_email();
        match values.as_slice() {
            [] if required => Err(ClaimError::MissingEmail {
                attribute: name.to_owned(),
            }
            .into()),
            [] => Ok(None),
            [one] if is_email(one) => Ok(Some((*one).clone())),
            [one] if required => Err(ClaimError::InvalidEmail {
                attribute: name.to_owned(),
                value: one.chars().take(80).collect(),
            }
            .into()),
            [_] => Ok(None),
            many if required => Err(ClaimError::AmbiguousEmail {
                attribute: name.to_owned(),
                count: many.len(),
            }
            .into()),
            _ => Ok(None),
        }
    }
}

/// SAML core §2.5.1: a condition the relying party does not understand makes the assertion
/// Indeterminate, so every child of Conditions must be one we evaluate (AudienceRestriction) or
/// one that asks nothing more of a Web SSO relying party (OneTimeUse: every assertion is consumed
/// once anyway; ProxyRestriction: we never issue assertions onwards).
fn check_condition_kinds(conditions: Element<'_>) -> Result<(), ConditionError> {
    for c in conditions.child_elements() {
        let known = c.namespace() == ns::SAML
            && matches!(
                c.local_name(),
                "AudienceRestriction" | "OneTimeUse" | "ProxyRestriction"
            );
        if !known {
            let kind = c
                .attribute_ns(ns::XSI, "type")
                .map(|t| format!(" of type {t:?}"))
                .unwrap_or_default();
            return Err(ConditionError::UnknownCondition {
                condition: format!("{{{}}}{}{kind}", c.namespace(), c.local_name())
                    .chars()
                    .take(200)
                    .collect(),
            });
        }
    }
    Ok(())
}

fn doc_size_hint(doc: &Document) -> usize {
    doc.node_count().saturating_mul(64).min(1 << 20)
}

/// Every ID-like attribute value (`ID`, `Id`, `id`, `xml:id`) must be unique in the document, so
/// that no reference can be resolved to a second element.
fn check_unique_ids(doc: &Document) -> Result<(), StructureError> {
    let mut seen = HashSet::new();
    for e in doc.elements() {
        for a in e.attributes() {
            let id_like = match a.namespace {
                "" => matches!(a.local_name, "ID" | "Id" | "id"),
                XML_NS => a.local_name == "id",
                _ => false,
            };
            if id_like && !seen.insert(a.value) {
                return Err(StructureError::DuplicateId {
                    id: a.value.chars().take(80).collect(),
                });
            }
        }
    }
    Ok(())
}

/// The crate's one email rule ([`crate::EmailAddress::parse`]).
pub(crate) fn is_email(s: &str) -> bool {
    crate::domain::EmailAddress::parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::is_email;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "jane.doe+x@example.com",
            "x@sub.exa-mple.org",
            "é@例え.jp",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a b@c.d", "a@b..c", "a@-b.c", "a@b.c-", "a@@b.c",
            "<a>@b.c", "a@b_c.d",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
