//! The routing graph of one travel mode as flat CSR arrays.
//!
//! Why not petgraph here: the searches run thousands of times per second on the command map,
//! and a compressed-sparse-row layout (offsets, heads and times in three plain arrays, `u32`
//! ids) keeps a node's arcs in one cache line run, with no hashing and no pointer chasing.

use super::{Direction, Profile, RoadNetwork, TravelMode};

/// One arc: 16 bytes, so that a node's arcs are read in one or two cache lines.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Arc {
    /// Travel time along the arc, in seconds.
    pub time_s: f64,
    /// The other end (head for forward arcs, tail for backward ones).
    pub other: u32,
    /// The road edge the arc runs along.
    pub edge: u32,
}

/// One direction of adjacency in CSR form.
#[derive(Clone, Debug, Default)]
pub struct Adjacency {
    /// `first[v]..first[v + 1]` are the arcs of node `v`.
    pub first: Vec<u32>,
    /// The arcs, grouped by node.
    pub arcs: Vec<Arc>,
}

impl Adjacency {
    /// The arcs of node `v` as `(other end, time in s, edge)`.
    #[inline]
    pub fn arcs(&self, v: u32) -> impl Iterator<Item = (u32, f64, u32)> + '_ {
        self.arcs_of(v).iter().map(|a| (a.other, a.time_s, a.edge))
    }

    /// The arcs of node `v`.
    #[inline]
    pub fn arcs_of(&self, v: u32) -> &[Arc] {
        &self.arcs[self.first[v as usize] as usize..self.first[v as usize + 1] as usize]
    }

    fn build(node_count: usize, arcs: &[(u32, u32, f64, u32)]) -> Adjacency {
        let mut first = vec![0u32; node_count + 1];
        for a in arcs {
            first[a.0 as usize + 1] += 1;
        }
        for i in 0..node_count {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut out = vec![Arc::default(); arcs.len()];
        for a in arcs {
            let slot = fill[a.0 as usize] as usize;
            fill[a.0 as usize] += 1;
            out[slot] = Arc {
                time_s: a.2,
                other: a.1,
                edge: a.3,
            };
        }
        Adjacency { first, arcs: out }
    }
}

/// The routing graph of one [`TravelMode`] over a [`RoadNetwork`]'s nodes.
///
/// Node ids are the network's; nodes that no usable edge touches have no arcs.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"speed_kph":36,"oneway":"yes"},
///   "geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}}]}"#, "r.geojson".as_ref()).unwrap();
/// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// assert_eq!(g.forward.arcs(0).count(), 1);
/// assert_eq!(g.forward.arcs(1).count(), 0);
/// assert!((g.edge_forward_time_s[0] - net.edges[0].length_m / 10.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct ProfileGraph {
    /// The mode.
    pub mode: TravelMode,
    /// Arcs out of each node.
    pub forward: Adjacency,
    /// Arcs into each node (`other` is the tail).
    pub backward: Adjacency,
    /// Per road edge: the directions this mode may travel it, `None` when it may not use it.
    pub edge_direction: Vec<Option<Direction>>,
    /// Per road edge: the time to travel it end to end from its first node to its last, in
    /// seconds (infinite when unusable; defined even where a one-way forbids it).
    pub edge_forward_time_s: Vec<f64>,
    /// Per road edge: the time from its last node to its first (equal to the forward time
    /// unless the edge has a speed per direction).
    pub edge_backward_time_s: Vec<f64>,
    /// Per road edge: the speed used from its first node to its last, in km/h (0 when
    /// unusable).
    pub edge_forward_speed_kph: Vec<f64>,
    /// Per road edge: the speed used from its last node to its first, in km/h.
    pub edge_backward_speed_kph: Vec<f64>,
}

