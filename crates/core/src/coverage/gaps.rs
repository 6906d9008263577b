//! Gaps: the stretches of road that miss a tier, merged into contiguous runs through shared
//! nodes and ranked by length (or by the weight of incidents near them).

use super::reach::{covered_intervals, ModeReach};
use super::Placement;
use crate::network::geodesy::{haversine_m, point_along};
use crate::network::{ProfileGraph, RoadNetwork};

/// A stretch of one edge: `[from, to]` as fractions of its length.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Stretch {
    /// The edge.
    pub edge: u32,
    /// Start, as a fraction of the edge's length.
    pub from: f64,
    /// End, as a fraction of the edge's length.
    pub to: f64,
}

/// A contiguous run of road missing a tier.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Gap {
    /// Its stretches.
    pub stretches: Vec<Stretch>,
    /// Total length, in metres.
    pub length_m: f64,
    /// Weight of the incidents within `near_m` of it (0 when none were given).
    pub incident_weight: f64,
    /// A representative position, `[lon, lat]`: the middle of its longest stretch.
    pub location: [f64; 2],
}

/// The uncovered stretches of every edge at `budget_s` with `k` units, merged into runs: two
/// stretches join when they end at the same node. Sorted by incident weight, then length.
#[allow(clippy::too_many_arguments)]
pub fn find_gaps(
    network: &RoadNetwork,
    measure: &ProfileGraph,
    modes: &[ModeReach],
    placements: &[Placement],
    budget_s: f64,
    k: usize,
    incidents: &[([f64; 2], f64)],
    near_m: f64,
) -> Vec<Gap> {
    let covered = covered_intervals(network, measure, modes, placements, budget_s, k);
    // Union-find over nodes plus one item per stretch.
    let n = network.nodes.len();
    let mut stretches = Vec::new();
    for (e, reached) in covered.iter().enumerate() {
        if !measure.is_usable(e) || network.edges[e].length_m == 0.0 {
            continue;
        }
        let mut at = 0.0;
        for &(lo, hi) in reached.iter().chain(std::iter::once(&(1.0, 1.0))) {
            if lo > at {
                stretches.push(Stretch {
                    edge: e as u32,
                    from: at,
                    to: lo,
                });
            }
            at = at.max(hi);
        }
    }
    let mut parent: Vec<usize> = (0..n + stretches.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (i, s) in stretches.iter().enumerate() {
        let edge = &network.edges[s.edge as usize];
        for (touches, node) in [(s.from == 0.0, edge.from), (s.to == 1.0, edge.to)] {
            if touches {
                let (a, b) = (find(&mut parent, n + i), find(&mut parent, node as usize));
                parent[a] = b;
            }
        }
    }
    let mut runs: std::collections::HashMap<usize, Vec<Stretch>> = std::collections::HashMap::new();
    for (i, s) in stretches.iter().enumerate() {
        let root = find(&mut parent, n + i);
        runs.entry(root).or_default().push(*s);
    }
    let mut gaps: Vec<Gap> = runs
        .into_values()
        .map(|stretches| {
            let len = |s: &Stretch| (s.to - s.from) * network.edges[s.edge as usize].length_m;
            let length_m = stretches.iter().map(len).sum();
            let longest = stretches
                .iter()
                .max_by(|a, b| len(a).total_cmp(&len(b)))
                .expect("a run has a stretch");
            let location = point_along(
                network.geometry(longest.edge as usize),
                (longest.from + longest.to) / 2.0,
            );
            let incident_weight = incidents
                .iter()
                .filter(|(p, _)| {
                    stretches.iter().any(|s| {
                        let g = network.geometry(s.edge as usize);
                        [s.from, (s.from + s.to) / 2.0, s.to]
                            .iter()
                            .any(|&f| haversine_m(*p, point_along(g, f)) <= near_m)
                    })
                })
                .fold(0.0, |sum, (_, w)| sum + w);
            Gap {
                stretches,
                length_m,
                incident_weight,
                location,
            }
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.incident_weight
            .total_cmp(&a.incident_weight)
            .then(b.length_m.total_cmp(&a.length_m))
    });
    gaps
}

/// The `limit` largest gaps of every tier of `standard` (or only of tier `only_tier`) as a
/// GeoJSON FeatureCollection of MultiLineStrings with `tier`, `budget_s`, `units`, `rank`,
/// `length_m` and `incident_weight`: the body of `/api/coverage/gaps` and of
/// `patrolmap coverage --gaps-geojson`.
///
/// ```
/// use patrolmap_core::coverage::gaps::{gaps_geojson, Gap, Stretch};
/// use patrolmap_core::coverage::ResponseStandard;
/// use patrolmap_core::network::RoadNetwork;
/// let roads = RoadNetwork::default();
/// let gap = Gap { stretches: vec![], length_m: 120.0, incident_weight: 0.0, location: [0.0, 0.0] };
/// let standard = ResponseStandard::default();
/// let fc = gaps_geojson(&roads, &standard, &[vec![gap], vec![], vec![]], 20, None);
/// assert_eq!(fc["features"][0]["properties"]["rank"], 1);
/// ```
pub fn gaps_geojson(
    network: &RoadNetwork,
    standard: &super::ResponseStandard,
    gaps: &[Vec<Gap>],
    limit: usize,
    only_tier: Option<usize>,
) -> serde_json::Value {
    let mut features = Vec::new();
    for (tier_index, (tier, gaps)) in standard.tiers.iter().zip(gaps).enumerate() {
        if only_tier.is_some_and(|t| t != tier_index) {
            continue;
        }
        for (rank, gap) in gaps.iter().take(limit).enumerate() {
            let lines: Vec<Vec<[f64; 2]>> = gap
                .stretches
                .iter()
                .map(|s| {
                    super::overlay::slice_polyline(network.geometry(s.edge as usize), s.from, s.to)
                })
                .collect();
            features.push(serde_json::json!({"type": "Feature",
                "properties": {"tier": tier_index, "budget_s": tier.budget_s, "units": tier.units, "rank": rank + 1,
                    "length_m": gap.length_m, "incident_weight": gap.incident_weight},
                "geometry": {"type": "MultiLineString", "coordinates": lines}}));
        }
    }
    serde_json::json!({"type": "FeatureCollection", "features": features})
}
