//! Which demand each candidate post covers: road edges (weighted by length) wholly reached
//! within a budget from the candidate's node, by a bounded search from each candidate (in
//! parallel). Edges that the existing posts already cover are left out (their length is
//! counted apart), and edges covered by exactly the same candidates are merged into one
//! demand item, so the selection works on far fewer items than there are edges.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::coverage::search::{nearest, Source};
use crate::network::{ProfileGraph, RoadNetwork};

/// The coverage of demand by candidates.
#[derive(Clone, Debug, Default)]
pub struct CoverageMatrix {
    /// The weight of each demand item (metres of road): edges covered by the same candidates,
    /// merged.
    pub weights: Vec<f64>,
    /// For each candidate, the demand items it covers, ascending.
    pub covers: Vec<Vec<u32>>,
    /// Metres already covered by the existing posts.
    pub existing_m: f64,
    /// Metres of usable road in all: the denominator of shares.
    pub total_m: f64,
}

/// Whether an edge of `time_s` whose ends are reached at `t_from` and `t_to` is reached
/// whole within `budget_s`, travelling it the ways `direction` allows: a two-way edge is
/// entered from both ends and its last point reached is where the two fronts meet.
///
/// ```
/// use patrolmap::network::Direction;
/// use patrolmap::optimize::matrix::edge_reached;
/// // Both ends at 10 s, 20 s to cross: the middle at 20 s.
/// assert!(edge_reached(10.0, 10.0, 20.0, Direction::Both, 20.0));
/// assert!(!edge_reached(10.0, 10.0, 20.0, Direction::Both, 19.9));
/// // One way: from its first end only.
/// assert!(!edge_reached(10.0, 10.0, 20.0, Direction::Forward, 20.0));
/// assert!(edge_reached(10.0, 10.0, 20.0, Direction::Forward, 30.0));
/// ```
pub fn edge_reached(
    t_from: f64,
    t_to: f64,
    time_s: f64,
    direction: crate::network::Direction,
    budget_s: f64,
) -> bool {
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
    let last = if (a - b).abs() >= time_s {
        a.min(b) + time_s
    } else {
        (a + b + time_s) / 2.0
    };
    last <= budget_s
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

/// The edges wholly reached within `budget_s` from `node` on `graph`.
pub fn reached_edges(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    node: u32,
    budget_s: f64,
) -> Vec<u32> {
    let labels = nearest(
        graph,
        &[Source {
            node,
            time_s: 0.0,
            unit: 0,
        }],
        budget_s,
    );
    let mut out = Vec::new();
    // Only edges at a reached node can be reached; look at those around the reached nodes.
    for v in 0..network.nodes.len() as u32 {
        if !labels.nearest_s(v).is_finite() {
            continue;
        }
        for (_, _, e) in graph.forward.arcs(v) {
            out.push(e);
        }
        for (_, _, e) in graph.backward.arcs(v) {
            out.push(e);
        }
    }
    out.sort_unstable();
    out.dedup();
    out.retain(|&e| {
        let edge = &network.edges[e as usize];
        graph.edge_direction[e as usize].is_some_and(|d| {
            edge_reached(
                labels.nearest_s(edge.from),
                labels.nearest_s(edge.to),
                graph.edge_time_s[e as usize],
                d,
                budget_s,
            )
        })
    });
    out
}

impl CoverageMatrix {
    /// The coverage of every usable edge of `graph` (weighted by its length) within
    /// `budget_s` by each of `candidates` (nodes), with the `existing` posts' (nodes) coverage
    /// taken out.
    pub fn build(
        network: &RoadNetwork,
        graph: &ProfileGraph,
        candidates: &[u32],
        existing: &[u32],
        budget_s: f64,
    ) -> CoverageMatrix {
        let reach = |nodes: &[u32]| -> Vec<Vec<u32>> {
            nodes
                .par_iter()
                .map(|&v| reached_edges(network, graph, v, budget_s))
                .collect()
        };
        let mut covered_before = vec![false; network.edges.len()];
        for list in reach(existing) {
            for e in list {
                covered_before[e as usize] = true;
            }
        }
        let by_candidate = reach(candidates);
        // Per edge, the candidates covering it; edges with the same list become one item.
        let mut by_edge: Vec<Vec<u32>> = vec![Vec::new(); network.edges.len()];
        for (c, list) in by_candidate.iter().enumerate() {
            for &e in list {
                if !covered_before[e as usize] {
                    by_edge[e as usize].push(c as u32);
                }
            }
        }
        let mut item_of: HashMap<&[u32], u32> = HashMap::new();
        let mut weights: Vec<f64> = Vec::new();
        let mut covers: Vec<Vec<u32>> = vec![Vec::new(); candidates.len()];
        for (e, list) in by_edge.iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            let length = network.edges[e].length_m;
            let next = weights.len() as u32;
            let item = *item_of.entry(list.as_slice()).or_insert(next);
            if item == next {
                weights.push(0.0);
                for &c in list {
                    covers[c as usize].push(item);
                }
            }
            weights[item as usize] += length;
        }
        let usable = |e: usize| graph.is_usable(e);
        let total_m = (0..network.edges.len())
            .filter(|&e| usable(e))
            .map(|e| network.edges[e].length_m)
            .sum();
        let existing_m = (0..network.edges.len())
            .filter(|&e| covered_before[e])
            .map(|e| network.edges[e].length_m)
            .sum();
        CoverageMatrix {
            weights,
            covers,
            existing_m,
            total_m,
        }
    }

    /// The weight the candidates `chosen` cover together (beyond the existing posts).
    pub fn covered(&self, chosen: &[usize]) -> f64 {
        let mut seen = vec![false; self.weights.len()];
        let mut total = 0.0;
        for &c in chosen {
            for &i in &self.covers[c] {
                if !std::mem::replace(&mut seen[i as usize], true) {
                    total += self.weights[i as usize];
                }
            }
        }
        total
    }
}