impl ProfileGraph {
    /// Whether this mode may drive road edge `edge` forward (from its first node) or
    /// backward: the edge is in the graph and its one-way allows it.
    ///
    /// ```
    /// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
    /// let net = read_str(r#"{"type":"FeatureCollection","features":[
    ///   {"type":"Feature","properties":{"oneway":"yes"},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}}]}"#,
    ///   "r.geojson".as_ref()).unwrap();
    /// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    /// assert!(g.allows(0, true) && !g.allows(0, false) && !g.allows(7, true));
    /// ```
    pub fn allows(&self, edge: u32, forward: bool) -> bool {
        self.edge_direction
            .get(edge as usize)
            .copied()
            .flatten()
            .is_some_and(|d| {
                if forward {
                    d.allows_forward()
                } else {
                    d.allows_backward()
                }
            })
    }

    /// The time to travel road edge `edge` end to end, in seconds: from its first node to its
    /// last when `forward`, else back. Infinite when the mode may not use the edge (whatever
    /// its one-way: see [`ProfileGraph::allows`]).
    ///
    /// ```
    /// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
    /// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature",
    ///   "properties":{"forward_speed_kph":36,"backward_speed_kph":18},
    ///   "geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}}]}"#, "r.geojson".as_ref()).unwrap();
    /// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    /// assert!((2.0 * g.time_s(0, true) - g.time_s(0, false)).abs() < 1e-9);
    /// assert_eq!(g.forward.arcs(1).next().unwrap().1, g.time_s(0, false));
    /// ```
    #[inline]
    pub fn time_s(&self, edge: u32, forward: bool) -> f64 {
        if forward {
            self.edge_forward_time_s[edge as usize]
        } else {
            self.edge_backward_time_s[edge as usize]
        }
    }

    /// The shorter time of the directions this mode may drive road edge `edge` (infinite when
    /// none): what serving it costs at least when a plan may choose the way (lower bounds).
    ///
    /// ```
    /// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
    /// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature",
    ///   "properties":{"forward_speed_kph":18,"backward_speed_kph":36},
    ///   "geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}}]}"#, "r.geojson".as_ref()).unwrap();
    /// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    /// assert_eq!(g.quickest_time_s(0), g.time_s(0, false));
    /// ```
    pub fn quickest_time_s(&self, edge: u32) -> f64 {
        let mut best = f64::INFINITY;
        for forward in [true, false] {
            if self.allows(edge, forward) {
                best = best.min(self.time_s(edge, forward));
            }
        }
        best
    }

    /// Builds the graph of `profile` over `network`.
    pub fn build(network: &RoadNetwork, profile: &Profile) -> ProfileGraph {
        Self::build_without(network, profile, &[])
    }

    /// Builds the graph of `profile` over `network` with the edges marked in `closed` left
    /// out (closed roads: event perimeters, works). `closed` may be shorter than the edges.
    pub fn build_without(
        network: &RoadNetwork,
        profile: &Profile,
        closed: &[bool],
    ) -> ProfileGraph {
        let m = network.edges.len();
        let mut edge_direction = vec![None; m];
        let mut forward_kph = vec![0.0; m];
        let mut backward_kph = vec![0.0; m];
        for (e, edge) in network.edges.iter().enumerate() {
            if closed.get(e).copied().unwrap_or(false) {
                continue;
            }
            let Some(speeds) = profile.speeds_kph(network, edge) else {
                continue;
            };
            edge_direction[e] = Some(profile.direction(edge));
            forward_kph[e] = speeds.forward_kph;
            backward_kph[e] = speeds.backward_kph;
        }
        Self::timed(
            network,
            profile.mode,
            edge_direction,
            forward_kph,
            backward_kph,
        )
    }

