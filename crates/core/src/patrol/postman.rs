//! One closed tour from a depot through every required arc: a directed rural postman.
//!
//! The classic construction (Frederickson's heuristic for the rural postman, exact for the
//! Chinese postman): join the pieces of required road to the depot with shortest paths
//! (Prim, growing outward from the depot), balance every node's in- and out-degree with the
//! cheapest set of shortest paths (a min-cost flow from the nodes with surplus arrivals to
//! those with surplus departures), then walk an Euler circuit (Hierholzer). When every edge
//! is required and the graph strongly connected, no joining is needed and the flow is the
//! exact optimum, so the tour is an optimal directed Chinese postman tour.

use super::paths::{arc_nodes, ends, PathSearch, Pieces, Step, Weight};
use crate::network::{ProfileGraph, RoadNetwork};

/// A closed walk from the depot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tour {
    /// The depot, where the walk starts and ends.
    pub depot: u32,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// Per step: whether it is the first travel of a required arc (it serves the arc).
    pub serves: Vec<bool>,
    /// Driving time of the whole walk, in seconds.
    pub time_s: f64,
}

/// Why no tour exists.
#[derive(Clone, Debug, PartialEq, thiserror::Error, serde::Serialize)]
pub enum TourError {
    /// A required edge cannot be travelled by this mode, either way.
    #[error("road edge {edge} cannot be travelled by this mode (asked: {direction})")]
    NotAllowed {
        /// The edge.
        edge: u32,
        /// "forward" or "backward".
        direction: &'static str,
    },
    /// Some required road cannot be reached from the depot (or the depot from it).
    #[error("road edge {edge} cannot be reached from the start, or the start from it")]
    Unreachable {
        /// An edge of the part that cannot be reached.
        edge: u32,
    },
}

/// How many of the nearest nodes with surplus departures each node with surplus arrivals is
/// offered to the min-cost flow first (all of them when that is not enough).
const NEAREST_DEMANDS: usize = 48;

/// The tour from `depot` through every edge of `required` (each at least once), on `graph`:
/// in the given direction, or the other when only that one is allowed; a two-way edge is
/// travelled whichever way keeps the tour short.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap_core::patrol::postman::postman_tour;
/// // A one-way triangle: the tour is the triangle itself.
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"oneway":"yes","speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}},
///   {"type":"Feature","properties":{"oneway":"yes","speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0.001,0],[0,0.001]]}},
///   {"type":"Feature","properties":{"oneway":"yes","speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0.001],[0,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let tour = postman_tour(&net, &graph, &[(0, true)], 0).unwrap();
/// assert_eq!(tour.steps, vec![(0, true), (1, true), (2, true)]);
/// ```
pub fn postman_tour(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    required: &[Step],
    depot: u32,
) -> Result<Tour, TourError> {
    // One arc per required edge: travelling an edge either way it allows serves it.
    let mut arcs: Vec<Step> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &(edge, forward) in required {
        let allows = |f: bool| {
            graph.edge_direction[edge as usize].is_some_and(|d| {
                if f {
                    d.allows_forward()
                } else {
                    d.allows_backward()
                }
            })
        };
        let direction = if allows(forward) {
            forward
        } else if allows(!forward) {
            !forward
        } else {
            return Err(TourError::NotAllowed {
                edge,
                direction: if forward { "forward" } else { "backward" },
            });
        };
        if seen.insert(edge) {
            arcs.push((edge, direction));
        }
    }
    if arcs.is_empty() {
        return Ok(Tour {
            depot,
            ..Tour::default()
        });
    }
    let n = network.nodes.len();
    let mut search = PathSearch::new(n);
    let required_count = arcs.len();
    connect(network, graph, &mut search, &mut arcs, depot)?;
    orient_two_way(network, graph, &mut search, &mut arcs);
    balance(network, graph, &mut search, &mut arcs)?;
    cancel_opposite_deadheads(network, &mut arcs, required_count, depot);
    let steps = euler_circuit(network, &arcs, depot);
    debug_assert_eq!(steps.len(), arcs.len());
    let mut unserved = seen;
    let serves = steps.iter().map(|s| unserved.remove(&s.0)).collect();
    let time_s = steps.iter().map(|s| graph.time_s(s.0, s.1)).sum();
    Ok(Tour {
        depot,
        steps,
        serves,
        time_s,
    })
}

/// How many of the nearest other odd nodes each odd node is offered when pairing them.
const NEAREST_ODD: usize = 8;

