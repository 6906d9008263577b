//! Which demand each candidate post covers, on patrolmap's own travel times.
//!
//! Demand is road (every usable edge, weighted by its length, counted when reached whole) or
//! points (checkpoints, key sites, incidents with their weights, at their place on the road),
//! each measured against one or more *targets*: a budget, how many distinct units must reach
//! it within it, and a weight (a weighted mix of the 1-3-5 tiers). One bounded search runs
//! from each candidate and each existing unit (in parallel). What the existing units already
//! meet is counted apart; what the candidates cannot meet however many are chosen is listed
//! as a shortfall; the rest becomes demand items, and elements covered by exactly the same
//! candidates with the same need are merged into one item, so the selection works on far
//! fewer items than there are edges.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::coverage::search::{nearest, Source};
use crate::coverage::{sources_of, Placement};
use crate::network::{Direction, ProfileGraph, RoadNetwork};
use crate::stop::{Stop, Stopped};

/// What must be reached.
#[derive(Clone, Debug)]
pub enum Demand {
    /// Every usable edge of the graph, weighted by its length in metres, counted when reached
    /// whole.
    Roads,
    /// The usable edges marked `true` (the roads of an event venue), by length.
    SomeRoads(Vec<bool>),
    /// Points on the road, each with its weight.
    Points(Vec<DemandPoint>),
}

/// A point of demand where it stands on the road.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemandPoint {
    /// The edge it snaps to.
    pub edge: u32,
    /// Where on the edge, as a fraction of its length from its first node.
    pub fraction: f64,
    /// Its weight.
    pub weight: f64,
}

/// One part of the objective: demand counts (times `weight`) when at least `units` distinct
/// units reach it within `budget_s`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Target {
    /// The time budget, in seconds.
    pub budget_s: f64,
    /// Distinct units needed within the budget (1: coverage, 2 or more: reinforcement).
    pub units: u32,
    /// The weight of this target in the mix.
    pub weight: f64,
}

/// A responder where it stands: an existing unit, or a candidate post where it would stand
/// (its place snapped to the road as the scenario reader snaps a post there, so a suggested
/// post, read back, reaches what it was counted for). Its entries into the graph (see
/// [`crate::coverage::sources_of`]) and the edge it stands on with its fraction, so that edge
/// is measured from where it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Responder {
    /// Graph entries (their `unit` field is ignored).
    pub sources: Vec<Source>,
    /// The edge it stands on and where, when it stands on one.
    pub on_edge: Option<(u32, f64)>,
}

impl Responder {
    /// The responder standing at `placement` on `graph`.
    pub fn at(network: &RoadNetwork, graph: &ProfileGraph, placement: &Placement) -> Responder {
        let mut sources = Vec::new();
        sources_of(network, graph, placement, &mut sources);
        Responder {
            sources,
            on_edge: Some((placement.edge, placement.fraction)),
        }
    }

    /// A responder entering the graph at `node` at time 0 (a unit free to leave it by any
    /// edge).
    pub fn at_node(node: u32) -> Responder {
        Responder {
            sources: vec![Source {
                node,
                time_s: 0.0,
                unit: 0,
            }],
            on_edge: None,
        }
    }
}

/// A unit already on the roads: where it stands, on the graph of its own mode (a foot patrol
/// reaches what it walks to, not what a car would), so what it already meets is counted as
/// the coverage report counts it.
#[derive(Clone, Debug)]
pub struct ExistingUnit<'a> {
    /// Its mode's graph.
    pub graph: &'a ProfileGraph,
    /// Where it stands on it.
    pub responder: Responder,
}

/// How much a matrix may cost, and when its building must stop.
#[derive(Clone, Debug)]
pub struct BuildLimits {
    /// The most memory the matrix may take, in bytes (estimated before it is built, then
    /// counted as it is built).
    pub max_bytes: usize,
    /// Stop building (the matrix is then refused).
    pub stop: Stop,
}

impl Default for BuildLimits {
    /// 4 GB, never stopping: the command line's own machine.
    fn default() -> Self {
        BuildLimits {
            max_bytes: 4 << 30,
            stop: Stop::never(),
        }
    }
}

