//! A customisable contraction hierarchy (CCH, Dibbelt, Strasser, Wagner 2016) of a mode
//! graph: the node order and the arcs up and down it depend on the graph's shape only, so a
//! new set of speeds (a time of day) is applied by a customisation that recomputes the arc
//! times, not by a new contraction. The result is a [`Hierarchy`], so every PHAST query of
//! coverage runs on it unchanged and gives the same times as a Dijkstra on those speeds.
//!
//! Why not prepare a contraction hierarchy per speed set: its witness searches take seconds
//! on a city; the customisation is one pass over the triangles of the fixed arcs.
//!
//! The order is a nested dissection on the node positions: a part is cut across along the
//! best of four directions at the best of nine points from 30 % to 70 % (fewest boundary
//! nodes; nine points instead of the median alone leave 8 % fewer edges on Porto), the boundary on one
//! side becomes the separator, ranked above both halves, and each half is cut again. Without
//! witnesses every pair of higher neighbours of a node is joined (the chordal completion);
//! small separators keep that completion sparse.

use super::hierarchy::Hierarchy;
use crate::network::ProfileGraph;

/// Parts of at most this many nodes are not cut further.
const LEAF_NODES: usize = 4;

/// The metric-independent part of a CCH: an order and the completed arcs up it.
///
/// ```
/// use patrolmap_core::coverage::cch::Cch;
/// use patrolmap_core::coverage::search::{nearest, Source};
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}},
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0.001],[0,0.002]]}},
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0.002],[0.001,0.002]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let free = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let cch = Cch::prepare(&free, &net.nodes);
/// let rush = free.with_speeds_kph(&net, |e, _| (e == 1).then_some(9.0));
/// let sources = [Source { node: 0, time_s: 0.0, unit: 0 }];
/// let (phast, dijkstra) = (cch.customise(&rush).nearest(&sources, 300.0), nearest(&rush, &sources, 300.0));
/// for v in 0..4 {
///     assert!((phast.nearest_s(v) - dijkstra.nearest_s(v)).abs() < 1e-9);
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Cch {
    /// `rank[v]`: the position of node `v` in the order.
    rank: Vec<u32>,
    /// `node_of[r]`: the node of rank `r`.
    node_of: Vec<u32>,
    /// `up_first[r]..up_first[r + 1]`: the higher ends (ranks, ascending) of the completed
    /// edges at rank `r`.
    up_first: Vec<u32>,
    up_head: Vec<u32>,
}

impl Cch {
    /// Orders the nodes of `graph` (placed at `positions`, `[lon, lat]`) and completes its
    /// arcs up the order. Only which nodes are joined matters, not the times.
    pub fn prepare(graph: &ProfileGraph, positions: &[[f64; 2]]) -> Cch {
        let n = graph.node_count();
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
        for u in 0..n as u32 {
            for a in graph.forward.arcs_of(u) {
                if a.other != u {
                    adj[u as usize].push(a.other);
                    adj[a.other as usize].push(u);
                }
            }
        }
        for list in &mut adj {
            list.sort_unstable();
            list.dedup();
        }
        let mut order = Vec::with_capacity(n);
        let mut side = vec![0u8; n];
        dissect(
            (0..n as u32).collect(),
            &adj,
            positions,
            &mut side,
            &mut order,
        );
        let mut rank = vec![0u32; n];
        for (r, &v) in order.iter().enumerate() {
            rank[v as usize] = r as u32;
        }
        // The chordal completion: a node's higher neighbours all join its lowest one.
        let mut up: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (v, list) in adj.iter().enumerate() {
            let rv = rank[v];
            up[rv as usize].extend(list.iter().map(|&w| rank[w as usize]).filter(|&rw| rw > rv));
        }
        let mut up_first = Vec::with_capacity(n + 1);
        let mut up_head = Vec::new();
        up_first.push(0);
        for r in 0..n {
            let mut list = std::mem::take(&mut up[r]);
            list.sort_unstable();
            list.dedup();
            if let Some((&parent, rest)) = list.split_first() {
                up[parent as usize].extend_from_slice(rest);
            }
            up_head.extend_from_slice(&list);
            up_first.push(up_head.len() as u32);
        }
        Cch {
            rank,
            node_of: order,
            up_first,
            up_head,
        }
    }

    /// Number of completed edges (each carries a time up and a time down).
    pub fn edge_count(&self) -> usize {
        self.up_head.len()
    }

    /// The slot of the completed edge between ranks `low < high`.
    fn slot(&self, low: u32, high: u32) -> usize {
        let (a, b) = (
            self.up_first[low as usize] as usize,
            self.up_first[low as usize + 1] as usize,
        );
        a + self.up_head[a..b]
            .binary_search(&high)
            .expect("every arc of the graph is a completed edge")
    }

