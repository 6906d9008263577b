//! Users, tokens and the audit log over HTTP, for admins: list and add users (a new user's
//! first token is in the answer, shown once), issue another token, remove a user, read the
//! audit log as JSON or download it as CSV.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::Value;

use super::api::{download, number, Params};
use super::auth::Principal;
use super::error::{ApiError, ErrorBody};
use super::store_api::on_store;
use super::AppState;
use crate::store::{audit_csv, AuditEntry, Role, User};

/// A user added, with their first token (shown this once).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserAdded {
    /// The user's name.
    pub user: String,
    /// Their role.
    pub role: Role,
    /// Their first token.
    pub token: String,
}

/// A token issued (shown this once).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenIssued {
    /// Whose it is.
    pub user: String,
    /// The token.
    pub token: String,
}

/// A user removed.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UserRemoved {
    /// Their name.
    pub removed: String,
}

/// A token's lifetime from the query (`expires_in_s`), if it has one.
fn expires_in(q: &std::collections::HashMap<String, String>) -> Result<Option<i64>, ApiError> {
    if !q.contains_key("expires_in_s") {
        return Ok(None);
    }
    Ok(Some(number(q, "expires_in_s", None, 1.0..=3.2e9)? as i64))
}

/// Every user with their role and how many live tokens they hold.
#[utoipa::path(get, path = "/users", tag = "access",
    extensions(("x-patrolmap-access" = json!("admin"))),
    responses((status = 200, description = "Every user with their role and live tokens", body = [User]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn users(State(state): State<AppState>) -> Result<Json<Vec<User>>, ApiError> {
    let list = on_store(&state, move |store| store.users()).await?;
    Ok(Json(list))
}

/// Adds a user; the answer holds their first token, which is not stored and not shown again.
#[utoipa::path(post, path = "/users", tag = "access",
    extensions(("x-patrolmap-access" = json!("admin"))),
    params(("expires_in_s" = Option<u64>, Query, description = "The token's lifetime in seconds (none: until revoked)")),
    request_body(content = Object, description = "{\"name\": \"li\", \"role\": \"viewer|planner|admin\"}", content_type = "application/json"),
    responses((status = 201, description = "The user, their role and first token", body = UserAdded),
        (status = 400, description = "Bad name or role", body = ErrorBody),
        (status = 409, description = "The user exists", body = ErrorBody)))]
pub async fn add_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let body: Value = serde_json::from_slice(&body?)
        .map_err(|e| ApiError::bad("body", format!("body: not JSON: {e}")))?;
    let name = body["name"]
        .as_str()
        .ok_or_else(|| ApiError::bad("name", "name: a string is required"))?
        .to_string();
    crate::store::check_user_name(&name).map_err(|e| ApiError::bad("name", e))?;
    let role: Role = body["role"]
        .as_str()
        .ok_or_else(|| ApiError::bad("role", "role: viewer, planner, admin or feed is required"))?
        .parse()
        .map_err(|e: String| ApiError::bad("role", e))?;
    let expires = expires_in(&q)?;
    let actor = principal.actor();
    let user = name.clone();
    let token = on_store(&state, move |store| {
        store.add_user(&actor, &user, role, expires)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserAdded {
            user: name,
            role,
            token,
        }),
    )
        .into_response())
}

/// A new token for a user (their other tokens stay valid).
#[utoipa::path(post, path = "/users/{name}/tokens", tag = "access",
    extensions(("x-patrolmap-access" = json!("admin"))),
    params(("name" = String, Path, description = "The user"),
        ("expires_in_s" = Option<u64>, Query, description = "The token's lifetime in seconds (none: until revoked)")),
    responses((status = 201, description = "The new token", body = TokenIssued),
        (status = 404, description = "No such user", body = ErrorBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let expires = expires_in(&q)?;
    let actor = principal.actor();
    let user = name.clone();
    let token = on_store(&state, move |store| {
        store.issue_token(&actor, &user, expires)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(TokenIssued { user: name, token })).into_response())
}

/// Removes a user and every token of theirs (signed-in sessions end at once).
#[utoipa::path(delete, path = "/users/{name}", tag = "access",
    extensions(("x-patrolmap-access" = json!("admin"))),
    params(("name" = String, Path, description = "The user")),
    responses((status = 200, description = "The user removed", body = UserRemoved),
        (status = 400, description = "Removing oneself", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody)))]
pub async fn remove_user(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<UserRemoved>, ApiError> {
    if principal.user.as_ref().is_some_and(|u| u.name == name) {
        // The last admin locking everyone out is one click away otherwise.
        return Err(ApiError::bad("name", "an admin cannot remove themselves"));
    }
    let actor = principal.actor();
    let user = name.clone();
    on_store(&state, move |store| store.remove_user(&actor, &user)).await?;
    state.auth.forget();
    Ok(Json(UserRemoved { removed: name }))
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/audit", tag = "access",
    extensions(("x-patrolmap-access" = json!("admin"))),
    params(("limit" = Option<u64>, Query, description = "At most this many lines (1000 by default)")),
    responses((status = 200, description = "The audit log's lines, newest first", body = [AuditEntry]),
        (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    Query(q): Params,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = number(&q, "limit", Some(1000.0), 1.0..=1e9)? as i64;
    let list = on_store(&state, move |store| store.audit_log(limit)).await?;
    Ok(Json(list))
}

/// The whole audit log as a CSV download (oldest first).
#[utoipa::path(get, path = "/audit.csv", tag = "access",
    extensions(("x-patrolmap-access" = json!("admin"))),
    responses((status = 200, description = "CSV: id,at,actor,action,target,detail,remote", body = String, content_type = "text/csv"),
        (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn audit_csv_download(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut list = on_store(&state, move |store| store.audit_log(i64::MAX)).await?;
    list.reverse();
    Ok(download(
        "text/csv; charset=utf-8",
        "patrolmap-audit.csv",
        audit_csv(&list),
    ))
}
