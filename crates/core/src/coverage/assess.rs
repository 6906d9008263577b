//! One whole coverage assessment of a deployment: units placed, the searches run, covered
//! metres per budget and per tier of the response standard, the points report and the gaps.
//!
//! The `coverage` command and the command map's what-if both call [`assess`], so a number on
//! the map is the number the command prints.

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::gaps::{find_gaps, Gap};
use super::overlay::{road_pieces, RoadPiece};
use super::search::Labels;
use super::{reach, Engine, ModeNetwork, Placement, ResponseStandard, Tier, Unplaced};
use crate::network::{ProfileGraph, RoadNetwork};
use crate::scenario::{Scenario, Site};

/// The roads a deployment is assessed on.
#[derive(Clone, Copy)]
pub struct Roads<'a> {
    /// The road network.
    pub network: &'a RoadNetwork,
    /// One graph and snap index per travel mode; the first is the car graph, on which
    /// coverage is measured.
    pub modes: &'a [ModeNetwork<'a>],
    /// How the searches run; a hierarchy engine must be indexed like `modes`.
    pub engine: Engine<'a>,
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct Options {
    /// Budgets of the coverage rows, in seconds.
    pub budgets_s: Vec<f64>,
    /// Rows for 1 to `k` distinct units within each budget.
    pub k: usize,
    /// The response standard whose tiers are measured.
    pub standard: ResponseStandard,
    /// Farthest a unit or a site may stand from a road, in metres.
    pub max_snap_m: f64,
    /// Distance within which incidents weigh on a gap, in metres.
    pub incident_near_m: f64,
    /// Whether to find the gaps of every tier ([`TierResult::gaps`]); [`tier_gaps`] finds
    /// them later when they are left out (the command map asks only when it shows them).
    pub gaps: bool,
    /// Whether to cut the roads into [`Assessment::pieces`] (the overlay, the map's tiles).
    pub pieces: bool,
}

impl Options {
    /// The budgets the pieces are cut at: the rows' budgets, ascending, without repeats.
    pub fn piece_budgets(&self) -> Vec<f64> {
        let mut b = self.budgets_s.clone();
        b.sort_by(f64::total_cmp);
        b.dedup();
        b
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            budgets_s: vec![60.0, 180.0, 300.0],
            k: 1,
            standard: ResponseStandard::default(),
            max_snap_m: 250.0,
            incident_near_m: 200.0,
            gaps: true,
            pieces: false,
        }
    }
}

/// One tier of the standard as measured.
#[derive(Clone, Debug)]
pub struct TierResult {
    /// Metres of car road where the tier is met.
    pub covered_m: f64,
    /// The units the tier counts (its classes).
    pub eligible: Vec<Placement>,
    /// Its search, indexed like the modes: at least `tier.units` labels per node up to at
    /// least `tier.budget_s` (tiers counting the same units share one search).
    pub labels: Arc<Vec<Labels>>,
    /// The runs of road where it is not met, largest (or most incident-weighted) first
    /// (empty unless [`Options::gaps`]).
    pub gaps: Vec<Gap>,
}

/// A unit's arrival at a point.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Arrival {
    /// The unit's id.
    pub unit: String,
    /// Arrival time, in seconds.
    pub time_s: f64,
}

/// A checkpoint, key site or incident as the deployment serves it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PointReport {
    /// `checkpoint`, `key_site` or `incident`.
    pub kind: &'static str,
    /// The site's id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its weight.
    pub weight: f64,
    /// Why it could not be placed on a road (then the fields below are absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Its distance from the road, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dist_m: Option<f64>,
    /// The nearest distinct units, best first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest: Option<Vec<Arrival>>,
    /// For each tier of the standard, whether enough eligible units arrive in time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiers_met: Option<Vec<bool>>,
}

/// How long each step took, in seconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Placing the units on their roads.
    pub snap_s: f64,
    /// The main search.
    pub search_s: f64,
    /// Covered metres of the rows.
    pub coverage_s: f64,
    /// The tiers' searches and covered metres.
    pub tiers_s: f64,
    /// The points report.
    pub points_s: f64,
    /// The gaps.
    pub gaps_s: f64,
    /// The road pieces.
    pub pieces_s: f64,
}

