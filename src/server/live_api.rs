//! Live operations on the API: positions from a GPS gateway (`feed` role), each unit's status,
//! the live board and coverage for the map and the wall, and the 110 call's response package.
//! The board lives in this server's memory (the store keeps every position for a day and
//! each status, so a restarted server starts where it was).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::{Extension, Json};
use serde_json::Value;

use super::auth::Principal;
use super::error::{ApiError, ErrorBody, ErrorCode};
use super::store_api::blocking;
use super::AppState;
use crate::coverage::summary::CoverageSummary;
use crate::coverage::ResponseStandard;
use crate::live::alerts::{Alert, AlertChange, Alerts};
use crate::live::{call_package, time, Board, BoardOptions, CallPackage, PositionReport, Status};
use crate::scenario::Scenario;
use crate::store::live::StoredPosition;

/// Positions one request may carry.
pub const MAX_POSITIONS_PER_REQUEST: usize = 5_000;
/// Positions one feed may send in [`FEED_WINDOW`]: a gateway relaying 2,000 units every
/// 5 seconds stays under it; a runaway one is refused (429) until the window passes.
pub const MAX_POSITIONS_PER_WINDOW: usize = 20_000;
/// The window a feed's positions are counted over.
pub const FEED_WINDOW: Duration = Duration::from_secs(10);

/// The live board of this server and what is made of it.
pub struct Live {
    board: Mutex<Board>,
    /// Bumped at every change of the board: the map asks again when it moved.
    change: std::sync::atomic::AtomicU64,
    /// Per feed: the window's start and the positions sent in it.
    intake: Mutex<HashMap<String, (Instant, usize)>>,
    /// The last live coverage: the change and the units counted it was made of.
    coverage: tokio::sync::Mutex<Option<(u64, Vec<usize>, CoverageSummary)>>,
    /// The alerts of the live coverage against the plan's.
    alerts: Mutex<Alerts>,
    /// A tier's live share below this part of the plan's is an alert.
    pub alert_level: f64,
    /// Board changes and alerts, for `/api/live/events`.
    events: tokio::sync::broadcast::Sender<LiveEvent>,
    /// The streams of `/api/live/events` open, at most [`super::events::MAX_LISTENERS`].
    listeners: Arc<tokio::sync::Semaphore>,
}

/// What `/api/live/events` tells the map.
#[derive(Clone, Debug)]
pub enum LiveEvent {
    /// The board changed (its `change` count).
    Board(u64),
    /// An alert was raised or cleared.
    Alert(AlertChange),
}

/// A tier's live share below this part of the plan's is an alert, unless `serve
/// --alert-below` says another.
pub const ALERT_LEVEL: f64 = 0.9;

impl Live {
    /// The board of `plan`'s units, with the positions and statuses `store` kept (the last
    /// day's).
    pub fn new(plan: &Scenario, options: BoardOptions) -> Live {
        Live {
            board: Mutex::new(Board::new(plan, options)),
            change: Default::default(),
            intake: Mutex::default(),
            coverage: tokio::sync::Mutex::new(None),
            alerts: Mutex::default(),
            alert_level: ALERT_LEVEL,
            events: tokio::sync::broadcast::channel(256).0,
            listeners: Arc::new(tokio::sync::Semaphore::new(super::events::MAX_LISTENERS)),
        }
    }

    /// Puts back what `store` kept: each unit's status and last position (stale ones are
    /// shown stale, as they were). Units of the plan only; a kept position refused now (the
    /// roads changed) is left out.
    pub fn restore(&self, city: &crate::city::City, store: &crate::store::Store) {
        let statuses = store.statuses().unwrap_or_default();
        let since = now_s() - crate::store::live::POSITION_DAYS as f64 * 86_400.0;
        let positions = store.last_positions(since).unwrap_or_default();
        let mut board = lock(&self.board);
        for (unit, status) in statuses {
            if let Some(status) = Status::parse(&status) {
                let _ = board.set_status(&unit, status);
            }
        }
        let reports: Vec<PositionReport> = positions.into_iter().map(report_of).collect();
        board.apply(&city.network, &city.open_roads(), &reports, now_s());
    }

    fn changed(&self) {
        let change = self
            .change
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let _ = self.events.send(LiveEvent::Board(change));
    }

    /// Whether any position ever came (before that, nothing live is measured or alerted).
    fn has_positions(&self) -> bool {
        lock(&self.board).units().iter().any(|u| u.fix.is_some())
    }

