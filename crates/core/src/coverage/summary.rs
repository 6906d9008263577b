//! The coverage summary of one assessment: the map's stats panel, and the body of
//! `/api/coverage` and `/api/whatif`, as one typed report ([`CoverageSummary`]) written once.

use super::assess::{Assessment, Options};
use crate::network::{ProfileGraph, RoadNetwork};
use crate::scenario::Scenario;

/// The coverage of one evaluated scenario.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CoverageSummary {
    /// The revision (0: the loaded scenario).
    pub rev: u64,
    /// The road measured.
    pub network: NetworkSize,
    /// Units placed on their roads.
    pub units: usize,
    /// Units that could not be placed, and why.
    pub units_refused: Vec<RefusedUnit>,
    /// Features of the scenario that could not be read, by index, with why.
    pub scenario_problems: Vec<crate::scenario::FeatureProblem>,
    /// Road edges closed by the scenario's closures.
    pub closed_edges: usize,
    /// Per budget, the road reached by the first unit, then by 2 to `k` distinct units when
    /// more are measured.
    pub coverage: Vec<BudgetShare>,
    /// The response standard, as written (`60:1,180:2,300:3`).
    pub standard: String,
    /// Per tier of the standard, the road that meets it.
    pub tiers: Vec<TierShare>,
    /// Checkpoints meeting each tier.
    pub checkpoints: SitesMet,
    /// Key sites meeting each tier.
    pub key_sites: SitesMet,
    /// Incidents meeting each tier.
    pub incidents: SitesMet,
    /// Every site: the nearest units and the tiers met there.
    pub points: Vec<super::assess::PointReport>,
    /// `phast` (the prepared hierarchies) or `dijkstra` (roads closed).
    pub engine: &'static str,
    /// Where the time went, in milliseconds.
    pub timings_ms: Timings,
    /// The revision's road tiles (`/api/tiles/{z}/{x}/{y}.mvt?rev=…`), for a what-if.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tiles: Option<String>,
    /// The time of day whose car speeds it was measured at, `HH:MM` (none: free flow).
    pub at: Option<String>,
    /// Each city's tiers, for a province served as one (empty for one city).
    pub cities: Vec<CityCoverage>,
}

impl CityCoverage {
    /// Each of `cities`' tiers of `standard`, from an assessment's `tiers` on `roads` (one
    /// pass over each city's edges, no search).
    pub fn of_cities(
        roads: super::assess::Roads,
        standard: &super::ResponseStandard,
        tiers: &[super::assess::TierResult],
        cities: &[crate::network::province::ProvinceCity],
    ) -> Vec<CityCoverage> {
        cities
            .iter()
            .map(|c| {
                let (met, length_m) =
                    super::assess::tiers_met_in(roads, standard, tiers, c.edges.clone());
                CityCoverage {
                    name: c.name.clone(),
                    length_m,
                    tier_shares: met
                        .iter()
                        .map(|m| if length_m > 0.0 { m / length_m } else { 0.0 })
                        .collect(),
                }
            })
            .collect()
    }
}

/// One city's tiers in a province's coverage.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CityCoverage {
    /// The city.
    pub name: String,
    /// Its usable car road, in metres.
    pub length_m: f64,
    /// Per tier of the standard, the share of its road meeting it.
    pub tier_shares: Vec<f64>,
}

/// The road measured: the car graph the coverage is measured on (closed roads left out).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct NetworkSize {
    /// Nodes with a road of the graph.
    pub nodes: usize,
    /// Usable edges.
    pub edges: usize,
    /// Their length, in metres.
    pub length_m: f64,
    /// Features of the road file that were not roads of any mode.
    pub skipped_features: usize,
}

