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
use crate::network::{Direction, ProfileGraph, RoadNetwork};

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
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Target {
    /// The time budget, in seconds.
    pub budget_s: f64,
    /// Distinct units needed within the budget (1: coverage, 2 or more: reinforcement).
    pub units: u32,
    /// The weight of this target in the mix.
    pub weight: f64,
}

/// A responder already in place: its entries into the graph (see
/// [`crate::coverage::sources_of`]) and the edge it stands on with its fraction, so that the
/// edge it stands on is measured from where it stands.
#[derive(Clone, Debug, PartialEq)]
pub struct Existing {
    /// Graph entries (their `unit` field is ignored).
    pub sources: Vec<Source>,
    /// The edge it stands on and where, when it stands on one.
    pub on_edge: Option<(u32, f64)>,
}

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

/// When the last point of an edge of `time_s` is reached, its ends being reached at `t_from`
/// and `t_to`, travelling it the ways `direction` allows: a two-way edge is entered from
/// both ends and its last point reached is where the two fronts meet.
///
/// ```
/// use patrolmap::network::Direction;
/// use patrolmap::optimize::matrix::edge_last_s;
/// // Both ends at 10 s, 20 s to cross: the middle at 20 s.
/// assert_eq!(edge_last_s(10.0, 10.0, 20.0, Direction::Both), 20.0);
/// // One way: from its first end only.
/// assert_eq!(edge_last_s(10.0, 10.0, 20.0, Direction::Forward), 30.0);
/// assert_eq!(edge_last_s(f64::INFINITY, 0.0, 20.0, Direction::Forward), f64::INFINITY);
/// ```
pub fn edge_last_s(t_from: f64, t_to: f64, time_s: f64, direction: Direction) -> f64 {
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
    if (a - b).abs() >= time_s || !(a - b).is_finite() {
        a.min(b) + time_s
    } else {
        (a + b + time_s) / 2.0
    }
}

/// When the point at `fraction` of an edge of `time_s` is reached, its ends being reached at
/// `t_from` and `t_to` (`spec/coverage.md` §3).
pub fn point_time_s(
    t_from: f64,
    t_to: f64,
    time_s: f64,
    direction: Direction,
    fraction: f64,
) -> f64 {
    let a = if direction.allows_forward() {
        t_from + fraction * time_s
    } else {
        f64::INFINITY
    };
    let b = if direction.allows_backward() {
        t_to + (1.0 - fraction) * time_s
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
struct Measure<'a> {
    network: &'a RoadNetwork,
    graph: &'a ProfileGraph,
    demand: &'a Demand,
    /// For point demand, the points on each edge.
    points_on: Vec<Vec<u32>>,
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
            let (tu, tv, time) = (t(edge.from), t(edge.to), self.graph.edge_time_s[e as usize]);
            let own = on_edge.filter(|&(oe, _)| oe == e).map(|(_, f)| f);
            match self.demand {
                Demand::Roads | Demand::SomeRoads(_) => {
                    let last = match own {
                        // The stretch behind the responder and the stretch ahead, each an edge
                        // of its own with the responder at one end at time 0.
                        Some(f) => edge_last_s(tu, 0.0, f * time, d).max(edge_last_s(
                            0.0,
                            tv,
                            (1.0 - f) * time,
                            d,
                        )),
                        None => edge_last_s(tu, tv, time, d),
                    };
                    push(e, last);
                }
                Demand::Points(points) => {
                    for &p in &self.points_on[e as usize] {
                        let x = points[p as usize].fraction;
                        let mut at = point_time_s(tu, tv, time, d, x);
                        if let Some(f) = own {
                            if x >= f && d.allows_forward() {
                                at = at.min((x - f) * time);
                            }
                            if x <= f && d.allows_backward() {
                                at = at.min((f - x) * time);
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

/// The edges wholly reached within `budget_s` from `node` on `graph`.
pub fn reached_edges(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    node: u32,
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
        points_on: Vec::new(),
        targets: &targets,
        max_budget_s: budget_s,
    };
    let source = Source {
        node,
        time_s: 0.0,
        unit: 0,
    };
    measure
        .reached(&[source], None)
        .into_iter()
        .map(|(e, _)| e)
        .collect()
}

impl CoverageMatrix {
    /// The coverage of `demand` for each of `targets` by each of `candidates` (nodes), what
    /// the `existing` units already meet taken out.
    pub fn build(
        network: &RoadNetwork,
        graph: &ProfileGraph,
        demand: &Demand,
        targets: &[Target],
        candidates: &[u32],
        existing: &[Existing],
    ) -> CoverageMatrix {
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
            points_on,
            targets,
            max_budget_s: targets.iter().map(|t| t.budget_s).fold(0.0, f64::max),
        };
        let (elements, n_targets) = (measure.elements(), targets.len());
        let pair = |(e, t): (u32, u32)| e as usize * n_targets + t as usize;
        let mut existing_count = vec![0u32; elements * n_targets];
        let by_existing: Vec<Vec<(u32, u32)>> = existing
            .par_iter()
            .map(|x| measure.reached(&x.sources, x.on_edge))
            .collect();
        for list in by_existing {
            for p in list {
                existing_count[pair(p)] += 1;
            }
        }
        let by_candidate: Vec<Vec<(u32, u32)>> = candidates
            .par_iter()
            .map(|&v| {
                let source = Source {
                    node: v,
                    time_s: 0.0,
                    unit: 0,
                };
                measure.reached(&[source], None)
            })
            .collect();
        // Per (element, target), the candidates reaching it in time.
        let mut by_pair: Vec<Vec<u32>> = vec![Vec::new(); elements * n_targets];
        for (c, list) in by_candidate.iter().enumerate() {
            for &p in list {
                by_pair[pair(p)].push(c as u32);
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
        m
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