/// Why a matrix was not built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// It would take more memory than allowed.
    #[error("the question is too large: its coverage matrix would take about {} MB, more than the {} MB allowed; ask about fewer candidate places (random:2000:1 or grid:300), a smaller budget, or only an area", estimated_bytes >> 20, limit_bytes >> 20)]
    TooLarge {
        /// What it would take (an estimate from a sample of candidates, or what it had
        /// reached when it was stopped).
        estimated_bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
    /// The work was stopped (out of time, or cancelled) before the matrix was complete.
    #[error("the coverage matrix could not be built in time")]
    Stopped(#[from] Stopped),
}

/// Bytes a matrix holds per (candidate, element, target) reached: its entry in the list of
/// candidates reaching the pair, and at most one in the candidate's list of items.
const BYTES_PER_REACH: usize = 8;
/// Candidates searched at a time: their reach is folded in before the next are searched, so
/// the memory is the matrix's, not every candidate's raw lists at once.
const CHUNK: usize = 256;
/// Candidates searched to estimate the matrix's size before building it.
const SAMPLE: usize = 24;

/// A demand element that the candidates cannot bring up to a target.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Shortfall {
    /// The element: an edge (road demand) or a point's index (point demand).
    pub element: u32,
    /// The target's index.
    pub target: u32,
    /// Units needed beyond the existing ones.
    pub need: u32,
    /// Candidates that reach it in time.
    pub candidates: u32,
}

/// The coverage of demand by candidates.
#[derive(Clone, Debug, Default)]
pub struct CoverageMatrix {
    /// The weight of each demand item: (element, target) pairs with the same target,
    /// candidates and need, merged.
    pub weights: Vec<f64>,
    /// How many chosen candidates each item needs to count (beyond the existing units).
    pub need: Vec<u32>,
    /// The target of each item (items never mix targets).
    pub target: Vec<u32>,
    /// For each candidate, the demand items it reaches, ascending.
    pub covers: Vec<Vec<u32>>,
    /// The (element, target) pairs of each item.
    pub members: Vec<Vec<(u32, u32)>>,
    /// Weight the existing units already meet.
    pub existing: f64,
    /// All the demand's weight (road of every usable edge, or every point, for every
    /// target): the denominator of shares.
    pub total: f64,
    /// What no choice of candidates can meet.
    pub shortfalls: Vec<Shortfall>,
    /// Per target: all its weight, and what the existing units meet of it.
    pub by_target: Vec<(f64, f64)>,
}

/// When the last point of an edge is reached, its ends being reached at `t_from` and `t_to`,
/// travelling it the ways `direction` allows, `forward_s` from its first end to its last and
/// `backward_s` back: a two-way edge is entered from both ends and its last point reached is
/// where the two fronts meet.
///
/// ```
/// use patrolmap_core::network::Direction;
/// use patrolmap_core::optimize::matrix::edge_last_s;
/// // Both ends at 10 s, 20 s to cross: the middle at 20 s.
/// assert_eq!(edge_last_s(10.0, 10.0, 20.0, 20.0, Direction::Both), 20.0);
/// // One way: from its first end only.
/// assert_eq!(edge_last_s(10.0, 10.0, 20.0, 20.0, Direction::Forward), 30.0);
/// assert_eq!(edge_last_s(f64::INFINITY, 0.0, 20.0, 20.0, Direction::Forward), f64::INFINITY);
/// // Slower back (40 s): the fronts meet a third of the way from the last end, at 23.3 s.
/// assert!((edge_last_s(10.0, 10.0, 20.0, 40.0, Direction::Both) - 70.0 / 3.0).abs() < 1e-9);
/// ```
pub fn edge_last_s(
    t_from: f64,
    t_to: f64,
    forward_s: f64,
    backward_s: f64,
    direction: Direction,
) -> f64 {
    let a = if direction.allows_forward() {
        t_from
    } else {
        f64::INFINITY
    };
    let b = if direction.allows_backward() {
        t_to
    } else {
        f64::INFINITY
    };
    if !(a - b).is_finite() {
        return (a + forward_s).min(b + backward_s);
    }
    if forward_s == backward_s {
        // The common case, in the form that needs no division (and covers zero length).
        let time_s = forward_s;
        return if (a - b).abs() >= time_s {
            a.min(b) + time_s
        } else {
            (a + b + time_s) / 2.0
        };
    }
    // a + f·forward = b + (1 − f)·backward where the fronts meet; outside [0, 1] one front
    // reaches the whole edge first and the last point is the far end.
    let meet = (b + backward_s - a) / (forward_s + backward_s);
    if meet <= 0.0 {
        b + backward_s
    } else if meet >= 1.0 {
        a + forward_s
    } else {
        a + meet * forward_s
    }
}

