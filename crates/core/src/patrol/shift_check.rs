//! The independent check of a shift plan: whatever made the timetables, it drives each
//! unit's road by the graph's own times, with the stops it says it makes, and from that alone
//! verifies that every route is continuous, legal and closed at the unit's post within its
//! duty hours, that every slot of every line's schedule has the whole line driven inside it,
//! every checkpoint slot a stay of its dwell at the checkpoint inside it, and every break a
//! stay of its length at the post within its hours. The slots are
//! [`super::schedule::slots`], the definition both sides work to; nothing else of the
//! planner is used.

use super::paths::{ends, Step};
use super::requirements::Requirements;
use super::shift::Hold;
use crate::network::{ProfileGraph, RoadNetwork};
use crate::scenario::schedule::{break_in_shift, duty_span, slots, Duty, Schedule, Slot};

/// A unit's shift as the check reads it.
#[derive(Clone, Copy, Debug)]
pub struct ShiftRouteToCheck<'a> {
    /// Its unit's id, for the report.
    pub unit: &'a str,
    /// Its post (a node): where it starts, takes its breaks and ends.
    pub depot: u32,
    /// Its duty hours and breaks.
    pub duty: &'a Duty,
    /// When it leaves its post, seconds into the shift.
    pub start_s: f64,
    /// The road it drives.
    pub steps: &'a [Step],
    /// Where it stands still and how long ([`Hold`]; its kind is not trusted).
    pub holds: &'a [Hold],
}

/// What is wrong with a shift plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShiftFindingKind {
    /// A route leaves a road where the next one does not start.
    Jump,
    /// A route drives a road its mode may not, or against its one-way.
    OneWay,
    /// A route does not end at its post.
    NotClosed,
    /// A stop is not on the route, or out of order.
    BadHold,
    /// A unit out before its duty starts or after it ends.
    OffDuty,
    /// A slot of a line in which the line is not driven whole.
    LinePassMissed,
    /// A slot of a checkpoint without a stay of its dwell there.
    CheckpointVisitMissed,
    /// A break not taken at the post within its hours.
    BreakMissed,
}

/// Something wrong with a shift plan.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ShiftFinding {
    /// What.
    pub kind: ShiftFindingKind,
    /// The unit, when it is about one.
    pub unit: Option<String>,
    /// The line or checkpoint, when it is about one.
    pub id: Option<String>,
    /// The slot, seconds into the shift, when it is about one.
    pub slot: Option<Slot>,
    /// For a person.
    pub detail: String,
}

/// How many of a line's or checkpoint's passes the check found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PassCount {
    /// `line` or `checkpoint`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Slots its schedule asks for in this shift.
    pub required: usize,
    /// Slots with the pass made.
    pub made: usize,
}

/// What the check found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ShiftCheckReport {
    /// Everything wrong; empty for a good plan.
    pub findings: Vec<ShiftFinding>,
    /// Every line and checkpoint, with its passes required and made.
    pub passes: Vec<PassCount>,
    /// Passes the schedules ask for, all lines and checkpoints.
    pub passes_required: usize,
    /// Of which made.
    pub passes_made: usize,
    /// Breaks the units must take.
    pub breaks_required: usize,
    /// Of which taken.
    pub breaks_taken: usize,
}

impl ShiftCheckReport {
    /// Whether nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Where a unit stands still.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Spot {
    Node(u32),
    /// On an edge, a fraction of it from its first node.
    OnEdge(u32, f64),
}

#[derive(Clone, Copy, Debug)]
struct Stay {
    spot: Spot,
    start_s: f64,
    end_s: f64,
}

/// A step driven: edge, when it was entered and left.
#[derive(Clone, Copy, Debug)]
struct Driven {
    edge: u32,
    start_s: f64,
    end_s: f64,
}

const EPS_S: f64 = 1e-6;

/// How near a stay must be to a checkpoint's point on its road, in metres.
pub const AT_CHECKPOINT_M: f64 = 1.0;

