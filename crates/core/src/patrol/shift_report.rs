//! The answer to "plan the shift": each unit's timetable by the clock, what is missed and
//! why, how many units would make it all, and the independent check; what `patrolmap patrol
//! plan --shift-start` prints and writes. [`plan_shift_for`] is the one call both edges make.

use super::plan::{units_from_posts, UnitsError};
use super::report::LeftOut;
use super::requirements::Requirements;
use super::shift::{plan_shift, Activity, MissReason, ShiftPlan, ShiftRequest, ShiftUnit};
use super::shift_check::{check_shift, ShiftCheckReport, ShiftRouteToCheck};
use crate::network::{ProfileGraph, RoadNetwork, SnapIndex};
use crate::scenario::schedule::{Schedule, Slot, DAY_S};
use crate::scenario::Scenario;
use crate::stop::Stop;

/// One entry of a unit's timetable.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TimetableEntry {
    /// `line`, `checkpoint` or `break`.
    pub kind: &'static str,
    /// The line's or checkpoint's id (none for a break).
    pub id: Option<String>,
    /// From, seconds into the shift.
    pub start_s: f64,
    /// To, seconds into the shift.
    pub end_s: f64,
    /// From, by the clock (`HH:MM`).
    pub start: String,
    /// To, by the clock.
    pub end: String,
}

/// A unit's shift.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct UnitTimetable {
    /// The unit's id.
    pub unit: String,
    /// When it leaves its post, by the clock.
    pub leaves: String,
    /// When it is back for the last time, by the clock.
    pub back: String,
    /// Driving and dwell, in seconds.
    pub working_s: f64,
    /// Driving, in seconds.
    pub driving_s: f64,
    /// What it does, in order.
    pub entries: Vec<TimetableEntry>,
    /// The streets it drives, in order, for its route card.
    pub streets: Vec<StreetLeg>,
}

/// A stretch of one street on a route.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct StreetLeg {
    /// The street's name (none for an unnamed road).
    pub name: Option<String>,
    /// Its road class (`residential`, ...), for an unnamed one.
    pub class: String,
    /// When the unit turns into it, by the clock.
    pub start: String,
    /// How far along it, in metres.
    pub length_m: f64,
}

/// When each step of `r` is entered, seconds into the shift.
fn step_entries(graph: &ProfileGraph, r: &super::shift::ShiftRoute) -> Vec<f64> {
    let mut clock = r.start_s;
    let mut holds = r.holds.iter().peekable();
    let mut out = Vec::with_capacity(r.steps.len());
    for (i, &(e, forward)) in r.steps.iter().enumerate() {
        while let Some(h) = holds.next_if(|h| h.step == i && h.along <= 0.0) {
            clock += h.length_s;
        }
        out.push(clock);
        while let Some(h) = holds.next_if(|h| h.step == i) {
            clock += h.length_s;
        }
        clock += graph.time_s(e, forward);
    }
    out
}

/// The streets of `r` in order: its steps joined while the name stays the same.
fn streets_of(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    r: &super::shift::ShiftRoute,
    shift_start_s: f64,
) -> Vec<StreetLeg> {
    let entries = step_entries(graph, r);
    let mut out: Vec<StreetLeg> = Vec::new();
    for (&(e, _), &at) in r.steps.iter().zip(&entries) {
        let edge = &network.edges[e as usize];
        let name = network.name(e as usize).map(str::to_string);
        let class = network.class_name(edge.class).to_string();
        match out.last_mut() {
            Some(last) if last.name == name && (name.is_some() || last.class == class) => {
                last.length_m += edge.length_m;
            }
            _ => out.push(StreetLeg {
                name,
                class,
                start: clock(shift_start_s + at),
                length_m: edge.length_m,
            }),
        }
    }
    out
}

/// A pass or break not made.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct MissedEntry {
    /// `line`, `checkpoint` or `break`.
    pub kind: &'static str,
    /// The line's or checkpoint's id, or the unit's for a break.
    pub id: String,
    /// When it was due, by the clock.
    pub from: String,
    /// Due by, by the clock.
    pub to: String,
    /// When it was due, seconds into the shift (what the check's findings name).
    pub slot: Slot,
    /// Why (`no_unit_free`, `slot_too_short`, `unreachable`, `not_matched`, `not_placed`,
    /// `outside_duty`).
    pub reason: MissReason,
    /// For `no_unit_free`: the least any unit would be late by, in seconds.
    pub late_by_s: Option<f64>,
}