impl NetworkSize {
    /// The size of `graph` of `network`, `length_m` long.
    ///
    /// ```
    /// use patrolmap_core::coverage::summary::NetworkSize;
    /// use patrolmap_core::network::{self, NoProgress, Profile, ProfileGraph, TravelMode};
    /// let roads = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
    /// let car = ProfileGraph::build(&roads, &Profile::default_for(TravelMode::Car));
    /// let size = NetworkSize::of(&roads, &car, 1.0);
    /// assert!(size.nodes > 0 && size.edges == car.usable_edge_count());
    /// ```
    pub fn of(network: &RoadNetwork, graph: &ProfileGraph, length_m: f64) -> NetworkSize {
        NetworkSize {
            nodes: (0..network.nodes.len() as u32)
                .filter(|&v| graph.has_arcs(v))
                .count(),
            edges: graph.usable_edge_count(),
            length_m,
            skipped_features: network.report.skipped_features,
        }
    }
}

/// A unit that could not be placed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RefusedUnit {
    /// Its id.
    pub id: String,
    /// Why.
    pub reason: String,
}

/// The road reached within one budget by `k` distinct units.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct BudgetShare {
    /// The budget, in seconds.
    pub budget_s: f64,
    /// Distinct units within the budget (1: the first unit; 2: reinforcement, ...).
    pub k: usize,
    /// Road reached, in metres.
    pub covered_m: f64,
    /// Its share of all road.
    pub share: f64,
}

/// The road meeting one tier of the standard.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TierShare {
    /// The tier's budget, in seconds.
    pub budget_s: f64,
    /// Distinct units it needs within the budget.
    pub units: usize,
    /// Unit classes that count (all when empty).
    pub classes: Vec<String>,
    /// Road meeting it, in metres.
    pub covered_m: f64,
    /// Its share of all road.
    pub share: f64,
    /// Road not meeting it, in metres.
    pub uncovered_m: f64,
}

/// Sites of one kind meeting each tier.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SitesMet {
    /// How many sites of the kind.
    pub count: usize,
    /// Per tier, how many meet it.
    pub met: Vec<usize>,
}

/// Where an evaluation's time went, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Timings {
    /// Loading the roads (the command line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<f64>,
    /// Preparing the hierarchies (the command line with `--engine phast`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepare: Option<f64>,
    /// The whole evaluation.
    pub total: f64,
    /// Placing the units.
    pub snap: f64,
    /// The main search.
    pub search: f64,
    /// Covered metres of the budgets.
    pub coverage: f64,
    /// The tiers.
    pub tiers: f64,
    /// The sites.
    pub points: f64,
    /// The road pieces for the tiles.
    pub pieces: f64,
    /// The whole request, for a what-if.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<f64>,
}

impl CoverageSummary {
    /// The summary of `assessment` of `scenario` (measured with `options` on `network`),
    /// revision `rev`, with `closed_edges` closed, computed with `engine` in `compute_s`
    /// seconds.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        rev: u64,
        assessment: &Assessment,
        scenario: &Scenario,
        options: &Options,
        network: NetworkSize,
        closed_edges: usize,
        engine: &'static str,
        compute_s: f64,
    ) -> CoverageSummary {
        let a = assessment;
        let standard = &options.standard;
        let coverage = options
            .budgets_s
            .iter()
            .enumerate()
            .flat_map(|(b, &budget_s)| {
                a.covered_m[b]
                    .iter()
                    .enumerate()
                    .map(move |(j, &covered_m)| BudgetShare {
                        budget_s,
                        k: j + 1,
                        covered_m,
                        share: a.share(covered_m),
                    })
            })
            .collect();
        let tiers = standard
            .tiers
            .iter()
            .zip(&a.tiers)
            .map(|(t, r)| TierShare {
                budget_s: t.budget_s,
                units: t.units,
                classes: t.classes.clone(),
                covered_m: r.covered_m,
                share: a.share(r.covered_m),
                uncovered_m: a.total_m - r.covered_m,
            })
            .collect();
        let met = |kind: &str| {
            let of_kind: Vec<_> = a.points.iter().filter(|p| p.kind == kind).collect();
            SitesMet {
                count: of_kind.len(),
                met: (0..standard.tiers.len())
                    .map(|i| {
                        of_kind
                            .iter()
                            .filter(|p| p.tiers_met.as_ref().is_some_and(|m| m[i]))
                            .count()
                    })
                    .collect(),
            }
        };
        let t = &a.timings;
        CoverageSummary {
            rev,
            network,
            units: a.placements.len(),
            units_refused: a
                .unplaced
                .iter()
                .map(|u| RefusedUnit {
                    id: scenario.units[u.unit as usize].id.clone(),
                    reason: u.reason.clone(),
                })
                .collect(),
            scenario_problems: scenario.problems.clone(),
            closed_edges,
            coverage,
            standard: standard.to_string(),
            tiers,
            checkpoints: met("checkpoint"),
            key_sites: met("key_site"),
            incidents: met("incident"),
            points: a.points.clone(),
            engine,
            timings_ms: Timings {
                load: None,
                prepare: None,
                total: compute_s * 1e3,
                snap: t.snap_s * 1e3,
                search: t.search_s * 1e3,
                coverage: t.coverage_s * 1e3,
                tiers: t.tiers_s * 1e3,
                points: t.points_s * 1e3,
                pieces: t.pieces_s * 1e3,
                request: None,
            },
            tiles: None,
            at: None,
            cities: Vec::new(),
        }
    }
}