/// Turns the two-way arcs of `arcs` so the required road needs little balancing: with every
/// arc taken as undirected, the nodes of odd degree are paired (cheapest pairs first, by
/// shortest time), each connected part of the arcs plus one virtual link per pair is walked
/// as an undirected Euler circuit, and every two-way arc takes the direction the circuit
/// walks it (each circuit runs the way most of its one-way arcs already go). A drive along
/// one line then ends near the start of the next instead of having to come back: the
/// undirected half of Frederickson's heuristic for the mixed rural postman, with a greedy
/// matching. One-way arcs are never turned.
fn orient_two_way(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    search: &mut PathSearch,
    arcs: &mut [Step],
) {
    let two_way: Vec<bool> = arcs
        .iter()
        .map(|&(e, _)| {
            graph.edge_direction[e as usize]
                .is_some_and(|d| d.allows_forward() && d.allows_backward())
        })
        .collect();
    if !two_way.iter().any(|&t| t) {
        return;
    }
    let n = network.nodes.len();
    let mut degree = vec![0u32; n];
    for &s in arcs.iter() {
        let (a, b) = ends(network, s);
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    let odd: Vec<u32> = (0..n as u32)
        .filter(|&v| degree[v as usize] % 2 == 1)
        .collect();
    let is_odd = |v: u32| degree[v as usize] % 2 == 1;
    // Candidate pairs: each odd node with its nearest odd nodes.
    let mut candidates: Vec<(f64, u32, u32)> = Vec::new();
    for &o in &odd {
        let mut found = Vec::new();
        search.run_undirected(
            network,
            graph,
            Weight::Time,
            &[(o, 0.0)],
            f64::INFINITY,
            |v| {
                let hit = v != o && is_odd(v);
                if hit {
                    found.push(v);
                }
                hit
            },
            NEAREST_ODD,
        );
        candidates.extend(found.into_iter().map(|v| (search.cost[v as usize], o, v)));
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut partner = vec![u32::MAX; n];
    for (_, a, b) in candidates {
        if partner[a as usize] == u32::MAX && partner[b as usize] == u32::MAX {
            partner[a as usize] = b;
            partner[b as usize] = a;
        }
    }
    // The few left over are paired in order: their link only steers the orientation.
    let left: Vec<u32> = odd
        .iter()
        .copied()
        .filter(|&v| partner[v as usize] == u32::MAX)
        .collect();
    let mut links: Vec<(u32, u32)> = left
        .chunks(2)
        .filter(|p| p.len() == 2)
        .map(|p| (p[0], p[1]))
        .collect();
    links.extend(
        odd.iter()
            .filter(|&&v| partner[v as usize] != u32::MAX && v < partner[v as usize])
            .map(|&v| (v, partner[v as usize])),
    );

    // Items: the arcs, then the links; undirected adjacency.
    let item_ends = |i: usize| -> (u32, u32) {
        if i < arcs.len() {
            ends(network, arcs[i])
        } else {
            links[i - arcs.len()]
        }
    };
    let items = arcs.len() + links.len();
    let mut adjacency: Vec<Vec<(usize, u32)>> = vec![Vec::new(); n];
    for i in 0..items {
        let (a, b) = item_ends(i);
        adjacency[a as usize].push((i, b));
        adjacency[b as usize].push((i, a));
    }
    let mut used = vec![false; items];
    let mut next = vec![0usize; n];
    let mut turn = vec![false; arcs.len()];
    for i in 0..arcs.len() {
        if used[i] {
            continue;
        }
        // Hierholzer from one end of the arc: the circuit of its connected part, as
        // (item, walked from its first end).
        let start = item_ends(i).0;
        let mut circuit: Vec<(usize, bool)> = Vec::new();
        let mut stack: Vec<(u32, Option<(usize, bool)>)> = vec![(start, None)];
        while let Some(&(v, _)) = stack.last() {
            let list = &adjacency[v as usize];
            while next[v as usize] < list.len() && used[list[next[v as usize]].0] {
                next[v as usize] += 1;
            }
            if let Some(&(item, w)) = list.get(next[v as usize]) {
                used[item] = true;
                stack.push((w, Some((item, item_ends(item).0 == v))));
            } else if let Some((_, via)) = stack.pop() {
                circuit.extend(via);
            }
        }
        // Each item is walked the way it was discovered (the order is reversed, but that is
        // one consistent direction round the circuit). Run it the way most one-way time goes.
        let agree: f64 = circuit
            .iter()
            .filter(|&&(item, _)| item < arcs.len() && !two_way[item])
            .map(|&(item, from_first)| {
                let t = graph.time_s(arcs[item].0, arcs[item].1);
                if from_first {
                    t
                } else {
                    -t
                }
            })
            .sum();
        let reverse = agree < 0.0;
        for (item, from_first) in circuit {
            if item < arcs.len() && two_way[item] {
                // Walked from its first end (the arc's present start) keeps the arc.
                turn[item] = from_first == reverse;
            }
        }
    }
    for (i, arc) in arcs.iter_mut().enumerate() {
        if turn[i] {
            arc.1 = !arc.1;
        }
    }
}

/// Joins every weakly connected piece of `arcs` to the depot's with shortest paths, nearest
/// piece first (Prim, outward from the depot), adding the paths' steps to `arcs`.
fn connect(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    search: &mut PathSearch,
    arcs: &mut Vec<Step>,
    depot: u32,
) -> Result<(), TourError> {
    let n = network.nodes.len();
    let mut pieces = Pieces::new(n);
    pieces.join_arcs(network, arcs);
    let mut touched = arc_nodes(network, arcs);
    touched[depot as usize] = true;
    // The touched nodes of each piece, to join a piece whole.
    let members = pieces.members(&touched);
    let mut in_tree = vec![false; n];
    let mut tree_nodes: Vec<u32> = Vec::new();
    let mut left = members.values().map(Vec::len).sum::<usize>();
    let join =
        |piece: u32, in_tree: &mut Vec<bool>, tree_nodes: &mut Vec<u32>, left: &mut usize| {
            for &v in members.get(&piece).map_or(&[][..], Vec::as_slice) {
                if !in_tree[v as usize] {
                    in_tree[v as usize] = true;
                    tree_nodes.push(v);
                    *left -= 1;
                }
            }
        };
    let root = pieces.find(depot);
    join(root, &mut in_tree, &mut tree_nodes, &mut left);
    while left > 0 {
        let sources: Vec<(u32, f64)> = tree_nodes.iter().map(|&v| (v, 0.0)).collect();
        let mut reached = None;
        search.run(
            network,
            graph,
            Weight::Time,
            true,
            &sources,
            f64::INFINITY,
            |v| {
                let hit = touched[v as usize] && !in_tree[v as usize];
                if hit && reached.is_none() {
                    reached = Some(v);
                }
                hit
            },
            1,
        );
        let Some(target) = reached else {
            let stranded = arcs
                .iter()
                .find(|s| !in_tree[ends(network, **s).0 as usize])
                .map_or(0, |s| s.0);
            return Err(TourError::Unreachable { edge: stranded });
        };
        let path = search.path(network, target);
        for &s in &path {
            let (_, b) = ends(network, s);
            if touched[b as usize] {
                let piece = pieces.find(b);
                join(piece, &mut in_tree, &mut tree_nodes, &mut left);
            } else if !in_tree[b as usize] {
                in_tree[b as usize] = true;
                tree_nodes.push(b);
            }
        }
        arcs.extend_from_slice(&path);
    }
    Ok(())
}

/// Adds the cheapest shortest paths that make every node's in-degree equal its out-degree.
fn balance(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    search: &mut PathSearch,
    arcs: &mut Vec<Step>,
) -> Result<(), TourError> {
    let n = network.nodes.len();
    let mut surplus = vec![0i64; n]; // arrivals minus departures
    for &s in arcs.iter() {
        let (a, b) = ends(network, s);
        surplus[a as usize] -= 1;
        surplus[b as usize] += 1;
    }
    let supplies: Vec<(u32, i64)> = (0..n as u32)
        .filter(|&v| surplus[v as usize] > 0)
        .map(|v| (v, surplus[v as usize]))
        .collect();
    let demands: Vec<(u32, i64)> = (0..n as u32)
        .filter(|&v| surplus[v as usize] < 0)
        .map(|v| (v, -surplus[v as usize]))
        .collect();
    if supplies.is_empty() {
        return Ok(());
    }
    let demand_index: std::collections::HashMap<u32, usize> = demands
        .iter()
        .enumerate()
        .map(|(i, &(v, _))| (v, i))
        .collect();
    let total: i64 = supplies.iter().map(|s| s.1).sum();
    let mut limit = NEAREST_DEMANDS.min(demands.len());
    loop {
        // Shortest times from each supply to its nearest demands.
        let mut costs: Vec<Vec<(usize, f64)>> = Vec::with_capacity(supplies.len());
        for &(s, _) in &supplies {
            search.run(
                network,
                graph,
                Weight::Time,
                true,
                &[(s, 0.0)],
                f64::INFINITY,
                |v| demand_index.contains_key(&v),
                limit,
            );
            costs.push(
                demands
                    .iter()
                    .enumerate()
                    .filter(|(_, &(t, _))| search.cost[t as usize].is_finite())
                    .map(|(j, &(t, _))| (j, search.cost[t as usize]))
                    .collect(),
            );
        }
        let flows = min_cost_flow(&supplies, &demands, &costs);
        let sent: i64 = flows.iter().map(|f| f.2).sum();
        if sent == total {
            for (i, j, f) in flows {
                let path = search
                    .quickest(network, graph, supplies[i].0, demands[j].0)
                    .map_or_else(Vec::new, |(_, path)| path);
                for _ in 0..f {
                    arcs.extend_from_slice(&path);
                }
            }
            return Ok(());
        }
        if limit == demands.len() {
            // Some surplus cannot be returned: a required piece is a dead end.
            let stuck = arcs
                .iter()
                .find(|&&st| surplus[ends(network, st).1 as usize] > 0)
                .map_or(0, |st| st.0);
            return Err(TourError::Unreachable { edge: stuck });
        }
        limit = demands.len();
    }
}

/// Min-cost flow from `supplies` to `demands` over the offered `costs[i] = [(j, cost)]`:
/// successive shortest paths with Bellman-Ford on the residual graph (small: hundreds of
/// nodes, a few thousand arcs). Returns `(supply, demand, units)` for every used pair.
fn min_cost_flow(
    supplies: &[(u32, i64)],
    demands: &[(u32, i64)],
    costs: &[Vec<(usize, f64)>],
) -> Vec<(usize, usize, i64)> {
    // Nodes: 0 source, 1..=S supplies, S+1..=S+T demands, S+T+1 sink.
    let (ns, nt) = (supplies.len(), demands.len());
    let (source, sink) = (0, ns + nt + 1);
    let count = ns + nt + 2;
    struct Edge {
        to: usize,
        cap: i64,
        cost: f64,
    }
    let mut edges: Vec<Edge> = Vec::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); count];
    let add = |edges: &mut Vec<Edge>,
               out: &mut Vec<Vec<usize>>,
               a: usize,
               b: usize,
               cap: i64,
               cost: f64| {
        out[a].push(edges.len());
        edges.push(Edge { to: b, cap, cost });
        out[b].push(edges.len());
        edges.push(Edge {
            to: a,
            cap: 0,
            cost: -cost,
        });
    };
    for (i, &(_, units)) in supplies.iter().enumerate() {
        add(&mut edges, &mut out, source, 1 + i, units, 0.0);
    }
    for (j, &(_, units)) in demands.iter().enumerate() {
        add(&mut edges, &mut out, 1 + ns + j, sink, units, 0.0);
    }
    let mut pair_edges = Vec::new();
    for (i, list) in costs.iter().enumerate() {
        for &(j, c) in list {
            pair_edges.push((i, j, edges.len()));
            add(&mut edges, &mut out, 1 + i, 1 + ns + j, i64::MAX / 4, c);
        }
    }
    loop {
        // Bellman-Ford (queue-based) from the source on the residual graph.
        let mut dist = vec![f64::INFINITY; count];
        let mut via = vec![usize::MAX; count];
        let mut queued = vec![false; count];
        let mut queue = std::collections::VecDeque::new();
        dist[source] = 0.0;
        queue.push_back(source);
        while let Some(u) = queue.pop_front() {
            queued[u] = false;
            for &e in &out[u] {
                let edge = &edges[e];
                // A relative tolerance keeps float noise from cycling.
                if edge.cap > 0
                    && dist[u] + edge.cost
                        < dist[edge.to] - 1e-9 * (1.0 + dist[edge.to].abs().min(1e12))
                {
                    dist[edge.to] = dist[u] + edge.cost;
                    via[edge.to] = e;
                    if !queued[edge.to] {
                        queued[edge.to] = true;
                        queue.push_back(edge.to);
                    }
                }
            }
        }
        if !dist[sink].is_finite() {
            break;
        }
        // Push as much as the path allows.
        let mut push = i64::MAX;
        let mut v = sink;
        while v != source {
            let e = via[v];
            push = push.min(edges[e].cap);
            v = edges[e ^ 1].to;
        }
        let mut v = sink;
        while v != source {
            let e = via[v];
            edges[e].cap -= push;
            edges[e ^ 1].cap += push;
            v = edges[e ^ 1].to;
        }
    }
    pair_edges
        .into_iter()
        .filter_map(|(i, j, e)| {
            let sent = edges[e ^ 1].cap;
            (sent > 0).then_some((i, j, sent))
        })
        .collect()
}

