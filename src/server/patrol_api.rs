//! The patrol endpoints: plan routes for a scenario, and edit a plan by dragging a route onto
//! another street. Both answer with the routes (timed, with their road steps so an edit can
//! send them back), the independent check, and the 1-3-5 coverage over the shift with the
//! patrols moving.
//!
//! Patrols are planned and their coverage measured on the roads as they are (the scenario's
//! closures are for what-ifs of where units stand, not for the patrol plan).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

use super::api::{number, scenario_from_body, Params};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::city::{City, MODES};
use crate::coverage::assess::Roads;
use crate::coverage::shift::{sample_times, shift_coverage};
use crate::patrol::plan::{CheckpointTask, PatrolUnit, Plan};
use crate::patrol::report::{PatrolReport, PlanMade, ShiftCoverageReport};
use crate::patrol::requirements::Requirements;
use crate::scenario::Scenario;
use crate::stop::Stop;

/// How long a patrol plan or edit may take (the longest, Porto's 130 lines with the coverage
/// over a shift, take under a minute).
const PATROL_TIME: Duration = Duration::from_secs(120);

/// Patrol routes for the scenario's lines and checkpoints: units from its posts, each route
/// checked independently, and the coverage over the shift.
#[utoipa::path(post, path = "/patrol/plan", tag = "patrol",
    extensions(("x-patrolmap-access" = json!("plan"))),
    params(("progress" = Option<String>, Query, description = "An id of 8-64 letters, digits, - or _ to follow the work by at /api/work/{id} and stop it"),
        ("units" = Option<u32>, Query, description = "Patrol units, from the posts in order (1 by default, at most 100)"),
        ("shift_s" = Option<f64>, Query, description = "Shift length in seconds (8 h by default)"),
        ("coverage_every_s" = Option<f64>, Query, description = "Sample the coverage over the shift this often, in seconds (60 by default; 0 for none)")),
    request_body(content = Object, description = "The scenario FeatureCollection (patrol_line, checkpoint and post features)", content_type = "application/json"),
    responses((status = 200, description = "The routes (a FeatureCollection of LineStrings with timetables, times_s, steps and depot), their durations and lower bounds, what was left out and why, the independent check, and the coverage over the shift", body = PatrolReport),
        (status = 400, description = "Not a scenario, bad parameter, no post, or no route possible", body = ErrorBody),
        (status = 503, description = "Server busy", body = ErrorBody)))]
pub async fn patrol_plan(
    State(state): State<AppState>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<PatrolReport>, ApiError> {
    use crate::patrol::plan;
    let units = number(&q, "units", Some(1.0), 1.0..=100.0)? as usize;
    let (shift_s, every_s) = shift_params(&q)?;
    let scenario = scenario_from_body(&body?, false)?;
    if scenario.patrol_lines.is_empty() && scenario.checkpoints.is_empty() {
        return Err(ApiError::bad(
            "body",
            "the scenario has no patrol lines or checkpoints",
        ));
    }
    let city = state.city.clone();
    state
        .plan(PATROL_TIME, super::work_api::work_id(&q)?, move |stop| {
            let (network, graph, index) =
                (&city.network, &city.modes.graphs[0], &city.modes.indexes[0]);
            let max_snap_m = city.options.max_snap_m;
            let req = requirements(&city, &scenario);
            let units = plan::units_from_posts(&scenario, units, network, index, max_snap_m)
                .map_err(|e| ApiError::bad_because("body", &e))?;
            let checkpoints = CheckpointTask::placed(&req);
            let p = plan::plan_patrols_until(
                network,
                graph,
                &req.required_edges(),
                &checkpoints,
                &units,
                stop,
            )
            .map_err(|e| ApiError::bad("body", e.to_string()))?;
            let report = respond(
                &city, &scenario, &req, &units, &p, true, shift_s, every_s, stop,
            )?;
            Ok(Json(report))
        })
        .await?
}

/// The shift as a timetable: every line and checkpoint as often and when its `every`,
/// `passes` and `windows` say, each unit from the posts in turn within its `shift`, taking
/// its `break`s at its post; what is missed and why, the units that would make it all, and
/// the independent check. What `patrolmap patrol plan --shift-start` answers.
#[utoipa::path(post, path = "/patrol/timetable", tag = "patrol",
    extensions(("x-patrolmap-access" = json!("plan"))),
    params(("progress" = Option<String>, Query, description = "An id of 8-64 letters, digits, - or _ to follow the work by at /api/work/{id} and stop it"),
        ("units" = Option<u32>, Query, description = "Patrol units, from the posts in order (1 by default, at most 100)"),
        ("shift_s" = Option<f64>, Query, description = "Shift length in seconds (8 h by default, at most 24 h)"),
        ("shift_start" = Option<String>, Query, description = "When the shift starts by the clock, HH:MM (08:00 by default)")),
    request_body(content = Object, description = "The scenario FeatureCollection (patrol_line, checkpoint and post features, with every, passes, windows, shift and break)", content_type = "application/json"),
    responses((status = 200, description = "The timetables by unit, the passes missed (with why and how late), units_needed, the routes (LineStrings with times_s) and the independent check", body = crate::patrol::shift_report::ShiftReport),
        (status = 400, description = "Not a scenario, bad parameter or no post", body = ErrorBody),
        (status = 503, description = "Server busy", body = ErrorBody)))]