    fn change(&self) -> u64 {
        self.change.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts `n` positions against `feed`: whether it may send them now, else how long to
    /// wait.
    fn admit(&self, feed: &str, n: usize) -> Result<(), Duration> {
        let mut intake = lock(&self.intake);
        let now = Instant::now();
        let entry = intake.entry(feed.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= FEED_WINDOW {
            *entry = (now, 0);
        }
        if entry.1 + n > MAX_POSITIONS_PER_WINDOW {
            return Err(FEED_WINDOW.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += n;
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The server's clock, Unix seconds.
pub fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn report_of(p: StoredPosition) -> PositionReport {
    PositionReport {
        unit: p.unit,
        lon_lat: p.lon_lat,
        time_s: p.time_s,
        heading_deg: p.heading_deg,
        speed_kph: p.speed_kph,
    }
}

/// What became of a batch of positions.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PositionsTaken {
    /// Positions taken.
    pub taken: usize,
    /// Positions refused, each with why (the others were taken regardless).
    pub refused: Vec<RefusedPosition>,
}

/// A position refused.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RefusedPosition {
    /// Its index in `positions`.
    pub index: usize,
    /// Its unit, if it named one.
    pub unit: Option<String>,
    /// What is wrong: `unknown_unit`, `out_of_order`, `in_future`, `bad_position`,
    /// `bad_value`, `far_from_roads` or `bad_field`.
    pub code: String,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// What is wrong, in English.
    pub error: String,
}

/// One position read from the body, or why it could not be.
fn read_position(value: &Value) -> Result<PositionReport, (&'static str, String)> {
    let number =
        |field: &'static str, required: bool| -> Result<Option<f64>, (&'static str, String)> {
            match &value[field] {
                Value::Null if !required => Ok(None),
                Value::Null => Err((field, format!("{field} is required"))),
                v => v
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| (field, format!("{field} must be a number, got {v}"))),
            }
        };
    let unit = match &value["unit"] {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Err(("unit", "unit (the unit's id) is required".into())),
    };
    let time_s = match &value["time"] {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => time::unix_s(s),
        Value::Null => return Err(("time", "time is required".into())),
        _ => None,
    }
    .ok_or_else(|| {
        (
            "time",
            format!(
                "time must be Unix seconds or RFC 3339 (2026-12-04T08:15:00+08:00), got {}",
                value["time"]
            ),
        )
    })?;
    Ok(PositionReport {
        unit,
        lon_lat: [
            number("lon", true)?.unwrap_or_default(),
            number("lat", true)?.unwrap_or_default(),
        ],
        time_s,
        heading_deg: number("heading_deg", false)?,
        speed_kph: number("speed_kph", false)?,
    })
}

/// Takes a batch of unit positions from a GPS gateway: each snapped to its unit's roads (by
/// its heading when it moves), refused one by one when wrong (unknown unit, out of order, in
/// the future, far from every road), the others taken; kept in the store for a day.
#[utoipa::path(post, path = "/live/positions", tag = "live",
    extensions(("x-patrolmap-access" = json!("feed"))),
    request_body(content = Object, description = "{\"positions\": [{\"unit\", \"lon\", \"lat\", \"time\" (Unix seconds or RFC 3339), \"heading_deg\"?, \"speed_kph\"?}]}", content_type = "application/json"),
    responses((status = 200, description = "How many were taken, and each refused one with why", body = PositionsTaken),
        (status = 400, description = "Not JSON, no positions array, or too many in one request", body = ErrorBody),
        (status = 429, description = "The feed sent too many positions lately", body = ErrorBody)))]
pub async fn positions(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<PositionsTaken>, ApiError> {
    let body: Value = serde_json::from_slice(&body?)
        .map_err(|e| ApiError::bad("body", format!("body: not JSON: {e}")))?;
    let list = body["positions"].as_array().ok_or_else(|| {
        ApiError::bad("positions", "positions: an array of positions is required")
    })?;
    if list.len() > MAX_POSITIONS_PER_REQUEST {
        return Err(ApiError::bad(
            "positions",
            format!(
                "positions: {} in one request, more than the {MAX_POSITIONS_PER_REQUEST} allowed: send smaller batches",
                list.len()
            ),
        ));
    }
    let actor = principal.actor();
    if let Err(wait) = state.live.admit(&actor.name, list.len()) {
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::FeedTooFast,
            format!(
                "{} sent more than {MAX_POSITIONS_PER_WINDOW} positions in {} s: try again in {} s",
                actor.name,
                FEED_WINDOW.as_secs(),
                wait.as_secs().max(1)
            ),
            Some("positions"),
        ));
    }
    let mut refused = Vec::new();
    let mut reports = Vec::new();
    let mut indices = Vec::new();
    for (index, value) in list.iter().enumerate() {
        match read_position(value) {
            Ok(r) => {
                reports.push(r);
                indices.push(index);
            }
            Err((field, error)) => refused.push(RefusedPosition {
                index,
                unit: value["unit"].as_str().map(str::to_string),
                code: "bad_field".into(),
                field: Some(field.into()),
                error: format!("positions[{index}].{field}: {error}"),
            }),
        }
    }
    let live = state.live.clone();
    let city = state.city.clone();
    let (verdicts, reports) = state
        .compute(move || {
            let verdicts =
                lock(&live.board).apply(&city.network, &city.open_roads(), &reports, now_s());
            (verdicts, reports)
        })
        .await?;
    let mut kept = Vec::new();
    for ((verdict, report), index) in verdicts.into_iter().zip(reports).zip(indices) {
        match verdict {
            Ok(()) => kept.push(StoredPosition {
                unit: report.unit,
                time_s: report.time_s,
                lon_lat: report.lon_lat,
                heading_deg: report.heading_deg,
                speed_kph: report.speed_kph,
            }),
            Err(e) => refused.push(RefusedPosition {
                index,
                error: format!("positions[{index}] ({}): {e}", report.unit),
                unit: Some(report.unit),
                code: e.code().into(),
                field: None,
            }),
        }
    }
    refused.sort_by_key(|r| r.index);
    let taken = kept.len();
    if taken > 0 {
        state.live.changed();
        if let Some(store) = state.store.clone() {
            let stored = blocking(move || store.keep_positions(&actor, &kept)).await?;
            if let Err(e) = stored {
                // The board has them; only the day's record misses them.
                tracing::warn!("live positions not kept in the store: {e}");
            }
        }
    }
    Ok(Json(PositionsTaken { taken, refused }))
}

