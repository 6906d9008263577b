//! The independent check of a patrol plan: whatever made the routes (the planner, or a
//! person editing them), each must be continuous, legal (one-ways respected), closed at its
//! depot and within the shift, and together they must travel every road edge of every
//! mandatory line (either way the edge allows: legality is the one-way check's job) and pass
//! every checkpoint. A line that could not be matched, or a checkpoint not placed on a road,
//! is missed like any other. Uses only the graph and the requirements.

use super::paths::{ends, Step};
use super::requirements::Requirements;
use crate::network::{ProfileGraph, RoadNetwork};

/// A route as the check reads it.
#[derive(Clone, Copy, Debug)]
pub struct RouteToCheck<'a> {
    /// Its unit's id, for the report.
    pub unit: &'a str,
    /// The node it must start from and return to.
    pub depot: u32,
    /// The road it drives.
    pub steps: &'a [Step],
}

/// What is wrong with a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A route leaves a road where the next one does not start.
    Jump,
    /// A route drives a one-way road against its direction.
    OneWay,
    /// A route does not end where it started.
    NotClosed,
    /// A mandatory line not travelled whole.
    LineMissed,
    /// A mandatory checkpoint not passed.
    CheckpointMissed,
    /// A route longer than the shift.
    OverShift,
}

impl FindingKind {
    /// Its name, as the JSON says it.
    ///
    /// ```
    /// use patrolmap_core::patrol::check::FindingKind;
    /// assert_eq!(FindingKind::CheckpointMissed.as_str(), "checkpoint_missed");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Jump => "jump",
            FindingKind::OneWay => "one_way",
            FindingKind::NotClosed => "not_closed",
            FindingKind::LineMissed => "line_missed",
            FindingKind::CheckpointMissed => "checkpoint_missed",
            FindingKind::OverShift => "over_shift",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something wrong with a plan.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// What is wrong.
    pub kind: FindingKind,
    /// The unit whose route it is, when it is about one route.
    pub unit: Option<String>,
    /// The line's or checkpoint's id, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What and where, for a person.
    pub detail: String,
}

/// What the check found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CheckReport {
    /// Everything wrong; empty for a good plan.
    pub findings: Vec<Finding>,
    /// Lines whose every required arc is travelled.
    pub lines_covered: usize,
    /// Lines matched to the roads.
    pub lines_matched: usize,
    /// Every mandatory line, matched or not: a line that could not be matched is missed
    /// ("19 of 20 lines"), never quietly out of the count.
    pub lines_total: usize,
    /// Checkpoints passed.
    pub checkpoints_visited: usize,
    /// Checkpoints placed on a road.
    pub checkpoints_placed: usize,
    /// Every mandatory checkpoint, placed or not.
    pub checkpoints_total: usize,
    /// Each route's driving plus dwell as the check counts it (a checkpoint's dwell goes to
    /// the first route that passes it), in seconds.
    pub durations_s: Vec<f64>,
}

impl CheckReport {
    /// Whether nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks `routes` against `requirements` on `graph`, each within `shift_s`.
pub fn check_plan(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    requirements: &Requirements,
    routes: &[RouteToCheck],
    shift_s: f64,
) -> CheckReport {
    let mut findings = Vec::new();
    let finding = |kind, unit: Option<&str>, detail: String| Finding {
        kind,
        unit: unit.map(str::to_string),
        id: None,
        detail,
    };
    let mut travelled = std::collections::HashSet::new();
    let mut driving_s = vec![0.0; routes.len()];
    for (r, route) in routes.iter().enumerate() {
        let mut at = route.depot;
        for (i, &step) in route.steps.iter().enumerate() {
            let (edge, forward) = step;
            let allowed = graph.allows(edge, forward);
            if !allowed {
                findings.push(finding(
                    FindingKind::OneWay,
                    Some(route.unit),
                    format!(
                        "step {i}: road edge {edge} may not be driven {}",
                        if forward { "forward" } else { "backward" }
                    ),
                ));
                break;
            }
            let (a, b) = ends(network, step);
            if a != at {
                findings.push(finding(
                    FindingKind::Jump,
                    Some(route.unit),
                    format!("step {i}: road edge {edge} starts at node {a}, but the route is at node {at}"),
                ));
                break;
            }
            at = b;
            driving_s[r] += graph.time_s(edge, forward);
            travelled.insert(edge);
        }
        if !route.steps.is_empty()
            && at != route.depot
            && findings
                .iter()
                .all(|f| f.unit.as_deref() != Some(route.unit))
        {
            findings.push(finding(
                FindingKind::NotClosed,
                Some(route.unit),
                format!(
                    "ends at node {at}, not back at its start (node {})",
                    route.depot
                ),
            ));
        }
    }
    let mut lines_covered = 0;
    let mut lines_matched = 0;
    for line in &requirements.lines {
        if let Err(e) = &line.matched {
            findings.push(Finding {
                id: Some(line.id.clone()),
                ..finding(
                    FindingKind::LineMissed,
                    None,
                    format!("line {}: not matched to the roads: {e}", line.id),
                )
            });
            continue;
        }
        lines_matched += 1;
        let missed: Vec<&(u32, bool)> = line
            .required
            .iter()
            .filter(|r| !travelled.contains(&r.0))
            .collect();
        if missed.is_empty() {
            lines_covered += 1;
        } else {
            let metres: f64 = missed
                .iter()
                .map(|r| network.edges[r.0 as usize].length_m)
                .sum();
            findings.push(Finding {
                id: Some(line.id.clone()),
                ..finding(
                    FindingKind::LineMissed,
                    None,
                    format!(
                        "line {}: {} of {} road edges not travelled ({metres:.0} m), first edge {}",
                        line.id,
                        missed.len(),
                        line.required.len(),
                        missed[0].0
                    ),
                )
            });
        }
    }
    // A checkpoint is passed when a route travels its edge (either way); its dwell goes to the
    // first route that does.
    let mut checkpoints_visited = 0;
    let mut checkpoints_placed = 0;
    let mut durations_s = driving_s;
    for c in &requirements.checkpoints {
        let place = match &c.place {
            Ok(place) => place,
            Err(e) => {
                findings.push(Finding {
                    id: Some(c.id.clone()),
                    ..finding(
                        FindingKind::CheckpointMissed,
                        None,
                        format!("checkpoint {}: not placed on a road: {e}", c.id),
                    )
                });
                continue;
            }
        };
        checkpoints_placed += 1;
        match routes
            .iter()
            .position(|r| r.steps.iter().any(|s| s.0 == place.edge))
        {
            Some(r) => {
                checkpoints_visited += 1;
                durations_s[r] += c.dwell_s;
            }
            None => findings.push(Finding {
                id: Some(c.id.clone()),
                ..finding(
                    FindingKind::CheckpointMissed,
                    None,
                    format!(
                        "checkpoint {}: no route passes it (road edge {})",
                        c.id, place.edge
                    ),
                )
            }),
        }
    }
    for (route, &d) in routes.iter().zip(&durations_s) {
        if d > shift_s {
            findings.push(finding(
                FindingKind::OverShift,
                Some(route.unit),
                format!("takes {d:.0} s, more than the {shift_s:.0} s shift"),
            ));
        }
    }
    CheckReport {
        findings,
        lines_covered,
        lines_matched,
        lines_total: requirements.lines.len(),
        checkpoints_visited,
        checkpoints_placed,
        checkpoints_total: requirements.checkpoints.len(),
        durations_s,
    }
}