/// Drops pairs of deadhead travels of one edge in opposite directions while the arcs stay
/// connected: each pair leaves every node's balance unchanged, so the circuit remains, two
/// travels shorter. Joining and balancing add such pairs often (a piece reached by a path
/// and left by the reverse of part of it). `arcs[..required]` are the required arcs, never
/// dropped.
fn cancel_opposite_deadheads(
    network: &RoadNetwork,
    arcs: &mut Vec<Step>,
    required: usize,
    depot: u32,
) {
    use std::collections::HashMap;
    // Deadhead travels per edge and direction, by index into arcs.
    let mut by_edge: HashMap<u32, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (i, &(e, forward)) in arcs.iter().enumerate().skip(required) {
        let entry = by_edge.entry(e).or_default();
        if forward {
            entry.0.push(i);
        } else {
            entry.1.push(i);
        }
    }
    let n = network.nodes.len();
    let mut removed = vec![false; arcs.len()];
    // Adjacency of the arcs (both ways, for weak connectivity), by arc index.
    let mut incident: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &s) in arcs.iter().enumerate() {
        let (a, b) = ends(network, s);
        incident[a as usize].push(i);
        incident[b as usize].push(i);
    }
    let mut seen = vec![u32::MAX; n];
    let mut stamp = 0u32;
    let mut edges: Vec<u32> = by_edge.keys().copied().collect();
    edges.sort_unstable();
    for e in edges {
        let (fwd, bwd) = by_edge[&e].clone();
        for (&i, &j) in fwd.iter().zip(&bwd) {
            removed[i] = true;
            removed[j] = true;
            // Still one piece? Search from one end of the edge for the other over the arcs
            // left; when the edge still has travels left, its ends stay joined anyway.
            let (u, v) = ends(network, arcs[i]);
            let still_joined = incident[u as usize].iter().any(|&k| {
                !removed[k] && {
                    let (a, b) = ends(network, arcs[k]);
                    (a == u && b == v) || (a == v && b == u)
                }
            }) || {
                stamp += 1;
                let mut stack = vec![u];
                seen[u as usize] = stamp;
                let mut found = false;
                while let Some(x) = stack.pop() {
                    if x == v {
                        found = true;
                        break;
                    }
                    for &k in &incident[x as usize] {
                        if removed[k] {
                            continue;
                        }
                        let (a, b) = ends(network, arcs[k]);
                        let y = if a == x { b } else { a };
                        if seen[y as usize] != stamp {
                            seen[y as usize] = stamp;
                            stack.push(y);
                        }
                    }
                }
                found
            };
            // The depot must keep an arc if it had one.
            let depot_kept = incident[depot as usize].iter().any(|&k| !removed[k]);
            if !still_joined || !depot_kept {
                removed[i] = false;
                removed[j] = false;
            }
        }
    }
    let mut i = 0;
    arcs.retain(|_| {
        let keep = !removed[i];
        i += 1;
        keep
    });
}

