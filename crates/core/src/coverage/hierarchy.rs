//! A contraction hierarchy of a mode graph and PHAST queries on it: the same arrival times as
//! the Dijkstra of [`super::search`], for the command map's many what-if queries.
//!
//! Why: a coverage query on a city is a one-to-all search from every unit, and a Dijkstra
//! spends most of its time in the priority queue. After a one-off preparation (contracting
//! the nodes in order, adding shortcuts that keep every shortest time), PHAST (Delling,
//! Goldberg, Nowatzyk, Werneck 2011) answers with two linear sweeps and no queue: up the
//! hierarchy from the units in rank order, then down over every node in reverse rank order.
//! Arrays are kept in rank order so that the downward sweep writes straight through memory.
//!
//! Shortcut times are sums of arc times, so a time may differ from the Dijkstra's by float
//! rounding (a few ulps, ~1e-13 s at 300 s); nothing else differs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::search::{offer, Labels, Source};
use crate::network::ProfileGraph;

/// An arc of the hierarchy, between nodes named by rank.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct RankArc {
    time_s: f64,
    other: u32,
}

/// The prepared form of one [`ProfileGraph`]: a node order and the arcs up and down it.
///
/// ```
/// use patrolmap_core::coverage::hierarchy::Hierarchy;
/// use patrolmap_core::coverage::search::{nearest, Source};
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}},
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0.001],[0,0.002]]}},
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0.002],[0.001,0.002]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let h = Hierarchy::prepare(&g);
/// let sources = [Source { node: 0, time_s: 5.0, unit: 0 }];
/// let (phast, dijkstra) = (h.nearest(&sources, 300.0), nearest(&g, &sources, 300.0));
/// for v in 0..4 {
///     assert!((phast.nearest_s(v) - dijkstra.nearest_s(v)).abs() < 1e-9);
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Hierarchy {
    /// `rank[v]`: when node `v` was contracted.
    rank: Vec<u32>,
    /// `up_first[r]..up_first[r + 1]`: arcs from rank `r` to higher ranks.
    up_first: Vec<u32>,
    up: Vec<RankArc>,
    /// `down_first[r]..down_first[r + 1]`: arcs into rank `r` from higher ranks (`other` is
    /// the tail).
    down_first: Vec<u32>,
    down: Vec<RankArc>,
    /// The same downward arcs grouped by their tail: `down_out_first[r]..` are the arcs from
    /// rank `r` to lower ranks (`other` is the head), for the restricted sweeps.
    down_out_first: Vec<u32>,
    down_out: Vec<RankArc>,
    /// `node_of[r]`: the node of rank `r`.
    node_of: Vec<u32>,
    shortcuts: usize,
}

/// Which sweep a query runs.
///
/// PHAST's downward sweep reads every node's arcs however few units there are. The
/// restricted sweep (after RPHAST, Delling, Goldberg, Werneck 2011, which restricts the
/// sweep to a target set chosen in advance) restricts it instead to the nodes a unit reaches
/// within the cutoff: the nodes are taken in rank order from a bit set of those labelled so
/// far (a scan of n / 64 words), each pushing its labels down its outgoing downward arcs
/// where they stay within the cutoff. Every node of an up-down shortest path within the
/// cutoff is within it, so nothing is lost; the work follows the area reached, not the city.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// Over every node (PHAST): best when the units reach most of the graph.
    Full,
    /// Over the nodes reached within the cutoff only.
    Restricted,
    /// Restricted when the sources are few for the graph, else full: the measured crossing
    /// point on Porto (`cargo bench --bench coverage`).
    Auto,
}

/// [`Sweep::Auto`] sweeps the whole graph once there is a source per this many nodes. On
/// Porto (73,781 nodes, 300 s) the k = 2 search takes 0.82 ms restricted against 1.31 ms
/// full at 20 units, about the same at 50 (105 sources), and 3.55 against 2.41 ms at 200
/// (`cargo bench --bench coverage -- search_`): the full sweep reads memory in order, the
/// restricted one jumps, so it pays only where the units reach a small part of the graph (a
/// city's units on a province's graph).
pub const FULL_SWEEP_NODES_PER_SOURCE: usize = 700;

