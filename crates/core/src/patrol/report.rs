//! The answer to "plan the patrols" and "edit this plan", written once: the body of
//! `/api/patrol/plan` and `/api/patrol/edit` and what `patrolmap patrol plan --json` writes
//! ([`PatrolReport`]), with its coverage over the shift ([`ShiftCoverageReport`]).

use super::check::{check_plan, CheckReport};
use super::plan::{PatrolUnit, Plan};
use super::requirements::Requirements;
use crate::coverage::shift::ShiftCoverage;
use crate::coverage::ResponseStandard;
use crate::network::{ProfileGraph, RoadNetwork};
use crate::scenario::Scenario;

/// A patrol plan, checked.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PatrolReport {
    /// Patrol units planned for.
    pub units: usize,
    /// The shift, in seconds.
    pub shift_s: f64,
    /// The longest route, in seconds.
    pub longest_s: f64,
    /// All routes together, in seconds.
    pub total_s: f64,
    /// No plan's longest route can be shorter, in seconds (a planned plan; not an edit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_lower_bound_s: Option<f64>,
    /// No plan's total can be shorter, in seconds (a planned plan; not an edit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_lower_bound_s: Option<f64>,
    /// How far the longest route is above its lower bound (0.05: 5 %).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_gap: Option<f64>,
    /// How far the total is above its lower bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_gap: Option<f64>,
    /// The routes: a GeoJSON FeatureCollection of LineStrings in travel order, each with
    /// `unit`, `duration_s`, `driving_s`, `dwell_s`, `timetable` (`checkpoint`, `eta_s`,
    /// `dwell_s`), `times_s` (at each vertex), `depot` and `steps` (`[edge, 1 forward or 0
    /// backward]`, to send an edited plan back).
    #[schema(value_type = Object)]
    pub routes: serde_json::Value,
    /// Units with nothing to drive (more units than there is work): they have no route.
    pub idle_units: Vec<String>,
    /// Lines that could not be matched to the roads, left out of the plan.
    pub lines_not_matched: Vec<LeftOut>,
    /// Checkpoints that could not be placed on a road, left out of the plan.
    pub checkpoints_not_placed: Vec<LeftOut>,
    /// Lines on road no patrol from the posts can reach and leave (ids), left out.
    pub lines_cut_off: Vec<String>,
    /// Checkpoints on such road (ids), left out.
    pub checkpoints_cut_off: Vec<String>,
    /// Required road edges no route can drive (those lines' and checkpoints' edges).
    pub unreachable_edges: Vec<u32>,
    /// The independent check of the routes.
    pub check: CheckReport,
    /// The 1-3-5 coverage over the shift with the patrols moving, when it was asked for.
    pub shift_coverage: Option<ShiftCoverageReport>,
    /// Routes of a plan file whose line no longer followed its `steps`, matched to the roads
    /// anew (`patrolmap patrol check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rematched: Option<usize>,
    /// Where the time went, in milliseconds (the command line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timings_ms: Option<PatrolTimings>,
}

/// A line or checkpoint left out of a plan, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LeftOut {
    /// Its id.
    pub id: String,
    /// Why it is left out, in English.
    pub reason: String,
    /// Why, as a stable name (`line_far_from_roads`, `far_from_roads`, ...) the map words.
    pub code: String,
}

/// Where a plan's time went, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PatrolTimings {
    /// Matching the lines and placing the checkpoints.
    pub matching: f64,
    /// Planning the routes.
    pub plan: f64,
}

/// The coverage over a shift, tier by tier.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ShiftCoverageReport {
    /// How often it was sampled, in seconds.
    pub every_s: f64,
    /// Samples over the shift.
    pub samples: usize,
    /// Samples measured (the others repeat one before them: nobody moved).
    pub measured_samples: usize,
    /// The standard's tiers, in its order.
    pub tiers: Vec<TierOverShiftReport>,
}

/// One tier of the standard over the shift.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TierOverShiftReport {
    /// The tier's budget, in seconds.
    pub budget_s: f64,
    /// Distinct units it needs within the budget.
    pub units: usize,
    /// The share of road-time within the tier.
    pub mean_share: f64,
    /// The lowest share at a sample.
    pub worst_share: f64,
    /// When that is, in seconds from the start of the shift.
    pub worst_time_s: f64,
    /// The share at each sample.
    pub share_by_sample: Vec<f64>,
}

