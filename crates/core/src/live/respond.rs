//! The 110 call's response package: every live unit's exact travel time to a point of the
//! road, and its route, from one backward search per travel mode out of the point (a search
//! from each unit would cost one Dijkstra per unit).

use crate::coverage::overlay::slice_polyline;
use crate::coverage::radix_heap::RadixHeap;
use crate::coverage::ModeNetwork;
use crate::network::{ProfileGraph, RoadNetwork};

/// A unit that may be sent, where it is on its mode's roads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Responder {
    /// The caller's index of the unit (returned in its [`Arrival`]).
    pub unit: usize,
    /// Its mode's index in the `modes` given to [`arrivals`].
    pub mode_index: usize,
    /// The edge it is on.
    pub edge: u32,
    /// Where on it, as a fraction of its length from its first node.
    pub fraction: f64,
    /// `Some(true)`: moving towards the edge's last node, so it leaves that way (it does not
    /// turn on the spot); `Some(false)` the other way; `None`: standing, either way.
    pub forward: Option<bool>,
    /// When it starts to move, in seconds (its turnout; 0 on the move).
    pub start_s: f64,
}

/// The point a call is at, on the roads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target {
    /// The edge.
    pub edge: u32,
    /// Where on it, as a fraction of its length from its first node.
    pub fraction: f64,
}

/// When a unit arrives, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrival {
    /// The caller's index of the unit.
    pub unit: usize,
    /// Its travel time, in seconds (turnout included).
    pub eta_s: f64,
    /// The road edges it drives, in order (the first and last partly).
    pub edges: Vec<u32>,
    /// Its route, `[lon, lat]` positions from where it is to the call.
    pub route: Vec<[f64; 2]>,
    /// Its length, in metres.
    pub length_m: f64,
}

/// Per node of one mode's graph: the time to the target and the next step towards it.
struct ToTarget {
    time_s: Vec<f64>,
    /// `(next node, edge)`; `u32::MAX` as the node when the next step is onto the target's
    /// edge itself.
    next: Vec<(u32, u32)>,
}

/// Every responder arriving at `target` within `cutoff_s`, soonest first (ties by the
/// caller's index), each with its route. One bounded backward Dijkstra per mode that has
/// responders, stopped as soon as every responder's exits are settled.
///
/// ```
/// use patrolmap_core::coverage::ModeNetwork;
/// use patrolmap_core::live::{arrivals, Responder, Target};
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, SnapIndex, TravelMode};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}},
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0.001],[0,0.002]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let index = SnapIndex::build(&net, &graph);
/// let modes = [ModeNetwork { mode: TravelMode::Car, graph: &graph, index: &index }];
/// let unit = Responder { unit: 7, mode_index: 0, edge: 0, fraction: 0.5, forward: None, start_s: 10.0 };
/// let got = arrivals(&net, &modes, &[unit], Target { edge: 1, fraction: 0.5 }, 600.0);
/// assert_eq!(got[0].unit, 7);
/// assert!((got[0].eta_s - (10.0 + graph.edge_forward_time_s[0])).abs() < 1e-9);
/// assert_eq!(got[0].edges, vec![0, 1]);
/// ```
pub fn arrivals(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    responders: &[Responder],
    target: Target,
    cutoff_s: f64,
) -> Vec<Arrival> {
    let mut out = Vec::new();
    each_responder(
        network,
        modes,
        responders,
        target,
        cutoff_s,
        |graph, search, r| {
            if let Some(arrival) = arrival(network, graph, search, r, target) {
                if arrival.eta_s <= cutoff_s {
                    out.push(arrival);
                }
            }
        },
    );
    out.sort_by(|a, b| a.eta_s.total_cmp(&b.eta_s).then(a.unit.cmp(&b.unit)));
    out
}

/// One backward search per mode from `target` (until every responder of the mode is
/// settled, or `cutoff_s`), then `f` for each responder of the mode with the mode's graph and
/// its search.
fn each_responder(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    responders: &[Responder],
    target: Target,
    cutoff_s: f64,
    mut f: impl FnMut(&ProfileGraph, &ToTarget, &Responder),
) {
    for (m, mode) in modes.iter().enumerate() {
        let mine: Vec<&Responder> = responders.iter().filter(|r| r.mode_index == m).collect();
        if mine.is_empty() {
            continue;
        }
        let graph = mode.graph;
        let exits: Vec<u32> = mine
            .iter()
            .flat_map(|r| exits(network, graph, r))
            .map(|(node, _, _)| node)
            .collect();
        let search = to_target(network, graph, target, &exits, cutoff_s);
        for r in mine {
            f(graph, &search, r);
        }
    }
}

/// [`arrivals`]' times alone, without the routes: `(unit, eta_s)` in `responders`' order, for
/// those that arrive within `cutoff_s` (what a drill's table of drives needs).
pub fn arrival_times(
    network: &RoadNetwork,
    modes: &[ModeNetwork],
    responders: &[Responder],
    target: Target,
    cutoff_s: f64,
) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    each_responder(
        network,
        modes,
        responders,
        target,
        cutoff_s,
        |graph, search, r| {
            if let Some((eta_s, _)) = quickest(network, graph, search, r, target) {
                if eta_s <= cutoff_s {
                    out.push((r.unit, eta_s));
                }
            }
        },
    );
    out
}

/// The nodes a responder may leave its edge by: `(node, time to it, forward)`.
fn exits(network: &RoadNetwork, graph: &ProfileGraph, r: &Responder) -> Vec<(u32, f64, bool)> {
    let e = r.edge as usize;
    let edge = &network.edges[e];
    let mut out = Vec::new();
    for forward in [true, false] {
        if r.forward.is_some_and(|f| f != forward) || !graph.allows(r.edge, forward) {
            continue;
        }
        let (node, part) = if forward {
            (edge.to, 1.0 - r.fraction)
        } else {
            (edge.from, r.fraction)
        };
        out.push((
            node,
            r.start_s + part * graph.time_s(r.edge, forward),
            forward,
        ));
    }
    out
}

