//! A placement question put together from a scenario: which demand (road or the scenario's
//! sites, optionally only inside an area), against which targets, from which candidates
//! (every road node, the scenario's `candidate` points, a spacing grid, or given points; none
//! inside a no-go area), with the scenario's units counted where they stand. The result is a
//! [`CoverageMatrix`] plus what is needed to report on it. Pure: the caller loads the files
//! and builds the graph (with the scenario's closures left out, if it wants them honoured).

use geo::{Contains, Coord, LineString, Point, Polygon};

use super::matrix::{
    road_nodes, BuildError, BuildLimits, CoverageMatrix, Demand, DemandPoint, ExistingUnit,
    Responder, Target,
};
use crate::coverage::{place_units, ModeNetwork, Placement};
use crate::network::RoadNetwork;
use crate::scenario::{AreaKind, Scenario};
use crate::stop::Stop;

/// What must be reached.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DemandKind {
    /// Every stretch of road, by length.
    Roads,
    /// The scenario's checkpoints, by weight.
    Checkpoints,
    /// The scenario's key sites, by weight.
    KeySites,
    /// The scenario's incidents, by weight.
    Incidents,
    /// Checkpoints, key sites and incidents together.
    Sites,
}

/// A placement question's text that does not parse: its demand, candidates or targets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No such demand.
    #[error("unknown demand {0:?} (roads, checkpoints, key_sites, incidents or sites)")]
    Demand(String),
    /// `random:` without two whole numbers.
    #[error("{0:?}: expected random:COUNT:SEED with whole numbers")]
    Random(String),
    /// A grid finer than 10 m.
    #[error("{0:?}: the grid spacing must be at least 10 metres")]
    Grid(String),
    /// No such candidates.
    #[error("unknown candidates {0:?} (nodes, scenario, grid:SPACING_M or a GeoJSON file)")]
    Candidates(String),
    /// A target's budget out of 1 to 3600 s.
    #[error("target {0:?}: the budget must be 1 to 3600 seconds")]
    TargetBudget(String),
    /// A target's units out of 1 to 8.
    #[error("target {0:?}: units must be a whole number from 1 to 8")]
    TargetUnits(String),
    /// A target's weight not positive.
    #[error("target {0:?}: the weight must be a positive number")]
    TargetWeight(String),
    /// A target with more than three fields.
    #[error("target {0:?}: expected BUDGET_S[:UNITS[:WEIGHT]]")]
    TargetShape(String),
}

impl std::str::FromStr for DemandKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Ok(match s {
            "roads" => DemandKind::Roads,
            "checkpoints" => DemandKind::Checkpoints,
            "key_sites" => DemandKind::KeySites,
            "incidents" => DemandKind::Incidents,
            "sites" => DemandKind::Sites,
            _ => return Err(ParseError::Demand(s.to_string())),
        })
    }
}

/// Where new posts may stand.
#[derive(Clone, Debug, PartialEq)]
pub enum Candidates {
    /// Every road node (inside the area, when one is given).
    Nodes,
    /// The scenario's `kind: candidate` points.
    Scenario,
    /// A square grid of this spacing in metres over the area (or the whole road network),
    /// each point at its nearest road node.
    Grid(f64),
    /// These points.
    Points(Vec<[f64; 2]>),
    /// This many road nodes drawn at random with this seed (reproducible instances).
    Random {
        /// How many.
        count: usize,
        /// The seed.
        seed: u64,
    },
}

impl std::str::FromStr for Candidates {
    type Err = ParseError;
    /// `nodes`, `scenario`, `grid:SPACING_M` or `random:COUNT:SEED` (files are read by the
    /// caller).
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if let Some(rest) = s.strip_prefix("random:") {
            let mut parts = rest.split(':').map(str::parse::<u64>);
            return match (parts.next(), parts.next(), parts.next()) {
                (Some(Ok(count)), Some(Ok(seed)), None) if count > 0 => Ok(Candidates::Random {
                    count: count as usize,
                    seed,
                }),
                _ => Err(ParseError::Random(s.to_string())),
            };
        }
        match s {
            "nodes" => Ok(Candidates::Nodes),
            "scenario" => Ok(Candidates::Scenario),
            _ => match s.strip_prefix("grid:").map(str::parse::<f64>) {
                Some(Ok(m)) if m.is_finite() && m >= 10.0 => Ok(Candidates::Grid(m)),
                Some(_) => Err(ParseError::Grid(s.to_string())),
                None => Err(ParseError::Candidates(s.to_string())),
            },
        }
    }
}

