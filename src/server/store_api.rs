//! The scenario store over HTTP: list scenarios and their versions, open a version, save a
//! new one on top of the version the editor started from. A save on a stale version is a 409
//! with the latest version and what changed since the editor's (features added, removed,
//! moved), so the map can offer to merge or reload; nothing is overwritten.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::api::{scenario_from_body, Params};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::store::{Store, StoreError};

fn store_of(state: &AppState) -> Result<std::sync::Arc<Store>, ApiError> {
    state.store.clone().ok_or_else(|| {
        ApiError::status(
            StatusCode::SERVICE_UNAVAILABLE,
            "no scenario store: start the server with --db",
        )
    })
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound(what) => ApiError::not_found(None, format!("{what} not found")),
        other => ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
    }
}

/// Runs a store call off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// A valid scenario name: 1-100 characters, no control characters or slashes.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name.chars().count() > 100
        || name.chars().any(|c| c.is_control() || c == '/')
    {
        return Err(ApiError::bad(
            "name",
            "name: 1 to 100 characters, no slashes or control characters",
        ));
    }
    Ok(())
}

/// Features by id (`properties.id`) with their geometry, for what changed between versions.
fn features_by_id(geojson: &str) -> std::collections::BTreeMap<String, Value> {
    let value: Value = serde_json::from_str(geojson).unwrap_or_default();
    value["features"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|f| {
                    let id = f["properties"]["id"].as_str()?.to_string();
                    Some((id, f["geometry"].clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What changed from `before` to `after`: feature ids added, removed, moved.
pub fn changes(before: &str, after: &str) -> Value {
    let (a, b) = (features_by_id(before), features_by_id(after));
    let added: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    let removed: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let moved: Vec<&String> = b
        .iter()
        .filter(|(k, g)| a.get(*k).is_some_and(|old| old != *g))
        .map(|(k, _)| k)
        .collect();
    json!({"added": added, "removed": removed, "moved": moved})
}

/// Every scenario's latest version.
#[utoipa::path(get, path = "/api/scenarios", tag = "store",
    responses((status = 200, description = "[{id, scenario, parent, author, message, saved_at}]: each scenario's latest version", body = Object),
        (status = 503, description = "No store", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = store_of(&state)?;
    let list = blocking(move || store.scenarios())
        .await?
        .map_err(store_error)?;
    Ok(Json(json!(list)))
}

/// The versions of a scenario, oldest first.
#[utoipa::path(get, path = "/api/scenarios/{name}", tag = "store",
    params(("name" = String, Path, description = "The scenario's name")),
    responses((status = 200, description = "[{id, scenario, parent, author, message, saved_at}]", body = Object),
        (status = 404, description = "No such scenario", body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = store_of(&state)?;
    let list = blocking(move || store.versions(&name))
        .await?
        .map_err(store_error)?;
    Ok(Json(json!(list)))
}

/// One version with its scenario.
#[utoipa::path(get, path = "/api/versions/{id}", tag = "store",
    params(("id" = i64, Path, description = "The version's id")),
    responses((status = 200, description = "{version, scenario: FeatureCollection}", body = Object),
        (status = 400, description = "Not a version id", body = ErrorBody),
        (status = 404, description = "No such version", body = ErrorBody)))]
pub async fn version(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("id", format!("id: not a version number: {id:?}")))?;
    let store = store_of(&state)?;
    let (version, geojson) = blocking(move || store.load(id))
        .await?
        .map_err(store_error)?;
    let scenario: Value = serde_json::from_str(&geojson).unwrap_or_default();
    Ok(Json(json!({"version": version, "scenario": scenario})))
}

/// Saves the scenario in the body as the next version of `name`, on top of `base`.
#[utoipa::path(post, path = "/api/scenarios/{name}", tag = "store",
    params(("name" = String, Path, description = "The scenario's name"),
        ("base" = Option<i64>, Query, description = "The version the edit started from (none for a new scenario)"),
        ("message" = Option<String>, Query, description = "Why"),
        ("author" = Option<String>, Query, description = "Who (until sign-in exists)")),
    request_body(content = Object, description = "The scenario FeatureCollection", content_type = "application/json"),
    responses((status = 201, description = "The new version", body = Object),
        (status = 400, description = "Bad name, base or scenario", body = ErrorBody),
        (status = 409, description = "{error, field: base, latest: version, changes: {added, removed, moved}}: the scenario has moved on", body = Object)))]
pub async fn save(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    let base =
        match q.get("base") {
            None => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                ApiError::bad("base", format!("base: not a version number: {text:?}"))
            })?),
        };
    let body = body?;
    scenario_from_body(&body, false)?;
    let text = String::from_utf8_lossy(&body).into_owned();
    let message = q.get("message").cloned().unwrap_or_default();
    let author = q
        .get("author")
        .cloned()
        .unwrap_or_else(|| "anonymous".into());
    let store = store_of(&state)?;
    let result = blocking(move || {
        let saved = store.save(&name, base, &author, &message, &text);
        match saved {
            Err(StoreError::Conflict {
                latest: Some(latest),
                ..
            }) => {
                // What moved on: the latest against the editor's base.
                let (latest_version, latest_text) = store.load(latest)?;
                let base_text = match base {
                    Some(b) => store.load(b).map(|(_, t)| t).unwrap_or_default(),
                    None => String::new(),
                };
                Ok(Err((latest_version, changes(&base_text, &latest_text))))
            }
            other => other.map(Ok),
        }
    })
    .await?
    .map_err(store_error)?;
    Ok(match result {
        Ok(version) => (StatusCode::CREATED, Json(json!(version))).into_response(),
        Err((latest, changes)) => (
            StatusCode::CONFLICT,
            Json(json!({"error": format!("the scenario has moved on to version {} since version {}", latest.id,
                base.map_or("(none)".to_string(), |b| b.to_string())), "field": "base", "latest": latest, "changes": changes})),
        )
            .into_response(),
    })
}
