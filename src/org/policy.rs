//! The login policy: a pure function of the organization's settings, the account's membership
//! (role, and whether SCIM has deactivated it) and how the user is logging in.

use crate::store::{Membership, OrgRole, Organization};

/// How a user is trying to log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginAttempt {
    /// With the host's password (or any non-SSO method).
    Password,
    /// With a verified SAML assertion; `email_on_verified_claim` says whether its email's
    /// domain is on a verified claim of this organization.
    Sso {
        /// The email's domain is verified by this organization.
        email_on_verified_claim: bool,
    },
}

/// The login may proceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginDecision {
    /// Log the existing member in.
    Allow,
    /// Just-in-time provisioning: create the account as a `member`, then log it in.
    CreateMember,
}

/// Why a login was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginRefusal {
    /// "Require users to log in using SSO" is on and this member tried a password.
    #[error("this organization requires members to log in with SSO")]
    SsoRequired,
    /// The organization's IdP has deactivated this user (SCIM).
    #[error("this user was deactivated by the organization's identity provider")]
    Deactivated,
    /// The account is not a member (and just-in-time provisioning is off).
    #[error("this account is not a member of the organization")]
    NotAMember,
    /// The SSO email is not on a domain this organization has verified.
    #[error("the email's domain is not on a verified domain claim of this organization")]
    EmailNotOnVerifiedDomain,
}

impl LoginRefusal {
    /// A stable code.
    pub fn code(self) -> &'static str {
        match self {
            LoginRefusal::SsoRequired => "sso_required",
            LoginRefusal::Deactivated => "deactivated",
            LoginRefusal::NotAMember => "not_a_member",
            LoginRefusal::EmailNotOnVerifiedDomain => "domain_not_verified",
        }
    }

    /// What to do (for the user, or the admin).
    pub fn hint(self) -> &'static str {
        match self {
            LoginRefusal::SsoRequired => "Log in with your company's SSO (enter your work email on the login page).",
            LoginRefusal::Deactivated => "Your access was removed by your organization's identity provider. Ask your administrator to reactivate you in Okta.",
            LoginRefusal::NotAMember => "Ask an administrator of the organization to invite you, or to assign you to the app in Okta so that provisioning creates your account.",
            LoginRefusal::EmailNotOnVerifiedDomain => "An organization admin must claim and verify the email's domain (DNS TXT record) in the organization's settings; until then SSO logins on it are refused.",
        }
    }
}

/// Decides a login.
///
/// - Deactivated (by SCIM) members are refused with every method, owners and admins included:
///   the IdP has ended that person's access.
/// - A password login is refused for a `member` when the organization requires SSO; owners and
///   admins keep their password, so a broken SSO setup never locks the organization out.
/// - An SSO login needs its email on a verified claim of this organization; without a
///   membership it creates one only with just-in-time provisioning on.
pub fn decide_login(
    org: &Organization,
    membership: Option<Membership>,
    attempt: LoginAttempt,
) -> Result<LoginDecision, LoginRefusal> {
    if let LoginAttempt::Sso {
        email_on_verified_claim: false,
    } = attempt
    {
        return Err(LoginRefusal::EmailNotOnVerifiedDomain);
    }
    let Some(m) = membership else {
        return match attempt {
            LoginAttempt::Sso { .. } if org.jit_provisioning => Ok(LoginDecision::CreateMember),
            _ => Err(LoginRefusal::NotAMember),
        };
    };
    if !m.active {
        return Err(LoginRefusal::Deactivated);
    }
    match attempt {
        LoginAttempt::Password if org.require_sso && m.role == OrgRole::Member => {
            Err(LoginRefusal::SsoRequired)
        }
        _ => Ok(LoginDecision::Allow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::OrgId;

    fn m(role: OrgRole, active: bool) -> Option<Membership> {
        Some(Membership { role, active })
    }

    #[test]
    fn every_combination_has_the_documented_outcome() {
        let base = Organization::new(OrgId::new("o").unwrap());
        let sso_ok = LoginAttempt::Sso {
            email_on_verified_claim: true,
        };
        let sso_bad = LoginAttempt::Sso {
            email_on_verified_claim: false,
        };
        for require_sso in [false, true] {
            for jit in [false, true] {
                let org = base
                    .clone()
                    .with_require_sso(require_sso)
                    .with_jit_provisioning(jit);
                for role in [OrgRole::Member, OrgRole::Admin, OrgRole::Owner] {
                    let pw = decide_login(&org, m(role, true), LoginAttempt::Password);
                    if require_sso && role == OrgRole::Member {
                        assert_eq!(pw, Err(LoginRefusal::SsoRequired));
                    } else {
                        assert_eq!(pw, Ok(LoginDecision::Allow), "{role:?} keeps the password");
                    }
                    assert_eq!(
                        decide_login(&org, m(role, true), sso_ok),
                        Ok(LoginDecision::Allow)
                    );
                    for attempt in [LoginAttempt::Password, sso_ok] {
                        assert_eq!(
                            decide_login(&org, m(role, false), attempt),
                            Err(LoginRefusal::Deactivated)
                        );
                    }
                    assert_eq!(
                        decide_login(&org, m(role, true), sso_bad),
                        Err(LoginRefusal::EmailNotOnVerifiedDomain)
                    );
                }
                assert_eq!(
                    decide_login(&org, None, sso_ok),
                    if jit {
                        Ok(LoginDecision::CreateMember)
                    } else {
                        Err(LoginRefusal::NotAMember)
                    }
                );
                assert_eq!(
                    decide_login(&org, None, LoginAttempt::Password),
                    Err(LoginRefusal::NotAMember)
                );
                assert_eq!(
                    decide_login(&org, None, sso_bad),
                    Err(LoginRefusal::EmailNotOnVerifiedDomain)
                );
            }
        }
    }
}