/// A placement question.
#[derive(Clone, Debug)]
pub struct Question {
    /// What must be reached.
    pub demand: DemandKind,
    /// Against which targets.
    pub targets: Vec<Target>,
    /// From where.
    pub candidates: Candidates,
    /// Only demand (and node or grid candidates) inside this ring, plus `margin_m` around it
    /// for candidates.
    pub area: Option<Vec<[f64; 2]>>,
    /// How far around the area candidates may stand, in metres.
    pub margin_m: f64,
    /// Farthest a unit, site or candidate may stand from a road, in metres.
    pub max_snap_m: f64,
    /// The most memory its coverage matrix may take, in bytes.
    pub max_matrix_bytes: usize,
}

/// A demand point as the report names it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct NamedPoint {
    /// The site's id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// What it is: `checkpoint`, `key_site` or `incident`.
    pub kind: &'static str,
    /// Where it is.
    pub position: [f64; 2],
}

/// A question made ready: the matrix and what its indices mean.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The coverage of demand by candidates.
    pub matrix: CoverageMatrix,
    /// Each candidate's road node.
    pub candidate_nodes: Vec<u32>,
    /// For point demand, each point (element) as it is named.
    pub points: Vec<NamedPoint>,
    /// Existing units counted.
    pub existing_units: usize,
    /// Sites or units left out (too far from a road), with why.
    pub skipped: Vec<String>,
    /// What the question counts.
    pub demand: DemandKind,
    /// How long the preparation (mostly the matrix) took, in milliseconds.
    pub prepare_ms: f64,
}

/// Why a question cannot be answered.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QuestionError {
    /// No candidate is left (none given, all too far from roads or in no-go areas).
    #[error("no candidate post place is left: {0}")]
    NoCandidates(String),
    /// The demand is empty.
    #[error("nothing to cover: {0}")]
    NoDemand(String),
    /// The matrix was refused: too large, or out of time.
    #[error(transparent)]
    Matrix(#[from] BuildError),
}

fn polygon(ring: &[[f64; 2]]) -> Polygon<f64> {
    Polygon::new(
        LineString::from(
            ring.iter()
                .map(|p| Coord { x: p[0], y: p[1] })
                .collect::<Vec<_>>(),
        ),
        vec![],
    )
}

/// Whether `p` is within `margin_m` of `area` (inside it when 0), on a local flat projection.
fn near_area(area: &Polygon<f64>, p: [f64; 2], margin_m: f64) -> bool {
    let point = Point::new(p[0], p[1]);
    if area.contains(&point) {
        return true;
    }
    if margin_m <= 0.0 {
        return false;
    }
    use geo::{Closest, ClosestPoint};
    match area.exterior().closest_point(&point) {
        Closest::Intersection(_) => true,
        Closest::SinglePoint(q) => {
            crate::network::geodesy::haversine_m([q.x(), q.y()], p) <= margin_m
        }
        Closest::Indeterminate => false,
    }
}

/// The middle of edge `e`'s drawn line (its first-to-last average is enough to place it).
fn edge_middle(network: &RoadNetwork, e: usize) -> [f64; 2] {
    let g = network.geometry(e);
    g[g.len() / 2]
}

/// `count` distinct nodes of `nodes` drawn with `seed` (xorshift64), all of them when there
/// are no more.
///
/// ```
/// use patrolmap_core::optimize::problem::draw_nodes;
/// let a = draw_nodes(&(0..100).collect::<Vec<u32>>(), 10, 7);
/// assert_eq!(a, draw_nodes(&(0..100).collect::<Vec<u32>>(), 10, 7));
/// assert_eq!(a.len(), 10);
/// assert_eq!(draw_nodes(&[1, 2], 5, 7).len(), 2);
/// ```
pub fn draw_nodes(nodes: &[u32], count: usize, seed: u64) -> Vec<u32> {
    if count >= nodes.len() {
        return nodes.to_vec();
    }
    let mut x = seed.max(1);
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = nodes[(x % nodes.len() as u64) as usize];
        if taken.insert(v) {
            out.push(v);
        }
    }
    out
}

