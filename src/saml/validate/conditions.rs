//! Stage 3, conditions: who issued the assertion, for whom, when, and in answer to what. Values
//! that are accepted come from [`Signed`] elements; the unsigned Response is read only to refuse.

use super::super::request_state::{Mode, RequestState};
use super::super::{ns, read};
use super::signed_read as signed;
use super::verification::Verified;
use super::AssertionValidator;
use crate::dsig::Signed;
use crate::error::{ConditionError, SamlError, StructureError};
use crate::time::Timestamp;
use crate::xml::Element;

/// The bearer confirmation that passed.
pub(super) struct Confirmation<'d> {
    pub not_on_or_after: Timestamp,
    pub in_response_to: Option<&'d str>,
}

/// The Response's `InResponseTo`, and whether it is signed.
#[derive(Clone, Copy)]
pub(super) struct ResponseInResponseTo<'d> {
    value: Option<&'d str>,
    signed: bool,
}

impl<'d> ResponseInResponseTo<'d> {
    /// Read from the verified Response when it is signed, else from the unsigned one (which can
    /// then only refuse).
    pub(super) fn of(root: Element<'d>, verified: &Verified<'d>) -> Self {
        match verified.response {
            Some(r) => ResponseInResponseTo {
                value: r.attribute("InResponseTo"),
                signed: true,
            },
            None => ResponseInResponseTo {
                value: root.attribute("InResponseTo"),
                signed: false,
            },
        }
    }
}

impl AssertionValidator {
    /// Both Issuers name the configured IdP, and the Response is addressed to our ACS URL.
    pub(super) fn check_issuers_and_destination(
        &self,
        root: Element<'_>,
        verified: &Verified<'_>,
    ) -> Result<(), SamlError> {
        if let Some(ri) = read::one(root, ns::SAML, "Issuer")? {
            let text = ri.text().map_err(StructureError::from)?;
            self.check_issuer("Response", &text, ri.attribute("Format"))?;
        }
        match signed::one(verified.assertion, ns::SAML, "Issuer")? {
            Some(ai) => {
                let text = ai.text().map_err(StructureError::from)?;
                self.check_issuer("Assertion", &text, ai.attribute("Format"))?
            }
            None => {
                return Err(ConditionError::Issuer {
                    element: "Assertion",
                    expected: self.config.idp_issuer().to_owned(),
                    got: None,
                }
                .into())
            }
        }
        // SAML bindings 2.0 §3.5.5.2: Destination is required on a signed Response; when
        // present it must be our ACS URL. An unsigned Response (only the Assertion signed) may
        // omit it: the bearer confirmation's Recipient, checked later, binds the assertion.
        let destination = match verified.response {
            Some(r) => r.attribute("Destination"),
            None => root.attribute("Destination"),
        };
        match destination {
            Some(d) if self.config.is_acs_url(d) => Ok(()),
            None if verified.response.is_none() => Ok(()),
            got => Err(ConditionError::Destination {
                expected: self.config.acs_url().to_owned(),
                got: got.map(str::to_owned),
            }
            .into()),
        }
    }

    /// `text` is the Issuer element's text (compared without surrounding whitespace).
    fn check_issuer(
        &self,
        element: &'static str,
        text: &str,
        format: Option<&str>,
    ) -> Result<(), SamlError> {
        let expected = self.config.idp_issuer();
        let got = text.trim_matches([' ', '\t', '\n', '\r']);
        if got == expected && matches!(format, None | Some(ns::ENTITY_FORMAT)) {
            return Ok(());
        }
        Err(ConditionError::Issuer {
            element,
            expected: expected.to_owned(),
            got: Some(got.to_owned()),
        }
        .into())
    }