/// The shift plan, checked.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ShiftReport {
    /// When the shift starts, by the clock.
    pub shift_start: String,
    /// Its length, in seconds.
    pub shift_s: f64,
    /// Units planned for.
    pub units: usize,
    /// The longest working time (driving and dwell), in seconds.
    pub longest_working_s: f64,
    /// All driving, in seconds.
    pub total_driving_s: f64,
    /// Each unit's timetable, in the units' order.
    pub timetables: Vec<UnitTimetable>,
    /// Units with nothing to do all shift.
    pub idle_units: Vec<String>,
    /// Every pass and break the plan does not make, first lines and checkpoints left out.
    pub missed: Vec<MissedEntry>,
    /// When more units would make what is missed: how many in all.
    pub units_needed: Option<usize>,
    /// Lines not matched to the roads (all their passes missed).
    pub lines_not_matched: Vec<LeftOut>,
    /// Checkpoints not on a road (all their visits missed).
    pub checkpoints_not_placed: Vec<LeftOut>,
    /// The independent check.
    pub check: ShiftCheckReport,
    /// The routes: a GeoJSON FeatureCollection of LineStrings in travel order, one per unit
    /// that leaves its post, with `unit`, `working_s`, `driving_s`, `timetable` (its
    /// entries) and `times_s` (seconds into the shift at each vertex; a stop is its point
    /// twice, on arriving and leaving).
    #[schema(value_type = Object)]
    pub routes: serde_json::Value,
    /// Every checkpoint stay of the timetable: a GeoJSON FeatureCollection of Points on the
    /// road, with `unit`, `checkpoint`, `start`, `end` (by the clock), a `name` and a `desc`
    /// (what GPX waypoints and KML placemarks show).
    #[schema(value_type = Object)]
    pub stops: serde_json::Value,
    /// The plan itself (each unit's steps and stops), for the map and the route cards.
    #[schema(value_type = Object)]
    pub plan: ShiftPlan,
}

impl ShiftReport {
    /// Whether the check confirms the plan: every route sound, and nothing missed that the
    /// plan does not say it misses.
    pub fn confirmed(&self) -> bool {
        use super::shift_check::ShiftFindingKind as K;
        self.check.findings.iter().all(|f| {
            let kind = match f.kind {
                K::LinePassMissed => "line",
                K::CheckpointVisitMissed => "checkpoint",
                K::BreakMissed => "break",
                _ => return false,
            };
            let who = f.id.as_deref().or(f.unit.as_deref());
            self.missed.iter().any(|m| {
                m.kind == kind
                    && Some(m.id.as_str()) == who
                    && f.slot
                        .is_some_and(|s| (s.start_s - m.slot.start_s).abs() < 1e-6)
            })
        })
    }
}

/// `HH:MM` of seconds after midnight (any number of days).
pub fn clock(s: f64) -> String {
    let s = (s.round() as i64).rem_euclid(DAY_S as i64);
    format!("{:02}:{:02}", s / 3600, s / 60 % 60)
}

/// Whether `scenario` asks for more than one pass over its shift anywhere, or gives units
/// duty hours or breaks: then its plan is a shift timetable.
pub fn wants_timetable(scenario: &Scenario) -> bool {
    scenario.patrol_lines.iter().any(|l| !l.schedule.is_once())
        || scenario.checkpoints.iter().any(|c| !c.schedule.is_once())
        || scenario
            .units
            .iter()
            .any(|u| u.duty.shift.is_some() || !u.duty.breaks.is_empty())
}

/// What to plan the shift for.
#[derive(Clone, Copy)]
pub struct ShiftAsk<'a> {
    /// The roads.
    pub network: &'a RoadNetwork,
    /// The patrols' mode.
    pub graph: &'a ProfileGraph,
    /// Its snapping index (to place the posts).
    pub index: &'a SnapIndex,
    /// The scenario: its lines' and checkpoints' schedules, its posts' duties.
    pub scenario: &'a Scenario,
    /// Its lines and checkpoints, matched and placed.
    pub requirements: &'a Requirements,
    /// How many units, from the posts in turn.
    pub units: usize,
    /// Start of the shift, seconds after midnight.
    pub shift_start_s: f64,
    /// Its length, in seconds.
    pub shift_s: f64,
    /// How far a post may be from its road, in metres.
    pub max_snap_m: f64,
}

/// The most time the timetable's improvement searches.
pub const TIMETABLE_SEARCH: std::time::Duration = std::time::Duration::from_secs(5);