/// A set of ranks as bits, taken out lowest or highest first while more are put in.
struct RankBits(Vec<u64>);

impl RankBits {
    fn new(n: usize) -> RankBits {
        RankBits(vec![0; n.div_ceil(64)])
    }

    #[inline]
    fn insert(&mut self, r: usize) {
        self.0[r / 64] |= 1 << (r % 64);
    }
}

/// Witness searches stop after settling this many nodes: a missed witness only adds a
/// shortcut that is not needed, never a wrong time.
const WITNESS_SETTLE_LIMIT: usize = 60;

/// The remaining graph while nodes are contracted.
struct Remaining {
    out: Vec<Vec<(u32, f64)>>,
    inc: Vec<Vec<(u32, f64)>>,
    contracted: Vec<bool>,
    // Witness-search scratch, reset through `touched`.
    dist: Vec<f64>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

/// Adds or lowers `(to, time_s)` in a neighbour list.
fn add_or_lower(list: &mut Vec<(u32, f64)>, to: u32, time_s: f64) {
    match list.iter_mut().find(|a| a.0 == to) {
        Some(a) => a.1 = a.1.min(time_s),
        None => list.push((to, time_s)),
    }
}

impl Remaining {
    /// Shortest times from `from` to other remaining nodes avoiding `avoid`, up to `limit_s`,
    /// settling at most [`WITNESS_SETTLE_LIMIT`] nodes; read them with [`Self::dist`].
    fn witness_search(&mut self, from: u32, avoid: u32, limit_s: f64) {
        for &v in &self.touched {
            self.dist[v as usize] = f64::INFINITY;
        }
        self.touched.clear();
        self.heap.clear();
        self.dist[from as usize] = 0.0;
        self.touched.push(from);
        self.heap.push(Reverse((0f64.to_bits(), from)));
        let mut settled = 0;
        while let Some(Reverse((key, v))) = self.heap.pop() {
            let t = f64::from_bits(key);
            if t > self.dist[v as usize] {
                continue;
            }
            settled += 1;
            if t > limit_s || settled > WITNESS_SETTLE_LIMIT {
                break;
            }
            for &(w, time_s) in &self.out[v as usize] {
                if w == avoid || self.contracted[w as usize] {
                    continue;
                }
                let nt = t + time_s;
                if nt < self.dist[w as usize] {
                    if self.dist[w as usize].is_infinite() {
                        self.touched.push(w);
                    }
                    self.dist[w as usize] = nt;
                    self.heap.push(Reverse((nt.to_bits(), w)));
                }
            }
        }
    }

    /// The shortcuts that contracting `v` needs: `(from, to, time)`.
    fn shortcuts(&mut self, v: u32, out: &mut Vec<(u32, u32, f64)>) {
        out.clear();
        let vi = v as usize;
        let inc = std::mem::take(&mut self.inc[vi]);
        let outs = std::mem::take(&mut self.out[vi]);
        for &(u, t_uv) in &inc {
            let limit_s = outs
                .iter()
                .filter(|a| a.0 != u)
                .map(|a| t_uv + a.1)
                .fold(0.0f64, f64::max);
            if outs.iter().all(|a| a.0 == u) {
                continue;
            }
            self.witness_search(u, v, limit_s);
            for &(w, t_vw) in &outs {
                let via = t_uv + t_vw;
                if w != u && self.dist[w as usize] > via {
                    out.push((u, w, via));
                }
            }
        }
        self.inc[vi] = inc;
        self.out[vi] = outs;
    }