/// A whole assessment.
#[derive(Clone, Debug)]
pub struct Assessment {
    /// The units on the roads.
    pub placements: Vec<Placement>,
    /// The units that could not be placed, and why.
    pub unplaced: Vec<Unplaced>,
    /// `covered_m[b][j]`: metres of car road reached within budget `b` by `j + 1` units.
    pub covered_m: Vec<Vec<f64>>,
    /// The main search (`k` labels per node up to the largest budget), indexed like the modes.
    pub labels: Vec<Labels>,
    /// Nearest-unit time at every node over all modes (infinite where none arrives in time).
    pub node_times_s: Vec<f64>,
    /// The tiers of the standard, in its order.
    pub tiers: Vec<TierResult>,
    /// Every checkpoint, key site and incident.
    pub points: Vec<PointReport>,
    /// Metres of usable car road: the denominator of every share.
    pub total_m: f64,
    /// The roads cut where the nearest-unit time crosses each budget
    /// ([`Options::piece_budgets`]), in edge order (empty unless [`Options::pieces`]).
    pub pieces: Vec<RoadPiece>,
    /// How long each step took.
    pub timings: Timings,
}

impl Assessment {
    /// The share of car road length `covered_m` is (0 on an empty network).
    pub fn share(&self, covered_m: f64) -> f64 {
        if self.total_m > 0.0 {
            covered_m / self.total_m
        } else {
            0.0
        }
    }
}

/// Assesses `scenario` on `roads` as `options` ask (`spec/coverage.md` §4).
pub fn assess(roads: Roads, scenario: &Scenario, options: &Options) -> Assessment {
    let network = roads.network;
    let graphs: Vec<&ProfileGraph> = roads.modes.iter().map(|m| m.graph).collect();
    let mut timings = Timings::default();

    let start = Instant::now();
    let (placements, unplaced) =
        super::place_units(&scenario.units, roads.modes, options.max_snap_m);
    timings.snap_s = start.elapsed().as_secs_f64();

    // The main search (rows, node times, pieces) and the tiers' searches are independent:
    // one on each core.
    let ((labels, covered_m, pieces), tiers) = rayon::join(
        || main_search(roads, &graphs, options, &placements, &mut timings),
        || {
            let start = Instant::now();
            let tiers = measure_tiers(roads, &graphs, scenario, &options.standard, &placements);
            (tiers, start.elapsed().as_secs_f64())
        },
    );
    let (mut tiers, tiers_s) = tiers;
    timings.tiers_s = tiers_s;
    let node_times_s = super::nearest_node_times(&labels, network.nodes.len());

    let start = Instant::now();
    let points = point_report(roads, &graphs, scenario, options, &placements, &tiers);
    timings.points_s = start.elapsed().as_secs_f64();

    if options.gaps {
        let start = Instant::now();
        let gaps = tier_gaps(roads, scenario, options, &tiers);
        for (result, gaps) in tiers.iter_mut().zip(gaps) {
            result.gaps = gaps;
        }
        timings.gaps_s = start.elapsed().as_secs_f64();
    }

    let total_m = (0..network.edges.len())
        .filter(|&e| graphs[0].is_usable(e))
        .map(|e| network.edges[e].length_m)
        .sum();
    Assessment {
        placements,
        unplaced,
        covered_m,
        labels,
        node_times_s,
        tiers,
        points,
        total_m,
        pieces,
        timings,
    }
}

/// The main search (`options.k` labels up to the largest budget), the covered metres of the
/// rows, and the road pieces when asked for.
fn main_search(
    roads: Roads,
    graphs: &[&ProfileGraph],
    options: &Options,
    placements: &[Placement],
    timings: &mut Timings,
) -> (Vec<Labels>, Vec<Vec<f64>>, Vec<RoadPiece>) {
    let cutoff_s = options
        .budgets_s
        .iter()
        .chain(options.standard.tiers.iter().map(|t| &t.budget_s))
        .fold(0.0f64, |a, &b| a.max(b));
    let start = Instant::now();
    let labels = if options.k == 1 {
        super::search_nearest_times(roads.engine, roads.network, graphs, placements, cutoff_s)
    } else {
        super::search_with(
            roads.engine,
            roads.network,
            graphs,
            placements,
            options.k,
            cutoff_s,
        )
    };
    timings.search_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let modes = reach::mode_reach(graphs, &labels);
    let covered_m = reach::covered_lengths(
        roads.network,
        graphs[0],
        &modes,
        placements,
        &options.budgets_s,
        options.k,
    );
    timings.coverage_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let pieces = if options.pieces {
        road_pieces(
            roads.network,
            graphs[0],
            &modes,
            placements,
            &options.piece_budgets(),
        )
    } else {
        Vec::new()
    };
    timings.pieces_s = start.elapsed().as_secs_f64();
    (labels, covered_m, pieces)
}