/// The live board: every unit with its status and last position.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LiveBoard {
    /// The server's clock, Unix seconds.
    pub now_s: f64,
    /// Counts every change of the board: ask again for the coverage when it moved.
    pub change: u64,
    /// A unit silent for longer is stale (shown so, not counted), in seconds.
    pub stale_after_s: f64,
    /// How many units are counted (available and not stale).
    pub counted: usize,
    /// The units, in the plan's order.
    pub units: Vec<LiveUnitView>,
}

/// A unit on the live board.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LiveUnitView {
    /// Its id.
    pub unit: String,
    /// Its name.
    pub name: Option<String>,
    /// Its class.
    pub class: Option<String>,
    /// Its travel mode.
    pub mode: &'static str,
    /// `available`, `en_route`, `on_scene` or `off_duty`.
    pub status: &'static str,
    /// No position for longer than the board allows (or none yet).
    pub stale: bool,
    /// Counted in the live coverage and for calls (available and not stale).
    pub counted: bool,
    /// Its last position on the road, `[lon, lat]`, if one came.
    pub position: Option<[f64; 2]>,
    /// Its last position as reported, `[lon, lat]`.
    pub reported: Option<[f64; 2]>,
    /// When that was, Unix seconds.
    pub time_s: Option<f64>,
    /// How long ago, in seconds.
    pub age_s: Option<f64>,
    /// Heading, degrees clockwise from north.
    pub heading_deg: Option<f64>,
    /// Speed, km/h.
    pub speed_kph: Option<f64>,
    /// Where it was told to move up to, `[lon, lat]`, until it is there.
    pub move_to: Option<[f64; 2]>,
}

fn board_view(state: &AppState) -> LiveBoard {
    let plan = &state.revisions.base().scenario;
    let board = lock(&state.live.board);
    let now = now_s();
    let units: Vec<LiveUnitView> = board
        .units()
        .iter()
        .map(|u| {
            let unit = &plan.units[u.unit];
            let stale = board.stale(u, now);
            let fix = u.fix.as_ref();
            LiveUnitView {
                unit: u.id.clone(),
                name: unit.name.clone(),
                class: unit.class.clone(),
                mode: u.mode.as_str(),
                status: u.status.as_str(),
                stale,
                counted: !stale && u.status == Status::Available,
                position: fix.map(|f| f.on_road.position),
                reported: fix.map(|f| f.lon_lat),
                time_s: fix.map(|f| f.time_s),
                age_s: fix.map(|f| (now - f.time_s).max(0.0)),
                heading_deg: fix.and_then(|f| f.heading_deg),
                speed_kph: fix.and_then(|f| f.speed_kph),
                move_to: u.move_to,
            }
        })
        .collect();
    LiveBoard {
        now_s: now,
        change: state.live.change(),
        stale_after_s: board.options.stale_after_s,
        counted: units.iter().filter(|u| u.counted).count(),
        units,
    }
}

/// The live board: each unit's status and last position, stale ones marked.
#[utoipa::path(get, path = "/live/units", tag = "live",
    extensions(("x-patrolmap-access" = json!("read"))),
    responses((status = 200, description = "Every unit of the plan with its status and last position", body = LiveBoard)))]
pub async fn units(State(state): State<AppState>) -> Json<LiveBoard> {
    Json(board_view(&state))
}

