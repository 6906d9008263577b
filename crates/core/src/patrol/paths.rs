//! A reusable bounded Dijkstra with paths, for the patrol algorithms: in metres for map
//! matching, in seconds for route planning, from one node or many.
//!
//! Apart from `coverage::search` because these searches need the arcs they came by (to
//! rebuild routes), stop early at targets, and run thousands of times on small areas: the
//! arrays are kept between runs and only the touched entries are reset.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::network::csr::Arc;
use crate::network::{ProfileGraph, RoadNetwork};

/// What an arc costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    /// Its travel time on the graph, in seconds.
    Time,
    /// Its road edge's length, in metres.
    Length,
}

/// A step of a path: a road edge and the direction it is travelled in.
pub type Step = (u32, bool);

/// The search state, reused between runs.
pub struct PathSearch {
    /// Cost of the best path found to each node (infinite when not reached).
    pub cost: Vec<f64>,
    /// The node each node was reached from, and the road edge between them.
    pred: Vec<(u32, u32)>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// Whether the next run follows arcs both ways (see [`PathSearch::run_undirected`]).
    undirected: bool,
    /// Whether the arcs followed are the graph's forward arcs (else backward: a search
    /// towards the sources).
    forward: bool,
}

impl PathSearch {
    /// A search over graphs of `node_count` nodes.
    pub fn new(node_count: usize) -> PathSearch {
        PathSearch {
            cost: vec![f64::INFINITY; node_count],
            pred: vec![(u32::MAX, u32::MAX); node_count],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
            forward: true,
            undirected: false,
        }
    }

    /// Costs from `sources` (node, starting cost) up to `bound` along forward arcs (or, when
    /// `forward` is false, costs *to* the sources along backward arcs). Stops once every node
    /// for which `stop` returns true `stop_after` times has been settled.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        network: &RoadNetwork,
        graph: &ProfileGraph,
        weight: Weight,
        forward: bool,
        sources: &[(u32, f64)],
        bound: f64,
        mut stop: impl FnMut(u32) -> bool,
        stop_after: usize,
    ) {
        for &v in &self.touched {
            self.cost[v as usize] = f64::INFINITY;
            self.pred[v as usize] = (u32::MAX, u32::MAX);
        }
        self.touched.clear();
        self.heap.clear();
        self.forward = forward;
        for &(v, c) in sources {
            if c < self.cost[v as usize] {
                if self.cost[v as usize].is_infinite() {
                    self.touched.push(v);
                }
                self.cost[v as usize] = c;
                self.heap.push(Reverse((c.to_bits(), v)));
            }
        }
        let (one, both) = if forward {
            (&graph.forward, None)
        } else {
            (&graph.backward, None)
        };
        let both = if self.undirected {
            Some(&graph.backward)
        } else {
            both
        };
        let mut stopped = 0;
        while let Some(Reverse((key, v))) = self.heap.pop() {
            let d = f64::from_bits(key);
            if d > self.cost[v as usize] {
                continue;
            }
            if stop(v) {
                stopped += 1;
                if stopped >= stop_after {
                    return;
                }
            }
            let other: &[Arc] = both.map_or(&[], |b| b.arcs_of(v));
            for arc in one.arcs_of(v).iter().chain(other) {
                let nd = d + cost_of(network, weight, arc);
                let w = arc.other as usize;
                if nd < self.cost[w] && nd <= bound {
                    if self.cost[w].is_infinite() {
                        self.touched.push(arc.other);
                    }
                    self.cost[w] = nd;
                    self.pred[w] = (v, arc.edge);
                    self.heap.push(Reverse((nd.to_bits(), arc.other)));
                }
            }
        }
    }

    /// Costs from `sources` along arcs in either direction, as if every road were two-way:
    /// never more than the directed cost either way, so a lower bound on both. Its paths are
    /// not routes (they may go against one-ways).
    #[allow(clippy::too_many_arguments)]
    pub fn run_undirected(
        &mut self,
        network: &RoadNetwork,
        graph: &ProfileGraph,
        weight: Weight,
        sources: &[(u32, f64)],
        bound: f64,
        stop: impl FnMut(u32) -> bool,
        stop_after: usize,
    ) {
        self.undirected = true;
        self.run(
            network, graph, weight, true, sources, bound, stop, stop_after,
        );
        self.undirected = false;
    }

    /// The quickest way from `from` to `to` on `graph`: its time in seconds and its steps
    /// (empty when the two are one node), or `None` when `to` cannot be reached.
    pub fn quickest(
        &mut self,
        network: &RoadNetwork,
        graph: &ProfileGraph,
        from: u32,
        to: u32,
    ) -> Option<(f64, Vec<Step>)> {
        self.run(
            network,
            graph,
            Weight::Time,
            true,
            &[(from, 0.0)],
            f64::INFINITY,
            |v| v == to,
            1,
        );
        let cost = self.cost[to as usize];
        cost.is_finite().then(|| (cost, self.path(network, to)))
    }

    /// The path of the last run between its sources and `node`, as road edges with their
    /// direction of travel, in travel order (from a source to `node` for a forward run, from
    /// `node` to a source for a backward one). Empty when `node` is a source or unreached.
    pub fn path(&self, network: &RoadNetwork, node: u32) -> Vec<Step> {
        let mut out = Vec::new();
        let mut v = node;
        while self.pred[v as usize].0 != u32::MAX {
            let (previous, e) = self.pred[v as usize];
            // Forward run: travel goes previous -> v. Backward run: v -> previous.
            let (tail, head) = if self.forward {
                (previous, v)
            } else {
                (v, previous)
            };
            let edge = &network.edges[e as usize];
            out.push((e, edge.from == tail && edge.to == head));
            v = previous;
        }
        if self.forward {
            out.reverse();
        }
        out
    }
}

