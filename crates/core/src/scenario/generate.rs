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
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap_core::scenario::generate::random_road_points;
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
    random_points_on(network, |e| graph.is_usable(e), n, seed)
}

/// `n` random points on the edges `keep` accepts, uniform over their length.
fn random_points_on(
    network: &RoadNetwork,
    keep: impl Fn(usize) -> bool,
    n: usize,
    seed: u64,
) -> Vec<[f64; 2]> {
    let mut cumulative = Vec::new();
    let mut total = 0.0;
    for e in (0..network.edges.len()).filter(|&e| keep(e)) {
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
                duty: Default::default(),
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
                schedule: Default::default(),
                time_s: None,
            })
            .collect(),
        ..Scenario::default()
    }
}

/// The benchmark instance of patrol planning (issue 5): `lines` mandatory patrol lines, walks
/// of 0.4-1.5 km along two-way streets of the graph's largest strongly connected part, each
/// redrawn with every vertex moved 2-5 m as if by hand; `checkpoints` checkpoints (dwell
/// 120 s) and `posts` posts (police stations) at random on that part. Seeded.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap_core::scenario::generate::patrol_instance;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.005,0]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0.005,0],[0.01,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let s = patrol_instance(&net, &g, 1, 3, 1, 7);
/// assert_eq!((s.patrol_lines.len(), s.checkpoints.len(), s.units.len()), (1, 3, 1));
/// assert!(s.checkpoints.iter().all(|c| c.dwell_s == 120.0));
/// ```
pub fn patrol_instance(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    lines: usize,
    checkpoints: usize,
    posts: usize,
    seed: u64,
) -> Scenario {
    let connectivity = crate::network::Connectivity::of(graph);
    let in_core = |e: usize| {
        let edge = &network.edges[e];
        graph.is_usable(e) && connectivity.in_largest(edge.from) && connectivity.in_largest(edge.to)
    };
    let two_way = |e: usize| {
        in_core(e)
            && graph.edge_direction[e].is_some_and(|d| d.allows_forward() && d.allows_backward())
            && network.edges[e].from != network.edges[e].to
    };
    // Two-way edges by node, to walk along.
    let mut at_node: Vec<Vec<u32>> = vec![Vec::new(); network.nodes.len()];
    let candidates: Vec<u32> = (0..network.edges.len())
        .filter(|&e| two_way(e))
        .map(|e| e as u32)
        .collect();
    for &e in &candidates {
        let edge = &network.edges[e as usize];
        at_node[edge.from as usize].push(e);
        at_node[edge.to as usize].push(e);
    }
    let mut rng = SplitMix64::new(seed);
    let mut used = vec![false; network.edges.len()];
    let mut patrol_lines = Vec::new();
    let mut attempts = 0;
    while patrol_lines.len() < lines && attempts < 100 * lines.max(1) && !candidates.is_empty() {
        attempts += 1;
        let target_m = 400.0 + 1100.0 * rng.next_f64();
        let first = candidates[(rng.next_u64() % candidates.len() as u64) as usize];
        if used[first as usize] {
            continue;
        }
        let mut walk = vec![first];
        let edge = &network.edges[first as usize];
        let forward = rng.next_f64() < 0.5;
        let mut points: Vec<[f64; 2]> = network.geometry(first as usize).to_vec();
        if !forward {
            points.reverse();
        }
        let mut at = if forward { edge.to } else { edge.from };
        let mut length = edge.length_m;
        while length < target_m {
            let next: Vec<u32> = at_node[at as usize]
                .iter()
                .copied()
                .filter(|&e| !used[e as usize] && !walk.contains(&e))
                .collect();
            if next.is_empty() {
                break;
            }
            let e = next[(rng.next_u64() % next.len() as u64) as usize];
            let edge = &network.edges[e as usize];
            let mut g = network.geometry(e as usize).to_vec();
            if edge.from != at {
                g.reverse();
            }
            at = if edge.from == at { edge.to } else { edge.from };
            points.extend_from_slice(&g[1..]);
            length += edge.length_m;
            walk.push(e);
        }
        if length < 400.0 {
            continue;
        }
        for &e in &walk {
            used[e as usize] = true;
        }
        // Drawn by hand: every vertex 2-5 m off, in a random direction.
        let drawn = points
            .iter()
            .map(|p| {
                let (r, angle) = (
                    2.0 + 3.0 * rng.next_f64(),
                    std::f64::consts::TAU * rng.next_f64(),
                );
                let m_per_deg_lon = 111_195.0 * p[1].to_radians().cos();
                [
                    p[0] + r * angle.cos() / m_per_deg_lon,
                    p[1] + r * angle.sin() / 111_195.0,
                ]
            })
            .collect();
        let i = patrol_lines.len();
        patrol_lines.push(super::PatrolLine {
            id: format!("line-{}", i + 1),
            name: None,
            line: drawn,
            feature: i,
            schedule: Default::default(),
        });
    }
    let sites = random_points_on(network, in_core, checkpoints, seed ^ 0xC0FFEE);
    let stations = random_points_on(network, in_core, posts, seed ^ 0x5EED);
    Scenario {
        units: stations
            .into_iter()
            .enumerate()
            .map(|(i, position)| Unit {
                id: format!("post-{}", i + 1),
                name: None,
                kind: UnitKind::Post,
                class: Some("station".into()),
                mode: TravelMode::Car,
                turnout_s: 0.0,
                position,
                feature: i,
                duty: Default::default(),
            })
            .collect(),
        checkpoints: sites
            .into_iter()
            .enumerate()
            .map(|(i, position)| Site {
                id: format!("checkpoint-{}", i + 1),
                name: None,
                weight: 1.0,
                dwell_s: 120.0,
                position,
                feature: i,
                schedule: Default::default(),
                time_s: None,
            })
            .collect(),
        patrol_lines,
        ..Scenario::default()
    }
}
