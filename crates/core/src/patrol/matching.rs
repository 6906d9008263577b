//! Map matching: a mandatory patrol line, drawn by a planner a few metres off the road
//! geometry, becomes the sequence of road edges (and directions) it follows.
//!
//! A hidden Markov model solved by Viterbi, after Newson & Krumm (2009): the line is sampled
//! every few metres; each sample's hidden state is a point on a nearby road edge in one
//! travel direction the profile allows; a state is likelier the nearer the sample (Gaussian
//! emission), and a move between two samples' states likelier the closer its route length on
//! the graph is to the straight distance between the samples (exponential transition). Why
//! not "nearest edge, then join with shortest paths": at every crossing the nearest edge of a
//! sample is as often the cross street, and the joins then zigzag.

use super::paths::{PathSearch, Weight};
use crate::network::geodesy::{haversine_m, point_along_lengths};
use crate::network::{ProfileGraph, RoadNetwork, SnapIndex};

/// How lines are matched.
#[derive(Clone, Copy, Debug)]
pub struct MatchOptions {
    /// Distance between samples along the drawn line, in metres.
    pub step_m: f64,
    /// Farthest road considered for a sample, in metres.
    pub radius_m: f64,
    /// Most candidate edges per sample.
    pub max_candidates: usize,
    /// Standard deviation of how far the drawing is off the road, in metres.
    pub sigma_m: f64,
    /// Scale of the difference between route length and straight distance, in metres.
    pub beta_m: f64,
    /// Longest stretch of the line allowed with no road within `radius_m`, in metres.
    pub max_unmatched_m: f64,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            step_m: 15.0,
            radius_m: 40.0,
            max_candidates: 8,
            sigma_m: 8.0,
            beta_m: 20.0,
            max_unmatched_m: 60.0,
        }
    }
}

/// A traversal of all or part of one road edge.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Traversal {
    /// The edge.
    pub edge: u32,
    /// Whether it is travelled from its first node to its last.
    pub forward: bool,
    /// The part travelled, as fractions of the edge's length (`from <= to`).
    pub from: f64,
    /// See `from`.
    pub to: f64,
}

impl Traversal {
    /// Metres travelled.
    pub fn length_m(&self, network: &RoadNetwork) -> f64 {
        (self.to - self.from) * network.edges[self.edge as usize].length_m
    }
}

/// A line as matched.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MatchedLine {
    /// The road it follows, in order.
    pub traversals: Vec<Traversal>,
    /// Mean distance from the line's samples to their matched road points, in metres.
    pub mean_dist_m: f64,
    /// Largest such distance, in metres.
    pub max_dist_m: f64,
    /// Length of the line as drawn, in metres.
    pub drawn_length_m: f64,
    /// Length of the matched road, in metres.
    pub matched_length_m: f64,
}

impl MatchedLine {
    /// The edges a patrol must travel for this line, each with its direction: those the line
    /// follows for at least half their length or `min_m` metres (the slivers at its ends,
    /// where a hand-drawn line starts a little into a street, are left out).
    pub fn required(&self, network: &RoadNetwork, min_m: f64) -> Vec<(u32, bool)> {
        let mut out: Vec<(u32, bool)> = Vec::new();
        for t in &self.traversals {
            let length = network.edges[t.edge as usize].length_m;
            let part = t.length_m(network);
            if (part >= 0.5 * length || part >= min_m) && !out.contains(&(t.edge, t.forward)) {
                out.push((t.edge, t.forward));
            }
        }
        out
    }

    /// Points on the matched road as (edge, fraction): both ends of every traversal.
    pub fn points(&self) -> Vec<(u32, f64)> {
        self.traversals
            .iter()
            .flat_map(|t| [(t.edge, t.from), (t.edge, t.to)])
            .collect()
    }

