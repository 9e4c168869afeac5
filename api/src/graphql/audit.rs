//! The audit log: every mutation, recorded with who, what, when, from where and how it ended,
//! by a schema extension, so that none can be left out; and `auditLog` to read it.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextResolve, ResolveInfo,
};
use async_graphql::{Context, ID, Object, Request, ServerResult, Value, Variables};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::instance::InstanceCache;
use super::page::{Connection, Paging};
use super::{api, caller, parse_id};
use crate::ApiContext;
use crate::auth::{Caller, Identities};
use crate::error::{OrGql as _, code, coded};
use jobs::db::{AuditEntry, NewAuditEntry};
use jobs::user::{ProjectId, Role};

/// Where a request came from, put into each request by the HTTP layer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Origin {
    /// The peer's address.
    pub(crate) ip: Option<String>,
    /// Its `User-Agent`.
    pub(crate) user_agent: Option<String>,
}

/// The request's variables, for reading a mutation's arguments.
struct RequestVariables(Variables);

/// The schema extension.
pub(crate) struct Audit;

impl ExtensionFactory for Audit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditExtension)
    }
}

struct AuditExtension;

#[async_trait::async_trait]
impl Extension for AuditExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let variables = RequestVariables(request.variables.clone());
        next.run(ctx, request.data(variables)).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type != "MutationRoot" || info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        // Boxed apart: this future is made for every field of every request, and holding the
        // audit's state inline made each of them large to move.
        Box::pin(audited(ctx, info, next)).await
    }
}

/// Run mutation field `info` and record it in the audit log.
async fn audited(
    ctx: &ExtensionContext<'_>,
    info: ResolveInfo<'_>,
    next: NextResolve<'_>,
) -> ServerResult<Option<Value>> {
    let action = info.name.to_owned();
    let arguments = arguments(ctx, info.field);
    let result = next.run(ctx, info).await;
    // The mutation may have changed someone's access or an instance: this process's next
    // request must not be answered from before it (other processes hear the change's
    // notification).
    if let Some(identities) = ctx.data_opt::<Arc<Identities>>() {
        identities.forget_all();
    }
    if let Some(instances) = ctx.data_opt::<Arc<InstanceCache>>() {
        instances.forget_all();
    }
    if let Some(api) = ctx.data_opt::<ApiContext>() {
        let entry = entry(ctx, action, arguments, &result);
        if let Err(e) = api.db.record_audit(&entry).await {
            tracing::error!(action = %entry.action, "failed to record an audit entry: {e:#}");
        }
    }
    result
}

/// A field's arguments as JSON, variables filled in, secrets replaced.
fn arguments(
    ctx: &ExtensionContext<'_>,
    field: &async_graphql::parser::types::Field,
) -> serde_json::Value {
    let variables = ctx.data_opt::<RequestVariables>();
    let mut out = serde_json::Map::new();
    for (name, value) in &field.arguments {
        let value = value
            .node
            .clone()
            .into_const_with(|var| variables.and_then(|v| v.0.get(&var).cloned()).ok_or(()));
        let json = value
            .ok()
            .and_then(|v| v.into_json().ok())
            .unwrap_or(serde_json::Value::Null);
        out.insert(name.node.to_string(), json);
    }
    let mut json = serde_json::Value::Object(out);
    redact(&mut json);
    cap(&mut json);
    json
}

