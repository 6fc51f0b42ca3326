//! `/Users`: the organization rules over the User resource.

use serde_json::Value;

use super::error::{ScimError, ScimErrorKind};
use super::model::{etag, user_json, UserInput};
use super::patch;
use super::query::{ListParams, Projection};
use super::service::{
    check_if_match, json_body, list_response, not_member, not_modified, resource_response,
    store_failure, too_many, uuid, Fail, Failure, ScimEvent, ScimRequest, ScimResponse,
    ScimService, USER_SHAPE,
};
use super::user_writer::{write_user, ListWriter};
use crate::domain::email_domain;
use crate::resource::{check_types, ENTERPRISE_USER, USER, USER_SCHEMA};
use crate::store::{
    email_key, user_name_key, Account, AccountId, AccountLink, Conflict, OrgId, Organization,
    ScimStore, ScimUser, UserPage,
};
use crate::time::Timestamp;

/// An update attempt lost a race with another update: read again and retry.
enum Attempt {
    Done(Box<ScimUser>),
    Retry,
}

impl<S: ScimStore> ScimService<S> {
    pub(super) async fn load_user(&self, org: &OrgId, id: &str) -> Result<ScimUser, Fail<S>> {
        self.store
            .user(org, id)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| ScimError::not_found(format!("no user with id {id:?}")).into())
    }

    /// The user's representation: its groups, the projection, nothing secret.
    async fn user_resource(&self, u: &ScimUser, projection: &Projection) -> Result<Value, Fail<S>> {
        let groups = self
            .store
            .groups_of_user(&u.org, &u.id)
            .await
            .map_err(store_failure)?;
        let mut v = user_json(u, &self.base_url, &groups);
        if !projection.is_empty() {
            projection.apply(&mut v, USER_SCHEMA, &USER.always_returned());
        }
        Ok(v)
    }

    async fn user_response(
        &self,
        status: u16,
        u: &ScimUser,
        projection: &Projection,
    ) -> Result<ScimResponse, Fail<S>> {
        let body = self.user_resource(u, projection).await?;
        let location = (self.base_url.as_str(), "Users", u.id.as_str());
        Ok(resource_response(status, &body, u.version, location))
    }

    /// The page of users `params` asks for (its filter checked against the User schemas).
    async fn user_page(&self, org: &OrgId, params: &ListParams) -> Result<UserPage, Fail<S>> {
        if let Some(f) = &params.filter {
            check_types(f, &USER, &[&ENTERPRISE_USER]).map_err(ScimError::from)?;
        }
        self.store
            .query_users(org, &params.store_query(self.scan_work))
            .await
            .map_err(store_failure)?
            .map_err(|e| too_many(e, self.scan_work).into())
    }

    /// A page of users' representations and the total.
    pub(super) async fn user_resources(
        &self,
        org: &OrgId,
        params: &ListParams,
    ) -> Result<(Vec<Value>, usize), Fail<S>> {
        let page = self.user_page(org, params).await?;
        let mut out = Vec::with_capacity(page.users.len());
        for u in &page.users {
            out.push(self.user_resource(u, &params.projection).await?);
        }
        Ok((out, page.total))
    }

    pub(super) async fn list_users(
        &self,
        org: &OrgId,
        params: &ListParams,
    ) -> Result<ScimResponse, Fail<S>> {
        if !params.projection.is_empty() {
            let (resources, total) = self.user_resources(org, params).await?;
            return Ok(list_response(resources, total, params.start_index));
        }
        // Without a projection (Okta's lookups), the resources are written straight to bytes.
        let page = self.user_page(org, params).await?;
        let mut list = ListWriter::new(page.users.len() * 640);
        for u in &page.users {
            let groups = self
                .store
                .groups_of_user(&u.org, &u.id)
                .await
                .map_err(store_failure)?;
            write_user(list.item(), u, &self.base_url, &groups);
        }
        let body = list.finish(page.total, params.start_index);
        Ok(ScimResponse::json_bytes(200, body))
    }

    pub(super) async fn get_user(
        &self,
        org: &OrgId,
        id: &str,
        req: &ScimRequest<'_>,
    ) -> Result<ScimResponse, Fail<S>> {
        let user = self.load_user(org, id).await?;
        if not_modified(req, user.version) {
            return Ok(ScimResponse::empty(304).with_header("ETag", etag(user.version)));
        }
        let params = ListParams::from_query(req.query, &[crate::resource::ENTERPRISE_SCHEMA])?;
        self.user_response(200, &user, &params.projection).await
    }

    pub(super) async fn put_user(
        &self,
        settings: &Organization,
        id: &str,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        let input = UserInput::from_json(&json_body(req)?)?;
        self.update(settings, id, now, Some(req), |_current| Ok(input.clone()))
            .await
    }

    pub(super) async fn patch_user(
        &self,
        settings: &Organization,
        id: &str,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        let ops = patch::parse(&json_body(req)?)?;
        self.update(settings, id, now, Some(req), move |current| {
            let mut doc = user_json(current, "", &[]);
            patch::apply(&mut doc, &ops, &USER_SHAPE)?;
            let Value::Object(m) = &doc else {
                return Err(ScimError::internal());
            };
            // `active` always has a value here: removing it is refused, not defaulted.
            if !m.keys().any(|k| k.eq_ignore_ascii_case("active")) {
                return Err(ScimError::invalid_value(
                    "active is required; replace it with false to deactivate the user",
                ));
            }
            UserInput::from_json(m)
        })
        .await
    }

    pub(super) async fn delete_user(
        &self,
        org: &OrgId,
        id: &str,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        if req.header("if-match").is_some() {
            let current = self.load_user(org, id).await?;
            check_if_match(req, current.version)?;
        }
        let account = self
            .store
            .user(org, id)
            .await
            .map_err(store_failure)?
            .map(|u| u.account);
        if self
            .store
            .delete_user(org, id, true, now)
            .await
            .map_err(store_failure)?
        {
            let mut r = ScimResponse::empty(204);
            if let Some(account) = account {
                r.events.push(ScimEvent::Deleted {
                    org: org.clone(),
                    user_id: id.to_owned(),
                    account,
                });
            }
            Ok(r)
        } else {
            Err(ScimError::not_found(format!("no user with id {id:?}")).into())
        }
    }

    /// Organization rule: userName and the primary email are on a domain the organization claimed.
    async fn check_domains(
        &self,
        settings: &Organization,
        input: &UserInput,
    ) -> Result<(), Fail<S>> {
        if !settings.require_claimed_domain {
            return Ok(());
        }
        for (attr, value) in [
            ("userName", input.user_name.as_str()),
            ("the primary email", input.primary_email()),
        ] {
            let domain = email_domain(value).map_err(|e| {
                ScimError::invalid_value(format!(
                    "{attr} must be an email address on a domain this organization has claimed: {e}"
                ))
            })?;
            let owner = self
                .store
                .verified_owner(&domain)
                .await
                .map_err(store_failure)?;
            if owner.as_ref() != Some(&settings.id) {
                return Err(ScimError::invalid_value(format!(
                    "the email domain {domain} of {attr} {value:?} is not on a verified claim of this organization; an organization admin must claim and verify {domain} in the organization's settings before users on it can be provisioned"
                ))
                .into());
            }
        }
        Ok(())
    }

    fn record_from(input: UserInput, base: ScimUser, now: Timestamp) -> ScimUser {
        ScimUser {
            user_name: input.user_name,
            external_id: input.external_id,
            given_name: Some(input.given_name),
            family_name: Some(input.family_name),
            formatted_name: input.formatted_name,
            display_name: input.display_name,
            locale: input.locale,
            emails: input.emails,
            active: input.active,
            enterprise: input.enterprise,
            last_modified: now,
            ..base
        }
    }

    pub(super) async fn create_user(
        &self,
        settings: &Organization,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        let input = UserInput::from_json(&json_body(req)?)?;
        self.check_domains(settings, &input).await?;
        let org = &settings.id;
        // A user this organization provisioned and deactivated, POSTed again: restore it.
        if let Some(existing) = self
            .store
            .user_by_user_name(org, &user_name_key(&input.user_name))
            .await
            .map_err(store_failure)?
        {
            if existing.active {
                return Err(ScimError::uniqueness(format!(
                    "a user with userName {:?} already exists in this organization (id {})",
                    existing.user_name, existing.id
                ))
                .into());
            }
            let id = existing.id.clone();
            let mut restored = self
                .update(settings, &id, now, None, move |_| {
                    let mut i = input.clone();
                    i.active = true;
                    Ok(i)
                })
                .await?;
            restored.status = 201;
            restored
                .headers
                .push(("Location", format!("{}/Users/{id}", self.base_url)));
            return Ok(restored);
        }
        let email = input.primary_email().to_owned();
        let random_failure = || Failure::Internal("the system random generator failed".into());
        let link = match self
            .store
            .account_by_email(&email_key(&email))
            .await
            .map_err(store_failure)?
        {
            Some(account) => match self
                .store
                .membership(org, &account.id)
                .await
                .map_err(store_failure)?
            {
                Some(_) => AccountLink::Existing(account.id),
                None => return Err(not_member(&email).into()),
            },
            None => AccountLink::New(Account {
                id: AccountId::new(uuid(&self.rng).ok_or_else(random_failure)?)
                    .map_err(|e| Failure::Internal(e.to_string()))?,
                email: email.clone(),
                provisioned_by: Some(org.clone()),
            }),
        };
        let account = match &link {
            AccountLink::Existing(a) => a.clone(),
            AccountLink::New(a) => a.id.clone(),
        };
        let base = ScimUser {
            id: uuid(&self.rng).ok_or_else(random_failure)?,
            org: org.clone(),
            account,
            user_name: String::new(),
            external_id: None,
            given_name: None,
            family_name: None,
            formatted_name: None,
            display_name: None,
            locale: None,
            emails: Vec::new(),
            active: true,
            enterprise: Default::default(),
            created: now,
            last_modified: now,
            version: 1,
        };
        let record = Self::record_from(input, base, now);
        match self.store.create_user(&record, &link).await.map_err(store_failure)? {
            Ok(()) => self.user_response(201, &record, &Projection::default()).await,
            Err(Conflict::UserName) => Err(ScimError::uniqueness(format!("a user with userName {:?} already exists in this organization", record.user_name)).into()),
            Err(Conflict::Email) | Err(Conflict::NotMember) => Err(not_member(&email).into()),
            Err(Conflict::AccountLinked) => {
                Err(ScimError::uniqueness(format!("the account with email {email:?} is already provisioned in this organization under another userName")).into())
            }
            Err(other) => Err(Failure::Internal(format!("unexpected conflict on create: {other}"))),
        }
    }

    /// Reads the user, checks `If-Match`, computes its new state with `next`, and stores it
    /// (retrying when another update won a race), applying deactivation and the organization's
    /// delete setting.
    async fn update<F>(
        &self,
        settings: &Organization,
        id: &str,
        now: Timestamp,
        req: Option<&ScimRequest<'_>>,
        next: F,
    ) -> Result<ScimResponse, Fail<S>>
    where
        F: Fn(&ScimUser) -> Result<UserInput, ScimError> + Send + Sync,
    {
        for _ in 0..4 {
            let current = self.load_user(&settings.id, id).await?;
            if let Some(req) = req {
                check_if_match(req, current.version)?;
            }
            let input = next(&current)?;
            self.check_domains(settings, &input).await?;
            let was_active = current.active;
            match self.try_update(settings, current, input, now).await? {
                Attempt::Done(u) => {
                    let mut r = self.user_response(200, &u, &Projection::default()).await?;
                    let (org, user_id, account) =
                        (settings.id.clone(), u.id.clone(), u.account.clone());
                    match (was_active, u.active) {
                        (true, false) if settings.delete_on_deactivate => {
                            r.events.push(ScimEvent::Deleted {
                                org,
                                user_id,
                                account,
                            })
                        }
                        (true, false) => r.events.push(ScimEvent::Deactivated {
                            org,
                            user_id,
                            account,
                        }),
                        (false, true) => r.events.push(ScimEvent::Reactivated {
                            org,
                            user_id,
                            account,
                        }),
                        _ => {}
                    }
                    return Ok(r);
                }
                Attempt::Retry => continue,
            }
        }
        Err(ScimError::new(
            ScimErrorKind::InvalidVers,
            "the user was changed concurrently several times; retry",
        )
        .into())
    }

    async fn try_update(
        &self,
        settings: &Organization,
        current: ScimUser,
        input: UserInput,
        now: Timestamp,
    ) -> Result<Attempt, Fail<S>> {
        let email = input.primary_email().to_owned();
        let version = current.version;
        let mut next = Self::record_from(input, current, now);
        if !next.active && settings.delete_on_deactivate {
            self.store
                .delete_user(&settings.id, &next.id, true, now)
                .await
                .map_err(store_failure)?;
            return Ok(Attempt::Done(Box::new(next)));
        }
        match self.store.update_user(&next, &email, version).await.map_err(store_failure)? {
            Ok(()) => {
                next.version = version + 1;
                Ok(Attempt::Done(Box::new(next)))
            }
            Err(Conflict::Version { .. }) => Ok(Attempt::Retry),
            Err(Conflict::UserName) => Err(ScimError::uniqueness(format!("another user of this organization has userName {:?}", next.user_name)).into()),
            Err(Conflict::Email) => Err(ScimError::uniqueness(format!("another account already has the email {email:?}; it cannot become this user's email")).into()),
            Err(Conflict::NotFound) => Err(ScimError::not_found(format!("no user with id {:?}", next.id)).into()),
            Err(other) => Err(Failure::Internal(format!("unexpected conflict on update: {other}"))),
        }
    }
}