/// Sets units' status (`en_route` when sent to a call, `on_scene`, `available` again,
/// `off_duty`): all of them or, when one is unknown, none; written to the audit log.
#[utoipa::path(post, path = "/live/status", tag = "live",
    extensions(("x-patrolmap-access" = json!("plan"))),
    request_body(content = Object, description = "{\"units\": [\"car-1\"], \"status\": \"en_route\"}", content_type = "application/json"),
    responses((status = 200, description = "The board after the change", body = LiveBoard),
        (status = 400, description = "No units, an unknown unit or status", body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<LiveBoard>, ApiError> {
    let body: Value = serde_json::from_slice(&body?)
        .map_err(|e| ApiError::bad("body", format!("body: not JSON: {e}")))?;
    let text = body["status"].as_str().unwrap_or_default();
    let status = Status::parse(text).ok_or_else(|| {
        ApiError::bad(
            "status",
            format!(
                "status must be available, en_route, on_scene or off_duty, got {:?}",
                body["status"]
            ),
        )
    })?;
    let ids: Vec<String> = body["units"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::bad(
            "units",
            "units: a list of unit ids is required",
        ));
    }
    {
        let mut board = lock(&state.live.board);
        if let Some(unknown) = ids.iter().find(|id| board.unit(id).is_none()) {
            return Err(ApiError::bad(
                "units",
                format!("units: no unit {unknown:?} on the board (nothing was changed)"),
            ));
        }
        for id in &ids {
            let _ = board.set_status(id, status);
        }
    }
    state.live.changed();
    if let Some(store) = state.store.clone() {
        let actor = principal.actor();
        let rows: Vec<(String, String)> = ids
            .iter()
            .map(|id| (id.clone(), status.as_str().to_string()))
            .collect();
        blocking(move || store.set_statuses(&actor, &rows))
            .await?
            .map_err(super::store_api::store_error)?;
    }
    Ok(Json(board_view(&state)))
}

/// The live coverage now: evaluated again when the board changed or a unit went stale since
/// the last time (whoever asked, the map or the watcher), and the alerts updated from it.
pub async fn refresh(state: &AppState) -> Result<CoverageSummary, ApiError> {
    let started = Instant::now();
    let now = now_s();
    let change = state.live.change();
    let (counted, live) = {
        let board = lock(&state.live.board);
        let counted: Vec<usize> = board.counted(now).map(|u| u.unit).collect();
        (
            counted,
            board.deployment(&state.revisions.base().scenario, now),
        )
    };
    // One evaluation per change of the board (or of who went stale), whoever asks.
    let mut last = state.live.coverage.lock().await;
    if let Some((c, units, summary)) = last.as_ref() {
        if *c == change && *units == counted {
            return Ok(summary.clone());
        }
    }
    let shared = state.clone();
    let (mut summary, text, changes) = state
        .compute(move || {
            let evaluation = Arc::new(shared.city.evaluate(live));
            let (rev, text) = shared.name(evaluation.clone());
            let base = shared.revisions.base();
            let changes = lock(&shared.live.alerts).update(
                &shared.city.options.standard,
                base.assessment(),
                evaluation.assessment(),
                shared.live.alert_level,
                now,
            );
            (shared.city.summary(rev, &evaluation), text, changes)
        })
        .await?;
    for change in changes {
        let _ = state.live.events.send(LiveEvent::Alert(change));
    }
    state.keep(summary.rev, text).await;
    summary.tiles = Some(format!(
        "/api/tiles/{{z}}/{{x}}/{{y}}.mvt?rev={}",
        summary.rev
    ));
    summary.timings_ms.request = Some(started.elapsed().as_secs_f64() * 1e3);
    *last = Some((change, counted, summary.clone()));
    Ok(summary)
}

/// How often the watcher looks at the board.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Keeps the live coverage and its alerts current while the server runs: once a second,
/// when positions have come and the board changed or a unit went stale, the coverage is
/// evaluated again (as [`refresh`]), so an alert is raised whether or not a map is open.
pub async fn watch(state: AppState) {
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if !state.live.has_positions() {
            continue;
        }
        if let Err(e) = refresh(&state).await {
            tracing::warn!("live coverage: {}", e.message);
        }
    }
}

/// The coverage of the units counted now (available, not stale) where they are, with the
/// plan's posts, sites and closures: a revision the map draws like a what-if.
#[utoipa::path(get, path = "/live/coverage", tag = "live",
    extensions(("x-patrolmap-access" = json!("read"))),
    responses((status = 200, description = "The live coverage summary, its revision and tiles", body = CoverageSummary)))]
pub async fn coverage(State(state): State<AppState>) -> Result<Json<CoverageSummary>, ApiError> {
    refresh(&state).await.map(Json)
}

/// The alerts of the live coverage.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LiveAlerts {
    /// The level a tier's share is held to, as a part of the plan's share.
    pub level: f64,
    /// In force, by key.
    pub active: Vec<Alert>,
    /// Ended lately, the latest first.
    pub recent: Vec<Alert>,
}

/// The alerts: each checkpoint or key site the plan meets at a tier and the live units do not,
/// and each tier whose live share is below the level; those in force and those ended lately,
/// with their times.
#[utoipa::path(get, path = "/live/alerts", tag = "live",
    extensions(("x-patrolmap-access" = json!("read"))),
    responses((status = 200, description = "The alerts in force and the recent ones", body = LiveAlerts)))]
pub async fn alerts(State(state): State<AppState>) -> Json<LiveAlerts> {
    let alerts = lock(&state.live.alerts);
    Json(LiveAlerts {
        level: state.live.alert_level,
        active: alerts.active().cloned().collect(),
        recent: alerts.recent().cloned().collect(),
    })
}

/// How long one stream of live events lasts: the browser reconnects at once.
const STREAM_FOR: Duration = Duration::from_secs(120);