    /// Priority of contracting `v` next (lower first): shortcuts added less arcs removed,
    /// plus how many neighbours are already contracted (spreads contraction evenly).
    fn priority(&mut self, v: u32, deleted: &[u32], scratch: &mut Vec<(u32, u32, f64)>) -> i64 {
        self.shortcuts(v, scratch);
        let vi = v as usize;
        scratch.len() as i64 - (self.inc[vi].len() + self.out[vi].len()) as i64 + deleted[vi] as i64
    }
}

impl Hierarchy {
    /// Contracts every node of `graph` (about a second for a city of 65k nodes).
    pub fn prepare(graph: &ProfileGraph) -> Hierarchy {
        let n = graph.node_count();
        let mut g = Remaining {
            out: vec![Vec::new(); n],
            inc: vec![Vec::new(); n],
            contracted: vec![false; n],
            dist: vec![f64::INFINITY; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        };
        for u in 0..n as u32 {
            for a in graph.forward.arcs_of(u) {
                // Self-loops never shorten a time; parallel arcs keep the fastest.
                if a.other != u {
                    add_or_lower(&mut g.out[u as usize], a.other, a.time_s);
                    add_or_lower(&mut g.inc[a.other as usize], u, a.time_s);
                }
            }
        }
        let mut deleted = vec![0u32; n];
        let mut scratch = Vec::new();
        let mut priority: Vec<i64> = (0..n as u32)
            .map(|v| g.priority(v, &deleted, &mut scratch))
            .collect();
        let mut queue: BinaryHeap<Reverse<(i64, u32)>> = (0..n as u32)
            .map(|v| Reverse((priority[v as usize], v)))
            .collect();
        let mut rank = vec![u32::MAX; n];
        // Arcs to higher nodes, recorded when a node is contracted: (from, to, time) by node id.
        let mut up_arcs: Vec<(u32, u32, f64)> = Vec::new();
        let mut down_arcs: Vec<(u32, u32, f64)> = Vec::new();
        let mut shortcuts = 0;
        let mut next_rank = 0u32;
        while let Some(Reverse((p, v))) = queue.pop() {
            let vi = v as usize;
            if g.contracted[vi] || p != priority[vi] {
                continue;
            }
            // Lazy update: contract only if still no worse than the next in line.
            let now = g.priority(v, &deleted, &mut scratch);
            if let Some(Reverse((next, _))) = queue.peek() {
                if now > *next {
                    priority[vi] = now;
                    queue.push(Reverse((now, v)));
                    continue;
                }
            }
            // `scratch` holds v's shortcuts from the priority just computed on this graph.
            rank[vi] = next_rank;
            next_rank += 1;
            g.contracted[vi] = true;
            let (outs, inc) = (
                std::mem::take(&mut g.out[vi]),
                std::mem::take(&mut g.inc[vi]),
            );
            for &(w, t) in &outs {
                up_arcs.push((v, w, t));
                g.inc[w as usize].retain(|a| a.0 != v);
                deleted[w as usize] += 1;
            }
            for &(u, t) in &inc {
                down_arcs.push((u, v, t));
                g.out[u as usize].retain(|a| a.0 != v);
                deleted[u as usize] += 1;
            }
            for &(u, w, t) in &scratch {
                add_or_lower(&mut g.out[u as usize], w, t);
                add_or_lower(&mut g.inc[w as usize], u, t);
                shortcuts += 1;
            }
            // Neighbours' priorities changed.
            let mut neighbours: Vec<u32> = outs.iter().chain(&inc).map(|a| a.0).collect();
            neighbours.sort_unstable();
            neighbours.dedup();
            for w in neighbours {
                let p = g.priority(w, &deleted, &mut scratch);
                priority[w as usize] = p;
                queue.push(Reverse((p, w)));
            }
        }
        Hierarchy::from_arcs(rank, &up_arcs, &down_arcs, shortcuts)
    }

    /// The hierarchy of a node order (`rank[v]`) and its arcs `(from, to, time)` by node id:
    /// up from a lower rank to a higher one, down from a higher to a lower one.
    pub(super) fn from_arcs(
        rank: Vec<u32>,
        up_arcs: &[(u32, u32, f64)],
        down_arcs: &[(u32, u32, f64)],
        shortcuts: usize,
    ) -> Hierarchy {
        let n = rank.len();
        let csr = |arcs: &[(u32, u32, f64)], by_tail: bool| {
            let mut first = vec![0u32; n + 1];
            let key = |a: &(u32, u32, f64)| rank[(if by_tail { a.0 } else { a.1 }) as usize];
            for a in arcs {
                first[key(a) as usize + 1] += 1;
            }
            for i in 0..n {
                first[i + 1] += first[i];
            }
            let mut fill = first.clone();
            let mut out = vec![RankArc::default(); arcs.len()];
            for a in arcs {
                let slot = &mut fill[key(a) as usize];
                let other = if by_tail { a.1 } else { a.0 };
                out[*slot as usize] = RankArc {
                    time_s: a.2,
                    other: rank[other as usize],
                };
                *slot += 1;
            }
            (first, out)
        };
        let (up_first, up) = csr(up_arcs, true);
        let (down_first, down) = csr(down_arcs, false);
        let (down_out_first, down_out) = csr(down_arcs, true);
        let mut node_of = vec![0u32; n];
        for (v, &r) in rank.iter().enumerate() {
            node_of[r as usize] = v as u32;
        }
        Hierarchy {
            rank,
            up_first,
            up,
            down_first,
            down,
            down_out_first,
            down_out,
            node_of,
            shortcuts,
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.rank.len()
    }

    /// Number of shortcuts the preparation added.
    pub fn shortcut_count(&self) -> usize {
        self.shortcuts
    }

    /// Arcs in the hierarchy (original arcs and shortcuts, up and down).
    pub fn arc_count(&self) -> usize {
        self.up.len() + self.down.len()
    }

    #[inline]
    fn up_of(&self, r: usize) -> &[RankArc] {
        &self.up[self.up_first[r] as usize..self.up_first[r + 1] as usize]
    }

    #[inline]
    fn down_of(&self, r: usize) -> &[RankArc] {
        &self.down[self.down_first[r] as usize..self.down_first[r + 1] as usize]
    }

    #[inline]
    fn down_out_of(&self, r: usize) -> &[RankArc] {
        &self.down_out[self.down_out_first[r] as usize..self.down_out_first[r + 1] as usize]
    }

    /// Whether [`Sweep::Auto`] restricts the sweep for `sources` sources.
    fn restricts(&self, sweep: Sweep, sources: usize) -> bool {
        match sweep {
            Sweep::Full => false,
            Sweep::Restricted => true,
            Sweep::Auto => sources * FULL_SWEEP_NODES_PER_SOURCE < self.node_count(),
        }
    }

    /// Nearest-unit times and units, as [`super::search::nearest`] gives them.
    pub fn nearest(&self, sources: &[Source], cutoff_s: f64) -> Labels {
        self.nearest_by(Sweep::Auto, sources, cutoff_s)
    }

    /// Nearest-unit times only, as [`super::search::nearest_times`] gives them: what covered
    /// length needs, without carrying units through the sweeps.
    pub fn nearest_times(&self, sources: &[Source], cutoff_s: f64) -> Labels {
        self.nearest_times_by(Sweep::Auto, sources, cutoff_s)
    }

    /// [`Hierarchy::nearest`] by the given sweep.
    pub fn nearest_by(&self, sweep: Sweep, sources: &[Source], cutoff_s: f64) -> Labels {
        if self.restricts(sweep, sources.len()) {
            self.restricted::<true>(sources, 1, cutoff_s)
        } else {
            self.sweep_nearest::<true>(sources, cutoff_s)
        }
    }

    /// [`Hierarchy::nearest_times`] by the given sweep.
    pub fn nearest_times_by(&self, sweep: Sweep, sources: &[Source], cutoff_s: f64) -> Labels {
        if self.restricts(sweep, sources.len()) {
            self.restricted::<false>(sources, 1, cutoff_s)
        } else {
            self.sweep_nearest::<false>(sources, cutoff_s)
        }
    }

    /// [`Hierarchy::k_nearest`] by the given sweep.
    pub fn k_nearest_by(
        &self,
        sweep: Sweep,
        sources: &[Source],
        k: usize,
        cutoff_s: f64,
    ) -> Labels {
        if self.restricts(sweep, sources.len()) {
            self.restricted::<true>(sources, k.max(1), cutoff_s)
        } else {
            self.sweep_k(sources, k, cutoff_s)
        }
    }

    /// The restricted sweeps (see [`Sweep::Restricted`]) for `k` labels per node; `UNITS`:
    /// whether to record whose they are (always when `k > 1`).
    fn restricted<const UNITS: bool>(&self, sources: &[Source], k: usize, cutoff_s: f64) -> Labels {
        let n = self.node_count();
        let units = UNITS || k > 1;
        let mut labels = Labels {
            k,
            time_s: vec![f64::INFINITY; n * k],
            unit: vec![u32::MAX; if units { n * k } else { 0 }],
        };
        // Offers `time_s` from `unit` at rank `r`: whether it is kept.
        let offer_at = |labels: &mut Labels, r: usize, unit: u32, time_s: f64| -> bool {
            if time_s > cutoff_s {
                return false;
            }
            if k > 1 {
                return offer(labels, r, unit, time_s);
            }
            if time_s < labels.time_s[r] {
                labels.time_s[r] = time_s;
                if units {
                    labels.unit[r] = unit;
                }
                true
            } else {
                false
            }
        };
        // Offers rank `r`'s labels along `arcs`, marking in `bits` every rank they improve.
        let push = |labels: &mut Labels, r: usize, arcs: &[RankArc], bits: &mut RankBits| {
            for j in 0..k {
                let (t, u) = (
                    labels.time_s[r * k + j],
                    if units { labels.unit[r * k + j] } else { 0 },
                );
                if t > cutoff_s {
                    break;
                }
                for a in arcs {
                    let o = a.other as usize;
                    if offer_at(labels, o, u, t + a.time_s) {
                        bits.insert(o);
                    }
                }
            }
        };
        let mut pending = RankBits::new(n);
        let mut reached = RankBits::new(n);
        for s in sources {
            let r = self.rank[s.node as usize] as usize;
            if offer_at(&mut labels, r, s.unit, s.time_s) {
                pending.insert(r);
            }
        }
        // Up, lowest rank first: an upward arc only sets a higher bit, taken later.
        for w in 0..pending.0.len() {
            while pending.0[w] != 0 {
                let b = pending.0[w].trailing_zeros() as usize;
                pending.0[w] &= !(1 << b);
                let r = w * 64 + b;
                reached.insert(r);
                push(&mut labels, r, self.up_of(r), &mut pending);
            }
        }
        // Down, highest rank first: a downward arc only sets a lower bit, taken later; every
        // arc into a node comes from a higher one, so its labels are final when it is taken.
        let mut taken: Vec<u32> = Vec::new();
        for w in (0..reached.0.len()).rev() {
            while reached.0[w] != 0 {
                let b = 63 - reached.0[w].leading_zeros() as usize;
                reached.0[w] &= !(1 << b);
                let r = w * 64 + b;
                taken.push(r as u32);
                push(&mut labels, r, self.down_out_of(r), &mut reached);
            }
        }
        // Back to node order, only the nodes labelled.
        let mut by_node = Labels {
            k,
            time_s: vec![f64::INFINITY; n * k],
            unit: vec![u32::MAX; if units { n * k } else { 0 }],
        };
        for r in taken {
            let r = r as usize;
            let (from, to) = (r * k, self.node_of[r] as usize * k);
            by_node.time_s[to..to + k].copy_from_slice(&labels.time_s[from..from + k]);
            if units {
                by_node.unit[to..to + k].copy_from_slice(&labels.unit[from..from + k]);
            }
        }
        by_node
    }

    /// The two sweeps for one label per node; `UNITS`: whether to record whose it is.
    fn sweep_nearest<const UNITS: bool>(&self, sources: &[Source], cutoff_s: f64) -> Labels {
        let n = self.node_count();
        let mut time_s = vec![f64::INFINITY; n];
        let mut unit = vec![u32::MAX; if UNITS { n } else { 0 }];
        let mut lowest = n;
        for s in sources {
            let r = self.rank[s.node as usize] as usize;
            if s.time_s <= cutoff_s && s.time_s < time_s[r] {
                time_s[r] = s.time_s;
                if UNITS {
                    unit[r] = s.unit;
                }
                lowest = lowest.min(r);
            }
        }
        // Up: the upward arcs form a DAG in rank order, so one pass in that order is exact.
        for r in lowest..n {
            let t = time_s[r];
            if t > cutoff_s {
                continue;
            }
            for a in self.up_of(r) {
                let nt = t + a.time_s;
                let o = a.other as usize;
                if nt < time_s[o] {
                    time_s[o] = nt;
                    if UNITS {
                        unit[o] = unit[r];
                    }
                }
            }
        }
        // Down: every node after all the higher nodes it can be reached from.
        for r in (0..n).rev() {
            let mut best = time_s[r];
            let mut from = None;
            for a in self.down_of(r) {
                let nt = time_s[a.other as usize] + a.time_s;
                if nt < best {
                    best = nt;
                    from = Some(a.other as usize);
                }
            }
            time_s[r] = best;
            if let (true, Some(from)) = (UNITS, from) {
                unit[r] = unit[from];
            }
        }
        let by_node_t = self
            .rank
            .iter()
            .map(|&r| time_s[r as usize])
            .map(|t| if t <= cutoff_s { t } else { f64::INFINITY })
            .collect();
        let by_node_u = if UNITS {
            self.rank
                .iter()
                .map(|&r| match time_s[r as usize] <= cutoff_s {
                    true => unit[r as usize],
                    false => u32::MAX,
                })
                .collect()
        } else {
            Vec::new()
        };
        Labels {
            k: 1,
            time_s: by_node_t,
            unit: by_node_u,
        }
    }

    /// The `k` best times per node from distinct units, as [`super::search::k_nearest`] gives
    /// them: the same two sweeps carrying each node's list of `k` (time, unit) labels. A unit
    /// among the `k` best at a node is among the `k` best at every node on its way there, so
    /// keeping `k` per node loses nothing.
    pub fn k_nearest(&self, sources: &[Source], k: usize, cutoff_s: f64) -> Labels {
        self.k_nearest_by(Sweep::Auto, sources, k, cutoff_s)
    }

    /// PHAST's full sweeps for `k` labels.
    fn sweep_k(&self, sources: &[Source], k: usize, cutoff_s: f64) -> Labels {
        if k <= 1 {
            return self.sweep_nearest::<true>(sources, cutoff_s);
        }
        let n = self.node_count();
        let mut labels = Labels {
            k,
            time_s: vec![f64::INFINITY; n * k],
            unit: vec![u32::MAX; n * k],
        };
        let mut lowest = n;
        for s in sources {
            let r = self.rank[s.node as usize] as usize;
            if s.time_s <= cutoff_s && offer(&mut labels, r, s.unit, s.time_s) {
                lowest = lowest.min(r);
            }
        }
        for r in lowest..n {
            for j in 0..k {
                let (t, u) = (labels.time_s[r * k + j], labels.unit[r * k + j]);
                if t > cutoff_s {
                    break;
                }
                for a in self.up_of(r) {
                    offer(&mut labels, a.other as usize, u, t + a.time_s);
                }
            }
        }
        for r in (0..n).rev() {
            for a in self.down_of(r) {
                let o = a.other as usize;
                for j in 0..k {
                    let (t, u) = (labels.time_s[o * k + j], labels.unit[o * k + j]);
                    if t > cutoff_s {
                        break;
                    }
                    offer(&mut labels, r, u, t + a.time_s);
                }
            }
        }
        let mut by_node = Labels {
            k,
            time_s: vec![f64::INFINITY; n * k],
            unit: vec![u32::MAX; n * k],
        };
        for (v, &r) in self.rank.iter().enumerate() {
            for j in 0..k {
                let t = labels.time_s[r as usize * k + j];
                if t <= cutoff_s {
                    by_node.time_s[v * k + j] = t;
                    by_node.unit[v * k + j] = labels.unit[r as usize * k + j];
                }
            }
        }
        by_node
    }
}