/// Plans the shift of `ask` and checks it.
pub fn plan_shift_for(ask: &ShiftAsk, stop: &Stop) -> Result<ShiftReport, UnitsError> {
    let ShiftAsk {
        network,
        graph,
        index,
        scenario,
        requirements: req,
        units: count,
        shift_start_s,
        shift_s,
        max_snap_m,
    } = *ask;
    let units = units_from_posts(scenario, count, network, index, max_snap_m)?;
    // The units that would come next, from the posts in turn, to say how many would make
    // every pass.
    let next = units_from_posts(
        scenario,
        (16 * count).max(count + 16).min(500),
        network,
        index,
        max_snap_m,
    )?;
    let posts = super::plan::posts_of(scenario);
    let shift_units: Vec<ShiftUnit> = units
        .iter()
        .enumerate()
        .map(|(i, u)| ShiftUnit {
            unit: u.clone(),
            duty: posts[i % posts.len()].duty.clone(),
        })
        .collect();
    let more_units: Vec<ShiftUnit> = next
        .into_iter()
        .enumerate()
        .skip(count)
        .map(|(i, u)| ShiftUnit {
            unit: u,
            duty: posts[i % posts.len()].duty.clone(),
        })
        .collect();
    let line_schedules: Vec<Schedule> = req
        .lines
        .iter()
        .map(|l| scenario.patrol_lines[l.line].schedule.clone())
        .collect();
    let checkpoint_schedules: Vec<Schedule> = req
        .checkpoints
        .iter()
        .map(|c| scenario.checkpoints[c.checkpoint].schedule.clone())
        .collect();
    let request = ShiftRequest {
        requirements: req,
        line_schedules: &line_schedules,
        checkpoint_schedules: &checkpoint_schedules,
        units: &shift_units,
        more_units: &more_units,
        shift_start_s,
        shift_s,
    };
    let plan = plan_shift(network, graph, &request, stop, TIMETABLE_SEARCH);
    let to_check: Vec<ShiftRouteToCheck> = plan
        .routes
        .iter()
        .map(|r| ShiftRouteToCheck {
            unit: &shift_units[r.unit].unit.id,
            depot: shift_units[r.unit].unit.depot,
            duty: &shift_units[r.unit].duty,
            start_s: r.start_s,
            steps: &r.steps,
            holds: &r.holds,
        })
        .collect();
    let check = check_shift(
        network,
        graph,
        req,
        &line_schedules,
        &checkpoint_schedules,
        &to_check,
        shift_start_s,
        shift_s,
    );
    let at = |s: f64| clock(shift_start_s + s);
    let named = |a: Activity| -> (&'static str, Option<String>) {
        match a {
            Activity::LinePass { line } => ("line", Some(req.lines[line].id.clone())),
            Activity::CheckpointVisit { checkpoint } => {
                ("checkpoint", Some(req.checkpoints[checkpoint].id.clone()))
            }
            Activity::Break { .. } => ("break", None),
        }
    };
    let timetables: Vec<UnitTimetable> = plan
        .routes
        .iter()
        .map(|r| UnitTimetable {
            unit: shift_units[r.unit].unit.id.clone(),
            leaves: at(r.start_s),
            back: at(r.end_s),
            working_s: r.working_s,
            driving_s: r.driving_s,
            entries: r
                .events
                .iter()
                .map(|e| {
                    let (kind, id) = named(e.activity);
                    TimetableEntry {
                        kind,
                        id,
                        start_s: e.start_s,
                        end_s: e.end_s,
                        start: at(e.start_s),
                        end: at(e.end_s),
                    }
                })
                .collect(),
            streets: streets_of(network, graph, r, shift_start_s),
        })
        .collect();
    let mut missed: Vec<MissedEntry> = plan
        .missed
        .iter()
        .map(|m| {
            let (kind, id) = named(m.activity);
            MissedEntry {
                kind,
                id: id.unwrap_or_else(|| {
                    m.unit
                        .map(|u| shift_units[u].unit.id.clone())
                        .unwrap_or_default()
                }),
                from: at(m.slot.start_s),
                to: at(m.slot.end_s),
                slot: m.slot,
                reason: m.reason,
                late_by_s: m.late_by_s,
            }
        })
        .collect();
    // What no unit could ever make first: the lines and checkpoints left out.
    missed.sort_by_key(|m| {
        !matches!(
            m.reason,
            MissReason::NotMatched | MissReason::NotPlaced | MissReason::Unreachable
        )
    });
    let left = |e: &dyn std::fmt::Display, code: &str, id: &str| LeftOut {
        id: id.to_string(),
        reason: e.to_string(),
        code: code.to_string(),
    };
    let routes = serde_json::json!({"type": "FeatureCollection", "features": plan
        .routes
        .iter()
        .zip(&timetables)
        .filter(|(r, _)| !r.steps.is_empty())
        .map(|(r, t)| {
            let (line, times_s) = route_line(network, graph, r);
            serde_json::json!({"type": "Feature",
                "properties": {"kind": "patrol_route", "unit": t.unit, "working_s": r.working_s,
                    "driving_s": r.driving_s, "timetable": t.entries, "times_s": times_s},
                "geometry": {"type": "LineString", "coordinates": line}})
        })
        .collect::<Vec<_>>()});
    let stops = serde_json::json!({"type": "FeatureCollection", "features": plan
        .routes
        .iter()
        .flat_map(|r| r.events.iter().map(move |e| (r.unit, e)))
        .filter_map(|(u, e)| {
            let Activity::CheckpointVisit { checkpoint } = e.activity else {
                return None;
            };
            let c = &req.checkpoints[checkpoint];
            let place = c.place.as_ref().ok()?;
            let (id, unit, start, end) = (&c.id, &shift_units[u].unit.id, at(e.start_s), at(e.end_s));
            Some(serde_json::json!({"type": "Feature",
                "properties": {"kind": "checkpoint_visit", "unit": unit, "checkpoint": id,
                    "start": start, "end": end, "name": format!("{id} {start}-{end}"), "desc": unit},
                "geometry": {"type": "Point", "coordinates": place.position}}))
        })
        .collect::<Vec<_>>()});
    Ok(ShiftReport {
        shift_start: clock(shift_start_s),
        shift_s,
        units: units.len(),
        longest_working_s: plan.longest_working_s,
        total_driving_s: plan.total_driving_s,
        timetables,
        idle_units: plan
            .routes
            .iter()
            .filter(|r| {
                r.events
                    .iter()
                    .all(|e| matches!(e.activity, Activity::Break { .. }))
            })
            .map(|r| shift_units[r.unit].unit.id.clone())
            .collect(),
        missed,
        units_needed: plan.units_needed,
        lines_not_matched: req
            .lines
            .iter()
            .filter_map(|l| l.matched.as_ref().err().map(|e| left(e, e.code(), &l.id)))
            .collect(),
        checkpoints_not_placed: req
            .checkpoints
            .iter()
            .filter_map(|c| c.place.as_ref().err().map(|e| left(e, e.code(), &c.id)))
            .collect(),
        check,
        routes,
        stops,
        plan,
    })
}

