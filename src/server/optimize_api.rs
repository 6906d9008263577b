//! The placement endpoints: where the next posts go (the most demand met by K more, or the
//! fewest meeting all of it) and event-security plans, for the scenario in the body, its
//! closures honoured, its units kept, on the car roads.

use std::time::Duration;

use axum::http::StatusCode;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;

use super::api::{number, scenario_from_body, Params};
use super::error::{ApiError, ErrorBody, ErrorCode};
use super::AppState;
use crate::coverage::ResponseStandard;
use crate::optimize::answer::{answer, Answer, Ask};
use crate::optimize::event::{plan_event, standard_for, EventPlan, EventRequest};
use crate::optimize::exact::Limits;
use crate::optimize::problem::{
    parse_targets, prepare, Candidates, DemandKind, Question, QuestionError,
};
use crate::scenario::AreaKind;

/// A text query parameter parsed by `parse`, or `default` when absent.
fn parsed<T, E: std::fmt::Display>(
    q: &std::collections::HashMap<String, String>,
    field: &str,
    default: T,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    match q.get(field) {
        None => Ok(default),
        Some(text) => parse(text).map_err(|e| ApiError::bad(field, format!("{field}: {e}"))),
    }
}

/// The most memory one request's coverage matrices may take: with the city and the search
/// itself, a request stays under 1 GB on Porto.
pub const MAX_MATRIX_BYTES: usize = 384 << 20;
/// The time a planning request may take when it does not say (`time_limit_s`).
const DEFAULT_TIME_S: f64 = 10.0;

fn question_error(e: QuestionError) -> ApiError {
    use crate::optimize::matrix::BuildError;
    use crate::stop::Stopped;
    match e {
        QuestionError::Matrix(BuildError::TooLarge { .. }) => ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::of_status(StatusCode::UNPROCESSABLE_ENTITY),
            message: e.to_string(),
            field: Some("candidates".into()),
        },
        QuestionError::Matrix(BuildError::Stopped(Stopped::OutOfTime)) => ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::TimeLimitTooShort,
            message: format!(
                "time_limit_s: {e}: allow more time (time_limit_s, at most 60), or ask about fewer candidate places (random:2000:1 or grid:300), a smaller budget, or only an area"
            ),
            field: Some("time_limit_s".into()),
        },
        QuestionError::Matrix(BuildError::Stopped(Stopped::Cancelled)) => {
            ApiError::status(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        _ => ApiError::bad("body", e.to_string()),
    }
}

/// Where the next posts go, with each one's gain, the shares before and after, the bound.
#[utoipa::path(post, path = "/optimize", tag = "optimize",
    extensions(("x-patrolmap-access" = json!("plan"))),
    params(("progress" = Option<String>, Query, description = "An id of 8-64 letters, digits, - or _ to follow the work by at /api/work/{id} and stop it"),
        ("add" = Option<u32>, Query, description = "How many posts to add for the most demand met (10 by default)"),
        ("cover" = Option<String>, Query, description = "Instead, the fewest posts meeting all of: roads, checkpoints, key_sites, incidents or sites"),
        ("demand" = Option<String>, Query, description = "What --add counts: roads (default), checkpoints, key_sites, incidents or sites"),
        ("budget_s" = Option<f64>, Query, description = "Budget in seconds (180 by default)"),
        ("units" = Option<u32>, Query, description = "Distinct units needed within it (1 by default; 2+: reinforcement)"),
        ("targets" = Option<String>, Query, description = "Instead of budget_s/units, BUDGET_S:UNITS:WEIGHT,…"),
        ("candidates" = Option<String>, Query, description = "nodes (default), scenario (its candidate points) or grid:SPACING_M"),
        ("area" = Option<String>, Query, description = "Only demand inside this scenario area (id), candidates near it"),
        ("time_limit_s" = Option<f64>, Query, description = "Seconds the whole answer may take, matrix and search (10 by default, at most 60): the best answer found by then, with its bound")),
    request_body(content = Object, description = "The scenario FeatureCollection", content_type = "application/json"),
    responses((status = 200, description = "The posts added, most useful first, with what each adds; the shares before and after, the bound and whether the answer is proven; for the fewest posts, what cannot be met and why", body = Answer),
        (status = 400, description = "Bad parameter or scenario, no candidate, nothing to cover", body = ErrorBody),
        (status = 422, description = "The question is too large for the memory or the time allowed: the error says how to make it smaller", body = ErrorBody),
        (status = 503, description = "Server busy", body = ErrorBody)))]