/// When the point at `fraction` of an edge is reached, its ends being reached at `t_from`
/// and `t_to`, `forward_s` to travel it from its first end and `backward_s` from its last
/// (`spec/coverage.md` §3).
///
/// ```
/// use patrolmap_core::network::Direction;
/// use patrolmap_core::optimize::matrix::point_time_s;
/// assert_eq!(point_time_s(0.0, 0.0, 10.0, 30.0, Direction::Both, 0.5), 5.0);
/// assert_eq!(point_time_s(0.0, 0.0, 10.0, 30.0, Direction::Backward, 0.5), 15.0);
/// ```
pub fn point_time_s(
    t_from: f64,
    t_to: f64,
    forward_s: f64,
    backward_s: f64,
    direction: Direction,
    fraction: f64,
) -> f64 {
    let a = if direction.allows_forward() {
        t_from + fraction * forward_s
    } else {
        f64::INFINITY
    };
    let b = if direction.allows_backward() {
        t_to + (1.0 - fraction) * backward_s
    } else {
        f64::INFINITY
    };
    a.min(b)
}

/// Every road node a post could stand at: the nodes with a usable edge of `graph`.
pub fn road_nodes(network: &RoadNetwork, graph: &ProfileGraph) -> Vec<u32> {
    let mut usable = vec![false; network.nodes.len()];
    for (e, edge) in network.edges.iter().enumerate() {
        if graph.is_usable(e) {
            usable[edge.from as usize] = true;
            usable[edge.to as usize] = true;
        }
    }
    (0..network.nodes.len() as u32)
        .filter(|&v| usable[v as usize])
        .collect()
}

/// The demand and targets, with what a search can reach.
#[derive(Clone, Copy)]
struct Measure<'a> {
    network: &'a RoadNetwork,
    graph: &'a ProfileGraph,
    demand: &'a Demand,
    /// For point demand, the points on each edge.
    points_on: &'a [Vec<u32>],
    targets: &'a [Target],
    max_budget_s: f64,
}

impl Measure<'_> {
    fn elements(&self) -> usize {
        match self.demand {
            Demand::Roads | Demand::SomeRoads(_) => self.network.edges.len(),
            Demand::Points(p) => p.len(),
        }
    }

    /// The (element, target) pairs reached in time from `sources` (one responder), with the
    /// responder standing on `on_edge` when given.
    fn reached(&self, sources: &[Source], on_edge: Option<(u32, f64)>) -> Vec<(u32, u32)> {
        let labels = nearest(self.graph, sources, self.max_budget_s);
        let t = |v: u32| labels.nearest_s(v);
        // Only edges at a reached node (or the responder's own) can be reached.
        let mut edges: Vec<u32> = on_edge.map(|(e, _)| e).into_iter().collect();
        for v in 0..self.network.nodes.len() as u32 {
            if t(v).is_finite() {
                edges.extend(self.graph.forward.arcs(v).map(|(_, _, e)| e));
                edges.extend(self.graph.backward.arcs(v).map(|(_, _, e)| e));
            }
        }
        edges.sort_unstable();
        edges.dedup();
        let mut out = Vec::new();
        let mut push = |element: u32, time_s: f64| {
            for (j, target) in self.targets.iter().enumerate() {
                if time_s <= target.budget_s {
                    out.push((element, j as u32));
                }
            }
        };
        for e in edges {
            let Some(d) = self.graph.edge_direction[e as usize] else {
                continue;
            };
            let edge = &self.network.edges[e as usize];
            let (tu, tv) = (t(edge.from), t(edge.to));
            let (fwd, back) = (self.graph.time_s(e, true), self.graph.time_s(e, false));
            let own = on_edge.filter(|&(oe, _)| oe == e).map(|(_, f)| f);
            match self.demand {
                Demand::Roads | Demand::SomeRoads(_) => {
                    let last = match own {
                        // The stretch behind the responder and the stretch ahead, each an edge
                        // of its own with the responder at one end at time 0.
                        // (A stretch of no length, the responder at an end, is its own
                        // point: reached at once.)
                        Some(f) => {
                            let behind = if f > 0.0 {
                                edge_last_s(tu, 0.0, f * fwd, f * back, d)
                            } else {
                                0.0
                            };
                            let ahead = if f < 1.0 {
                                edge_last_s(0.0, tv, (1.0 - f) * fwd, (1.0 - f) * back, d)
                            } else {
                                0.0
                            };
                            behind.max(ahead)
                        }
                        None => edge_last_s(tu, tv, fwd, back, d),
                    };
                    push(e, last);
                }
                Demand::Points(points) => {
                    for &p in &self.points_on[e as usize] {
                        let x = points[p as usize].fraction;
                        let mut at = point_time_s(tu, tv, fwd, back, d, x);
                        if let Some(f) = own {
                            if x >= f && d.allows_forward() {
                                at = at.min((x - f) * fwd);
                            }
                            if x <= f && d.allows_backward() {
                                at = at.min((f - x) * back);
                            }
                        }
                        push(p, at);
                    }
                }
            }
        }
        out
    }

    /// The weight of an element (before the target's weight), or None when it is not demand.
    fn element_weight(&self, element: usize) -> Option<f64> {
        match self.demand {
            Demand::Roads => self
                .graph
                .is_usable(element)
                .then(|| self.network.edges[element].length_m),
            Demand::SomeRoads(only) => (only[element] && self.graph.is_usable(element))
                .then(|| self.network.edges[element].length_m),
            Demand::Points(p) => Some(p[element].weight),
        }
    }
}

