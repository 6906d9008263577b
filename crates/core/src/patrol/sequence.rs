//! Reordering a tour's required blocks: the postman tour serves the required road in
//! blocks (runs of consecutive serving steps); the order and direction of the blocks decide
//! the driving between them. This module keeps the blocks and searches their order as an
//! asymmetric travelling-salesman tour over block ends: Or-opt (move one to three blocks,
//! maybe reversed) and 2-opt (reverse a run of two-way blocks), first improvement, until no
//! move shortens it. (An iterated search with random double-bridge kicks was tried: 300 kicks
//! took 17 s on Porto for 0.4% less driving between blocks; left out.)
//!
//! Why on top of the postman tour: the postman construction joins the required pieces with a
//! spanning tree and balances the rest, so on scattered pieces much of its driving goes twice
//! along the tree; a tour that orders the pieces like a salesman drives each link once.
//! The shortest times between block ends come from one search per end ([`Sequencer::new`]),
//! after which any number of depots can be tried cheaply ([`Sequencer::tour_from`]).

use crate::stop::Stop;

use super::paths::{ends, time_matrix, PathSearch, Step};
use super::postman::Tour;
use crate::network::{ProfileGraph, RoadNetwork};

/// A block: consecutive required steps, served in one go.
#[derive(Clone, Debug)]
struct Block {
    steps: Vec<Step>,
    /// Index (in [`Sequencer::nodes`]) of its first step's start.
    a: usize,
    /// Index of its last step's end.
    z: usize,
    /// Every step two-way: the block may be driven backwards.
    reversible: bool,
    /// Driving the block as drawn and backwards, in seconds: the two differ where an edge
    /// has a speed per direction, so reversing a block counts in the moves.
    own_s: [f64; 2],
}

/// The blocks of a tour and the shortest times between their ends.
pub struct Sequencer {
    blocks: Vec<Block>,
    /// The road nodes the matrix is over: block ends and depots.
    nodes: Vec<u32>,
    /// `time_s[i * n + j]`: the shortest time from `nodes[i]` to `nodes[j]` (f32 to halve the
    /// memory; infinite when none).
    time_s: Vec<f32>,
    /// When the local search must end (with the best order found).
    stop: Stop,
}

impl Sequencer {
    /// The same, its local search ending when `stop` says so.
    pub fn until(mut self, stop: &Stop) -> Sequencer {
        self.stop = stop.clone();
        self
    }

    /// The blocks of `tour` and the times between their ends and the `depots`.
    pub fn new(
        network: &RoadNetwork,
        graph: &ProfileGraph,
        tour: &Tour,
        depots: &[u32],
    ) -> Sequencer {
        let mut index = std::collections::HashMap::new();
        let mut nodes: Vec<u32> = Vec::new();
        let mut id = |v: u32, nodes: &mut Vec<u32>| -> usize {
            *index.entry(v).or_insert_with(|| {
                nodes.push(v);
                nodes.len() - 1
            })
        };
        for &d in depots {
            id(d, &mut nodes);
        }
        let two_way = |e: u32| {
            graph.edge_direction[e as usize]
                .is_some_and(|d| d.allows_forward() && d.allows_backward())
        };
        let mut blocks: Vec<Block> = Vec::new();
        let mut i = 0;
        while i < tour.steps.len() {
            if !tour.serves[i] {
                i += 1;
                continue;
            }
            let start = i;
            while i < tour.steps.len() && tour.serves[i] {
                i += 1;
            }
            let steps = tour.steps[start..i].to_vec();
            let a = id(ends(network, steps[0]).0, &mut nodes);
            let z = id(ends(network, steps[steps.len() - 1]).1, &mut nodes);
            let reversible = steps.iter().all(|s| two_way(s.0));
            let own_s = [
                steps.iter().map(|&(e, f)| graph.time_s(e, f)).sum(),
                steps.iter().map(|&(e, f)| graph.time_s(e, !f)).sum(),
            ];
            blocks.push(Block {
                steps,
                a,
                z,
                reversible,
                own_s,
            });
        }
        Sequencer {
            blocks,
            time_s: time_matrix(network, graph, &nodes),
            nodes,
            stop: Stop::never(),
        }
    }

