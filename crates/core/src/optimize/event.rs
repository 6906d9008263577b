//! Event-security plans: temporary posts for an event venue (`kind: event_area`) so that its
//! roads and hot spots (the key sites and checkpoints inside it) meet the event's own
//! response standard, the scenario's units counted, its closures honoured by the caller's
//! graph and its no-go areas kept free; then the compliance, tier by tier, before and after,
//! and what still fails.

use super::cover::fewest;
use super::exact::Limits;
use super::matrix::{CoverageMatrix, Target};
use super::problem::{prepare, Candidates, DemandKind, NamedPoint, Question, QuestionError};
use crate::coverage::ModeNetwork;
use crate::coverage::ResponseStandard;
use crate::network::RoadNetwork;
use crate::scenario::{Area, Scenario};
use crate::stop::Stop;

/// A hot spot weighs as much as this much venue road when posts are fewer than needed.
pub const HOT_SPOT_M: f64 = 200.0;

/// How to plan.
#[derive(Clone, Debug)]
pub struct EventRequest {
    /// The standard (the area's own, or the city's when it has none).
    pub standard: ResponseStandard,
    /// Exactly this many temporary posts (the most compliance they can give), or the fewest
    /// that meet everything that can be met.
    pub posts: Option<usize>,
    /// How far outside the venue temporary posts may stand, in metres.
    pub margin_m: f64,
    /// Where posts may stand.
    pub candidates: Candidates,
    /// Farthest a unit, site or candidate may be from a road, in metres.
    pub max_snap_m: f64,
    /// When to stop: the whole plan, its matrices included, ends by this deadline.
    pub stop: Stop,
    /// The most memory the plan's matrices may take, in bytes.
    pub max_matrix_bytes: usize,
}

/// A temporary post of the plan.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PlannedPost {
    /// 1 = the most useful.
    pub rank: usize,
    /// Its road node.
    pub node: u32,
    /// Where it stands.
    pub position: [f64; 2],
    /// Its class (`temporary`).
    pub class: &'static str,
    /// Venue road (m) this post is needed for: met with it, not without it.
    pub road_m: f64,
    /// Hot spots (ids) it reaches within the first tier's budget.
    pub hot_spots: Vec<String>,
}

/// One tier's compliance.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TierCompliance {
    /// The tier's budget, in seconds.
    pub budget_s: f64,
    /// Distinct units the tier needs.
    pub units: u32,
    /// Venue road in all, in metres.
    pub road_m: f64,
    /// Venue road meeting the tier with the scenario's units only.
    pub road_met_before_m: f64,
    /// With the plan's posts added.
    pub road_met_after_m: f64,
    /// Hot spots in all.
    pub hot_spots: usize,
    /// Hot spots meeting the tier before and after.
    pub hot_spots_met_before: usize,
    /// After.
    pub hot_spots_met_after: usize,
    /// The hot spots (ids) that still fail it.
    pub failing_hot_spots: Vec<String>,
    /// Venue road (m) that no post position can bring up to the tier.
    pub road_unreachable_m: f64,
}

/// An event plan.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EventPlan {
    /// The venue's id.
    pub area: String,
    /// Its name.
    pub name: Option<String>,
    /// Its time window.
    pub window: Option<(String, String)>,
    /// The standard applied, as text.
    pub standard: String,
    /// The temporary posts, most useful first.
    pub posts: Vec<PlannedPost>,
    /// Tier by tier.
    pub compliance: Vec<TierCompliance>,
    /// When posts were left to the planner: proven the fewest that meet all that can be met.
    pub minimal: bool,
    /// No fewer posts can meet it (when the fewest were asked).
    pub lower_bound: usize,
    /// Candidate places considered.
    pub candidates: usize,
    /// Sites or units left out, with why.
    pub skipped: Vec<String>,
    /// The hot spots, as named.
    pub hot_spot_list: Vec<NamedPoint>,
}