/// The route's line, vertex by vertex, with the time it is at each (seconds into the shift):
/// a stop is its point twice, arriving and leaving.
fn route_line(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    r: &super::shift::ShiftRoute,
) -> (Vec<[f64; 2]>, Vec<f64>) {
    use crate::network::geodesy::haversine_m;
    let (mut line, mut times) = (Vec::new(), Vec::new());
    let mut clock = r.start_s;
    let mut holds = r.holds.iter().peekable();
    let mut push = |p: [f64; 2], t: f64| {
        line.push(p);
        times.push(t);
    };
    let mut last = None;
    for (i, &(e, forward)) in r.steps.iter().enumerate() {
        let mut g = network.geometry(e as usize).to_vec();
        if !forward {
            g.reverse();
        }
        if last.is_none() {
            push(g[0], clock);
        }
        let edge_s = graph.time_s(e, forward);
        let lengths: Vec<f64> = g.windows(2).map(|w| haversine_m(w[0], w[1])).collect();
        let total_m: f64 = lengths.iter().sum();
        let mut along_m = 0.0;
        let mut done = 0.0;
        for k in 1..g.len() {
            let end = if total_m > 0.0 {
                (along_m + lengths[k - 1]) / total_m
            } else {
                1.0
            };
            while let Some(h) =
                holds.next_if(|h| h.step == i && (h.along <= end || k + 1 == g.len()))
            {
                let part = if lengths[k - 1] > 0.0 {
                    ((h.along * total_m - along_m) / lengths[k - 1]).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let p = [
                    g[k - 1][0] + (g[k][0] - g[k - 1][0]) * part,
                    g[k - 1][1] + (g[k][1] - g[k - 1][1]) * part,
                ];
                clock += (h.along - done).max(0.0) * edge_s;
                done = done.max(h.along);
                push(p, clock);
                clock += h.length_s;
                push(p, clock);
            }
            clock += (end - done).max(0.0) * edge_s;
            done = end;
            along_m += lengths[k - 1];
            push(g[k], clock);
        }
        last = g.last().copied();
    }
    if let Some(p) = last {
        for h in holds {
            clock += h.length_s;
            push(p, clock);
        }
    }
    (line, times)
}