    fn t(&self, from: usize, to: usize) -> f64 {
        self.time_s[from * self.nodes.len() + to] as f64
    }

    /// Driving block `b` itself, backwards or not.
    fn own_s(&self, (b, reversed): (usize, bool)) -> f64 {
        self.blocks[b].own_s[reversed as usize]
    }

    /// Where block `b` is entered and left, driven backwards or not.
    fn ends_of(&self, (b, reversed): (usize, bool)) -> (usize, usize) {
        let block = &self.blocks[b];
        if reversed {
            (block.z, block.a)
        } else {
            (block.a, block.z)
        }
    }

    /// Driving between the blocks of `order`, from the depot (node index `d`) and back.
    /// The closed tour from `depot` (one of those given to [`Sequencer::new`]) through every
    /// block, in the shortest order the search finds, with its driving between blocks by
    /// shortest paths; `None` for another depot, or when there is no block.
    pub fn tour_from(
        &self,
        network: &RoadNetwork,
        graph: &ProfileGraph,
        depot: u32,
    ) -> Option<Tour> {
        let d = self.nodes.iter().position(|&v| v == depot)?;
        if self.blocks.is_empty() {
            return None;
        }
        // The tour's blocks as it drove them, rotated to start nearest the depot.
        let mut order: Vec<(usize, bool)> = (0..self.blocks.len()).map(|b| (b, false)).collect();
        let first = (0..order.len())
            .min_by(|&i, &j| {
                self.t(d, self.ends_of(order[i]).0)
                    .total_cmp(&self.t(d, self.ends_of(order[j]).0))
            })
            .unwrap_or(0);
        order.rotate_left(first);
        self.local_search(d, &mut order);
        Some(self.build(network, graph, depot, &order))
    }