/// The standard an event is planned against: `explicit` when given, else the venue's own
/// `standard`, else the city's default; a venue standard that does not parse is an error
/// naming the venue and its feature.
///
/// ```
/// use patrolmap_core::optimize::event::standard_for;
/// use patrolmap_core::scenario::{Area, AreaKind};
/// let mut venue = Area { id: "stadium".into(), name: None, kind: AreaKind::Event, ring: vec![],
///     window: None, standard: Some("60:2".into()), feature: 3 };
/// assert_eq!(standard_for(&venue, None).unwrap().to_string(), "60:2");
/// venue.standard = Some("fast".into());
/// assert!(standard_for(&venue, None).unwrap_err().to_string().contains("stadium (feature 3)"));
/// ```
pub fn standard_for(
    venue: &Area,
    explicit: Option<ResponseStandard>,
) -> Result<ResponseStandard, VenueStandardError> {
    match (explicit, &venue.standard) {
        (Some(s), _) => Ok(s),
        (None, Some(text)) => text.parse().map_err(|source| VenueStandardError {
            venue: venue.id.clone(),
            feature: venue.feature,
            source,
        }),
        (None, None) => Ok(ResponseStandard::default()),
    }
}

/// A venue whose own `standard` does not parse.
#[derive(Debug, thiserror::Error)]
#[error("event_area {venue} (feature {feature}): standard")]
pub struct VenueStandardError {
    /// The venue's id.
    pub venue: String,
    /// Its feature index in the scenario.
    pub feature: usize,
    /// What is wrong with the standard.
    #[source]
    pub source: crate::coverage::StandardError,
}

/// The two matrices on the same candidates side by side: items of `b` after those of `a`,
/// `b`'s targets after `a`'s.
fn join(a: &CoverageMatrix, b: &CoverageMatrix, a_targets: u32) -> CoverageMatrix {
    let offset = a.weights.len() as u32;
    let mut m = a.clone();
    m.weights.extend(&b.weights);
    m.need.extend(&b.need);
    m.target.extend(b.target.iter().map(|t| t + a_targets));
    m.members.extend(
        b.members
            .iter()
            .map(|list| list.iter().map(|&(e, t)| (e, t + a_targets)).collect()),
    );
    for (mine, theirs) in m.covers.iter_mut().zip(&b.covers) {
        mine.extend(theirs.iter().map(|i| i + offset));
    }
    m.existing += b.existing;
    m.total += b.total;
    m.by_target.extend(&b.by_target);
    m
}