/// A stream of `board` events (`{"change"}`: ask the board again) and `alert` events (an
/// `AlertChange`: raised or cleared), as they happen, for two minutes.
#[utoipa::path(get, path = "/live/events", tag = "live",
    extensions(("x-patrolmap-access" = json!("read"))),
    responses((status = 200, description = "text/event-stream of `board` ({change}) and `alert` (AlertChange) events", body = String, content_type = "text/event-stream"),
        (status = 503, description = "Too many listeners", body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
) -> Result<
    (
        [(axum::http::HeaderName, &'static str); 1],
        axum::response::sse::Sse<
            impl futures_util::Stream<
                Item = Result<axum::response::sse::Event, std::convert::Infallible>,
            >,
        >,
    ),
    ApiError,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let permit = state
        .live
        .listeners
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::status(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "too many listeners; try again later",
            )
        })?;
    let receiver = state.live.events.subscribe();
    let until = tokio::time::Instant::now() + STREAM_FOR;
    let stream = futures_util::stream::unfold(
        (receiver, permit),
        move |(mut receiver, permit)| async move {
            let event = match tokio::time::timeout_at(until, receiver.recv()).await {
                Ok(Ok(LiveEvent::Board(change))) => Event::default()
                    .event("board")
                    .data(format!("{{\"change\":{change}}}")),
                Ok(Ok(LiveEvent::Alert(change))) => Event::default()
                    .event("alert")
                    .data(serde_json::to_string(&change).unwrap_or_default()),
                // Fell behind: the map asks for the board and the alerts again.
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    Event::default().event("board").data("{\"change\":null}")
                }
                _ => return None,
            };
            Some((
                Ok(event.retry(Duration::from_millis(1000))),
                (receiver, permit),
            ))
        },
    );
    let unbuffered = [(
        axum::http::HeaderName::from_static("x-accel-buffering"),
        "no",
    )];
    Ok((
        unbuffered,
        Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    ))
}

/// A 110 call as the API takes it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct Incident {
    /// Longitude of the call.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// The standard to check, e.g. `60:1,180:2,300:3` (the server's by default).
    #[serde(default)]
    pub standard: Option<String>,
    /// Its priority, as the call taker gave it (echoed).
    #[serde(default)]
    pub priority: Option<Value>,
    /// Units to list at most (10 by default, at most 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The response package, with the call's priority.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IncidentAnswer {
    /// The priority given, as given.
    pub priority: Option<Value>,
    /// The package.
    #[serde(flatten)]
    pub package: CallPackage,
    /// How long it took, in milliseconds.
    pub compute_ms: f64,
}

/// The 110 call's response package: the available units ranked by exact travel time from
/// their live positions (standing ones with their turnout), on the plan's open roads, each
/// with its route, and whether each tier of the standard holds at the call.
#[utoipa::path(post, path = "/live/incident", tag = "live",
    extensions(("x-patrolmap-access" = json!("view"))),
    request_body(content = Incident, description = "{\"lon\", \"lat\", \"standard\"?, \"priority\"?, \"limit\"?}", content_type = "application/json"),
    responses((status = 200, description = "The units by eta_s, the tiers at the call", body = IncidentAnswer),
        (status = 400, description = "Bad body or standard, or no car road near the call", body = ErrorBody)))]
pub async fn incident(
    State(state): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<IncidentAnswer>, ApiError> {
    let started = Instant::now();
    let call: Incident = serde_json::from_slice(&body?)
        .map_err(|e| ApiError::bad("body", format!("body: {e} (lon and lat are numbers)")))?;
    for (field, v, max) in [("lon", call.lon, 180.0), ("lat", call.lat, 90.0)] {
        if !v.is_finite() || v.abs() > max {
            return Err(ApiError::bad(
                field,
                format!("{field} must be from -{max} to {max}, got {v}"),
            ));
        }
    }
    let standard: ResponseStandard = match call.standard.as_deref() {
        None => state.city.options.standard.clone(),
        Some(text) => text
            .parse()
            .map_err(|e| ApiError::bad_because("standard", &e))?,
    };
    let limit = call.limit.unwrap_or(10).clamp(1, 50);
    let live = state.live.clone();
    let city = state.city.clone();
    let base = state.revisions.base().clone();
    let package = state
        .compute(move || {
            let board = lock(&live.board);
            let modes = city.mode_networks(&base);
            call_package(
                &city.network,
                &modes,
                &base.scenario,
                &board,
                &standard,
                [call.lon, call.lat],
                limit,
                now_s(),
                city.options.max_snap_m,
            )
        })
        .await?
        .map_err(|e| {
            ApiError::bad("lon", format!("no car road near the call: {e}"))
                .with_code(ErrorCode::NoRoadNear)
        })?;
    Ok(Json(IncidentAnswer {
        priority: call.priority,
        package,
        compute_ms: started.elapsed().as_secs_f64() * 1e3,
    }))
}

/// An ask whose every field has a default: an empty body is `{}`.
fn ask_or_default<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.is_empty() { &b"{}"[..] } else { body };
    serde_json::from_slice(body).map_err(|e| ApiError::bad("body", format!("body: {e}")))
}