    /// Or-opt and 2-opt moves, first improvement, until none shortens the tour.
    fn local_search(&self, d: usize, order: &mut Vec<(usize, bool)>) {
        let flip = |x: (usize, bool)| (x.0, !x.1);
        while !self.stop.should_stop() {
            let mut improved = false;
            // 2-opt: reverse order[i..=j] (and each block's direction), all blocks two-way.
            let n = order.len();
            for i in 0..n {
                let before = if i == 0 {
                    d
                } else {
                    self.ends_of(order[i - 1]).1
                };
                let mut forward_inner = 0.0;
                let mut backward_inner = 0.0;
                for j in i..n {
                    if !self.blocks[order[j].0].reversible {
                        break;
                    }
                    if j > i {
                        let (p, q) = (self.ends_of(order[j - 1]), self.ends_of(order[j]));
                        forward_inner += self.t(p.1, q.0);
                        // Reversed: q is driven (flipped) before p (flipped).
                        backward_inner += self.t(q.0, p.1);
                    }
                    forward_inner += self.own_s(order[j]);
                    backward_inner += self.own_s(flip(order[j]));
                    let after = if j + 1 == n {
                        d
                    } else {
                        self.ends_of(order[j + 1]).0
                    };
                    let (first, last) = (self.ends_of(order[i]), self.ends_of(order[j]));
                    let old = self.t(before, first.0) + forward_inner + self.t(last.1, after);
                    let new = self.t(before, last.1) + backward_inner + self.t(first.0, after);
                    if new < old - 1e-6 {
                        order[i..=j].reverse();
                        for x in &mut order[i..=j] {
                            *x = flip(*x);
                        }
                        improved = true;
                        break;
                    }
                }
                if improved {
                    break;
                }
            }
            if improved {
                continue;
            }
            // Or-opt: move order[i..i + len] elsewhere, maybe reversed.
            'outer: for len in 1..=3usize {
                if order.len() <= len {
                    break;
                }
                for i in 0..=order.len() - len {
                    let segment: Vec<(usize, bool)> = order[i..i + len].to_vec();
                    let before = if i == 0 {
                        d
                    } else {
                        self.ends_of(order[i - 1]).1
                    };
                    let after = if i + len == order.len() {
                        d
                    } else {
                        self.ends_of(order[i + len]).0
                    };
                    let seg_in = self.ends_of(segment[0]).0;
                    let seg_out = self.ends_of(segment[len - 1]).1;
                    let removed =
                        self.t(before, seg_in) + self.t(seg_out, after) - self.t(before, after);
                    // The segment's joins and its blocks' own driving (which a reversal
                    // changes where directions differ in time).
                    let inner = |s: &[(usize, bool)]| -> f64 {
                        s.windows(2)
                            .map(|w| self.t(self.ends_of(w[0]).1, self.ends_of(w[1]).0))
                            .sum::<f64>()
                            + s.iter().map(|&x| self.own_s(x)).sum::<f64>()
                    };
                    let inner_fwd = inner(&segment);
                    let reversed: Option<Vec<(usize, bool)>> = segment
                        .iter()
                        .all(|x| self.blocks[x.0].reversible)
                        .then(|| segment.iter().rev().map(|&x| flip(x)).collect());
                    let inner_rev = reversed.as_deref().map(inner);
                    let rest: Vec<(usize, bool)> = order[..i]
                        .iter()
                        .chain(&order[i + len..])
                        .copied()
                        .collect();
                    for k in 0..=rest.len() {
                        if k == i {
                            continue; // where it was
                        }
                        let p = if k == 0 {
                            d
                        } else {
                            self.ends_of(rest[k - 1]).1
                        };
                        let q = if k == rest.len() {
                            d
                        } else {
                            self.ends_of(rest[k]).0
                        };
                        let base = self.t(p, q);
                        let mut choose = |cand: &[(usize, bool)], inner_now: f64| -> bool {
                            let c_in = self.ends_of(cand[0]).0;
                            let c_out = self.ends_of(cand[cand.len() - 1]).1;
                            let added = self.t(p, c_in) + inner_now + self.t(c_out, q) - base;
                            if added - inner_fwd < removed - 1e-6 {
                                let mut next = rest[..k].to_vec();
                                next.extend_from_slice(cand);
                                next.extend_from_slice(&rest[k..]);
                                *order = next;
                                true
                            } else {
                                false
                            }
                        };
                        if choose(&segment, inner_fwd) {
                            improved = true;
                            break 'outer;
                        }
                        if let (Some(r), Some(ir)) = (&reversed, inner_rev) {
                            if choose(r, ir) {
                                improved = true;
                                break 'outer;
                            }
                        }
                    }
                }
            }
            if !improved {
                return;
            }
        }
    }

    /// The tour of `order` from `depot`: shortest paths between the blocks.
    fn build(
        &self,
        network: &RoadNetwork,
        graph: &ProfileGraph,
        depot: u32,
        order: &[(usize, bool)],
    ) -> Tour {
        let mut search = PathSearch::new(network.nodes.len());
        let mut steps: Vec<Step> = Vec::new();
        let mut serves: Vec<bool> = Vec::new();
        let mut at = depot;
        let mut link = |from: u32, to: u32, steps: &mut Vec<Step>, serves: &mut Vec<bool>| {
            if from == to {
                return;
            }
            let path = search
                .quickest(network, graph, from, to)
                .map_or_else(Vec::new, |(_, path)| path);
            serves.extend(std::iter::repeat_n(false, path.len()));
            steps.extend(path);
        };
        for &(b, reversed) in order {
            let block = &self.blocks[b];
            let driven: Vec<Step> = if reversed {
                block.steps.iter().rev().map(|&(e, f)| (e, !f)).collect()
            } else {
                block.steps.clone()
            };
            link(at, ends(network, driven[0]).0, &mut steps, &mut serves);
            at = ends(network, driven[driven.len() - 1]).1;
            serves.extend(std::iter::repeat_n(true, driven.len()));
            steps.extend(driven);
        }
        link(at, depot, &mut steps, &mut serves);
        // A required edge travelled twice serves on its first travel only.
        let mut served = std::collections::HashSet::new();
        for (s, flag) in steps.iter().zip(serves.iter_mut()) {
            if *flag {
                *flag = served.insert(s.0);
            }
        }
        let time_s = steps.iter().map(|s| graph.time_s(s.0, s.1)).sum();
        Tour {
            depot,
            steps,
            serves,
            time_s,
        }
    }
}