    /// The Assertion's Conditions: time window, only conditions we evaluate, our audience.
    /// Returns `Conditions/@NotOnOrAfter`.
    pub(super) fn check_conditions(
        &self,
        assertion: Signed<'_>,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, SamlError> {
        let conditions = signed::one(assertion, ns::SAML, "Conditions")?;
        let mut latest = None;
        if let Some(c) = conditions {
            let nb = signed::time_attr(c, "NotBefore", "Conditions/@NotBefore")?;
            let noa = signed::time_attr(c, "NotOnOrAfter", "Conditions/@NotOnOrAfter")?;
            self.check_window("Conditions", nb, noa, now)?;
            check_condition_kinds(c)?;
            latest = noa;
        }
        self.check_audience(conditions)?;
        Ok(latest)
    }

    /// `now` within `[not_before, not_on_or_after)`, with the configured clock skew.
    pub(super) fn check_window(
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

    fn check_audience(&self, conditions: Option<Signed<'_>>) -> Result<(), SamlError> {
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
        const WS: [char; 4] = [' ', '\t', '\n', '\r'];
        for r in restrictions {
            let mut found = false;
            for a in r.children_named(ns::SAML, "Audience") {
                found |= a.text().map_err(StructureError::from)?.trim_matches(WS) == expected;
            }
            if !found {
                let mut got = Vec::new();
                for a in r.children_named(ns::SAML, "Audience") {
                    got.push(signed::text(a)?);
                }
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
    pub(super) fn check_confirmations<'d>(
        &self,
        subject: Signed<'d>,
        response_irt: ResponseInResponseTo<'d>,
        now: Timestamp,
    ) -> Result<Confirmation<'d>, SamlError> {
        let mut first_error: Option<SamlError> = None;
        for c in subject.children_named(ns::SAML, "SubjectConfirmation") {
            if c.attribute("Method") != Some(ns::BEARER) {
                continue;
            }
            match self.check_confirmation(c, response_irt.value, now) {
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| ConditionError::NoBearerConfirmation.into()))
    }

    fn check_confirmation<'d>(
        &self,
        c: Signed<'d>,
        response_irt: Option<&'d str>,
        now: Timestamp,
    ) -> Result<Confirmation<'d>, SamlError> {
        let scd = signed::one(c, ns::SAML, "SubjectConfirmationData")?
            .ok_or(ConditionError::NoBearerConfirmation)?;
        let recipient = scd.attribute("Recipient");
        if !recipient.is_some_and(|r| self.config.is_acs_url(r)) {
            return Err(ConditionError::Recipient {
                expected: self.config.acs_url().to_owned(),
                got: recipient.map(str::to_owned),
            }
            .into());
        }
        let noa = signed::time_attr(scd, "NotOnOrAfter", "SubjectConfirmationData/@NotOnOrAfter")?
            .ok_or(StructureError::Missing {
                what: "SubjectConfirmationData/@NotOnOrAfter",
            })?;
        let nb = signed::time_attr(scd, "NotBefore", "SubjectConfirmationData/@NotBefore")?;
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
    }

    /// Judges InResponseTo. The value judged is the signed one: the confirmation's (always inside
    /// the verified Assertion), or the Response's only when the Response signature was verified.
    pub(super) fn check_in_response_to<'d>(
        &self,
        response_irt: ResponseInResponseTo<'d>,
        confirmation: &Confirmation<'d>,
        requests: &RequestState<'_>,
    ) -> Result<Option<&'d str>, SamlError> {
        let judged = match (confirmation.in_response_to, response_irt.value) {
            (Some(c), _) => Some(c),
            (None, Some(r)) if response_irt.signed => Some(r),
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
}

/// SAML core §2.5.1: a condition the relying party does not understand makes the assertion
/// Indeterminate, so every child of Conditions must be one we evaluate (AudienceRestriction) or
/// one that asks nothing more of a Web SSO relying party (OneTimeUse: every assertion is consumed
/// once anyway; ProxyRestriction: we never issue assertions onwards).
fn check_condition_kinds(conditions: Signed<'_>) -> Result<(), ConditionError> {
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