/// A move-up as the API takes it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct MoveUpAsk {
    /// Moves at most (3 by default, at most 10).
    #[serde(default)]
    pub max_moves: Option<usize>,
    /// Where units may go (the plan's posts and units' places by default; at most 500).
    #[serde(default)]
    pub targets: Vec<crate::city::MoveTarget>,
}

/// The proposal, and how long it took.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MoveUpAnswer {
    /// The proposal.
    #[serde(flatten)]
    pub report: crate::city::MoveUpReport,
    /// How long it took, in milliseconds.
    pub compute_ms: f64,
}

/// Move-up: at most N moves of available units (to the plan's posts and units' places, or
/// the points given) that restore the standard best with units committed to calls, each with
/// its drive time; each tier's share and the checkpoints met before and after, measured.
#[utoipa::path(post, path = "/live/moveup", tag = "live",
    extensions(("x-patrolmap-access" = json!("view"))),
    request_body(content = MoveUpAsk, description = "{\"max_moves\"?, \"targets\"?: [{\"position\": [lon, lat], \"id\"?, \"name\"?}]}", content_type = "application/json"),
    responses((status = 200, description = "The moves, best first, and the coverage before and after", body = MoveUpAnswer),
        (status = 400, description = "Bad body, too many moves or targets", body = ErrorBody)))]
pub async fn moveup(
    State(state): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<MoveUpAnswer>, ApiError> {
    let started = Instant::now();
    let ask: MoveUpAsk = ask_or_default(&body?)?;
    let max_moves = ask.max_moves.unwrap_or(3);
    if !(1..=10).contains(&max_moves) {
        return Err(ApiError::bad(
            "max_moves",
            format!("max_moves must be from 1 to 10, got {max_moves}"),
        ));
    }
    if ask.targets.len() > 500 {
        return Err(ApiError::bad(
            "targets",
            format!("targets: {} given, at most 500", ask.targets.len()),
        ));
    }
    if let Some((i, t)) = ask
        .targets
        .iter()
        .enumerate()
        .find(|(_, t)| !crate::network::geodesy::is_valid_lon_lat(t.position))
    {
        return Err(ApiError::bad(
            "targets",
            format!(
                "targets[{i}].position {:?} is not a longitude and latitude",
                t.position
            ),
        ));
    }
    let options = crate::live::moveup::MoveUpOptions {
        max_moves,
        ..Default::default()
    };
    let live = state.live.clone();
    let city = state.city.clone();
    let base = state.revisions.base().clone();
    let report = state
        .compute(move || {
            let board = lock(&live.board).clone();
            city.move_up(&base, &board, &ask.targets, &options, now_s())
        })
        .await?;
    Ok(Json(MoveUpAnswer {
        report,
        compute_ms: started.elapsed().as_secs_f64() * 1e3,
    }))
}

/// Moves accepted: each unit told where to move up to (shown on the board until it is
/// there); all or, when one is unknown, none; in the audit log.
#[utoipa::path(post, path = "/live/moveup/accept", tag = "live",
    extensions(("x-patrolmap-access" = json!("plan"))),
    request_body(content = Object, description = "{\"moves\": [{\"unit\", \"to\": [lon, lat]}]}", content_type = "application/json"),
    responses((status = 200, description = "The board after the change", body = LiveBoard),
        (status = 400, description = "No moves, an unknown unit or a bad place", body = ErrorBody)))]
