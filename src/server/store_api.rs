//! The scenario store over HTTP: list scenarios and their versions, open a version, save a
//! new one on top of the version the editor started from. A save on a stale version is a 409
//! with the latest version and what changed since the editor's (features added, removed,
//! moved), so the map can offer to merge or reload; nothing is overwritten.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::Value;

use super::api::{download, number, scenario_from_body, Params};
use super::auth::Principal;
use super::error::{ApiError, ErrorBody, ErrorCode};
use super::AppState;
use crate::coverage::summary::{CoverageBrief, TierDifference};
use crate::scenario::changes::Changes;
use crate::store::{Store, StoreError, Version};

pub(super) fn store_of(state: &AppState) -> Result<std::sync::Arc<Store>, ApiError> {
    state.store.clone().ok_or_else(|| {
        ApiError::status(
            StatusCode::SERVICE_UNAVAILABLE,
            "no scenario store: start the server with --db",
        )
    })
}

pub(super) fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound(what) => ApiError::not_found(None, format!("{what} not found")),
        StoreError::Exists(what) => {
            ApiError::status(StatusCode::CONFLICT, format!("{what} exists already"))
        }
        StoreError::Invalid(why) => ApiError::bad("name", why).with_code(ErrorCode::InvalidName),
        other => {
            // What the database said names its host, user and tables: for the operator's log,
            // not for the client.
            tracing::error!("scenario store: {other}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::StoreFailed,
                "the scenario store failed; the server's log says why",
                None,
            )
        }
    }
}

/// Runs `work` on the store off the async threads, its refusals as API errors.
pub(super) async fn on_store<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = store_of(state)?;
    blocking(move || work(&store)).await?.map_err(store_error)
}

/// Runs a store call off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// A version with its scenario.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct VersionWithScenario {
    /// The version.
    pub version: Version,
    /// Its scenario, a GeoJSON FeatureCollection.
    #[schema(value_type = Object)]
    pub scenario: Value,
}

/// A save refused because someone saved first: what moved on, for the map to merge or
/// reload (an error body with the latest version and the changes since the editor's base).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SaveConflict {
    /// What happened, for a person.
    pub error: String,
    /// `conflict`.
    pub code: ErrorCode,
    /// `base`.
    pub field: String,
    /// The latest version.
    pub latest: Version,
    /// What changed from the editor's base to the latest.
    pub changes: Changes,
}

/// A scenario deleted.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Deleted {
    /// Its name.
    pub deleted: String,
    /// The versions deleted with it.
    pub versions: usize,
}

/// Two versions compared.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// The earlier version and its coverage.
    pub from: VersionCoverage,
    /// The later version and its coverage.
    pub to: VersionCoverage,
    /// The features added, removed and moved from one to the other.
    pub changes: Changes,
    /// Tier by tier, the later minus the earlier.
    pub difference: Vec<TierDifference>,
}

/// A version and its coverage, in brief.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct VersionCoverage {
    /// The version.
    pub version: Version,
    /// Its coverage (its revision shows it on the map).
    pub coverage: CoverageBrief,
}