/// An Euler circuit of the balanced, connected multigraph `arcs` from `depot` (Hierholzer).
fn euler_circuit(network: &RoadNetwork, arcs: &[Step], depot: u32) -> Vec<Step> {
    let n = network.nodes.len();
    let mut first = vec![0usize; n + 1];
    for &s in arcs {
        first[ends(network, s).0 as usize + 1] += 1;
    }
    for v in 0..n {
        first[v + 1] += first[v];
    }
    let mut order = vec![0usize; arcs.len()];
    let mut fill = first.clone();
    for (i, &s) in arcs.iter().enumerate() {
        let a = ends(network, s).0 as usize;
        order[fill[a]] = i;
        fill[a] += 1;
    }
    let mut next = first.clone(); // next unused arc of each node
    let mut circuit: Vec<usize> = Vec::with_capacity(arcs.len());
    let mut stack: Vec<(u32, usize)> = vec![(depot, usize::MAX)];
    while let Some(&(v, via)) = stack.last() {
        let v_us = v as usize;
        if next[v_us] < first[v_us + 1] {
            let i = order[next[v_us]];
            next[v_us] += 1;
            stack.push((ends(network, arcs[i]).1, i));
        } else {
            stack.pop();
            if via != usize::MAX {
                circuit.push(via);
            }
        }
    }
    circuit.reverse();
    circuit.into_iter().map(|i| arcs[i]).collect()
}