/// The backward search from `target` until every node of `wanted` is settled or the times
/// pass `cutoff_s`.
fn to_target(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    target: Target,
    wanted: &[u32],
    cutoff_s: f64,
) -> ToTarget {
    let n = graph.node_count();
    let mut time_s = vec![f64::INFINITY; n];
    let mut next = vec![(u32::MAX, u32::MAX); n];
    let mut heap = RadixHeap::new();
    let (e, f) = (target.edge as usize, target.fraction.clamp(0.0, 1.0));
    let edge = &network.edges[e];
    // Into the target's edge from its first node (driving it forward), or from its last.
    for (node, forward, part) in [(edge.from, true, f), (edge.to, false, 1.0 - f)] {
        if graph.allows(target.edge, forward) {
            let t = part * graph.time_s(target.edge, forward);
            if t < time_s[node as usize] {
                time_s[node as usize] = t;
                next[node as usize] = (u32::MAX, target.edge);
                heap.push(t.to_bits(), node);
            }
        }
    }
    let mut wanted_left = vec![false; n];
    let mut left = 0usize;
    for &v in wanted {
        if !std::mem::replace(&mut wanted_left[v as usize], true) {
            left += 1;
        }
    }
    let mut settled = vec![false; n];
    while let Some((key, v)) = heap.pop() {
        let t = f64::from_bits(key);
        if t > cutoff_s || left == 0 {
            break;
        }
        if std::mem::replace(&mut settled[v as usize], true) || t > time_s[v as usize] {
            continue;
        }
        if wanted_left[v as usize] {
            left -= 1;
        }
        for arc in graph.backward.arcs_of(v) {
            let u = arc.other as usize;
            let tu = t + arc.time_s;
            if tu < time_s[u] {
                time_s[u] = tu;
                next[u] = (v, arc.edge);
                heap.push(tu.to_bits(), arc.other);
            }
        }
    }
    ToTarget { time_s, next }
}

/// A responder's best way to the target: out of its edge by an exit and on along the
/// search's next steps, or straight along the target's own edge.
/// `r`'s quickest way to `target` on `search`: its time, and the node and direction it
/// leaves its edge by (none: along the target's own edge).
fn quickest(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    search: &ToTarget,
    r: &Responder,
    target: Target,
) -> Option<(f64, Option<(u32, bool)>)> {
    let f = target.fraction.clamp(0.0, 1.0);
    let g = r.fraction.clamp(0.0, 1.0);
    // Along the target's edge without leaving it.
    let mut best: Option<(f64, Option<(u32, bool)>)> = None;
    if r.edge == target.edge {
        for forward in [true, false] {
            let ahead = if forward { f >= g } else { f <= g };
            if ahead && r.forward.is_none_or(|d| d == forward) && graph.allows(r.edge, forward) {
                let t = r.start_s + (f - g).abs() * graph.time_s(r.edge, forward);
                if best.is_none_or(|(b, _)| t < b) {
                    best = Some((t, None));
                }
            }
        }
    }
    for (node, to_exit_s, forward) in exits(network, graph, r) {
        let t = to_exit_s + search.time_s[node as usize];
        if t.is_finite() && best.is_none_or(|(b, _)| t < b) {
            best = Some((t, Some((node, forward))));
        }
    }
    best
}

fn arrival(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    search: &ToTarget,
    r: &Responder,
    target: Target,
) -> Option<Arrival> {
    let (f, g) = (target.fraction.clamp(0.0, 1.0), r.fraction.clamp(0.0, 1.0));
    let (eta_s, exit) = quickest(network, graph, search, r, target)?;
    let mut edges = vec![r.edge];
    let mut route: Vec<[f64; 2]> = Vec::new();
    let geometry = |e: u32| network.geometry(e as usize);
    let push = |points: Vec<[f64; 2]>, route: &mut Vec<[f64; 2]>| {
        let skip = usize::from(route.last() == points.first() && !route.is_empty());
        route.extend(points.into_iter().skip(skip));
    };
    match exit {
        None => {
            let (a, b) = (g.min(f), g.max(f));
            let mut part = slice_polyline(geometry(r.edge), a, b);
            if f < g {
                part.reverse();
            }
            push(part, &mut route);
        }
        Some((node, forward)) => {
            let mut first = if forward {
                slice_polyline(geometry(r.edge), g, 1.0)
            } else {
                slice_polyline(geometry(r.edge), 0.0, g)
            };
            if !forward {
                first.reverse();
            }
            push(first, &mut route);
            let mut v = node;
            loop {
                let (w, edge) = search.next[v as usize];
                edges.push(edge);
                let e = &network.edges[edge as usize];
                if w == u32::MAX {
                    // Onto the target's edge: from its first node forward, or its last back.
                    let mut last = if v == e.from {
                        slice_polyline(geometry(edge), 0.0, f)
                    } else {
                        slice_polyline(geometry(edge), f, 1.0)
                    };
                    if v != e.from {
                        last.reverse();
                    }
                    push(last, &mut route);
                    break;
                }
                let mut whole = geometry(edge).to_vec();
                if e.from != v {
                    whole.reverse();
                }
                push(whole, &mut route);
                v = w;
            }
        }
    }
    edges.dedup();
    let length_m = crate::network::geodesy::polyline_length_m(&route);
    Some(Arrival {
        unit: r.unit,
        eta_s,
        edges,
        route,
        length_m,
    })
}