    /// The hierarchy of `graph`'s times on this order: `graph` must have the arcs of the graph
    /// this was prepared on (the same graph, or one from
    /// [`ProfileGraph::with_speeds_kph`]); only the times may differ.
    pub fn customise(&self, graph: &ProfileGraph) -> Hierarchy {
        let m = self.up_head.len();
        // Per completed edge {low, high}: the time up (low -> high) and down (high -> low).
        let mut up_s = vec![f64::INFINITY; m];
        let mut down_s = vec![f64::INFINITY; m];
        for u in 0..graph.node_count() as u32 {
            for a in graph.forward.arcs_of(u) {
                if a.other == u {
                    continue;
                }
                let (ru, rv) = (self.rank[u as usize], self.rank[a.other as usize]);
                let (slot, time) = if ru < rv {
                    let i = self.slot(ru, rv);
                    (&mut up_s[i], a.time_s)
                } else {
                    let i = self.slot(rv, ru);
                    (&mut down_s[i], a.time_s)
                };
                *slot = slot.min(time);
            }
        }
        let originals = up_s.iter().chain(&down_s).filter(|t| t.is_finite()).count();
        // Lower triangles {r, u, w}, r lowest, in rank order: r's times are final when read.
        for r in 0..self.node_of.len() {
            let (a, b) = (self.up_first[r] as usize, self.up_first[r + 1] as usize);
            for i in a..b {
                let (u_to_r, r_to_u) = (down_s[i], up_s[i]);
                if u_to_r.is_infinite() && r_to_u.is_infinite() {
                    continue;
                }
                let u = self.up_head[i] as usize;
                let mut k = self.up_first[u] as usize;
                for j in i + 1..b {
                    let w = self.up_head[j];
                    // Chordal: w, above u among r's neighbours, is among u's.
                    while self.up_head[k] != w {
                        k += 1;
                    }
                    up_s[k] = up_s[k].min(u_to_r + up_s[j]);
                    down_s[k] = down_s[k].min(down_s[j] + r_to_u);
                }
            }
        }
        let mut up_arcs = Vec::new();
        let mut down_arcs = Vec::new();
        for r in 0..self.node_of.len() {
            let v = self.node_of[r];
            for i in self.up_first[r] as usize..self.up_first[r + 1] as usize {
                let w = self.node_of[self.up_head[i] as usize];
                if up_s[i].is_finite() {
                    up_arcs.push((v, w, up_s[i]));
                }
                if down_s[i].is_finite() {
                    down_arcs.push((w, v, down_s[i]));
                }
            }
        }
        let shortcuts = up_arcs.len() + down_arcs.len() - originals;
        Hierarchy::from_arcs(self.rank.clone(), &up_arcs, &down_arcs, shortcuts)
    }
}

/// Appends `part` to `order` by nested dissection: both halves first, their separator last.
/// `side` is all zero on entry and on return.
fn dissect(
    part: Vec<u32>,
    adj: &[Vec<u32>],
    positions: &[[f64; 2]],
    side: &mut [u8],
    order: &mut Vec<u32>,
) {
    if part.len() <= LEAF_NODES {
        order.extend_from_slice(&part);
        return;
    }
    // Diagonals unscaled: only the order along a direction matters.
    const DIRECTIONS: [(f64, f64); 4] = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0)];
    let sorted_along = |(cx, cy): (f64, f64)| {
        let mut sorted = part.clone();
        let key = |v: &u32| {
            let p = positions[*v as usize];
            p[0] * cx + p[1] * cy
        };
        sorted.sort_unstable_by(|a, b| key(a).total_cmp(&key(b)));
        sorted
    };
    // (separator size, direction, split) of the best cut.
    let mut best: Option<(usize, usize, usize)> = None;
    for (d, &direction) in DIRECTIONS.iter().enumerate() {
        let sorted = sorted_along(direction);
        for split in (6..=14).map(|i| sorted.len() * i / 20) {
            let size = separator(&sorted, split, adj, side).len();
            if best.is_none_or(|b| size < b.0) {
                best = Some((size, d, split));
            }
        }
    }
    let (_, d, split) = best.expect("four directions tried");
    let sorted = sorted_along(DIRECTIONS[d]);
    let sep = separator(&sorted, split, adj, side);
    for &v in &sep {
        side[v as usize] = 3;
    }
    let left: Vec<u32> = sorted[..split]
        .iter()
        .copied()
        .filter(|&v| side[v as usize] != 3)
        .collect();
    let right: Vec<u32> = sorted[split..]
        .iter()
        .copied()
        .filter(|&v| side[v as usize] != 3)
        .collect();
    for &v in &sep {
        side[v as usize] = 0;
    }
    if left.is_empty() || right.is_empty() {
        // Nothing to cut (all positions equal): order the part as it is.
        order.extend(left.iter().chain(&right).chain(&sep));
        return;
    }
    dissect(left, adj, positions, side, order);
    dissect(right, adj, positions, side, order);
    order.extend_from_slice(&sep);
}

/// The boundary of `sorted[..split]` against `sorted[split..]` on the side where it is
/// smaller: removing it leaves no arc between the two.
fn separator(sorted: &[u32], split: usize, adj: &[Vec<u32>], side: &mut [u8]) -> Vec<u32> {
    for (i, &v) in sorted.iter().enumerate() {
        side[v as usize] = if i < split { 1 } else { 2 };
    }
    let boundary = |from: u8, to: u8| -> Vec<u32> {
        sorted
            .iter()
            .copied()
            .filter(|&v| {
                side[v as usize] == from && adj[v as usize].iter().any(|&w| side[w as usize] == to)
            })
            .collect()
    };
    let (left, right) = (boundary(1, 2), boundary(2, 1));
    for &v in sorted {
        side[v as usize] = 0;
    }
    if left.len() <= right.len() {
        left
    } else {
        right
    }
}
