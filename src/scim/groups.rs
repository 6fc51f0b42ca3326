//! `/Groups`: Okta Group Push and Entra groups. Members are users of the same organization;
//! a user's `groups` attribute shows the groups it belongs to (read-only).

use serde_json::Value;

use super::error::{ScimError, ScimErrorKind};
use super::model::{etag, group_json, GroupInput};
use super::patch;
use super::query::{ListParams, Projection};
use super::service::{
    check_if_match, json_body, list_response, not_modified, resource_response, store_failure,
    too_many, uuid, Fail, Failure, ScimRequest, ScimResponse, ScimService, GROUP_SHAPE,
};
use crate::resource::{check_types, GROUP, GROUP_SCHEMA};
use crate::store::{Conflict, OrgId, ScimGroup, ScimStore};
use crate::time::Timestamp;

/// How many times an update is retried when it loses a race.
const ATTEMPTS: usize = 4;

impl<S: ScimStore> ScimService<S> {
    async fn load_group(&self, org: &OrgId, id: &str) -> Result<ScimGroup, Fail<S>> {
        self.store
            .group(org, id)
            .await
            .map_err(store_failure)?
            .ok_or_else(|| ScimError::not_found(format!("no group with id {id:?}")).into())
    }

    /// The group's representation.
    async fn group_resource(
        &self,
        g: &ScimGroup,
        projection: &Projection,
    ) -> Result<Value, Fail<S>> {
        let mut v = group_json(g, &self.base_url);
        if !projection.is_empty() {
            projection.apply(&mut v, GROUP_SCHEMA, &GROUP.always_returned());
        }
        Ok(v)
    }

    async fn group_response(&self, status: u16, g: &ScimGroup) -> Result<ScimResponse, Fail<S>> {
        let body = self.group_resource(g, &Projection::default()).await?;
        let location = (self.base_url.as_str(), "Groups", g.id.as_str());
        Ok(resource_response(status, &body, g.version, location))
    }

    pub(super) async fn group_resources(
        &self,
        org: &OrgId,
        params: &ListParams,
    ) -> Result<(Vec<Value>, usize), Fail<S>> {
        if let Some(f) = &params.filter {
            check_types(f, &GROUP, &[]).map_err(ScimError::from)?;
        }
        let page = self
            .store
            .query_groups(org, &params.store_query(self.scan_work))
            .await
            .map_err(store_failure)?
            .map_err(|e| too_many(e, self.scan_work))?;
        let mut out = Vec::with_capacity(page.groups.len());
        for g in &page.groups {
            out.push(self.group_resource(g, &params.projection).await?);
        }
        Ok((out, page.total))
    }

    pub(super) async fn list_groups(
        &self,
        org: &OrgId,
        params: &ListParams,
    ) -> Result<ScimResponse, Fail<S>> {
        let (resources, total) = self.group_resources(org, params).await?;
        Ok(list_response(resources, total, params.start_index))
    }

    pub(super) async fn get_group(
        &self,
        org: &OrgId,
        id: &str,
        req: &ScimRequest<'_>,
    ) -> Result<ScimResponse, Fail<S>> {
        let g = self.load_group(org, id).await?;
        if not_modified(req, g.version) {
            return Ok(ScimResponse::empty(304).with_header("ETag", etag(g.version)));
        }
        let params = ListParams::from_query(req.query, &[])?;
        let body = self.group_resource(&g, &params.projection).await?;
        Ok(ScimResponse::json(200, &body).with_header("ETag", etag(g.version)))
    }

    fn conflict(e: Conflict, g: &ScimGroup) -> Fail<S> {
        match e {
            Conflict::DisplayName => ScimError::uniqueness(format!(
                "a group named {:?} already exists in this organization",
                g.display_name
            ))
            .into(),
            Conflict::UnknownMember => ScimError::invalid_value(
                "every member must be a user of this organization (members[].value is a user id)",
            )
            .into(),
            Conflict::NotFound => {
                ScimError::not_found(format!("no group with id {:?}", g.id)).into()
            }
            other => Failure::Internal(format!("unexpected conflict on a group: {other}")),
        }
    }

    pub(super) async fn create_group(
        &self,
        org: &OrgId,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        let input = GroupInput::from_json(&json_body(req)?)?;
        let g = ScimGroup {
            id: uuid(&self.rng)
                .ok_or_else(|| Failure::Internal("the system random generator failed".into()))?,
            org: org.clone(),
            display_name: input.display_name,
            external_id: input.external_id,
            members: input.members,
            created: now,
            last_modified: now,
            version: 1,
        };
        match self.store.create_group(&g).await.map_err(store_failure)? {
            Ok(()) => self.group_response(201, &g).await,
            Err(e) => Err(Self::conflict(e, &g)),
        }
    }

    /// Reads the group, checks `If-Match`, computes its new state with `next`, stores it.
    async fn update_group<F>(
        &self,
        org: &OrgId,
        id: &str,
        req: &ScimRequest<'_>,
        now: Timestamp,
        next: F,
    ) -> Result<ScimResponse, Fail<S>>
    where
        F: Fn(&ScimGroup) -> Result<GroupInput, ScimError> + Send + Sync,
    {
        for _ in 0..ATTEMPTS {
            let current = self.load_group(org, id).await?;
            check_if_match(req, current.version)?;
            let input = next(&current)?;
            let version = current.version;
            let mut g = ScimGroup {
                display_name: input.display_name,
                external_id: input.external_id,
                members: input.members,
                last_modified: now,
                ..current
            };
            match self
                .store
                .update_group(&g, version)
                .await
                .map_err(store_failure)?
            {
                Ok(()) => {
                    g.version = version + 1;
                    return self.group_response(200, &g).await;
                }
                Err(Conflict::Version { .. }) => continue,
                Err(e) => return Err(Self::conflict(e, &g)),
            }
        }
        Err(ScimError::new(
            ScimErrorKind::InvalidVers,
            "the group was changed concurrently several times; retry",
        )
        .into())
    }

    pub(super) async fn put_group(
        &self,
        org: &OrgId,
        id: &str,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        let input = GroupInput::from_json(&json_body(req)?)?;
        self.update_group(org, id, req, now, |_| Ok(input.clone()))
            .await
    }

    pub(super) async fn patch_group(
        &self,
        org: &OrgId,
        id: &str,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        let ops = patch::parse(&json_body(req)?)?;
        self.update_group(org, id, req, now, move |current| {
            let mut doc = group_json(current, "");
            patch::apply(&mut doc, &ops, &GROUP_SHAPE)?;
            match &doc {
                Value::Object(m) => GroupInput::from_json(m),
                _ => Err(ScimError::internal()),
            }
        })
        .await
    }

    pub(super) async fn delete_group(
        &self,
        org: &OrgId,
        id: &str,
        req: &ScimRequest<'_>,
        now: Timestamp,
    ) -> Result<ScimResponse, Fail<S>> {
        if req.header("if-match").is_some() {
            let current = self.load_group(org, id).await?;
            check_if_match(req, current.version)?;
        }
        if self
            .store
            .delete_group(org, id, now)
            .await
            .map_err(store_failure)?
        {
            Ok(ScimResponse::empty(204))
        } else {
            Err(ScimError::not_found(format!("no group with id {id:?}")).into())
        }
    }
}