/// Every scenario's latest version.
#[utoipa::path(get, path = "/scenarios", tag = "store",
    extensions(("x-patrolmap-access" = json!("view"))),
    responses((status = 200, description = "Each scenario's latest version", body = [Version]),
        (status = 503, description = "No store", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Version>>, ApiError> {
    let list = on_store(&state, move |store| store.scenarios()).await?;
    Ok(Json(list))
}

/// The versions of a scenario, oldest first.
#[utoipa::path(get, path = "/scenarios/{name}", tag = "store",
    extensions(("x-patrolmap-access" = json!("view"))),
    params(("name" = String, Path, description = "The scenario's name")),
    responses((status = 200, description = "The scenario's versions, oldest first", body = [Version]),
        (status = 404, description = "No such scenario", body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<Version>>, ApiError> {
    let list = on_store(&state, move |store| store.versions(&name)).await?;
    Ok(Json(list))
}

/// One version with its scenario.
#[utoipa::path(get, path = "/versions/{id}", tag = "store",
    extensions(("x-patrolmap-access" = json!("view"))),
    params(("id" = i64, Path, description = "The version's id")),
    responses((status = 200, description = "The version and its scenario FeatureCollection", body = VersionWithScenario),
        (status = 400, description = "Not a version id", body = ErrorBody),
        (status = 404, description = "No such version", body = ErrorBody)))]
pub async fn version(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VersionWithScenario>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("id", format!("id: not a version number: {id:?}")))?;
    let (version, geojson) = on_store(&state, move |store| store.load(id)).await?;
    let scenario: Value = serde_json::from_str(&geojson).unwrap_or_default();
    Ok(Json(VersionWithScenario { version, scenario }))
}

/// The `base` query parameter: the version an edit started from.
fn base_of(q: &std::collections::HashMap<String, String>) -> Result<Option<i64>, ApiError> {
    match q.get("base") {
        None => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::bad("base", format!("base: not a version number: {text:?}"))),
    }
}

/// A version id in the path.
fn id_of(text: &str, field: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad(field, format!("{field}: not a version number: {text:?}")))
}

/// Runs a save (or restore) and answers 201 with the new version, or 409 with the latest
/// version and what changed since `base` when someone saved first.
async fn save_answer(
    state: &AppState,
    base: Option<i64>,
    work: impl FnOnce(&Store) -> Result<Version, StoreError> + Send + 'static,
) -> Result<Response, ApiError> {
    let result = on_store(state, move |store| match work(store) {
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
            Ok(Err((
                latest_version,
                Changes::between(&base_text, &latest_text),
            )))
        }
        other => other.map(Ok),
    })
    .await?;
    Ok(match result {
        Ok(version) => (StatusCode::CREATED, Json(version)).into_response(),
        Err((latest, changes)) => (
            StatusCode::CONFLICT,
            Json(SaveConflict {
                error: format!(
                    "the scenario has moved on to version {} since version {}",
                    latest.id,
                    base.map_or("(none)".to_string(), |b| b.to_string())
                ),
                code: ErrorCode::Conflict,
                field: "base".into(),
                latest,
                changes,
            }),
        )
            .into_response(),
    })
}

/// Saves the scenario in the body as the next version of `name`, on top of `base`, by the
/// signed-in user.
#[utoipa::path(post, path = "/scenarios/{name}", tag = "store",
    extensions(("x-patrolmap-access" = json!("plan"))),
    params(("name" = String, Path, description = "The scenario's name"),
        ("base" = Option<i64>, Query, description = "The version the edit started from (none for a new scenario)"),
        ("message" = Option<String>, Query, description = "Why")),
    request_body(content = Object, description = "The scenario FeatureCollection", content_type = "application/json"),
    responses((status = 201, description = "The new version", body = Version),
        (status = 400, description = "Bad name, base or scenario", body = ErrorBody),
        (status = 409, description = "The scenario has moved on: the latest version and what changed since base", body = SaveConflict)))]
pub async fn save(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let base = base_of(&q)?;
    let body = body?;
    scenario_from_body(&body, false)?;
    let text = String::from_utf8_lossy(&body).into_owned();
    let message = q.get("message").cloned().unwrap_or_default();
    let actor = principal.actor();
    save_answer(&state, base, move |store| {
        store.save_by(&actor, &name, base, &message, &text)
    })
    .await
}

/// Restores an old version: its scenario saved again as the newest version, on top of `base`
/// (the latest version the restorer has seen), so nothing in between is lost.
#[utoipa::path(post, path = "/versions/{id}/restore", tag = "store",
    extensions(("x-patrolmap-access" = json!("plan"))),
    params(("id" = i64, Path, description = "The version to restore"),
        ("base" = Option<i64>, Query, description = "The scenario's latest version as the restorer saw it")),
    responses((status = 201, description = "The new version", body = Version),
        (status = 404, description = "No such version", body = ErrorBody),
        (status = 409, description = "The scenario has moved on since base", body = SaveConflict)))]
