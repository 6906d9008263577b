//! Long work seen and stopped while it runs: a plan, suggestions or an event plan asked with
//! `progress=ID` (an id the client makes up) is registered under it; `GET /api/work/{id}` says
//! its stage and steps done, `DELETE /api/work/{id}` stops it (as closing the request does, but
//! also through proxies that keep the upstream connection open).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::Json;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::stop::{Stop, WorkProgress};

/// The most works registered at once (beyond it, work runs unseen).
const MOST_WORKS: usize = 1000;
/// How long an ended work still answers (stage `done`): a last poll racing the answer is told
/// it ended rather than that it never was.
const KEPT_AFTER_END: Duration = Duration::from_secs(30);

/// The works running (and those ended a moment ago), by the id their client gave.
#[derive(Debug, Default)]
pub struct Works(Mutex<HashMap<String, (Stop, Option<Instant>)>>);

impl Works {
    /// Registers `stop` under `id` until the returned guard is dropped.
    pub fn register(&self, id: Option<String>, stop: &Stop) -> Registered<'_> {
        let mut works = self.0.lock().unwrap_or_else(|e| e.into_inner());
        works.retain(|_, (_, ended)| ended.is_none_or(|t| t.elapsed() < KEPT_AFTER_END));
        let id = id.filter(|_| works.len() < MOST_WORKS);
        if let Some(id) = &id {
            works.insert(id.clone(), (stop.clone(), None));
        }
        Registered { works: self, id }
    }

    fn get(&self, id: &str) -> Option<Stop> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|w| w.0.clone())
    }
}

/// Marks its work ended when dropped (the work ended, or its request went).
pub struct Registered<'a> {
    works: &'a Works,
    id: Option<String>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        if let Some(id) = &self.id {
            let mut works = self.works.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((stop, ended)) = works.get_mut(id) {
                stop.stage("done", 0);
                *ended = Some(Instant::now());
            }
        }
    }
}

/// The `progress` parameter of a long request: 8 to 64 letters, digits, `-` or `_`.
///
/// ```
/// use std::collections::HashMap;
/// use patrolmap::server::work_api::work_id;
/// let q = |v: &str| HashMap::from([("progress".to_string(), v.to_string())]);
/// assert_eq!(work_id(&q("plan-1a2b3c4d")).unwrap().as_deref(), Some("plan-1a2b3c4d"));
/// assert!(work_id(&q("short")).is_err() && work_id(&q("no spaces here")).is_err());
/// assert_eq!(work_id(&HashMap::new()).unwrap(), None);
/// ```
pub fn work_id(q: &HashMap<String, String>) -> Result<Option<String>, ApiError> {
    let Some(id) = q.get("progress") else {
        return Ok(None);
    };
    let fine = (8..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !fine {
        return Err(ApiError::bad(
            "progress",
            "progress must be 8 to 64 letters, digits, - or _",
        ));
    }
    Ok(Some(id.clone()))
}

fn running(state: &AppState, id: &str) -> Result<Stop, ApiError> {
    state.works.get(id).ok_or_else(|| {
        ApiError::not_found(
            Some("id"),
            format!("no work is running as {id:?}: it has ended, or never began"),
        )
    })
}

/// How far a long request has got.
#[utoipa::path(get, path = "/work/{id}", tag = "map",
    extensions(("x-patrolmap-access" = json!("view"))),
    params(("id" = String, Path, description = "The `progress` id the request was sent with")),
    responses((status = 200, description = "Its stage (`done` for 30 s once it has ended), steps done of how many, seconds spent and left", body = WorkProgress),
        (status = 404, description = "No such work running (ended, or never began)", body = ErrorBody)))]
pub async fn work_progress(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<WorkProgress>, ApiError> {
    Ok(Json(running(&state, &id)?.progress()))
}

/// Stops a long request's work: it answers with what it has (a plan cut short) or says it was
/// cancelled. The answer is where the work had got when told.
#[utoipa::path(delete, path = "/work/{id}", tag = "map",
    extensions(("x-patrolmap-access" = json!("view"))),
    params(("id" = String, Path, description = "The `progress` id the request was sent with")),
    responses((status = 200, description = "Told to stop: where it had got", body = WorkProgress),
        (status = 404, description = "No such work running", body = ErrorBody)))]
pub async fn work_cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<WorkProgress>, ApiError> {
    let work = running(&state, &id)?;
    let at = work.progress();
    work.cancel();
    Ok(Json(at))
}
