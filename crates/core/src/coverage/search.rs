//! Bounded multi-source shortest-path searches on a [`ProfileGraph`].
//!
//! A custom Dijkstra on the CSR arrays rather than petgraph's: it needs many sources with
//! start times, a time cutoff, and k labels per node from distinct units, and it runs on every
//! drag of a unit on the command map, so it allocates only its output and its heap.

use std::sync::atomic::{AtomicU64, Ordering};

use super::radix_heap::RadixHeap;
use crate::network::ProfileGraph;

/// A search source: a unit entering the graph at `node` at `time_s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Source {
    /// The node entered.
    pub node: u32,
    /// Time at that node, in seconds (turnout plus the stretch of edge to it).
    pub time_s: f64,
    /// The unit, an index into the deployment's units.
    pub unit: u32,
}

/// Up to `k` arrival times per node, each from a different unit, in increasing order.
#[derive(Clone, Debug)]
pub struct Labels {
    /// Labels per node.
    pub k: usize,
    /// `time_s[v * k + j]`: the j-th best time at node v (infinite when fewer units reach it).
    pub time_s: Vec<f64>,
    /// `unit[v * k + j]`: the unit of that time (`u32::MAX` when none). Empty for labels
    /// that record times only ([`nearest_times`]).
    pub unit: Vec<u32>,
}

impl Labels {
    /// The labels of node `v` as `(time, unit)`, best first, only those that exist.
    #[inline]
    pub fn at(&self, v: u32) -> impl Iterator<Item = (f64, u32)> + '_ {
        let first = v as usize * self.k;
        self.time_s[first..first + self.k]
            .iter()
            .enumerate()
            .take_while(|(_, t)| t.is_finite())
            .map(move |(j, &t)| (t, self.unit.get(first + j).copied().unwrap_or(u32::MAX)))
    }

    /// The best time at node `v` (infinite when no unit reaches it within the cutoff).
    #[inline]
    pub fn nearest_s(&self, v: u32) -> f64 {
        self.time_s[v as usize * self.k]
    }
}

/// Times are non-negative, so their IEEE bits order as the numbers do: the heap compares
/// integers.
#[inline]
fn key(t: f64) -> u64 {
    t.to_bits()
}

/// Nearest-unit times: one label per node, a plain multi-source Dijkstra stopped at
/// `cutoff_s`.
///
/// ```
/// use patrolmap_core::coverage::search::{nearest, Source};
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}},
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0.001],[0,0.002]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let (start, end) = (net.edges[0].from, net.edges[1].to);
/// let labels = nearest(&g, &[Source { node: start, time_s: 5.0, unit: 0 }], 300.0);
/// assert_eq!(labels.nearest_s(start), 5.0);
/// assert!((labels.nearest_s(end) - (5.0 + 2.0 * g.edge_forward_time_s[0])).abs() < 1e-6);
/// ```
pub fn nearest(graph: &ProfileGraph, sources: &[Source], cutoff_s: f64) -> Labels {
    let n = graph.node_count();
    let mut time_s = vec![f64::INFINITY; n];
    let mut unit = vec![u32::MAX; n];
    dijkstra(graph, sources, cutoff_s, &mut time_s, Some(&mut unit));
    Labels { k: 1, time_s, unit }
}

/// Nearest-unit times only, with no record of which unit: what covered length needs.
///
/// With two threads and enough sources, the sources are split into two spatial halves (node
/// ids follow a Hilbert curve) searched at once over one shared array of times: each thread
/// keeps its own heap, lowers a node's time only with compare-and-swap, and skips nodes that
/// the other thread reached sooner, so each mostly expands the part of the city its units
/// are nearest to. Every lowered time is pushed by the thread that lowered it, so the final
/// time of every node is expanded, and each time is `t(v) + w` of a final predecessor, as in
/// the sequential search: the result is the same to the bit (tested).
pub fn nearest_times(graph: &ProfileGraph, sources: &[Source], cutoff_s: f64) -> Labels {
    let n = graph.node_count();
    let time_s = if sources.len() >= 16 && rayon::current_num_threads() >= 2 {
        let mut sorted = sources.to_vec();
        sorted.sort_unstable_by_key(|s| s.node);
        let (a, b) = sorted.split_at(sorted.len() / 2);
        let shared: Vec<AtomicU64> = (0..n)
            .map(|_| AtomicU64::new(f64::INFINITY.to_bits()))
            .collect();
        rayon::join(
            || shared_dijkstra(graph, a, cutoff_s, &shared),
            || shared_dijkstra(graph, b, cutoff_s, &shared),
        );
        shared
            .into_iter()
            .map(|t| f64::from_bits(t.into_inner()))
            .collect()
    } else {
        let mut time_s = vec![f64::INFINITY; n];
        dijkstra(graph, sources, cutoff_s, &mut time_s, None);
        time_s
    };
    Labels {
        k: 1,
        time_s,
        unit: Vec::new(),
    }
}

/// Lowers `slot` to `key` if that is lower; whether it did.
#[inline]
fn lower(slot: &AtomicU64, key: u64) -> bool {
    // Non-negative times order as their bits, so the integer minimum is the time minimum.
    slot.fetch_min(key, Ordering::Relaxed) > key
}