/// The edges wholly reached within `budget_s` by `responder` on `graph`.
pub fn reached_edges(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    responder: &Responder,
    budget_s: f64,
) -> Vec<u32> {
    let targets = [Target {
        budget_s,
        units: 1,
        weight: 1.0,
    }];
    let measure = Measure {
        network,
        graph,
        demand: &Demand::Roads,
        points_on: &[],
        targets: &targets,
        max_budget_s: budget_s,
    };
    measure
        .reached(&responder.sources, responder.on_edge)
        .into_iter()
        .map(|(e, _)| e)
        .collect()
}

/// A placement problem as other solvers read it (`bench/optimize_peers.py`): the posts to
/// add, each demand item's weight and need, which candidates cover it, and the targets.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PlacementInstance<'a> {
    /// Posts to add.
    pub k: usize,
    /// Each demand item's weight.
    pub weights: &'a [f64],
    /// Each item's units still needed.
    pub need: &'a [u32],
    /// Each candidate's covered items.
    pub covers: &'a [Vec<u32>],
    /// Demand the existing units meet.
    pub existing: f64,
    /// All demand.
    pub total: f64,
    /// The targets of the objective.
    pub targets: &'a [Target],
}

impl CoverageMatrix {
    /// The coverage of `demand` for each of `targets` by each of `candidates`, what the
    /// `existing` units already meet taken out; refused when it would take more than
    /// `limits.max_bytes` or when `limits.stop` says so before it is done.
    pub fn build(
        network: &RoadNetwork,
        graph: &ProfileGraph,
        demand: &Demand,
        targets: &[Target],
        candidates: &[Responder],
        existing: &[ExistingUnit],
        limits: &BuildLimits,
    ) -> Result<CoverageMatrix, BuildError> {
        let mut points_on = Vec::new();
        if let Demand::Points(points) = demand {
            points_on = vec![Vec::new(); network.edges.len()];
            for (i, p) in points.iter().enumerate() {
                points_on[p.edge as usize].push(i as u32);
            }
        }
        let measure = Measure {
            network,
            graph,
            demand,
            points_on: &points_on,
            targets,
            max_budget_s: targets.iter().map(|t| t.budget_s).fold(0.0, f64::max),
        };
        let (elements, n_targets) = (measure.elements(), targets.len());
        let pair = |(e, t): (u32, u32)| e as usize * n_targets + t as usize;
        let too_large = |bytes: usize| BuildError::TooLarge {
            estimated_bytes: bytes as u64,
            limit_bytes: limits.max_bytes as u64,
        };
        // Sized before it is built: a sample of candidates spread over the list.
        let step = (candidates.len() / SAMPLE).max(1);
        let sample: Vec<usize> = (0..candidates.len()).step_by(step).take(SAMPLE).collect();
        let sampled: usize = sample
            .par_iter()
            .map(|&c| {
                measure
                    .reached(&candidates[c].sources, candidates[c].on_edge)
                    .len()
            })
            .sum();
        let estimate = sampled * BYTES_PER_REACH * candidates.len() / sample.len().max(1);
        if estimate > limits.max_bytes {
            return Err(too_large(estimate));
        }
        limits.stop.check()?;
        // A responder's reach on `graph`, or nothing once the build is stopped (and then
        // refused). The demand stays the measure's: an edge `graph` lacks is never reached,
        // one the measure lacks weighs nothing.
        let reach_on = |graph: &ProfileGraph, r: &Responder| {
            if limits.stop.should_stop() {
                Vec::new()
            } else {
                Measure { graph, ..measure }.reached(&r.sources, r.on_edge)
            }
        };
        let reach = |r: &Responder| reach_on(graph, r);
        let mut existing_count = vec![0u32; elements * n_targets];
        // Each existing unit searched on its own mode's graph.
        let by_existing: Vec<Vec<(u32, u32)>> = existing
            .par_iter()
            .map(|u| reach_on(u.graph, &u.responder))
            .collect();
        limits.stop.check()?;
        for list in by_existing {
            for p in list {
                existing_count[pair(p)] += 1;
            }
        }
        // Per (element, target), the candidates reaching it in time, a chunk at a time.
        let mut by_pair: Vec<Vec<u32>> = vec![Vec::new(); elements * n_targets];
        let mut reaches = 0usize;
        limits.stop.stage("matrix", candidates.len() as u64);
        for (chunk, responders) in candidates.chunks(CHUNK).enumerate() {
            let lists: Vec<Vec<(u32, u32)>> = responders.par_iter().map(reach).collect();
            limits.stop.check()?;
            limits.stop.advance(responders.len() as u64);
            for (i, list) in lists.iter().enumerate() {
                let c = (chunk * CHUNK + i) as u32;
                for &p in list {
                    by_pair[pair(p)].push(c);
                }
                reaches += list.len();
            }
            if reaches * BYTES_PER_REACH > limits.max_bytes {
                return Err(too_large(
                    reaches * BYTES_PER_REACH * candidates.len()
                        / (chunk * CHUNK + responders.len()),
                ));
            }
        }
        let mut m = CoverageMatrix {
            covers: vec![Vec::new(); candidates.len()],
            by_target: vec![(0.0, 0.0); n_targets],
            ..CoverageMatrix::default()
        };
        let mut item_of: HashMap<(&[u32], u32, usize), u32> = HashMap::new();
        for element in 0..elements {
            let Some(weight) = measure.element_weight(element) else {
                continue;
            };
            for (t, target) in targets.iter().enumerate() {
                let w = weight * target.weight;
                m.total += w;
                m.by_target[t].0 += w;
                let p = element * n_targets + t;
                let Some(need) = target
                    .units
                    .checked_sub(existing_count[p])
                    .filter(|&n| n > 0)
                else {
                    m.existing += w;
                    m.by_target[t].1 += w;
                    continue;
                };
                let list = by_pair[p].as_slice();
                if (list.len() as u32) < need {
                    m.shortfalls.push(Shortfall {
                        element: element as u32,
                        target: t as u32,
                        need,
                        candidates: list.len() as u32,
                    });
                    continue;
                }
                let next = m.weights.len() as u32;
                let item = *item_of.entry((list, need, t)).or_insert(next);
                if item == next {
                    m.weights.push(0.0);
                    m.need.push(need);
                    m.target.push(t as u32);
                    m.members.push(Vec::new());
                    for &c in list {
                        m.covers[c as usize].push(item);
                    }
                }
                m.weights[item as usize] += w;
                m.members[item as usize].push((element as u32, t as u32));
            }
        }
        Ok(m)
    }