/// Plans the temporary posts of the event at `area`.
///
/// Posts stand on the first of `modes` (the car roads); the scenario's units on their own.
pub fn plan_event(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    scenario: &Scenario,
    area: &Area,
    request: &EventRequest,
) -> Result<EventPlan, QuestionError> {
    let tiers = &request.standard.tiers;
    let targets: Vec<Target> = tiers
        .iter()
        .map(|t| Target {
            budget_s: t.budget_s,
            units: t.units as u32,
            weight: 1.0,
        })
        .collect();
    let question = |demand: DemandKind, weight: f64| Question {
        demand,
        targets: targets.iter().map(|t| Target { weight, ..*t }).collect(),
        candidates: request.candidates.clone(),
        area: Some(area.ring.clone()),
        margin_m: request.margin_m,
        max_snap_m: request.max_snap_m,
        max_matrix_bytes: request.max_matrix_bytes,
    };
    let roads = prepare(
        network,
        modes,
        scenario,
        &question(DemandKind::Roads, 1.0),
        &request.stop,
    )?;
    // Hot spots: the key sites and checkpoints inside; a venue may have none.
    let hot = match prepare(
        network,
        modes,
        scenario,
        &question(DemandKind::Sites, HOT_SPOT_M),
        &request.stop,
    ) {
        Ok(p) => Some(p),
        Err(QuestionError::NoDemand(_)) => None,
        Err(e) => return Err(e),
    };
    let n_targets = targets.len() as u32;
    let matrix = match &hot {
        Some(h) => join(&roads.matrix, &h.matrix, n_targets),
        None => roads.matrix.clone(),
    };
    let limits = Limits {
        stop: request.stop.clone(),
        ..Limits::default()
    };
    let (chosen, minimal, lower_bound) = match request.posts {
        Some(k) => (
            super::best_k(&matrix, k, &limits).selection.chosen,
            false,
            0,
        ),
        None => {
            let cover = fewest(&matrix, &limits);
            (cover.selection.chosen, cover.minimal, cover.lower_bound)
        }
    };
    let selection = super::ranked(&matrix, &chosen);
    // Per item, how many chosen reach it.
    let count = matrix.counts(&selection.chosen);
    let road_items = roads.matrix.weights.len();
    let points: &[NamedPoint] = hot.as_ref().map_or(&[], |h| &h.points);
    let posts = selection
        .chosen
        .iter()
        .enumerate()
        .map(|(rank, &c)| {
            let node = roads.candidate_nodes[c];
            // Needed for: items met exactly, this post among those reaching them.
            let road_m = matrix.covers[c]
                .iter()
                .filter(|&&i| {
                    (i as usize) < road_items && count[i as usize] == matrix.need[i as usize]
                })
                .map(|&i| matrix.weights[i as usize])
                .sum();
            let mut hot_spots: Vec<String> = matrix.covers[c]
                .iter()
                .filter(|&&i| i as usize >= road_items && matrix.target[i as usize] == n_targets)
                .flat_map(|&i| {
                    matrix.members[i as usize]
                        .iter()
                        .map(|&(e, _)| points[e as usize].id.clone())
                })
                .collect();
            hot_spots.sort();
            hot_spots.dedup();
            PlannedPost {
                rank: rank + 1,
                node,
                position: network.nodes[node as usize],
                class: "temporary",
                road_m,
                hot_spots,
            }
        })
        .collect();
    let after = matrix.value_by_target(&selection.chosen, 2 * targets.len());
    let compliance = targets
        .iter()
        .enumerate()
        .map(|(t, target)| {
            let (road_m, road_before) = roads.matrix.by_target[t];
            // Hot spots failing after: shortfalls and members of items left unmet.
            let mut failing: Vec<String> = Vec::new();
            let (mut spots, mut spots_before) = (0, 0);
            if let Some(h) = &hot {
                let ht = t as u32 + n_targets;
                spots = h.points.len();
                // Before: all but the shortfalls and the members of items still to meet.
                let short = h
                    .matrix
                    .shortfalls
                    .iter()
                    .filter(|s| s.target == t as u32)
                    .count();
                let open: usize = (0..h.matrix.weights.len())
                    .filter(|&i| h.matrix.target[i] == t as u32)
                    .map(|i| h.matrix.members[i].len())
                    .sum();
                spots_before = spots - short - open;
                failing.extend(
                    h.matrix
                        .shortfalls
                        .iter()
                        .filter(|s| s.target == t as u32)
                        .map(|s| h.points[s.element as usize].id.clone()),
                );
                for (i, members) in matrix.members.iter().enumerate().skip(road_items) {
                    if matrix.target[i] == ht && count[i] < matrix.need[i] {
                        failing.extend(
                            members
                                .iter()
                                .map(|&(e, _)| h.points[e as usize].id.clone()),
                        );
                    }
                }
            }
            failing.sort();
            let road_unreachable_m = roads
                .matrix
                .shortfalls
                .iter()
                .filter(|s| s.target == t as u32)
                .map(|s| network.edges[s.element as usize].length_m)
                .sum();
            TierCompliance {
                budget_s: target.budget_s,
                units: target.units,
                road_m,
                road_met_before_m: road_before,
                road_met_after_m: after[t],
                hot_spots: spots,
                hot_spots_met_before: spots_before,
                hot_spots_met_after: spots - failing.len(),
                failing_hot_spots: failing,
                road_unreachable_m,
            }
        })
        .collect();
    let mut skipped = roads.skipped.clone();
    skipped.extend(hot.iter().flat_map(|h| h.skipped.iter().cloned()));
    skipped.sort();
    skipped.dedup();
    Ok(EventPlan {
        area: area.id.clone(),
        name: area.name.clone(),
        window: area.window.clone(),
        standard: request.standard.to_string(),
        posts,
        compliance,
        minimal,
        lower_bound,
        candidates: roads.candidate_nodes.len(),
        skipped,
        hot_spot_list: points.to_vec(),
    })
}