    /// `count` points spread evenly by length along the matched road, in travel order, its
    /// two ends included (one point, the start, when `count` is 1).
    pub fn spread(&self, network: &RoadNetwork, count: usize) -> Vec<(u32, f64)> {
        let total_m = self.matched_length_m;
        let mut out = Vec::with_capacity(count);
        let mut passed_m = 0.0;
        let mut i = 0;
        for t in &self.traversals {
            let length_m = t.length_m(network);
            while i < count {
                let target_m = if count > 1 {
                    total_m * i as f64 / (count - 1) as f64
                } else {
                    0.0
                };
                if target_m > passed_m + length_m + 1e-9 {
                    break;
                }
                let part = if length_m > 0.0 {
                    ((target_m - passed_m) / length_m).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let span = t.to - t.from;
                let fraction = if t.forward {
                    t.from + part * span
                } else {
                    t.to - part * span
                };
                out.push((t.edge, fraction));
                i += 1;
            }
            passed_m += length_m;
        }
        // Float drift at the far end: the last traversal's end.
        if let Some(t) = self.traversals.last() {
            while out.len() < count {
                out.push((t.edge, if t.forward { t.to } else { t.from }));
            }
        }
        out
    }
}

/// Why a line could not be matched.
#[derive(Clone, Debug, PartialEq, thiserror::Error, serde::Serialize)]
pub enum MatchError {
    /// The line has fewer than two distinct points.
    #[error("the line has fewer than two distinct points")]
    TooShort,
    /// A stretch of the line is far from every road.
    #[error("no road within {radius_m:.0} m for {length_m:.0} m of the line from {at:?}")]
    NoRoadNear {
        /// Where the stretch starts, `[lon, lat]`.
        at: [f64; 2],
        /// How long it is, in metres.
        length_m: f64,
        /// The search radius.
        radius_m: f64,
    },
    /// No route on the roads joins two consecutive parts of the line.
    #[error("no route on the roads follows the line at {at:?} (one-way against the drawing, or roads not connected)")]
    Broken {
        /// Where, `[lon, lat]`.
        at: [f64; 2],
    },
    /// The line follows a road the travel profile may not use (its class, or its access:
    /// a private service road in a residential compound).
    #[error("the line runs on road edge {edge} at {at:?} (highway={class}, access={access}), which the {mode} profile does not use")]
    ExcludedRoad {
        /// Where that road starts, `[lon, lat]`.
        at: [f64; 2],
        /// The road edge.
        edge: u32,
        /// Its `highway` class.
        class: String,
        /// Its access.
        access: &'static str,
        /// The profile's mode.
        mode: crate::network::TravelMode,
    },
    /// The line is drawn against a one-way road.
    #[error("the line is drawn against the one-way road edge {edge} at {at:?}")]
    AgainstOneWay {
        /// Where that road starts, `[lon, lat]`.
        at: [f64; 2],
        /// The road edge.
        edge: u32,
    },
}

impl MatchError {
    /// A stable name of what went wrong, for the map's own words (`left_CODE` in its i18n).
    ///
    /// ```
    /// use patrolmap_core::patrol::matching::MatchError;
    /// assert_eq!(MatchError::TooShort.code(), "line_too_short");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            MatchError::TooShort => "line_too_short",
            MatchError::NoRoadNear { .. } => "line_far_from_roads",
            MatchError::Broken { .. } => "line_broken",
            MatchError::ExcludedRoad { .. } => "line_on_excluded_road",
            MatchError::AgainstOneWay { .. } => "line_against_one_way",
        }
    }
}

/// A hidden state: a point on an edge, travelling one way.
#[derive(Clone, Copy, Debug)]
struct State {
    edge: u32,
    forward: bool,
    fraction: f64,
    dist_m: f64,
}

/// The node a state leaves its edge by, and the metres to it.
fn exit(network: &RoadNetwork, s: &State) -> (u32, f64) {
    let edge = &network.edges[s.edge as usize];
    if s.forward {
        (edge.to, (1.0 - s.fraction) * edge.length_m)
    } else {
        (edge.from, s.fraction * edge.length_m)
    }
}

/// The node a state enters its edge by, and the metres from it.
fn entry(network: &RoadNetwork, s: &State) -> (u32, f64) {
    let edge = &network.edges[s.edge as usize];
    if s.forward {
        (edge.from, s.fraction * edge.length_m)
    } else {
        (edge.to, (1.0 - s.fraction) * edge.length_m)
    }
}

/// Metres along the edge from `a` to `b` when both are on the same edge in the same direction
/// and `b` is not behind `a` (1 m of slack for drawing noise).
fn progress_on_edge(network: &RoadNetwork, a: &State, b: &State) -> Option<f64> {
    if a.edge != b.edge || a.forward != b.forward {
        return None;
    }
    let length = network.edges[a.edge as usize].length_m;
    let ahead = if a.forward {
        b.fraction - a.fraction
    } else {
        a.fraction - b.fraction
    } * length;
    (ahead >= -1.0).then_some(ahead.max(0.0))
}