/// The numbers two evaluations are compared by: the road within each tier and the
/// checkpoints meeting it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CoverageBrief {
    /// The revision evaluated (its tiles and overlay on the map).
    pub rev: u64,
    /// Units placed.
    pub units: usize,
    /// Road edges closed.
    pub closed_edges: usize,
    /// Per tier, the road that meets it.
    pub tiers: Vec<TierBrief>,
    /// Checkpoints meeting each tier.
    pub checkpoints: SitesMet,
}

/// The road meeting one tier, in brief.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TierBrief {
    /// The tier's budget, in seconds.
    pub budget_s: f64,
    /// Distinct units it needs.
    pub units: usize,
    /// Road meeting it, in metres.
    pub covered_m: f64,
    /// Its share of all road.
    pub share: f64,
}

/// How one tier changed from one evaluation to another (later minus earlier).
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TierDifference {
    /// The tier's budget, in seconds.
    pub budget_s: f64,
    /// Distinct units it needs.
    pub units: usize,
    /// Road meeting it, in metres more (negative: less).
    pub covered_m: f64,
    /// Share of road more.
    pub share: f64,
    /// Checkpoints meeting it more.
    pub checkpoints_met: i64,
}

impl CoverageBrief {
    /// The brief of `summary`.
    pub fn of(summary: &CoverageSummary) -> CoverageBrief {
        CoverageBrief {
            rev: summary.rev,
            units: summary.units,
            closed_edges: summary.closed_edges,
            tiers: summary
                .tiers
                .iter()
                .map(|t| TierBrief {
                    budget_s: t.budget_s,
                    units: t.units,
                    covered_m: t.covered_m,
                    share: t.share,
                })
                .collect(),
            checkpoints: summary.checkpoints.clone(),
        }
    }

    /// Tier by tier, `later` minus `self` (both measured against the same standard).
    ///
    /// ```
    /// use patrolmap_core::coverage::summary::{CoverageBrief, SitesMet, TierBrief};
    /// let brief = |m: f64, met: usize| CoverageBrief { rev: 0, units: 3, closed_edges: 0,
    ///     tiers: vec![TierBrief { budget_s: 60.0, units: 1, covered_m: m, share: m / 1000.0 }],
    ///     checkpoints: SitesMet { count: 4, met: vec![met] } };
    /// let d = brief(200.0, 1).difference(&brief(500.0, 3));
    /// assert_eq!((d[0].covered_m, d[0].checkpoints_met), (300.0, 2));
    /// ```
    pub fn difference(&self, later: &CoverageBrief) -> Vec<TierDifference> {
        let met =
            |b: &CoverageBrief, i: usize| b.checkpoints.met.get(i).copied().unwrap_or(0) as i64;
        self.tiers
            .iter()
            .zip(&later.tiers)
            .enumerate()
            .map(|(i, (a, b))| TierDifference {
                budget_s: b.budget_s,
                units: b.units,
                covered_m: b.covered_m - a.covered_m,
                share: b.share - a.share,
                checkpoints_met: met(later, i) - met(self, i),
            })
            .collect()
    }
}
