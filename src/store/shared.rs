//! Every port for `Arc<T>`: one store shared by the SCIM service, the organization service and
//! the host's own code.

use std::future::Future;
use std::sync::Arc;

use super::claims::{ClaimConflict, DomainClaim};
use super::ports::{Accounts, DomainClaims, OrgSettings, ScimDirectory, ScimTokens, Storage};
use super::records::{
    Account, AccountLink, Conflict, EmailKey, GroupPage, Membership, Organization, Query,
    TokenRecord, TooMany, UserPage,
};
use crate::domain::DomainName;
use crate::resource::{AccountId, OrgId, ScimGroup, ScimUser, UserNameKey};
use crate::saml::{AuthnRequestStore, ReplayCache, ReplayKey, RequestId};
use crate::time::Timestamp;

impl<T: Storage> Storage for Arc<T> {
    type Error = T::Error;
}

impl<T: OrgSettings> OrgSettings for Arc<T> {
    fn organization(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Option<Organization>, Self::Error>> + Send {
        (**self).organization(org)
    }

    fn put_organization(
        &self,
        org: &Organization,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        (**self).put_organization(org)
    }

    fn update_organization(
        &self,
        org: &Organization,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send {
        (**self).update_organization(org, expected_version)
    }
}

impl<T: DomainClaims> DomainClaims for Arc<T> {
    fn insert_claim(
        &self,
        claim: &DomainClaim,
    ) -> impl Future<Output = Result<Result<(), ClaimConflict>, Self::Error>> + Send {
        (**self).insert_claim(claim)
    }

    fn update_claim(
        &self,
        claim: &DomainClaim,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), ClaimConflict>, Self::Error>> + Send {
        (**self).update_claim(claim, expected_version)
    }

    fn claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Result<Option<DomainClaim>, Self::Error>> + Send {
        (**self).claim(org, domain)
    }

    fn claims(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<DomainClaim>, Self::Error>> + Send {
        (**self).claims(org)
    }

    fn verified_owner(
        &self,
        domain: &DomainName,
    ) -> impl Future<Output = Result<Option<OrgId>, Self::Error>> + Send {
        (**self).verified_owner(domain)
    }

    fn delete_claim(
        &self,
        org: &OrgId,
        domain: &DomainName,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        (**self).delete_claim(org, domain)
    }
}

impl<T: ScimTokens> ScimTokens for Arc<T> {
    fn insert_token(
        &self,
        token: &TokenRecord,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        (**self).insert_token(token)
    }

    fn token(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<TokenRecord>, Self::Error>> + Send {
        (**self).token(id)
    }

    fn tokens(
        &self,
        org: &OrgId,
    ) -> impl Future<Output = Result<Vec<TokenRecord>, Self::Error>> + Send {
        (**self).tokens(org)
    }

    fn revoke_token(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        (**self).revoke_token(org, id)
    }
}

impl<T: Accounts> Accounts for Arc<T> {
    fn account_by_email(
        &self,
        key: &EmailKey,
    ) -> impl Future<Output = Result<Option<Account>, Self::Error>> + Send {
        (**self).account_by_email(key)
    }

    fn membership(
        &self,
        org: &OrgId,
        account: &AccountId,
    ) -> impl Future<Output = Result<Option<Membership>, Self::Error>> + Send {
        (**self).membership(org, account)
    }

    fn create_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send {
        (**self).create_account(account)
    }

    fn account(
        &self,
        id: &AccountId,
    ) -> impl Future<Output = Result<Option<Account>, Self::Error>> + Send {
        (**self).account(id)
    }

    fn put_membership(
        &self,
        org: &OrgId,
        account: &AccountId,
        membership: &Membership,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send {
        (**self).put_membership(org, account, membership)
    }
}

impl<T: ScimDirectory> ScimDirectory for Arc<T> {
    fn create_user(
        &self,
        user: &ScimUser,
        link: &AccountLink,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send {
        (**self).create_user(user, link)
    }

    fn user(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimUser>, Self::Error>> + Send {
        (**self).user(org, id)
    }

    fn user_by_user_name(
        &self,
        org: &OrgId,
        key: &UserNameKey,
    ) -> impl Future<Output = Result<Option<ScimUser>, Self::Error>> + Send {
        (**self).user_by_user_name(org, key)
    }

    fn update_user(
        &self,
        user: &ScimUser,
        account_email: &str,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send {
        (**self).update_user(user, account_email, expected_version)
    }

    fn delete_user(
        &self,
        org: &OrgId,
        id: &str,
        delete_account_if_orphan: bool,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        (**self).delete_user(org, id, delete_account_if_orphan, now)
    }

    fn list_users(
        &self,
        org: &OrgId,
        start: usize,
        count: usize,
    ) -> impl Future<Output = Result<UserPage, Self::Error>> + Send {
        (**self).list_users(org, start, count)
    }

    fn query_users(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Result<Result<UserPage, TooMany>, Self::Error>> + Send {
        (**self).query_users(org, query)
    }

    fn groups_of_user(
        &self,
        org: &OrgId,
        user_id: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, Self::Error>> + Send {
        (**self).groups_of_user(org, user_id)
    }

    fn create_group(
        &self,
        group: &ScimGroup,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send {
        (**self).create_group(group)
    }

    fn group(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimGroup>, Self::Error>> + Send {
        (**self).group(org, id)
    }

    fn update_group(
        &self,
        group: &ScimGroup,
        expected_version: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, Self::Error>> + Send {
        (**self).update_group(group, expected_version)
    }

    fn delete_group(
        &self,
        org: &OrgId,
        id: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        (**self).delete_group(org, id, now)
    }

    fn query_groups(
        &self,
        org: &OrgId,
        query: &Query,
    ) -> impl Future<Output = Result<Result<GroupPage, TooMany>, Self::Error>> + Send {
        (**self).query_groups(org, query)
    }
}

impl<T: ReplayCache + Send + Sync> ReplayCache for Arc<T> {
    type Error = T::Error;

    fn consume_once(
        &self,
        key: &ReplayKey,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        (**self).consume_once(key, expires_at, now)
    }
}

impl<T: AuthnRequestStore + Send + Sync> AuthnRequestStore for Arc<T> {
    type Error = T::Error;

    fn insert_request(
        &self,
        id: &RequestId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        (**self).insert_request(id, expires_at, now)
    }

    fn consume_request(
        &self,
        id: &RequestId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        (**self).consume_request(id, now)
    }
}