pub async fn optimize(
    State(state): State<AppState>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Answer>, ApiError> {
    let add = number(&q, "add", Some(10.0), 1.0..=200.0)? as usize;
    let cover = parsed(&q, "cover", None, |t| t.parse::<DemandKind>().map(Some))?;
    let demand = parsed(&q, "demand", DemandKind::Roads, str::parse)?;
    let budget_s = number(&q, "budget_s", Some(180.0), 1.0..=3600.0)?;
    let units = number(&q, "units", Some(1.0), 1.0..=8.0)?;
    let targets = parsed(
        &q,
        "targets",
        parse_targets(&format!("{budget_s}:{units}"))
            .map_err(|e| ApiError::bad_because("units", &e))?,
        parse_targets,
    )?;
    let candidates = parsed(&q, "candidates", Candidates::Nodes, str::parse)?;
    let time_s = number(&q, "time_limit_s", Some(DEFAULT_TIME_S), 0.1..=60.0)?;
    let scenario = scenario_from_body(&body?, false)?;
    let area = match q.get("area") {
        None => None,
        Some(id) => Some(
            scenario
                .areas
                .iter()
                .find(|a| &a.id == id)
                .ok_or_else(|| {
                    ApiError::bad("area", format!("area: no area {id:?} in the scenario"))
                })?
                .ring
                .clone(),
        ),
    };
    let question = Question {
        demand: cover.unwrap_or(demand),
        targets: targets.clone(),
        candidates,
        area,
        margin_m: 500.0,
        max_snap_m: state.city.options.max_snap_m,
        max_matrix_bytes: MAX_MATRIX_BYTES,
    };
    let city = state.city.clone();
    state
        .plan(
            Duration::from_secs_f64(time_s),
            super::work_api::work_id(&q)?,
            move |stop| {
                city.with_roads(&scenario, |modes| {
                    let prepared = prepare(&city.network, modes, &scenario, &question, stop)
                        .map_err(question_error)?;
                    let ask = if cover.is_some() {
                        Ask::Cover
                    } else {
                        Ask::Add(add)
                    };
                    let limits = Limits {
                        stop: stop.clone(),
                        ..Limits::default()
                    };
                    Ok(Json(answer(
                        &city.network,
                        &prepared,
                        &targets,
                        ask,
                        &limits,
                    )))
                })
            },
        )
        .await?
}

/// An event-security plan for a venue of the scenario.
#[utoipa::path(post, path = "/event/plan", tag = "optimize",
    extensions(("x-patrolmap-access" = json!("plan"))),
    params(("progress" = Option<String>, Query, description = "An id of 8-64 letters, digits, - or _ to follow the work by at /api/work/{id} and stop it"),
        ("area" = Option<String>, Query, description = "The event_area's id (the first when absent)"),
        ("standard" = Option<String>, Query, description = "The event's standard BUDGET_S:UNITS,… (the area's own, else 60:1,180:2,300:3)"),
        ("posts" = Option<u32>, Query, description = "Exactly this many temporary posts (default: the fewest meeting all that can be met)"),
        ("margin_m" = Option<f64>, Query, description = "How far outside the venue posts may stand (300 m by default)"),
        ("time_limit_s" = Option<f64>, Query, description = "Seconds the whole plan may take (10 by default, at most 60): the best plan found by then")),
    request_body(content = Object, description = "The scenario FeatureCollection with an event_area Polygon", content_type = "application/json"),
    responses((status = 200, description = "The temporary posts, and per tier the road and hot spots meeting it before and after, with those still failing; whether the posts are proven the fewest", body = EventPlan),
        (status = 400, description = "Bad parameter or scenario, no event_area, bad standard", body = ErrorBody),
        (status = 422, description = "The venue is too large for the memory or the time allowed: the error says how to make it smaller", body = ErrorBody),
        (status = 503, description = "Server busy", body = ErrorBody)))]
pub async fn event_plan(
    State(state): State<AppState>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<EventPlan>, ApiError> {
    let posts = match q.get("posts") {
        None => None,
        Some(_) => Some(number(&q, "posts", None, 1.0..=200.0)? as usize),
    };
    let margin_m = number(&q, "margin_m", Some(300.0), 0.0..=5000.0)?;
    let time_s = number(&q, "time_limit_s", Some(DEFAULT_TIME_S), 0.1..=60.0)?;
    let standard = parsed(&q, "standard", None, |t| {
        t.parse::<ResponseStandard>().map(Some)
    })?;
    let scenario = scenario_from_body(&body?, false)?;
    let venue = scenario
        .areas
        .iter()
        .filter(|a| a.kind == AreaKind::Event)
        .find(|a| q.get("area").is_none_or(|id| &a.id == id))
        .cloned()
        .ok_or_else(|| match q.get("area") {
            Some(id) => ApiError::bad(
                "area",
                format!("area: no event_area {id:?} in the scenario"),
            ),
            None => ApiError::bad("body", "the scenario has no event_area polygon"),
        })?;
    let standard = standard_for(&venue, standard).map_err(|e| ApiError::bad_because("body", &e))?;
    let request = EventRequest {
        standard,
        posts,
        margin_m,
        candidates: Candidates::Nodes,
        max_snap_m: state.city.options.max_snap_m,
        stop: crate::stop::Stop::never(),
        max_matrix_bytes: MAX_MATRIX_BYTES,
    };
    let city = state.city.clone();
    state
        .plan(
            Duration::from_secs_f64(time_s),
            super::work_api::work_id(&q)?,
            move |stop| {
                let request = EventRequest {
                    stop: stop.clone(),
                    ..request
                };
                city.with_roads(&scenario, |modes| {
                    let plan = plan_event(&city.network, modes, &scenario, &venue, &request)
                        .map_err(question_error)?;
                    Ok(Json(plan))
                })
            },
        )
        .await?
}