pub async fn moveup_accept(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<LiveBoard>, ApiError> {
    let body: Value = serde_json::from_slice(&body?)
        .map_err(|e| ApiError::bad("body", format!("body: not JSON: {e}")))?;
    let mut moves: Vec<(String, [f64; 2])> = Vec::new();
    for (i, m) in body["moves"].as_array().into_iter().flatten().enumerate() {
        let unit = m["unit"]
            .as_str()
            .ok_or_else(|| ApiError::bad("moves", format!("moves[{i}].unit is required")))?;
        let to = [m["to"][0].as_f64(), m["to"][1].as_f64()];
        let [Some(lon), Some(lat)] = to else {
            return Err(ApiError::bad(
                "moves",
                format!("moves[{i}].to must be [lon, lat]"),
            ));
        };
        if !crate::network::geodesy::is_valid_lon_lat([lon, lat]) {
            return Err(ApiError::bad(
                "moves",
                format!("moves[{i}].to [{lon}, {lat}] is not a longitude and latitude"),
            ));
        }
        moves.push((unit.to_string(), [lon, lat]));
    }
    if moves.is_empty() {
        return Err(ApiError::bad(
            "moves",
            "moves: a list of {unit, to} is required",
        ));
    }
    {
        let mut board = lock(&state.live.board);
        if let Some((unknown, _)) = moves.iter().find(|(id, _)| board.unit(id).is_none()) {
            return Err(ApiError::bad(
                "moves",
                format!("moves: no unit {unknown:?} on the board (nothing was changed)"),
            ));
        }
        for (id, to) in &moves {
            let _ = board.set_move_to(id, Some(*to));
        }
    }
    state.live.changed();
    if let Some(store) = state.store.clone() {
        let actor = principal.actor();
        let detail = moves
            .iter()
            .map(|(u, to)| format!("{u} to [{:.6}, {:.6}]", to[0], to[1]))
            .collect::<Vec<_>>()
            .join(", ");
        blocking(move || store.record(&actor, "live_move", "units", &detail))
            .await?
            .map_err(super::store_api::store_error)?;
    }
    Ok(Json(board_view(&state)))
}

/// The time a drill may take: its searches from every post to every place, then the
/// simulation once per policy.
const DRILL_TIME: Duration = Duration::from_secs(60);
/// Calls a drill may simulate (its calls an hour times its hours).
pub const MAX_DRILL_CALLS: f64 = 10_000.0;

/// What a drill asks: the names of `patrolmap live simulate`'s flags.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrillAsk {
    /// The revision whose scenario is drilled (0, the loaded one, by default).
    pub rev: Option<u64>,
    /// Calls an hour over the whole city (10 by default). With neither it, `by_hour` nor
    /// `history`, the scenario's incidents with a `time` (if any) are replayed instead.
    pub calls_per_hour: Option<f64>,
    /// How long, in hours (24 by default, at most 168).
    pub hours: Option<f64>,
    /// Mean time on scene, in seconds (1200 by default).
    pub on_scene_s: Option<f64>,
    /// The seed: the same seed gives the same drill (1 by default).
    pub seed: Option<u64>,
    /// Move-up policies side by side: `none`, `table`, `greedy` (`["none"]` by default).
    pub move_up: Option<Vec<String>>,
    /// Each hour's weight in the day's calls from 00:00: 24 numbers (even by default).
    pub by_hour: Option<Vec<f64>>,
    /// Past calls to replay instead of generated ones: `[{"time", "lon", "lat"}]`, `time` Unix
    /// seconds or RFC 3339 (at most 10,000).
    #[schema(value_type = Option<Vec<Object>>)]
    pub history: Option<Vec<Value>>,
    /// Patrol routes to drive through the drill, as `/api/patrol/plan` gave them: `[{"unit",
    /// "depot", "steps": [[edge, 1 forward | 0 backward], ...]}]` (at most 100). A unit of the
    /// scenario with a route's id patrols instead of standing at its post; another joins.
    #[schema(value_type = Option<Vec<Object>>)]
    pub routes: Option<Value>,
}

/// The past calls of a drill's ask, or the first one that cannot be read.
fn past_calls(history: &[Value]) -> Result<Vec<crate::live::history::PastCall>, ApiError> {
    let mut out = Vec::with_capacity(history.len());
    for (i, call) in history.iter().enumerate() {
        let time_s = match &call["time"] {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => time::unix_s(s),
            _ => None,
        };
        let position = [call["lon"].as_f64(), call["lat"].as_f64()];
        let (Some(time_s), [Some(lon), Some(lat)]) = (time_s, position) else {
            return Err(ApiError::bad(
                "history",
                format!(
                    "history[{i}]: needs time (Unix seconds or RFC 3339), lon and lat, got {call}"
                ),
            ));
        };
        if !crate::network::geodesy::is_valid_lon_lat([lon, lat]) {
            return Err(ApiError::bad(
                "history",
                format!("history[{i}]: [{lon}, {lat}] is not a longitude and latitude"),
            ));
        }
        out.push(crate::live::history::PastCall {
            time_s,
            position: [lon, lat],
        });
    }
    out.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    Ok(out)
}

/// The drill and how long it took.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DrillAnswer {
    /// The drill.
    #[serde(flatten)]
    pub run: crate::live::simulate::DrillRun,
    /// How long the drill lasted, in hours (asked, or the history's span).
    pub hours: f64,
    /// How long it took, in milliseconds.
    pub compute_ms: f64,
}

/// A drill by simulation of a revision's units: seeded 110 calls at its incident sites,
/// each sent the standard's full force by travel time, busy for the drive, the time on scene
/// and the drive back, once per move-up policy on the same calls; every call, move and
/// coverage change, for the map to replay. Changes nothing.
#[utoipa::path(post, path = "/live/drill", tag = "live",
    extensions(("x-patrolmap-access" = json!("view"))),
    request_body(content = DrillAsk, description = "{\"rev\"?, \"calls_per_hour\"?, \"by_hour\"?: [24 weights], \"history\"?: [{\"time\", \"lon\", \"lat\"}], \"hours\"?, \"on_scene_s\"?, \"seed\"?, \"move_up\"?: [\"none\", \"table\", \"greedy\"], \"routes\"?: [{\"unit\", \"depot\", \"steps\"}]}", content_type = "application/json"),
    responses((status = 200, description = "The units, the places and one report per policy", body = DrillAnswer),
        (status = 400, description = "Bad body, a value out of range or too many calls", body = ErrorBody),
        (status = 503, description = "The drill ran out of time", body = ErrorBody)))]