/// Checks the shift plan `routes` against `requirements` and their schedules over a shift of
/// `shift_s` starting at `shift_start_s` by the clock.
#[allow(clippy::too_many_arguments)]
pub fn check_shift(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    requirements: &Requirements,
    line_schedules: &[Schedule],
    checkpoint_schedules: &[Schedule],
    routes: &[ShiftRouteToCheck],
    shift_start_s: f64,
    shift_s: f64,
) -> ShiftCheckReport {
    let mut findings = Vec::new();
    let mut driven: Vec<Driven> = Vec::new();
    let mut stays: Vec<(usize, Stay)> = Vec::new();
    for (r, route) in routes.iter().enumerate() {
        let finding = |kind, detail: String| ShiftFinding {
            kind,
            unit: Some(route.unit.to_string()),
            id: None,
            slot: None,
            detail,
        };
        let span = duty_span(route.duty, shift_start_s, shift_s);
        match drive(network, graph, route) {
            Err((kind, detail)) => findings.push(finding(kind, detail)),
            Ok((d, s, end_s)) => {
                if route.start_s < span.start_s - EPS_S || end_s > span.end_s + EPS_S {
                    findings.push(finding(
                        ShiftFindingKind::OffDuty,
                        format!(
                            "out from {:.0} s to {end_s:.0} s, on duty from {:.0} s to {:.0} s",
                            route.start_s, span.start_s, span.end_s
                        ),
                    ));
                }
                driven.extend(d);
                // At its post before it leaves and after it is back.
                let home = Spot::Node(route.depot);
                let mut mine = vec![Stay {
                    spot: home,
                    start_s: span.start_s,
                    end_s: route.start_s.max(span.start_s),
                }];
                mine.extend(s);
                mine.push(Stay {
                    spot: home,
                    start_s: end_s,
                    end_s: span.end_s.max(end_s),
                });
                stays.extend(merged(mine).into_iter().map(|s| (r, s)));
            }
        }
    }
    let mut passes = Vec::new();
    let missed = |kind, id: &str, slot: Slot, detail: String| ShiftFinding {
        kind,
        unit: None,
        id: Some(id.to_string()),
        slot: Some(slot),
        detail,
    };
    for (i, line) in requirements.lines.iter().enumerate() {
        let schedule = line_schedules.get(i).cloned().unwrap_or_default();
        let due = slots(&schedule, shift_start_s, shift_s);
        let mut made = 0;
        for slot in &due {
            let inside = |e: u32| {
                driven.iter().any(|d| {
                    d.edge == e
                        && d.start_s >= slot.start_s - EPS_S
                        && d.end_s <= slot.end_s + EPS_S
                })
            };
            let left: Vec<u32> = line
                .required
                .iter()
                .map(|r| r.0)
                .filter(|&e| !inside(e))
                .collect();
            if line.matched.is_ok() && !line.required.is_empty() && left.is_empty() {
                made += 1;
            } else {
                let why = if line.matched.is_err() {
                    "not matched to the roads".to_string()
                } else {
                    format!(
                        "{} of {} road edges not driven inside it, first edge {}",
                        left.len(),
                        line.required.len(),
                        left.first().copied().unwrap_or(u32::MAX)
                    )
                };
                findings.push(missed(
                    ShiftFindingKind::LinePassMissed,
                    &line.id,
                    *slot,
                    format!(
                        "line {}: slot {:.0}-{:.0} s: {why}",
                        line.id, slot.start_s, slot.end_s
                    ),
                ));
            }
        }
        passes.push(PassCount {
            kind: "line",
            id: line.id.clone(),
            required: due.len(),
            made,
        });
    }
    for (i, c) in requirements.checkpoints.iter().enumerate() {
        let schedule = checkpoint_schedules.get(i).cloned().unwrap_or_default();
        let due = slots(&schedule, shift_start_s, shift_s);
        let mut made = 0;
        for slot in &due {
            let visited = c.place.as_ref().is_ok_and(|p| {
                let length_m = network.edges[p.edge as usize].length_m;
                let edge = &network.edges[p.edge as usize];
                let at = |spot: Spot| match spot {
                    Spot::OnEdge(e, f) => {
                        e == p.edge && (f - p.fraction).abs() * length_m <= AT_CHECKPOINT_M
                    }
                    Spot::Node(v) => {
                        (v == edge.from && p.fraction * length_m <= AT_CHECKPOINT_M)
                            || (v == edge.to && (1.0 - p.fraction) * length_m <= AT_CHECKPOINT_M)
                    }
                };
                stays.iter().any(|(_, s)| {
                    at(s.spot)
                        && s.start_s.max(slot.start_s) + c.dwell_s
                            <= s.end_s.min(slot.end_s) + EPS_S
                })
            });
            if visited {
                made += 1;
            } else {
                let why = match &c.place {
                    Err(e) => format!("not on a road: {e}"),
                    Ok(_) => format!("no stay of {:.0} s there inside it", c.dwell_s),
                };
                findings.push(missed(
                    ShiftFindingKind::CheckpointVisitMissed,
                    &c.id,
                    *slot,
                    format!(
                        "checkpoint {}: slot {:.0}-{:.0} s: {why}",
                        c.id, slot.start_s, slot.end_s
                    ),
                ));
            }
        }
        passes.push(PassCount {
            kind: "checkpoint",
            id: c.id.clone(),
            required: due.len(),
            made,
        });
    }
    let (mut breaks_required, mut breaks_taken) = (0, 0);
    for (r, route) in routes.iter().enumerate() {
        for b in &route.duty.breaks {
            breaks_required += 1;
            let w = break_in_shift(b, shift_start_s);
            let taken = stays.iter().any(|&(u, s)| {
                let begin = s.start_s.max(w.start_s);
                u == r
                    && s.spot == Spot::Node(route.depot)
                    && begin <= w.end_s + EPS_S
                    && begin + b.length_s <= s.end_s + EPS_S
            });
            if taken {
                breaks_taken += 1;
            } else {
                findings.push(ShiftFinding {
                    kind: ShiftFindingKind::BreakMissed,
                    unit: Some(route.unit.to_string()),
                    id: None,
                    slot: Some(Slot {
                        start_s: w.start_s,
                        end_s: w.end_s + b.length_s,
                    }),
                    detail: format!(
                        "no {:.0} s at its post starting from {:.0} s to {:.0} s",
                        b.length_s, w.start_s, w.end_s
                    ),
                });
            }
        }
    }
    ShiftCheckReport {
        findings,
        passes_required: passes.iter().map(|p: &PassCount| p.required).sum(),
        passes_made: passes.iter().map(|p| p.made).sum(),
        passes,
        breaks_required,
        breaks_taken,
    }
}