pub async fn patrol_timetable(
    State(state): State<AppState>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<crate::patrol::shift_report::ShiftReport>, ApiError> {
    let units = number(&q, "units", Some(1.0), 1.0..=100.0)? as usize;
    let shift_s = number(&q, "shift_s", Some(8.0 * 3600.0), 60.0..=86_400.0)?;
    let shift_start_s = match q.get("shift_start").filter(|t| !t.is_empty()) {
        None => 8.0 * 3600.0,
        Some(t) => {
            crate::scenario::schedule::clock_s(t).map_err(|e| ApiError::bad("shift_start", e))?
        }
    };
    let scenario = scenario_from_body(&body?, false)?;
    if scenario.patrol_lines.is_empty() && scenario.checkpoints.is_empty() {
        return Err(ApiError::bad(
            "body",
            "the scenario has no patrol lines or checkpoints",
        ));
    }
    // A schedule that does not read would leave its feature out of the timetable: said, not
    // planned around.
    if let Some(p) = scenario
        .problems
        .iter()
        .find(|p| p.code == crate::scenario::ProblemCode::BadSchedule)
    {
        return Err(ApiError::bad(
            p.field.as_deref().unwrap_or("body"),
            format!("feature {}: {}", p.feature, p.reason),
        ));
    }
    let city = state.city.clone();
    state
        .plan(PATROL_TIME, super::work_api::work_id(&q)?, move |stop| {
            let req = requirements(&city, &scenario);
            let ask = crate::patrol::shift_report::ShiftAsk {
                network: &city.network,
                graph: &city.modes.graphs[0],
                index: &city.modes.indexes[0],
                scenario: &scenario,
                requirements: &req,
                units,
                shift_start_s,
                shift_s,
                max_snap_m: city.options.max_snap_m,
            };
            let report = crate::patrol::shift_report::plan_shift_for(&ask, stop)
                .map_err(|e| ApiError::bad_because("body", &e))?;
            Ok(Json(report))
        })
        .await?
}

/// A plan as edited: the routes as they stand, one of them optionally dragged onto another
/// street; re-timed, checked and its coverage over the shift measured again. Viewers may ask
/// it too (nothing is stored): a saved version's routes are shown to them checked and timed.
#[utoipa::path(post, path = "/patrol/edit", tag = "patrol",
    extensions(("x-patrolmap-access" = json!("view"))),
    params(("progress" = Option<String>, Query, description = "An id of 8-64 letters, digits, - or _ to follow the work by at /api/work/{id} and stop it"),
        ("shift_s" = Option<f64>, Query, description = "Shift length in seconds (8 h by default)"),
        ("coverage_every_s" = Option<f64>, Query, description = "Sample the coverage over the shift this often, in seconds (60 by default; 0 for none)")),
    request_body(content = Object, description = "{scenario: the FeatureCollection, routes: [{unit, depot, steps: [[edge, 1 forward | 0 backward], ...]}] as /api/patrol/plan gave them, drag (optional): {route: index, from: [lon, lat] a point of the route, to: [lon, lat] the street to take}}", content_type = "application/json"),
    responses((status = 200, description = "As /api/patrol/plan, without the lower bounds", body = PatrolReport),
        (status = 400, description = "Bad scenario, routes or drag", body = ErrorBody),
        (status = 503, description = "Server busy", body = ErrorBody)))]