pub async fn restore(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let id = id_of(&id, "id")?;
    let base = base_of(&q)?;
    let actor = principal.actor();
    save_answer(&state, base, move |store| {
        store.restore_version(&actor, id, base)
    })
    .await
}

/// A version's scenario as a GeoJSON download (opens in QGIS; imports back with a save).
#[utoipa::path(get, path = "/versions/{id}/export", tag = "store",
    extensions(("x-patrolmap-access" = json!("view"))),
    params(("id" = i64, Path, description = "The version")),
    responses((status = 200, description = "The scenario FeatureCollection, as an attachment", body = super::api::FeatureCollection, content_type = "application/geo+json"),
        (status = 404, description = "No such version", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_of(&id, "id")?;
    let (version, geojson) = on_store(&state, move |store| store.load(id)).await?;
    Ok(download(
        "application/geo+json",
        &format!("{}-v{id}.geojson", version.scenario),
        geojson,
    ))
}

/// Deletes a scenario with all its versions (admins; written to the audit log).
#[utoipa::path(delete, path = "/scenarios/{name}", tag = "store",
    extensions(("x-patrolmap-access" = json!("admin"))),
    params(("name" = String, Path, description = "The scenario's name")),
    responses((status = 200, description = "The scenario deleted and how many versions with it", body = Deleted),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such scenario", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let actor = principal.actor();
    let scenario = name.clone();
    let removed = on_store(&state, move |store| {
        store.delete_scenario(&actor, &scenario)
    })
    .await?;
    Ok(Json(Deleted {
        deleted: name,
        versions: removed,
    }))
}

/// Compares two versions: features added, removed and moved from `from` to `to`, and each
/// one's coverage with the difference tier by tier (both kept as revisions for the map).
#[utoipa::path(get, path = "/compare", tag = "store",
    extensions(("x-patrolmap-access" = json!("view"))),
    params(("from" = i64, Query, description = "The earlier version"),
        ("to" = i64, Query, description = "The later version")),
    responses((status = 200, description = "Both versions with their coverage, the features changed, and the difference tier by tier", body = Comparison),
        (status = 400, description = "from or to missing or not a version", body = ErrorBody),
        (status = 404, description = "No such version", body = ErrorBody)))]
pub async fn compare(
    State(state): State<AppState>,
    Query(q): Params,
) -> Result<Json<Comparison>, ApiError> {
    let from = number(&q, "from", None, 1.0..=9.0e15)? as i64;
    let to = number(&q, "to", None, 1.0..=9.0e15)? as i64;
    let ((va, ta), (vb, tb)) = on_store(&state, move |store| {
        Ok((store.load(from)?, store.load(to)?))
    })
    .await?;
    let (sa, sb) = (
        scenario_from_body(ta.as_bytes(), false)?,
        scenario_from_body(tb.as_bytes(), false)?,
    );
    let shared = state.clone();
    let [(ca, ta_kept), (cb, tb_kept)] = state
        .compute(move || {
            [sa, sb].map(|s| {
                let evaluation = std::sync::Arc::new(shared.city.evaluate(s));
                let (rev, text) = shared.name(evaluation.clone());
                let brief = CoverageBrief::of(&shared.city.summary(rev, &evaluation));
                (brief, (rev, text))
            })
        })
        .await?;
    state.keep(ta_kept.0, ta_kept.1).await;
    state.keep(tb_kept.0, tb_kept.1).await;
    Ok(Json(Comparison {
        difference: ca.difference(&cb),
        changes: Changes::between(&ta, &tb),
        from: VersionCoverage {
            version: va,
            coverage: ca,
        },
        to: VersionCoverage {
            version: vb,
            coverage: cb,
        },
    }))
}