/// Matches `line` (`[lon, lat]` points) to the edges of `graph`.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, SnapIndex, TravelMode};
/// use patrolmap_core::patrol::matching::{match_line, MatchOptions};
/// // Two streets in a row, and a line drawn 5 m beside them.
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.002,0]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0.002,0],[0.004,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let index = SnapIndex::build(&net, &graph);
/// let m = match_line(&net, &graph, &index, &[[0.0001, 0.000045], [0.0039, 0.000045]], &MatchOptions::default()).unwrap();
/// assert_eq!(m.required(&net, 20.0), vec![(0, true), (1, true)]);
/// assert!(m.max_dist_m < 6.0);
/// ```
pub fn match_line(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    index: &SnapIndex,
    line: &[[f64; 2]],
    options: &MatchOptions,
) -> Result<MatchedLine, MatchError> {
    let lengths: Vec<f64> = line.windows(2).map(|w| haversine_m(w[0], w[1])).collect();
    let drawn_length_m: f64 = lengths.iter().sum();
    if line.len() < 2 || drawn_length_m <= 0.0 {
        return Err(MatchError::TooShort);
    }
    // Samples along the line, with their states; samples with no road near are skipped, as
    // long as the skipped stretch stays short.
    let count = (drawn_length_m / options.step_m).ceil().max(1.0) as usize;
    let mut alongs_m: Vec<f64> = (0..=count)
        .map(|i| drawn_length_m * i as f64 / count as f64)
        .collect();
    // Where the line turns back (a U-turn at a dead end's tip) a sample too: evenly spaced
    // samples may straddle a short stub, and the match would cut its tip off.
    let mut at_vertex_m = 0.0;
    for i in 1..line.len().saturating_sub(1) {
        at_vertex_m += lengths[i - 1];
        let (a, b, c) = (line[i - 1], line[i], line[i + 1]);
        let (u, v) = ([b[0] - a[0], b[1] - a[1]], [c[0] - b[0], c[1] - b[1]]);
        let dot = u[0] * v[0] + u[1] * v[1];
        let norms = (u[0].hypot(u[1])) * (v[0].hypot(v[1]));
        if norms > 0.0 && dot < -0.5 * norms {
            alongs_m.push(at_vertex_m);
        }
    }
    alongs_m.sort_by(f64::total_cmp);
    alongs_m.dedup_by(|b, a| *b - *a < 0.5);
    let last = alongs_m.len() - 1;
    let mut samples: Vec<([f64; 2], Vec<State>)> = Vec::new();
    let bound = |a: [f64; 2], b: [f64; 2]| 3.0 * haversine_m(a, b) + 2.0 * options.radius_m + 100.0;
    let mut gap_from: Option<(f64, [f64; 2])> = None;
    for (i, &along_m) in alongs_m.iter().enumerate() {
        let p = point_along_lengths(line, lengths.iter().copied(), along_m / drawn_length_m);
        let states: Vec<State> = index
            .candidates(p, options.radius_m, options.max_candidates)
            .iter()
            .flat_map(|c| {
                let direction = graph.edge_direction[c.edge as usize];
                [true, false].into_iter().filter_map(move |forward| {
                    let allowed = direction.is_some_and(|d| {
                        if forward {
                            d.allows_forward()
                        } else {
                            d.allows_backward()
                        }
                    });
                    allowed.then_some(State {
                        edge: c.edge,
                        forward,
                        fraction: c.fraction,
                        dist_m: c.dist_m,
                    })
                })
            })
            .collect();
        let end = i == last;
        if states.is_empty() {
            gap_from.get_or_insert((along_m, p));
        }
        if let Some((start_m, at)) = gap_from {
            let length_m = along_m - start_m;
            if length_m > options.max_unmatched_m
                || (end && states.is_empty() && samples.is_empty())
            {
                return Err(MatchError::NoRoadNear {
                    at,
                    length_m: length_m.max(options.step_m),
                    radius_m: options.radius_m,
                });
            }
            if !states.is_empty() {
                gap_from = None;
            }
        }
        if !states.is_empty() {
            samples.push((p, states));
        }
    }
    if samples.len() < 2 {
        return Err(MatchError::NoRoadNear {
            at: line[0],
            length_m: drawn_length_m,
            radius_m: options.radius_m,
        });
    }

    // Viterbi over the samples.
    let emission = |s: &State| 0.5 * (s.dist_m / options.sigma_m).powi(2);
    let mut cost: Vec<f64> = samples[0].1.iter().map(emission).collect();
    let mut back: Vec<Vec<usize>> = vec![Vec::new()];
    let mut search = PathSearch::new(network.nodes.len());
    let from_node = |search: &mut PathSearch, node: u32, bound_m: f64| {
        search.run(
            network,
            graph,
            Weight::Length,
            true,
            &[(node, 0.0)],
            bound_m,
            |_| false,
            1,
        );
    };
    for w in 1..samples.len() {
        let (prev_p, prev) = (&samples[w - 1].0, &samples[w - 1].1);
        let (p, next) = (&samples[w].0, &samples[w].1);
        let straight_m = haversine_m(*prev_p, *p);
        let bound_m = bound(*prev_p, *p);
        let mut next_cost = vec![f64::INFINITY; next.len()];
        let mut next_back = vec![usize::MAX; next.len()];
        for (i, a) in prev.iter().enumerate() {
            if !cost[i].is_finite() {
                continue;
            }
            let (exit_node, exit_m) = exit(network, a);
            let mut searched = false;
            for (j, b) in next.iter().enumerate() {
                let route_m = match progress_on_edge(network, a, b) {
                    Some(m) => m,
                    None => {
                        if !searched {
                            from_node(&mut search, exit_node, bound_m);
                            searched = true;
                        }
                        let (entry_node, entry_m) = entry(network, b);
                        exit_m + search.cost[entry_node as usize] + entry_m
                    }
                };
                if !route_m.is_finite() {
                    continue;
                }
                let c = cost[i] + (route_m - straight_m).abs() / options.beta_m + emission(b);
                if c < next_cost[j] {
                    next_cost[j] = c;
                    next_back[j] = i;
                }
            }
        }
        if next_cost.iter().all(|c| !c.is_finite()) {
            return Err(MatchError::Broken { at: *prev_p });
        }
        cost = next_cost;
        back.push(next_back);
    }

    // The best chain of states, then the road it follows.
    let mut j = (0..cost.len())
        .min_by(|&a, &b| cost[a].total_cmp(&cost[b]))
        .unwrap_or(0);
    let mut chain: Vec<State> = Vec::with_capacity(samples.len());
    for w in (0..samples.len()).rev() {
        chain.push(samples[w].1[j]);
        if w > 0 {
            j = back[w][j];
        }
    }
    chain.reverse();
    let mut traversals: Vec<Traversal> = Vec::new();
    let mut push = |edge: u32, forward: bool, a: f64, b: f64| {
        let (from, to) = (a.min(b), a.max(b));
        if let Some(last) = traversals.last_mut() {
            if last.edge == edge && last.forward == forward {
                last.from = last.from.min(from);
                last.to = last.to.max(to);
                return;
            }
        }
        traversals.push(Traversal {
            edge,
            forward,
            from,
            to,
        });
    };
    push(
        chain[0].edge,
        chain[0].forward,
        chain[0].fraction,
        chain[0].fraction,
    );
    for (w, pair) in chain.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        if progress_on_edge(network, a, b).is_some() {
            push(b.edge, b.forward, a.fraction, b.fraction);
            continue;
        }
        let end = if a.forward { 1.0 } else { 0.0 };
        push(a.edge, a.forward, a.fraction, end);
        let (exit_node, _) = exit(network, a);
        let (entry_node, _) = entry(network, b);
        from_node(
            &mut search,
            exit_node,
            bound(samples[w].0, samples[w + 1].0),
        );
        for (edge, forward) in search.path(network, entry_node) {
            push(edge, forward, 0.0, 1.0);
        }
        let start = if b.forward { 0.0 } else { 1.0 };
        push(b.edge, b.forward, start, b.fraction);
    }
    traversals.retain(|t| t.to > t.from || network.edges[t.edge as usize].length_m == 0.0);
    let dists: Vec<f64> = chain.iter().map(|s| s.dist_m).collect();
    Ok(MatchedLine {
        matched_length_m: traversals.iter().map(|t| t.length_m(network)).sum(),
        mean_dist_m: dists.iter().sum::<f64>() / dists.len() as f64,
        max_dist_m: dists.iter().fold(0.0, |a: f64, &b| a.max(b)),
        drawn_length_m,
        traversals,
    })
}