type Drove = (Vec<Driven>, Vec<Stay>, f64);

/// Drives `route` by the graph's times: each step entered and left, each stay, and when it
/// is back; or what is wrong with its road or its stops.
fn drive(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    route: &ShiftRouteToCheck,
) -> Result<Drove, (ShiftFindingKind, String)> {
    let (mut driven, mut stays) = (Vec::new(), Vec::new());
    let mut clock = route.start_s;
    let mut at = route.depot;
    let mut holds = route.holds.iter().peekable();
    let mut last = (0usize, 0.0f64);
    for i in 0..=route.steps.len() {
        // Stops at the node before this step (or at the end).
        while let Some(h) = holds.next_if(|h| h.step == i && h.along <= 0.0) {
            if (h.step, h.along) < last || h.length_s.is_nan() || h.length_s < 0.0 {
                return Err((ShiftFindingKind::BadHold, "stops out of order".into()));
            }
            last = (h.step, h.along);
            stays.push(Stay {
                spot: Spot::Node(at),
                start_s: clock,
                end_s: clock + h.length_s,
            });
            clock += h.length_s;
        }
        let Some(&step) = route.steps.get(i) else {
            break;
        };
        let (edge, forward) = step;
        let allowed = graph.allows(edge, forward);
        if !allowed {
            return Err((
                ShiftFindingKind::OneWay,
                format!(
                    "step {i}: road edge {edge} may not be driven {}",
                    if forward { "forward" } else { "backward" }
                ),
            ));
        }
        let (a, b) = ends(network, step);
        if a != at {
            return Err((
                ShiftFindingKind::Jump,
                format!(
                    "step {i}: road edge {edge} starts at node {a}, but the route is at node {at}"
                ),
            ));
        }
        let t = graph.time_s(edge, forward);
        let entered = clock;
        let mut along_done = 0.0;
        while let Some(h) = holds.next_if(|h| h.step == i) {
            if h.along < along_done || h.along > 1.0 || h.length_s.is_nan() || h.length_s < 0.0 {
                return Err((
                    ShiftFindingKind::BadHold,
                    format!(
                        "step {i}: a stop at {} of the step is out of order",
                        h.along
                    ),
                ));
            }
            clock += (h.along - along_done) * t;
            along_done = h.along;
            let fraction = if forward { h.along } else { 1.0 - h.along };
            stays.push(Stay {
                spot: Spot::OnEdge(edge, fraction),
                start_s: clock,
                end_s: clock + h.length_s,
            });
            clock += h.length_s;
            last = (h.step, h.along);
        }
        clock += (1.0 - along_done) * t;
        driven.push(Driven {
            edge,
            start_s: entered,
            end_s: clock,
        });
        at = b;
    }
    if holds.next().is_some() {
        return Err((
            ShiftFindingKind::BadHold,
            "a stop beyond the route's last step".into(),
        ));
    }
    if at != route.depot {
        return Err((
            ShiftFindingKind::NotClosed,
            format!(
                "ends at node {at}, not back at its post (node {})",
                route.depot
            ),
        ));
    }
    Ok((driven, stays, clock))
}

/// Stays back to back at the same spot as one.
fn merged(stays: Vec<Stay>) -> Vec<Stay> {
    let mut out: Vec<Stay> = Vec::new();
    for s in stays {
        match out.last_mut() {
            Some(l) if l.spot == s.spot && (s.start_s - l.end_s).abs() <= EPS_S => {
                l.end_s = s.end_s
            }
            _ => out.push(s),
        }
    }
    out
}