/// Covered metres of every tier of `standard`, with its eligible units and search.
///
/// Tiers that count the same classes share one search, with as many labels as the most
/// demanding of them needs, up to the longest of their budgets: a node's best `k` labels
/// from distinct units are the first `k` of its best `K ≥ k`, and one covered-length pass
/// gives every (budget, k) of the group. The 1-3-5 standard thus costs one k = 3 search,
/// not three searches. Groups run one per core.
pub fn measure_tiers(
    roads: Roads,
    graphs: &[&ProfileGraph],
    scenario: &Scenario,
    standard: &ResponseStandard,
    placements: &[Placement],
) -> Vec<TierResult> {
    let all = 0..roads.network.edges.len();
    measure_tiers_in(roads, graphs, scenario, standard, placements, all)
}

/// [`measure_tiers`] with the metres counted over the edges in `edges` only (a region of a
/// province, searched with its halo).
pub fn measure_tiers_in(
    roads: Roads,
    graphs: &[&ProfileGraph],
    scenario: &Scenario,
    standard: &ResponseStandard,
    placements: &[Placement],
    edges: std::ops::Range<usize>,
) -> Vec<TierResult> {
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for (i, tier) in standard.tiers.iter().enumerate() {
        let mut classes = tier.classes.clone();
        classes.sort();
        match groups.iter_mut().find(|(c, _)| *c == classes) {
            Some((_, members)) => members.push(i),
            None => groups.push((classes, vec![i])),
        }
    }
    let measured: Vec<Vec<(usize, TierResult)>> = groups
        .par_iter()
        .map(|(_, members)| {
            let tiers: Vec<&Tier> = members.iter().map(|&i| &standard.tiers[i]).collect();
            let eligible = eligible_placements(tiers[0], scenario, placements);
            let k = tiers.iter().map(|t| t.units).max().unwrap_or(1);
            let budgets: Vec<f64> = tiers.iter().map(|t| t.budget_s).collect();
            let cutoff_s = budgets.iter().fold(0.0f64, |a, &b| a.max(b));
            let labels = Arc::new(super::search_with(
                roads.engine,
                roads.network,
                graphs,
                &eligible,
                k,
                cutoff_s,
            ));
            let covered = reach::covered_lengths_in(
                roads.network,
                graphs[0],
                &reach::mode_reach(graphs, &labels),
                &eligible,
                &budgets,
                k,
                edges.clone(),
            );
            members
                .iter()
                .zip(&tiers)
                .enumerate()
                .map(|(b, (&i, tier))| {
                    let result = TierResult {
                        covered_m: covered[b][tier.units - 1],
                        eligible: eligible.clone(),
                        labels: labels.clone(),
                        gaps: Vec::new(),
                    };
                    (i, result)
                })
                .collect()
        })
        .collect();
    let mut tiers: Vec<(usize, TierResult)> = measured.into_iter().flatten().collect();
    tiers.sort_by_key(|(i, _)| *i);
    tiers.into_iter().map(|(_, r)| r).collect()
}

/// For each tier of `standard`, whether enough of its eligible units arrive in time at the
/// point `fraction` along `edge`, from the tiers' searches (`tiers`, as [`assess`] made them).
pub fn tiers_met_at(
    network: &RoadNetwork,
    graphs: &[&ProfileGraph],
    standard: &ResponseStandard,
    tiers: &[TierResult],
    edge: u32,
    fraction: f64,
) -> Vec<bool> {
    standard
        .tiers
        .iter()
        .zip(tiers)
        .map(|(tier, r)| {
            let modes = reach::mode_reach(graphs, &r.labels);
            let arrivals =
                reach::arrivals_at(network, &modes, &r.eligible, edge, fraction, tier.units);
            arrivals.iter().filter(|a| a.1 <= tier.budget_s).count() >= tier.units
        })
        .collect()
}

/// Per tier of `standard`, the metres of car road among `edges` (a city of a province) where
/// it is met, and the usable metres there: from the tiers' searches (`tiers`, as [`assess`]
/// made them), so a city's share costs one pass over its edges, not a search.
pub fn tiers_met_in(
    roads: Roads,
    standard: &ResponseStandard,
    tiers: &[TierResult],
    edges: std::ops::Range<usize>,
) -> (Vec<f64>, f64) {
    let graphs: Vec<&ProfileGraph> = roads.modes.iter().map(|m| m.graph).collect();
    let met = standard
        .tiers
        .iter()
        .zip(tiers)
        .map(|(tier, result)| {
            let covered = reach::covered_lengths_in(
                roads.network,
                graphs[0],
                &reach::mode_reach(&graphs, &result.labels),
                &result.eligible,
                &[tier.budget_s],
                tier.units,
                edges.clone(),
            );
            covered[0][tier.units - 1]
        })
        .collect();
    let length_m = edges
        .filter(|&e| graphs[0].is_usable(e))
        .map(|e| roads.network.edges[e].length_m)
        .sum();
    (met, length_m)
}