pub async fn patrol_edit(
    State(state): State<AppState>,
    Query(q): Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<PatrolReport>, ApiError> {
    let (shift_s, every_s) = shift_params(&q)?;
    let body: Value = serde_json::from_slice(&body?)
        .map_err(|e| ApiError::bad("body", format!("the body is not JSON: {e}")))?;
    let scenario_text = body
        .get("scenario")
        .ok_or_else(|| ApiError::bad("scenario", "scenario is required"))?
        .to_string();
    let scenario = scenario_from_body(scenario_text.as_bytes(), false)
        .map_err(|e| ApiError::bad("scenario", e.message))?;
    let city = state.city.clone();
    let (units, mut routes) =
        crate::patrol::routes_read::routes_from_steps(&city.network, &body["routes"])
            .map_err(|e| ApiError::bad(&e.field, e.reason))?;
    let drag = read_drag(&body, routes.len())?;
    state
        .plan(PATROL_TIME, super::work_api::work_id(&q)?, move |stop| {
            let (network, graph) = (&city.network, &city.modes.graphs[0]);
            if let Some((r, from, to)) = drag {
                let at = crate::patrol::edit::nearest_step(network, &routes[r], from)
                    .ok_or_else(|| ApiError::bad("drag.route", "the route has no road to drag"))?;
                let street = city.modes.indexes[0]
                    .snap(to, city.options.max_snap_m)
                    .map_err(|e| ApiError::bad("drag.to", e.to_string()))?;
                routes[r] = crate::patrol::edit::reroute_through(
                    network,
                    graph,
                    &routes[r],
                    at,
                    street.edge,
                )
                .map_err(|e| ApiError::bad("drag.to", e.to_string()))?;
            }
            let req = requirements(&city, &scenario);
            let p = crate::patrol::edit::edited_plan(network, graph, &req, units[0].depot, routes);
            Ok(Json(respond(
                &city, &scenario, &req, &units, &p, false, shift_s, every_s, stop,
            )?))
        })
        .await?
}

/// The `shift_s` parameter (8 h by default) and `coverage_every_s` (60 s by default, 0 for
/// none, and not so small that a shift takes more than 5,000 samples).
fn shift_params(q: &std::collections::HashMap<String, String>) -> Result<(f64, f64), ApiError> {
    let shift_s = number(q, "shift_s", Some(8.0 * 3600.0), 60.0..=7.0 * 86400.0)?;
    let every_s = number(q, "coverage_every_s", Some(60.0), 0.0..=86400.0)?;
    if every_s > 0.0 && shift_s / every_s > 5000.0 {
        return Err(ApiError::bad(
            "coverage_every_s",
            format!(
                "at most 5,000 samples a shift: at least {:.0} s for this shift",
                shift_s / 5000.0
            ),
        ));
    }
    Ok((shift_s, every_s))
}

fn requirements(city: &City, scenario: &Scenario) -> Requirements {
    Requirements::gather(
        &city.network,
        &city.modes.graphs[0],
        &city.modes.indexes[0],
        scenario,
        &crate::patrol::matching::MatchOptions::default(),
        city.options.max_snap_m,
    )
}

/// A drag: which route, the point of it dragged (lon, lat), and where to.
type Drag = (usize, [f64; 2], [f64; 2]);

/// The edit's optional `drag`.
fn read_drag(body: &Value, routes: usize) -> Result<Option<Drag>, ApiError> {
    let Some(drag) = body.get("drag").filter(|d| !d.is_null()) else {
        return Ok(None);
    };
    let route = drag
        .get("route")
        .and_then(Value::as_u64)
        .filter(|&r| (r as usize) < routes)
        .ok_or_else(|| {
            ApiError::bad(
                "drag.route",
                format!("a route index below {routes} is required"),
            )
        })?;
    let point = |name: &str| -> Result<[f64; 2], ApiError> {
        drag.get(name)
            .and_then(Value::as_array)
            .filter(|p| p.len() == 2)
            .and_then(|p| Some([p[0].as_f64()?, p[1].as_f64()?]))
            .filter(|&p| crate::network::geodesy::is_valid_lon_lat(p))
            .ok_or_else(|| {
                ApiError::bad(&format!("drag.{name}"), "a [lon, lat] position is required")
            })
    };
    Ok(Some((route as usize, point("from")?, point("to")?)))
}

/// The answer of both endpoints: routes, check and coverage over the shift.
#[allow(clippy::too_many_arguments)]
fn respond(
    city: &City,
    scenario: &Scenario,
    req: &Requirements,
    units: &[PatrolUnit],
    plan: &Plan,
    planned: bool,
    shift_s: f64,
    every_s: f64,
    stop: &Stop,
) -> Result<PatrolReport, ApiError> {
    let (network, graph) = (&city.network, &city.modes.graphs[0]);
    let over_shift = (every_s > 0.0)
        .then(|| -> Result<ShiftCoverageReport, ApiError> {
            let times = sample_times(shift_s, every_s);
            let moving = crate::patrol::timeline::moving_units(
                plan, units, network, graph, MODES[0], 0, &times,
            );
            let modes = city.open_roads();
            let roads = Roads {
                network,
                modes: &modes,
                engine: city.modes.engine(),
            };
            let standard = &city.options.standard;
            let max_snap_m = city.options.max_snap_m;
            let shift = shift_coverage(
                roads,
                scenario,
                standard,
                max_snap_m,
                &times,
                &moving,
                &|| {},
                stop,
            )
            .map_err(|e| {
                ApiError::status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("the coverage over the shift was not done: {e}"),
                )
            })?;
            Ok(ShiftCoverageReport::of(standard, &shift, every_s))
        })
        .transpose()?;
    let made = PlanMade {
        network,
        graph,
        scenario,
        requirements: req,
        units,
        plan,
        planned,
    };
    Ok(PatrolReport::of(&made, shift_s, over_shift))
}
