//! Seeded random scenarios on a road network, for benchmarks, tests and demos.

use super::{Scenario, Site, Unit, UnitKind};
use crate::network::geodesy::haversine_m;
use crate::network::{ProfileGraph, RoadNetwork, TravelMode};

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same scenario on
/// every machine, with no dependency.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` random points on the edges `graph` may use, uniform over road length.
///
/// ```
/// use patrolmap::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap::scenario::generate::random_road_points;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
///   "geometry":{"type":"LineString","coordinates":[[0,0],[0.01,0]]}}]}"#, "r.geojson".as_ref()).unwrap();
/// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let pts = random_road_points(&net, &g, 5, 42);
/// assert_eq!(pts, random_road_points(&net, &g, 5, 42));
/// assert!(pts.iter().all(|p| p[1] == 0.0 && (0.0..=0.01).contains(&p[0])));
/// ```
pub fn random_road_points(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    n: usize,
    seed: u64,
) -> Vec<[f64; 2]> {
    let mut cumulative = Vec::new();
    let mut total = 0.0;
    for e in (0..network.edges.len()).filter(|&e| graph.is_usable(e)) {
        total += network.edges[e].length_m;
        cumulative.push((total, e));
    }
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .filter_map(|_| {
            let target = rng.next_f64() * total;
            let i = cumulative
                .partition_point(|c| c.0 < target)
                .min(cumulative.len().checked_sub(1)?);
            let (end, e) = cumulative[i];
            let mut along = target - (end - network.edges[e].length_m);
            let geometry = network.geometry(e);
            for w in geometry.windows(2) {
                let d = haversine_m(w[0], w[1]);
                if along <= d && d > 0.0 {
                    let t = along / d;
                    return Some([
                        w[0][0] + t * (w[1][0] - w[0][0]),
                        w[0][1] + t * (w[1][1] - w[0][1]),
                    ]);
                }
                along -= d;
            }
            geometry.last().copied()
        })
        .collect()
}

/// A scenario of `units` car units and `checkpoints` checkpoints at random on the roads.
pub fn random_scenario(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    units: usize,
    checkpoints: usize,
    seed: u64,
) -> Scenario {
    let unit_points = random_road_points(network, graph, units, seed);
    let checkpoint_points = random_road_points(network, graph, checkpoints, seed ^ 0xC0FFEE);
    Scenario {
        units: unit_points
            .into_iter()
            .enumerate()
            .map(|(i, position)| Unit {
                id: format!("unit-{i}"),
                name: None,
                kind: UnitKind::Unit,
                class: None,
                mode: TravelMode::Car,
                turnout_s: 0.0,
                position,
                feature: i,
            })
            .collect(),
        checkpoints: checkpoint_points
            .into_iter()
            .enumerate()
            .map(|(i, position)| Site {
                id: format!("checkpoint-{i}"),
                name: None,
                weight: 1.0,
                dwell_s: 300.0,
                position,
                feature: units + i,
            })
            .collect(),
        ..Scenario::default()
    }
}