impl ShiftCoverageReport {
    /// The report of `shift` (sampled every `every_s`) for the tiers of `standard`.
    ///
    /// ```
    /// use patrolmap_core::coverage::shift::{ShiftCoverage, TierOverShift};
    /// use patrolmap_core::coverage::ResponseStandard;
    /// use patrolmap_core::patrol::report::ShiftCoverageReport;
    /// let tier = TierOverShift { share_by_sample: vec![0.5, 0.25], mean_share: 0.375,
    ///     worst_share: 0.25, worst_time_s: 60.0, edge_share: vec![] };
    /// let shift = ShiftCoverage { times_s: vec![0.0, 60.0], tiers: vec![tier], distinct_samples: 2 };
    /// let report = ShiftCoverageReport::of(&ResponseStandard::default(), &shift, 60.0);
    /// assert_eq!((report.samples, report.tiers[0].budget_s), (2, 60.0));
    /// ```
    pub fn of(
        standard: &ResponseStandard,
        shift: &ShiftCoverage,
        every_s: f64,
    ) -> ShiftCoverageReport {
        ShiftCoverageReport {
            every_s,
            samples: shift.times_s.len(),
            measured_samples: shift.distinct_samples,
            tiers: standard
                .tiers
                .iter()
                .zip(&shift.tiers)
                .map(|(tier, t)| TierOverShiftReport {
                    budget_s: tier.budget_s,
                    units: tier.units,
                    mean_share: t.mean_share,
                    worst_share: t.worst_share,
                    worst_time_s: t.worst_time_s,
                    share_by_sample: t.share_by_sample.clone(),
                })
                .collect(),
        }
    }
}

/// What a plan was made for and how: the plan, its units, what it had to cover.
pub struct PlanMade<'a> {
    /// The roads.
    pub network: &'a RoadNetwork,
    /// The patrols' mode.
    pub graph: &'a ProfileGraph,
    /// The scenario (checkpoint ids for the timetables).
    pub scenario: &'a Scenario,
    /// What the plan must cover.
    pub requirements: &'a Requirements,
    /// The units, in the plan's order.
    pub units: &'a [PatrolUnit],
    /// The plan.
    pub plan: &'a Plan,
    /// Whether it was planned (its lower bounds mean something), not edited by hand.
    pub planned: bool,
}

impl PatrolReport {
    /// The report of `made`, checked over a shift of `shift_s`, with its coverage over the
    /// shift when measured.
    pub fn of(
        made: &PlanMade,
        shift_s: f64,
        shift_coverage: Option<ShiftCoverageReport>,
    ) -> PatrolReport {
        let PlanMade {
            network,
            graph,
            scenario,
            requirements: req,
            units,
            plan,
            planned,
        } = *made;
        let check = check_plan(network, graph, req, &plan.to_check(units), shift_s);
        let cut = |e: u32| plan.unreachable.iter().any(|r| r.0 == e);
        let gap = |value: f64, bound: f64| {
            planned.then_some(if bound > 0.0 {
                value / bound - 1.0
            } else {
                0.0
            })
        };
        PatrolReport {
            units: units.len(),
            shift_s,
            longest_s: plan.longest_s,
            total_s: plan.total_s,
            longest_lower_bound_s: planned.then_some(plan.longest_lower_bound_s),
            total_lower_bound_s: planned.then_some(plan.total_lower_bound_s),
            longest_gap: gap(plan.longest_s, plan.longest_lower_bound_s),
            total_gap: gap(plan.total_s, plan.total_lower_bound_s),
            routes: plan.routes_geojson(network, graph, units, scenario),
            idle_units: plan
                .routes
                .iter()
                .filter(|r| r.steps.is_empty())
                .map(|r| units[r.unit].id.clone())
                .collect(),
            lines_not_matched: req
                .lines
                .iter()
                .filter_map(|l| {
                    l.matched.as_ref().err().map(|e| LeftOut {
                        id: l.id.clone(),
                        reason: e.to_string(),
                        code: e.code().to_string(),
                    })
                })
                .collect(),
            checkpoints_not_placed: req
                .checkpoints
                .iter()
                .filter_map(|c| {
                    c.place.as_ref().err().map(|e| LeftOut {
                        id: c.id.clone(),
                        reason: e.to_string(),
                        code: e.code().to_string(),
                    })
                })
                .collect(),
            lines_cut_off: req
                .lines
                .iter()
                .filter(|l| l.required.iter().any(|r| cut(r.0)))
                .map(|l| l.id.clone())
                .collect(),
            checkpoints_cut_off: req
                .checkpoints
                .iter()
                .filter(|c| c.place.as_ref().is_ok_and(|p| cut(p.edge)))
                .map(|c| c.id.clone())
                .collect(),
            unreachable_edges: plan.unreachable.iter().map(|s| s.0).collect(),
            check,
            shift_coverage,
            rematched: None,
            timings_ms: None,
        }
    }

    /// Whether the check found nothing but what no plan could do: lines and checkpoints on
    /// cut-off road, lines not matched, checkpoints not placed (each said first, and counted
    /// as missed by the check).
    pub fn passes(&self) -> bool {
        use super::check::FindingKind;
        let among = |ids: &[String], left: &[LeftOut], id: &Option<String>| {
            id.as_ref()
                .is_some_and(|i| ids.contains(i) || left.iter().any(|l| &l.id == i))
        };
        self.check.findings.iter().all(|f| match f.kind {
            FindingKind::LineMissed => among(&self.lines_cut_off, &self.lines_not_matched, &f.id),
            FindingKind::CheckpointMissed => among(
                &self.checkpoints_cut_off,
                &self.checkpoints_not_placed,
                &f.id,
            ),
            _ => false,
        })
    }
}