    /// The graph of edges usable in `edge_direction` at these speeds per edge and direction
    /// (0 where unusable): each edge's times and its arcs.
    fn timed(
        network: &RoadNetwork,
        mode: TravelMode,
        edge_direction: Vec<Option<Direction>>,
        edge_forward_speed_kph: Vec<f64>,
        edge_backward_speed_kph: Vec<f64>,
    ) -> ProfileGraph {
        let m = network.edges.len();
        let mut edge_forward_time_s = vec![f64::INFINITY; m];
        let mut edge_backward_time_s = vec![f64::INFINITY; m];
        let mut arcs = Vec::with_capacity(2 * m);
        for (e, edge) in network.edges.iter().enumerate() {
            let Some(direction) = edge_direction[e] else {
                continue;
            };
            // The spec's formula, written the same way so times agree to the last bit.
            let forward_s = edge.length_m / (edge_forward_speed_kph[e] / 3.6);
            let backward_s = edge.length_m / (edge_backward_speed_kph[e] / 3.6);
            edge_forward_time_s[e] = forward_s;
            edge_backward_time_s[e] = backward_s;
            if direction.allows_forward() {
                arcs.push((edge.from, edge.to, forward_s, e as u32));
            }
            if direction.allows_backward() {
                arcs.push((edge.to, edge.from, backward_s, e as u32));
            }
        }
        let n = network.nodes.len();
        let forward = Adjacency::build(n, &arcs);
        let reversed: Vec<_> = arcs.iter().map(|a| (a.1, a.0, a.2, a.3)).collect();
        let backward = Adjacency::build(n, &reversed);
        ProfileGraph {
            mode,
            forward,
            backward,
            edge_direction,
            edge_forward_time_s,
            edge_backward_time_s,
            edge_forward_speed_kph,
            edge_backward_speed_kph,
        }
    }

    /// The same graph with other speeds: `speed_kph(edge, forward)` gives an edge's speed
    /// in one direction (a time-of-day speed set), `None` keeps the current one. Which edges
    /// and directions may be driven does not change, so a hierarchy customised on the result
    /// shares this graph's structure ([`crate::coverage::cch`]).
    ///
    /// ```
    /// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
    /// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature",
    ///   "properties":{"speed_kph":36},
    ///   "geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}}]}"#, "r.geojson".as_ref()).unwrap();
    /// let g = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    /// let rush = g.with_speeds_kph(&net, |_, forward| forward.then_some(18.0));
    /// assert!((rush.edge_forward_time_s[0] - 2.0 * g.edge_forward_time_s[0]).abs() < 1e-9);
    /// assert_eq!(rush.edge_backward_time_s[0], g.edge_backward_time_s[0]);
    /// assert_eq!(rush.forward.arcs(0).next().unwrap().1, rush.edge_forward_time_s[0]);
    /// ```
    pub fn with_speeds_kph(
        &self,
        network: &RoadNetwork,
        speed_kph: impl Fn(u32, bool) -> Option<f64>,
    ) -> ProfileGraph {
        let mut forward_kph = self.edge_forward_speed_kph.clone();
        let mut backward_kph = self.edge_backward_speed_kph.clone();
        for e in 0..network.edges.len() {
            if self.edge_direction[e].is_none() {
                continue;
            }
            let measured =
                |forward: bool| speed_kph(e as u32, forward).filter(|s| s.is_finite() && *s > 0.0);
            if let Some(kph) = measured(true) {
                forward_kph[e] = kph;
            }
            if let Some(kph) = measured(false) {
                backward_kph[e] = kph;
            }
        }
        Self::timed(
            network,
            self.mode,
            self.edge_direction.clone(),
            forward_kph,
            backward_kph,
        )
    }

    /// Number of node ids (the network's node count).
    pub fn node_count(&self) -> usize {
        self.forward.first.len() - 1
    }

    /// Number of directed arcs.
    pub fn arc_count(&self) -> usize {
        self.forward.arcs.len()
    }

    /// Whether this mode may use road edge `e`.
    #[inline]
    pub fn is_usable(&self, e: usize) -> bool {
        self.edge_direction[e].is_some()
    }

    /// Number of road edges this mode may use.
    pub fn usable_edge_count(&self) -> usize {
        self.edge_direction.iter().filter(|d| d.is_some()).count()
    }

    /// Number of usable road edges whose two directions take different times (a speed per
    /// direction: OSM `maxspeed:forward`/`:backward`).
    pub fn directed_speed_edge_count(&self) -> usize {
        (0..self.edge_direction.len())
            .filter(|&e| {
                self.is_usable(e) && self.edge_forward_time_s[e] != self.edge_backward_time_s[e]
            })
            .count()
    }

    /// Whether node `v` touches a usable edge.
    #[inline]
    pub fn has_arcs(&self, v: u32) -> bool {
        let v = v as usize;
        self.forward.first[v] != self.forward.first[v + 1]
            || self.backward.first[v] != self.backward.first[v + 1]
    }
}