/// Puts the question together: posts stand and demand is measured on the first of `modes`
/// (the car roads, closures already left out by the caller); the scenario's units stand on
/// their own modes' roads where `modes` has them (else on the first's), so what they already
/// meet is what the coverage report says they meet.
pub fn prepare(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    scenario: &Scenario,
    question: &Question,
    stop: &Stop,
) -> Result<Prepared, QuestionError> {
    let started = std::time::Instant::now();
    let (graph, index) = (modes[0].graph, modes[0].index);
    let area = question.area.as_deref().map(polygon);
    let mut skipped = Vec::new();
    let node_at = |p: [f64; 2]| -> Option<u32> {
        let s = index.snap(p, question.max_snap_m).ok()?;
        let edge = &network.edges[s.edge as usize];
        Some(if s.fraction < 0.5 { edge.from } else { edge.to })
    };
    // Candidates.
    let mut candidate_nodes: Vec<u32> = match &question.candidates {
        Candidates::Nodes => road_nodes(network, graph)
            .into_iter()
            .filter(|&v| {
                area.as_ref()
                    .is_none_or(|a| near_area(a, network.nodes[v as usize], question.margin_m))
            })
            .collect(),
        Candidates::Random { count, seed } => {
            draw_nodes(&road_nodes(network, graph), *count, *seed)
        }
        Candidates::Scenario => scenario
            .candidates
            .iter()
            .filter_map(|c| node_at(c.position))
            .collect(),
        Candidates::Points(points) => points.iter().filter_map(|&p| node_at(p)).collect(),
        Candidates::Grid(spacing_m) => {
            let bbox = match &question.area {
                Some(ring) => ring
                    .iter()
                    .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, p| {
                        [
                            b[0].min(p[0]),
                            b[1].min(p[1]),
                            b[2].max(p[0]),
                            b[3].max(p[1]),
                        ]
                    }),
                None => network.bbox().unwrap_or([0.0; 4]),
            };
            let mid_lat = (bbox[1] + bbox[3]) / 2.0;
            let pad = question.margin_m / 111_195.0;
            let dlat = spacing_m / 111_195.0;
            let dlon = dlat / mid_lat.to_radians().cos().max(0.01);
            let mut nodes = Vec::new();
            let mut lat = bbox[1] - pad;
            while lat <= bbox[3] + pad {
                let mut lon = bbox[0] - pad / mid_lat.to_radians().cos().max(0.01);
                while lon <= bbox[2] + pad / mid_lat.to_radians().cos().max(0.01) {
                    let p = [lon, lat];
                    if area
                        .as_ref()
                        .is_none_or(|a| near_area(a, p, question.margin_m))
                    {
                        nodes.extend(node_at(p));
                    }
                    lon += dlon;
                }
                lat += dlat;
            }
            nodes
        }
    };
    let no_go: Vec<Polygon<f64>> = scenario
        .areas
        .iter()
        .filter(|a| a.kind == AreaKind::NoGo)
        .map(|a| polygon(&a.ring))
        .collect();
    candidate_nodes.retain(|&v| {
        let p = network.nodes[v as usize];
        graph.has_arcs(v) && !no_go.iter().any(|a| a.contains(&Point::new(p[0], p[1])))
    });
    candidate_nodes.sort_unstable();
    candidate_nodes.dedup();
    if candidate_nodes.is_empty() {
        return Err(QuestionError::NoCandidates(format!(
            "none stands within {} m of an open road{}{}",
            question.max_snap_m,
            if area.is_some() { " near the area" } else { "" },
            if no_go.is_empty() {
                ""
            } else {
                " outside the no-go areas"
            }
        )));
    }
    // Demand.
    let mut points = Vec::new();
    let demand = if question.demand == DemandKind::Roads {
        match &area {
            None => Demand::Roads,
            Some(a) => Demand::SomeRoads(
                (0..network.edges.len())
                    .map(|e| near_area(a, edge_middle(network, e), 0.0))
                    .collect(),
            ),
        }
    } else {
        let mut lists: Vec<(&'static str, &Vec<crate::scenario::Site>)> = Vec::new();
        if matches!(question.demand, DemandKind::Checkpoints | DemandKind::Sites) {
            lists.push(("checkpoint", &scenario.checkpoints));
        }
        if matches!(question.demand, DemandKind::KeySites | DemandKind::Sites) {
            lists.push(("key_site", &scenario.key_sites));
        }
        if matches!(question.demand, DemandKind::Incidents | DemandKind::Sites) {
            lists.push(("incident", &scenario.incidents));
        }
        let mut demand_points = Vec::new();
        for (kind, list) in lists {
            for site in list {
                if area
                    .as_ref()
                    .is_some_and(|a| !near_area(a, site.position, 0.0))
                {
                    continue;
                }
                match index.snap(site.position, question.max_snap_m) {
                    Ok(s) => {
                        demand_points.push(DemandPoint {
                            edge: s.edge,
                            fraction: s.fraction,
                            weight: site.weight,
                        });
                        points.push(NamedPoint {
                            id: site.id.clone(),
                            name: site.name.clone(),
                            kind,
                            position: site.position,
                        });
                    }
                    Err(e) => skipped.push(format!("{kind} {}: {e}", site.id)),
                }
            }
        }
        if demand_points.is_empty() {
            return Err(QuestionError::NoDemand(format!(
                "the scenario has no {} on the roads{}",
                serde_json::to_value(question.demand)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                if area.is_some() {
                    " inside the area"
                } else {
                    ""
                }
            )));
        }
        Demand::Points(demand_points)
    };
    // Existing units, where they stand on their own mode's roads.
    let units: Vec<_> = scenario
        .units
        .iter()
        .map(|u| crate::scenario::Unit {
            mode: if modes.iter().any(|m| m.mode == u.mode) {
                u.mode
            } else {
                modes[0].mode
            },
            ..u.clone()
        })
        .collect();
    let (placed, unplaced) = place_units(&units, modes, question.max_snap_m);
    skipped.extend(
        unplaced
            .iter()
            .map(|u| format!("unit {}: {}", units[u.unit as usize].id, u.reason)),
    );
    let existing: Vec<ExistingUnit> = placed
        .iter()
        .map(|p| {
            let own = modes[p.mode_index].graph;
            ExistingUnit {
                graph: own,
                responder: Responder::at(network, own, p),
            }
        })
        .collect();
    // Each candidate measured where a post at its node stands once the scenario reader snaps
    // it there (at a node the first edge of the spec's tie-break, which may be a one-way road
    // leaving it): what is promised is what a post there gives.
    let (candidate_nodes, candidates): (Vec<u32>, Vec<Responder>) = candidate_nodes
        .into_iter()
        .filter_map(|v| {
            let s = index
                .snap(network.nodes[v as usize], question.max_snap_m)
                .ok()?;
            let placement = Placement {
                unit: 0,
                mode_index: 0,
                edge: s.edge,
                fraction: s.fraction,
                start_s: 0.0,
                dist_m: s.dist_m,
            };
            Some((v, Responder::at(network, graph, &placement)))
        })
        .unzip();
    let limits = BuildLimits {
        max_bytes: question.max_matrix_bytes,
        stop: stop.clone(),
    };
    let matrix = CoverageMatrix::build(
        network,
        graph,
        &demand,
        &question.targets,
        &candidates,
        &existing,
        &limits,
    )?;
    Ok(Prepared {
        matrix,
        candidate_nodes,
        points,
        existing_units: existing.len(),
        skipped,
        demand: question.demand,
        prepare_ms: started.elapsed().as_secs_f64() * 1e3,
    })
}