    /// How many of the candidates `chosen` reach each item.
    pub fn counts(&self, chosen: &[usize]) -> Vec<u32> {
        let mut count = vec![0u32; self.weights.len()];
        for &c in chosen {
            self.take(&mut count, c);
        }
        count
    }

    /// Adds candidate `c` to the reach counts `count`; returns the weight it completes (items
    /// it brings up to their need).
    pub fn take(&self, count: &mut [u32], c: usize) -> f64 {
        let mut completed = 0.0;
        for &i in &self.covers[c] {
            let i = i as usize;
            count[i] += 1;
            if count[i] == self.need[i] {
                completed += self.weights[i];
            }
        }
        completed
    }

    /// The weight the candidates `chosen` meet together (beyond the existing units).
    pub fn value(&self, chosen: &[usize]) -> f64 {
        self.counts(chosen)
            .iter()
            .zip(&self.need)
            .zip(&self.weights)
            .filter(|((c, n), _)| c >= n)
            .map(|(_, w)| w)
            .sum()
    }

    /// The share of all demand met with `chosen` added (the existing units' included).
    pub fn share(&self, value: f64) -> f64 {
        if self.total > 0.0 {
            (self.existing + value) / self.total
        } else {
            1.0
        }
    }

    /// Per target, the weight `chosen` meets with the existing units (in the targets' order).
    pub fn value_by_target(&self, chosen: &[usize], targets: usize) -> Vec<f64> {
        let count = self.counts(chosen);
        let mut out: Vec<f64> = (0..targets)
            .map(|t| self.by_target.get(t).map_or(0.0, |b| b.1))
            .collect();
        for (i, &t) in self.target.iter().enumerate() {
            if count[i] >= self.need[i] {
                out[t as usize] += self.weights[i];
            }
        }
        out
    }

    /// Whether every item needs one candidate only (plain coverage, no reinforcement).
    pub fn single_need(&self) -> bool {
        self.need.iter().all(|&n| n == 1)
    }
}