/// The gaps of every tier of `options.standard`, from the tiers' searches (`tiers`, as
/// [`assess`] made them), one tier per core.
pub fn tier_gaps(
    roads: Roads,
    scenario: &Scenario,
    options: &Options,
    tiers: &[TierResult],
) -> Vec<Vec<Gap>> {
    let graphs: Vec<&ProfileGraph> = roads.modes.iter().map(|m| m.graph).collect();
    let incidents: Vec<([f64; 2], f64)> = scenario
        .incidents
        .iter()
        .map(|s| (s.position, s.weight))
        .collect();
    options
        .standard
        .tiers
        .par_iter()
        .zip(tiers)
        .map(|(tier, result)| {
            find_gaps(
                roads.network,
                graphs[0],
                &reach::mode_reach(&graphs, &result.labels),
                &result.eligible,
                tier.budget_s,
                tier.units,
                &incidents,
                options.incident_near_m,
            )
        })
        .collect()
}

/// The placements a tier counts: all, or those of its classes.
fn eligible_placements(
    tier: &Tier,
    scenario: &Scenario,
    placements: &[Placement],
) -> Vec<Placement> {
    placements
        .iter()
        .filter(|p| {
            tier.classes.is_empty()
                || scenario.units[p.unit as usize]
                    .class
                    .as_ref()
                    .is_some_and(|c| tier.classes.contains(c))
        })
        .copied()
        .collect()
}

/// How many nearest units the points report lists.
fn listed_units(options: &Options) -> usize {
    options
        .standard
        .tiers
        .iter()
        .map(|t| t.units)
        .max()
        .unwrap_or(1)
        .max(options.k)
        .max(3)
}

/// For every checkpoint, key site and incident: the nearest units with their times, and
/// whether each tier of the standard is met there (enough distinct eligible units in time).
fn point_report(
    roads: Roads,
    graphs: &[&ProfileGraph],
    scenario: &Scenario,
    options: &Options,
    placements: &[Placement],
    tiers: &[TierResult],
) -> Vec<PointReport> {
    let sites: Vec<(&'static str, &Site)> = [
        ("checkpoint", &scenario.checkpoints),
        ("key_site", &scenario.key_sites),
        ("incident", &scenario.incidents),
    ]
    .into_iter()
    .flat_map(|(kind, list)| list.iter().map(move |s| (kind, s)))
    .collect();
    if sites.is_empty() {
        return Vec::new();
    }
    let standard = &options.standard;
    let max_budget_s = standard
        .tiers
        .iter()
        .map(|t| t.budget_s)
        .fold(0.0, f64::max);
    let k_list = listed_units(options);
    // The nearest-units list needs k_list labels up to the largest budget from every unit: a
    // tier that counts every unit with as many labels and as long a budget already has them.
    let reusable = standard.tiers.iter().zip(tiers).find(|(t, r)| {
        t.units >= k_list && t.budget_s >= max_budget_s && r.eligible.len() == placements.len()
    });
    let own;
    let (nearest_labels, nearest_k) = match reusable {
        Some((t, r)) => (&**r.labels, t.units),
        None => {
            own = super::search_with(
                roads.engine,
                roads.network,
                graphs,
                placements,
                k_list,
                max_budget_s,
            );
            (&own[..], k_list)
        }
    };
    let nearest_reach = reach::mode_reach(graphs, nearest_labels);
    let car_index = roads.modes[0].index;
    sites
        .iter()
        .map(|&(kind, site)| {
            let mut report = PointReport {
                kind,
                id: site.id.clone(),
                name: site.name.clone(),
                weight: site.weight,
                refused: None,
                dist_m: None,
                nearest: None,
                tiers_met: None,
            };
            let snapped = match car_index.snap(site.position, options.max_snap_m) {
                Ok(s) => s,
                Err(e) => {
                    report.refused = Some(e.to_string());
                    return report;
                }
            };
            let mut nearest = reach::arrivals_at(
                roads.network,
                &nearest_reach,
                placements,
                snapped.edge,
                snapped.fraction,
                nearest_k,
            );
            nearest.truncate(k_list);
            let tiers_met = tiers_met_at(
                roads.network,
                graphs,
                standard,
                tiers,
                snapped.edge,
                snapped.fraction,
            );
            report.dist_m = Some(snapped.dist_m);
            report.nearest = Some(
                nearest
                    .iter()
                    .map(|&(u, t)| Arrival {
                        unit: scenario.units[u as usize].id.clone(),
                        time_s: t,
                    })
                    .collect(),
            );
            report.tiers_met = Some(tiers_met);
            report
        })
        .collect()
}