pub async fn drill(
    State(state): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<DrillAnswer>, ApiError> {
    use crate::live::simulate::{DrillOptions, MoveUpPolicy};
    let started = Instant::now();
    let ask: DrillAsk = ask_or_default(&body?)?;
    let defaults = DrillOptions::default();
    let value = |name: &str, v: Option<f64>, default: f64, max: f64| {
        let v = v.unwrap_or(default);
        if v.is_finite() && v > 0.0 && v <= max {
            Ok(v)
        } else {
            Err(ApiError::bad(
                name,
                format!("{name} must be more than 0 and at most {max}, got {v}"),
            ))
        }
    };
    let calls_per_hour = value(
        "calls_per_hour",
        ask.calls_per_hour,
        defaults.calls_per_hour,
        1000.0,
    )?;
    let evaluation = state.evaluation(ask.rev.unwrap_or(0)).await?;
    let generated = ask.calls_per_hour.is_some() || ask.by_hour.is_some();
    // No history given and no rate asked: the scenario's incidents with a time, if any.
    let history = match &ask.history {
        Some(history) if history.len() as f64 > MAX_DRILL_CALLS => {
            return Err(ApiError::bad(
                "history",
                format!(
                    "history: {} calls, at most {MAX_DRILL_CALLS:.0}",
                    history.len()
                ),
            ))
        }
        Some(history) => past_calls(history)?,
        None if generated => Vec::new(),
        None => crate::live::history::of_scenario(&evaluation.scenario),
    };
    if history.len() as f64 > MAX_DRILL_CALLS {
        return Err(ApiError::bad(
            "history",
            format!(
                "the scenario's incidents with a time: {} calls, at most {MAX_DRILL_CALLS:.0}",
                history.len()
            ),
        ));
    }
    let span_h = match (history.first(), history.last()) {
        (Some(first), Some(last)) => {
            ((last.time_s - (first.time_s / 3600.0).floor() * 3600.0) / 3600.0).floor() + 1.0
        }
        _ => defaults.hours,
    };
    let hours = value("hours", ask.hours, span_h, 168.0)?;
    let by_hour: [f64; 24] = match ask.by_hour {
        None => crate::live::simulate::FLAT_DAY,
        Some(w) if w.len() == 24 && w.iter().all(|x| x.is_finite() && *x >= 0.0) && w.iter().sum::<f64>() > 0.0 => {
            w.try_into().expect("24")
        }
        Some(w) => {
            return Err(ApiError::bad(
                "by_hour",
                format!("by_hour: 24 weights of 0 or more, not all 0, one an hour from 00:00; got {} values", w.len()),
            ))
        }
    };
    let on_scene_s = value(
        "on_scene_s",
        ask.on_scene_s,
        defaults.on_scene_mean_s,
        86_400.0,
    )?;
    if history.is_empty() && calls_per_hour * hours > MAX_DRILL_CALLS {
        return Err(ApiError::bad(
            "calls_per_hour",
            format!(
                "calls_per_hour × hours is {:.0} calls, at most {MAX_DRILL_CALLS:.0}: fewer calls or a shorter drill",
                calls_per_hour * hours
            ),
        ));
    }
    let names = ask.move_up.unwrap_or_else(|| vec!["none".into()]);
    let mut policies: Vec<MoveUpPolicy> = Vec::new();
    for name in &names {
        let policy: MoveUpPolicy = name
            .parse()
            .map_err(|e: String| ApiError::bad("move_up", format!("move_up: {e}")))?;
        if policies.contains(&policy) {
            return Err(ApiError::bad(
                "move_up",
                format!("move_up: {name:?} is asked twice"),
            ));
        }
        policies.push(policy);
    }
    if policies.is_empty() {
        return Err(ApiError::bad(
            "move_up",
            "move_up: at least one of none, table, greedy",
        ));
    }
    let patrols = match &ask.routes {
        Some(routes) => {
            let (units, steps) =
                crate::patrol::routes_read::routes_from_steps(&state.city.network, routes)
                    .map_err(|e| ApiError::bad(&e.field, format!("{}: {}", e.field, e.reason)))?;
            units.into_iter().zip(steps).collect()
        }
        None => Vec::new(),
    };
    let options = DrillOptions {
        calls_per_hour,
        by_hour,
        history,
        hours,
        on_scene_mean_s: on_scene_s,
        seed: ask.seed.unwrap_or(defaults.seed),
        move_up: MoveUpPolicy::None,
        patrols,
    };
    let city = state.city.clone();
    let run = state
        .plan(DRILL_TIME, None, move |stop| {
            city.drill(&evaluation.scenario, &options, &policies, stop)
        })
        .await?
        .map_err(|e| {
            ApiError::status(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                format!("the drill stopped: {e}"),
            )
        })?;
    Ok(Json(DrillAnswer {
        run,
        hours,
        compute_ms: started.elapsed().as_secs_f64() * 1e3,
    }))
}