/// Parses targets `BUDGET_S[:UNITS[:WEIGHT]],…`, e.g. `60:1:3,180:2:2,300:3:1` (a weighted
/// mix of the 1-3-5 tiers) or `180` (one unit within 180 s).
///
/// ```
/// use patrolmap_core::optimize::problem::parse_targets;
/// let t = parse_targets("60:1:3,180:2").unwrap();
/// assert_eq!((t[1].budget_s, t[1].units, t[1].weight), (180.0, 2, 1.0));
/// assert!(parse_targets("60:0").is_err());
/// assert!(parse_targets("").is_err());
/// ```
pub fn parse_targets(text: &str) -> Result<Vec<Target>, ParseError> {
    text.split(',')
        .map(|part| {
            let fields: Vec<&str> = part.trim().split(':').collect();
            let number = |i: usize, default: f64| -> Option<f64> {
                match fields.get(i) {
                    None => Some(default),
                    Some(f) => f.trim().parse::<f64>().ok(),
                }
            };
            let budget_s = number(0, f64::NAN)
                .filter(|b| b.is_finite() && *b > 0.0 && *b <= 3600.0)
                .ok_or_else(|| ParseError::TargetBudget(part.to_string()))?;
            let units = number(1, 1.0)
                .filter(|u| u.fract() == 0.0 && (1.0..=8.0).contains(u))
                .ok_or_else(|| ParseError::TargetUnits(part.to_string()))?;
            let weight = number(2, 1.0)
                .filter(|w| w.is_finite() && *w > 0.0)
                .ok_or_else(|| ParseError::TargetWeight(part.to_string()))?;
            if fields.len() > 3 {
                return Err(ParseError::TargetShape(part.to_string()));
            }
            Ok(Target {
                budget_s,
                units: units as u32,
                weight,
            })
        })
        .collect()
}