/// Replace the values of keys that name secrets, at any depth.
fn redact(value: &mut serde_json::Value) {
    const SECRET: &[&str] = &["password", "secret", "token", "key"];
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let lower = k.to_ascii_lowercase();
                if SECRET.iter().any(|s| lower.contains(s)) && !v.is_null() {
                    *v = serde_json::Value::String("[redacted]".into());
                } else {
                    redact(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// What a mutation acted on: its `id` argument, else the instance, user, instance member or
/// server it names, else the `id` in its result (the thing it made).
fn target(arguments: &serde_json::Value, result: Option<&Value>) -> Option<Uuid> {
    fn in_json(v: &serde_json::Value) -> Option<Uuid> {
        v.get("id")
            .and_then(|id| id.as_str())
            .and_then(|id| id.parse().ok())
    }
    let named = ["instanceId", "userId", "memberId", "serverId"]
        .iter()
        .find_map(|k| {
            arguments
                .get(k)
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse().ok())
        });
    if let Some(id) = in_json(arguments).or(named) {
        return Some(id);
    }
    let result = result?.clone().into_json().ok()?;
    in_json(&result).or_else(|| result.as_object()?.values().find_map(in_json))
}

fn entry(
    ctx: &ExtensionContext<'_>,
    action: String,
    arguments: serde_json::Value,
    result: &ServerResult<Option<Value>>,
) -> NewAuditEntry {
    let caller = ctx.data_opt::<Caller>();
    let origin = ctx.data_opt::<Origin>().cloned().unwrap_or_default();
    // A project id the caller typed counts only when the mutation went through, so it was
    // theirs to name; a refused or anonymous one is filed under its resolved target's
    // project, so that nobody can write into another project's log.
    let project_id = ["projectId"]
        .iter()
        .find_map(|k| {
            arguments
                .get(k)
                .or_else(|| arguments.get("input").and_then(|i| i.get(k)))
        })
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse().ok())
        .map(ProjectId)
        .filter(|p| result.is_ok() && caller.is_some_and(|c| c.can_see(*p)));
    let (value, error) = match result {
        Ok(value) => (value.as_ref(), None),
        Err(e) => {
            let code = e
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|c| match c {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| code::INTERNAL.to_owned());
            (None, Some((code, capped(&e.message, MAX_TEXT))))
        }
    };
    let actor = match caller {
        Some(c) => c.email.clone(),
        // Logging in: the email tried.
        None => arguments.get("email").and_then(|e| e.as_str()).map_or_else(
            || "anonymous".to_owned(),
            |e| format!("anonymous ({})", capped(e, MAX_SHORT_TEXT)),
        ),
    };
    NewAuditEntry {
        actor_user_id: caller.map(|c| c.user_id),
        actor,
        token_id: caller.and_then(|c| c.token_id),
        project_id,
        target_id: target(&arguments, value),
        action,
        arguments,
        source_ip: origin.ip,
        user_agent: origin.user_agent.map(|a| capped(&a, MAX_SHORT_TEXT)),
        error,
    }
}

/// The longest string kept of an argument or an error message, in bytes.
const MAX_TEXT: usize = 1024;
/// The longest kept of a short text (an email, a `User-Agent`), in bytes.
const MAX_SHORT_TEXT: usize = 256;
/// The most items kept of a list argument.
const MAX_ITEMS: usize = 20;

/// `text` cut to at most `max` bytes on a character boundary, saying so.
fn capped(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

/// Cap every string and list in `value`, so that no request can make a large entry.
fn cap(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.len() > MAX_TEXT => *s = capped(s, MAX_TEXT),
        serde_json::Value::Array(items) => {
            if items.len() > MAX_ITEMS {
                let more = items.len() - MAX_ITEMS;
                items.truncate(MAX_ITEMS);
                items.push(serde_json::Value::String(format!("… ({more} more)")));
            }
            items.iter_mut().for_each(cap);
        }
        serde_json::Value::Object(map) => {
            if map.len() > MAX_ITEMS {
                let keys: Vec<String> = map.keys().skip(MAX_ITEMS).cloned().collect();
                for k in &keys {
                    map.remove(k);
                }
                map.insert(
                    "…".to_owned(),
                    serde_json::Value::String(format!("{} more", keys.len())),
                );
            }
            map.values_mut().for_each(cap);
        }
        _ => {}
    }
}

/// One recorded mutation.
pub(crate) struct AuditEntryNode(AuditEntry);

#[Object(name = "AuditEntry")]
impl AuditEntryNode {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who: an email, or `API token <name>`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The user (for an API token, its maker).
    async fn actor_user_id(&self) -> Option<ID> {
        self.0.actor_user_id.map(|u| ID(u.to_string()))
    }
    /// The API token, when one was used.
    async fn token_id(&self) -> Option<ID> {
        self.0.token_id.map(|t| ID(t.to_string()))
    }
    /// The project it concerned, when known.
    async fn project_id(&self) -> Option<ID> {
        self.0.project_id.map(|p| ID(p.0.to_string()))
    }
    /// The mutation, such as `deleteInstance`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// What it acted on, when known.
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.map(|t| ID(t.to_string()))
    }
    /// Its arguments, secrets replaced by `[redacted]`.
    async fn arguments(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.arguments.clone())
    }
    /// The client's address.
    async fn source_ip(&self) -> Option<&str> {
        self.0.source_ip.as_deref()
    }
    /// The client's `User-Agent`.
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    /// `succeeded` or `failed`.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    /// The error's `extensions.code`, when it failed.
    async fn error_code(&self) -> Option<&str> {
        self.0.error_code.as_deref()
    }
    /// The error's message, when it failed.
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }
}

#[derive(Default)]
pub(crate) struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Recorded mutations, newest first: of the projects the caller administers, or of one of
    /// them with `projectId`; site admins see everything, entries of no project included.
    #[graphql(complexity = "crate::graphql::page::cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        project_id: Option<ID>,
    ) -> async_graphql::Result<Connection<AuditEntryNode>> {
        let me = caller(ctx)?;
        let paging = Paging::new(first, after)?;
        let admin_of: Vec<ProjectId> = me
            .memberships
            .iter()
            .filter(|m| m.role == Role::Admin)
            .map(|m| m.project_id)
            .collect();
        let site_admin = me.is_site_admin && me.token_id.is_none();
        let (projects, everything) = match project_id {
            Some(id) => {
                let id = ProjectId(parse_id(&id, "project")?);
                if !site_admin && !admin_of.contains(&id) {
                    return Err(coded(
                        code::FORBIDDEN,
                        "only the project's admins may read its audit log",
                    ));
                }
                (vec![id], false)
            }
            None if site_admin => (Vec::new(), true),
            None if admin_of.is_empty() => {
                return Err(coded(
                    code::FORBIDDEN,
                    "only project admins may read the audit log",
                ));
            }
            None => (admin_of, false),
        };
        let page = api(ctx)?
            .db
            .audit_log(&projects, everything, paging.after, paging.first)
            .await
            .or_gql()?;
        Ok(paging.connection(page, AuditEntryNode))
    }
}