#[inline]
fn cost_of(network: &RoadNetwork, weight: Weight, arc: &Arc) -> f64 {
    match weight {
        Weight::Time => arc.time_s,
        Weight::Length => network.edges[arc.edge as usize].length_m,
    }
}

/// The quickest times between `nodes`, row-major (`[i * n + j]` from `nodes[i]` to
/// `nodes[j]`, infinite when there is no way): one search per node, on all cores, each
/// stopping once it has settled them all. f32 halves the memory; times are seconds.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap_core::patrol::paths::time_matrix;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"speed_kph":36,"oneway":"yes"},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let m = time_matrix(&net, &graph, &[0, 1]);
/// assert_eq!(m[0], 0.0);
/// assert!(m[1] > 0.0 && m[2].is_infinite());
/// ```
pub fn time_matrix(network: &RoadNetwork, graph: &ProfileGraph, nodes: &[u32]) -> Vec<f32> {
    use rayon::prelude::*;
    let n = nodes.len();
    let is_node: std::collections::HashSet<u32> = nodes.iter().copied().collect();
    let rows: Vec<Vec<f32>> = nodes
        .par_iter()
        .map_init(
            || PathSearch::new(network.nodes.len()),
            |search, &source| {
                search.run(
                    network,
                    graph,
                    Weight::Time,
                    true,
                    &[(source, 0.0)],
                    f64::INFINITY,
                    |v| is_node.contains(&v),
                    is_node.len(),
                );
                nodes
                    .iter()
                    .map(|&t| search.cost[t as usize] as f32)
                    .collect()
            },
        )
        .collect();
    debug_assert!(rows.iter().all(|r| r.len() == n));
    rows.concat()
}

/// Road nodes numbered in the order first asked for: the places of a time matrix
/// ([`time_matrix`] over [`Places::nodes`]).
///
/// ```
/// use patrolmap_core::patrol::paths::Places;
/// let mut places = Places::default();
/// assert_eq!((places.place(40), places.place(7), places.place(40)), (0, 1, 0));
/// assert_eq!(places.nodes, vec![40, 7]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Places {
    index: std::collections::HashMap<u32, u32>,
    /// The nodes, by place number.
    pub nodes: Vec<u32>,
}

impl Places {
    /// The place number of `node`, a new one the first time.
    pub fn place(&mut self, node: u32) -> u32 {
        let nodes = &mut self.nodes;
        *self.index.entry(node).or_insert_with(|| {
            nodes.push(node);
            nodes.len() as u32 - 1
        })
    }
}

/// The node a step leaves from and the node it arrives at.
#[inline]
pub fn ends(network: &RoadNetwork, step: Step) -> (u32, u32) {
    let edge = &network.edges[step.0 as usize];
    if step.1 {
        (edge.from, edge.to)
    } else {
        (edge.to, edge.from)
    }
}

/// Nodes joined into pieces by arcs (union-find with path halving): the weakly connected
/// pieces of required road.
pub struct Pieces {
    parent: Vec<u32>,
}

impl Pieces {
    /// Every node of a network of `node_count` nodes alone.
    pub fn new(node_count: usize) -> Pieces {
        Pieces {
            parent: (0..node_count as u32).collect(),
        }
    }

    /// The representative of `v`'s piece.
    pub fn find(&mut self, mut v: u32) -> u32 {
        while self.parent[v as usize] != v {
            self.parent[v as usize] = self.parent[self.parent[v as usize] as usize];
            v = self.parent[v as usize];
        }
        v
    }

    /// Joins the pieces of `a` and `b`.
    pub fn join(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.parent[ra as usize] = rb;
    }

    /// The nodes marked in `nodes`, grouped by piece (keyed by representative).
    pub fn members(&mut self, nodes: &[bool]) -> std::collections::HashMap<u32, Vec<u32>> {
        let mut members: std::collections::HashMap<u32, Vec<u32>> = Default::default();
        for v in (0..nodes.len() as u32).filter(|&v| nodes[v as usize]) {
            members.entry(self.find(v)).or_default().push(v);
        }
        members
    }

    /// Joins the two ends of every step of `arcs`.
    pub fn join_arcs(&mut self, network: &RoadNetwork, arcs: &[Step]) {
        for &s in arcs {
            let (a, b) = ends(network, s);
            self.join(a, b);
        }
    }
}

/// `marked[v]`: whether node `v` is an end of some step of `arcs`.
pub fn arc_nodes(network: &RoadNetwork, arcs: &[Step]) -> Vec<bool> {
    let mut marked = vec![false; network.nodes.len()];
    for &s in arcs {
        let (a, b) = ends(network, s);
        marked[a as usize] = true;
        marked[b as usize] = true;
    }
    marked
}
