//! Stage 4, claims: who the user is, read from the verified Assertion only. Every reader here
//! takes a [`Signed`] element, so no claim can come from an element no signature covers.

use std::borrow::Cow;

use super::super::attributes::{Attributes, AttributesBuilder};
use super::super::ns;
use super::signed_read as signed;
use super::AssertionValidator;
use crate::dsig::Signed;
use crate::error::{ClaimError, SamlError, StructureError};
use crate::time::Timestamp;

/// The subject: its element (for the confirmations), the NameID and its format.
pub(super) struct Subject<'d> {
    pub element: Signed<'d>,
    pub name_id: Cow<'d, str>,
    pub name_id_format: Option<&'d str>,
}

/// What the AttributeStatements say about the user (borrowed from the [`Attributes`]).
pub(super) struct UserClaims<'a> {
    pub email: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
}

/// What the AuthnStatement says about the IdP session.
pub(super) struct Session<'d> {
    pub index: Option<&'d str>,
    pub not_on_or_after: Option<Timestamp>,
    pub authn_instant: Option<Timestamp>,
}

/// `Assertion/@ID`, the replay key.
pub(super) fn assertion_id<'d>(assertion: Signed<'d>) -> Result<&'d str, SamlError> {
    match assertion.attribute("ID") {
        Some(id) if !id.is_empty() => Ok(id),
        _ => Err(StructureError::Missing {
            what: "Assertion/@ID",
        }
        .into()),
    }
}

/// The Subject and its NameID (required, never encrypted).
pub(super) fn subject(assertion: Signed<'_>) -> Result<Subject<'_>, SamlError> {
    let element = signed::one(assertion, ns::SAML, "Subject")?.ok_or(StructureError::Missing {
        what: "Assertion/Subject",
    })?;
    if signed::one(element, ns::SAML, "EncryptedID")?.is_some() {
        return Err(StructureError::EncryptedId.into());
    }
    let name_id_el = signed::one(element, ns::SAML, "NameID")?.ok_or(ClaimError::MissingNameId)?;
    let name_id = trimmed(name_id_el.text().map_err(StructureError::from)?);
    if name_id.is_empty() {
        return Err(ClaimError::MissingNameId.into());
    }
    Ok(Subject {
        element,
        name_id,
        name_id_format: name_id_el.attribute("Format"),
    })
}

/// Every `AttributeStatement/Attribute` of the assertion: name to values, in document order.
/// A value with element children is refused (never read partially); `xsi:nil` values are empty.
pub(super) fn attributes(assertion: Signed<'_>) -> Result<Attributes, StructureError> {
    // One pass: room for an Okta login's attributes, grown by doubling for a user in a thousand
    // groups (a sizing pass read every value twice, a tenth of a large validation).
    let mut out = AttributesBuilder::with_capacity(16, 1024);
    for st in assertion.children_named(ns::SAML, "AttributeStatement") {
        for a in st.children_named(ns::SAML, "Attribute") {
            let name = a.attribute("Name").ok_or(StructureError::Missing {
                what: "Attribute/@Name",
            })?;
            out.attribute(name);
            for v in a.children_named(ns::SAML, "AttributeValue") {
                let nil = matches!(v.attribute_ns(ns::XSI, "nil"), Some("true" | "1"));
                if nil {
                    out.value("");
                } else {
                    out.value(&trimmed(v.text()?));
                }
            }
        }
    }
    Ok(out.finish())
}

/// `t` without surrounding XML whitespace, borrowed when `t` is.
fn trimmed(t: Cow<'_, str>) -> Cow<'_, str> {
    const WS: [char; 4] = [' ', '\t', '\n', '\r'];
    match t {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim_matches(WS)),
        Cow::Owned(o) if o.trim_matches(WS).len() == o.len() => Cow::Owned(o),
        Cow::Owned(o) => Cow::Owned(o.trim_matches(WS).to_owned()),
    }
}

/// The AuthnStatement's session facts (all optional).
pub(super) fn session(assertion: Signed<'_>) -> Result<Session<'_>, SamlError> {
    let Some(a) = assertion.children_named(ns::SAML, "AuthnStatement").next() else {
        return Ok(Session {
            index: None,
            not_on_or_after: None,
            authn_instant: None,
        });
    };
    Ok(Session {
        index: a.attribute("SessionIndex"),
        not_on_or_after: signed::time_attr(
            a,
            "SessionNotOnOrAfter",
            "AuthnStatement/@SessionNotOnOrAfter",
        )?,
        authn_instant: signed::time_attr(a, "AuthnInstant", "AuthnStatement/@AuthnInstant")?,
    })
}

impl AssertionValidator {
    /// The email (required unless configured otherwise) and the names, from the attributes.
    pub(super) fn user_claims<'a>(
        &self,
        attributes: &'a Attributes,
    ) -> Result<UserClaims<'a>, SamlError> {
        let email = self.email(attributes)?;
        let pick = |name: &str| {
            attributes
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .flat_map(|(_, v)| v)
                .find(|v| !v.is_empty())
        };
        Ok(UserClaims {
            email,
            first_name: pick(self.config.first_name_attribute()),
            last_name: pick(self.config.last_name_attribute()),
        })
    }

    fn email<'a>(&self, attributes: &'a Attributes) -> Result<Option<&'a str>, SamlError> {
        let name = self.config.email_attribute();
        let mut values: Vec<&str> = attributes
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v)
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
            [one] if is_email(one) => Ok(Some(one)),
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

/// The crate's one email rule ([`crate::EmailAddress::parse`]).
pub(crate) fn is_email(s: &str) -> bool {
    crate::domain::EmailAddress::is_valid(s)
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