/// One thread's half of [`nearest_times`].
fn shared_dijkstra(graph: &ProfileGraph, sources: &[Source], cutoff_s: f64, time_s: &[AtomicU64]) {
    let mut heap = RadixHeap::new();
    for s in sources {
        if s.time_s <= cutoff_s && lower(&time_s[s.node as usize], key(s.time_s)) {
            heap.push(key(s.time_s), s.node);
        }
    }
    let fwd = &graph.forward;
    while let Some((k, v)) = heap.pop() {
        if k > time_s[v as usize].load(Ordering::Relaxed) {
            continue;
        }
        let t = f64::from_bits(k);
        for arc in fwd.arcs_of(v) {
            let nt = t + arc.time_s;
            let slot = &time_s[arc.other as usize];
            if nt <= cutoff_s && key(nt) < slot.load(Ordering::Relaxed) && lower(slot, key(nt)) {
                heap.push(key(nt), arc.other);
            }
        }
    }
}

/// The multi-source Dijkstra itself, into caller-owned arrays (`unit` when owners are wanted).
fn dijkstra(
    graph: &ProfileGraph,
    sources: &[Source],
    cutoff_s: f64,
    time_s: &mut [f64],
    mut unit: Option<&mut [u32]>,
) {
    let mut heap = RadixHeap::new();
    for s in sources {
        if s.time_s <= cutoff_s && s.time_s < time_s[s.node as usize] {
            time_s[s.node as usize] = s.time_s;
            if let Some(unit) = unit.as_deref_mut() {
                unit[s.node as usize] = s.unit;
            }
            heap.push(key(s.time_s), s.node);
        }
    }
    let fwd = &graph.forward;
    while let Some((k, v)) = heap.pop() {
        let t = f64::from_bits(k);
        if t > time_s[v as usize] {
            continue;
        }
        for arc in fwd.arcs_of(v) {
            let w = arc.other as usize;
            let nt = t + arc.time_s;
            if nt < time_s[w] && nt <= cutoff_s {
                time_s[w] = nt;
                if let Some(unit) = unit.as_deref_mut() {
                    unit[w] = unit[v as usize];
                }
                heap.push(key(nt), w as u32);
            }
        }
    }
}

/// The `k` best times per node from distinct units (a k-label Dijkstra).
///
/// Each node keeps its `k` best *tentative* labels from distinct units, sorted by time, and a
/// label is pushed only when it enters or improves that list (the k-label form of
/// decrease-key), so a node sees a few heap entries rather than one per relaxation. A popped
/// label still in the list is final: later candidates are no earlier. Final labels sit at the
/// front of the list and are never evicted.
pub fn k_nearest(graph: &ProfileGraph, sources: &[Source], k: usize, cutoff_s: f64) -> Labels {
    if k == 1 {
        return nearest(graph, sources, cutoff_s);
    }
    let n = graph.node_count();
    let mut labels = Labels {
        k,
        time_s: vec![f64::INFINITY; n * k],
        unit: vec![u32::MAX; n * k],
    };
    let mut finals = vec![0u8; n];
    let mut heap = RadixHeap::new();
    for s in sources {
        if s.time_s <= cutoff_s && offer(&mut labels, s.node as usize, s.unit, s.time_s) {
            heap.push(key(s.time_s), (s.node, s.unit));
        }
    }
    let fwd = &graph.forward;
    while let Some((key_t, (v, u))) = heap.pop() {
        let vi = v as usize;
        let t = f64::from_bits(key_t);
        let base = vi * k;
        let f = finals[vi] as usize;
        // The label must still be there, with this time, and not yet final.
        let Some(j) = (f..k).find(|&j| labels.unit[base + j] == u && labels.time_s[base + j] == t)
        else {
            continue;
        };
        // Keep finals contiguous at the front (equal times may sit in either order).
        labels.unit.swap(base + j, base + f);
        labels.time_s.swap(base + j, base + f);
        finals[vi] += 1;
        for arc in fwd.arcs_of(v) {
            let w = arc.other as usize;
            let nt = t + arc.time_s;
            if nt <= cutoff_s && offer(&mut labels, w, u, nt) {
                heap.push(key(nt), (arc.other, u));
            }
        }
    }
    labels
}

/// Offers `(time_s, unit)` to node `w`'s list; whether it entered or improved it.
#[inline]
pub(crate) fn offer(labels: &mut Labels, w: usize, unit: u32, time_s: f64) -> bool {
    let k = labels.k;
    let (times, units) = (
        &mut labels.time_s[w * k..(w + 1) * k],
        &mut labels.unit[w * k..(w + 1) * k],
    );
    let mut j = match units.iter().position(|&x| x == unit) {
        Some(j) if time_s < times[j] => j,
        Some(_) => return false,
        None if time_s < times[k - 1] => k - 1,
        None => return false,
    };
    times[j] = time_s;
    units[j] = unit;
    while j > 0 && times[j - 1] > times[j] {
        times.swap(j - 1, j);
        units.swap(j - 1, j);
        j -= 1;
    }
    true
}
