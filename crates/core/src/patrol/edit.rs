//! Editing a plan by hand: a planner drags a point of a route onto another street, and the
//! route is rerouted through that street (the quickest way there and back onto its course);
//! a plan made of routes as they stand is re-timed with its stops, ready for the
//! independent [`check`](super::check).

use super::paths::{ends, PathSearch, Step};
use super::plan::{finish_route, CheckpointTask, Plan};
use crate::network::{ProfileGraph, RoadNetwork};

/// Why a route cannot be edited so.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The route has no step there.
    #[error("the route has no step {0}")]
    NoSuchStep(usize),
    /// The street cannot be driven by this mode.
    #[error("road edge {0} cannot be driven by this mode")]
    NotAllowed(u32),
    /// The street cannot be reached from the route, or the route regained from it.
    #[error("road edge {0} cannot be reached from the route and left back onto it")]
    Unreachable(u32),
}

/// The step of `steps` whose road passes nearest to `point` (lon, lat), if any.
///
/// ```
/// use patrolmap_core::network::road_geojson::read_str;
/// use patrolmap_core::patrol::edit::nearest_step;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0.001,0],[0.002,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// assert_eq!(nearest_step(&net, &[(0, true), (1, true)], [0.0018, 0.0001]), Some(1));
/// ```
pub fn nearest_step(network: &RoadNetwork, steps: &[Step], point: [f64; 2]) -> Option<usize> {
    // Planar distances on a local scale are enough to tell the nearest.
    let scale = point[1].to_radians().cos();
    let distance = |a: [f64; 2], b: [f64; 2]| -> f64 {
        let (px, py) = ((point[0] - a[0]) * scale, point[1] - a[1]);
        let (dx, dy) = ((b[0] - a[0]) * scale, b[1] - a[1]);
        let length2 = dx * dx + dy * dy;
        let t = if length2 > 0.0 {
            ((px * dx + py * dy) / length2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (px - t * dx).hypot(py - t * dy)
    };
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let g = network.geometry(s.0 as usize);
            let d = g
                .windows(2)
                .map(|w| distance(w[0], w[1]))
                .fold(f64::INFINITY, f64::min);
            (i, d)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// `steps` with step `at` replaced by a detour along road edge `through`: the quickest way
/// from where the step starts to the edge, along it (whichever allowed way makes the detour
/// shorter), and on to where the step ends. The rest of the route is kept as it was.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap_core::patrol::edit::reroute_through;
/// // a-b straight (edge 0), or a-c-b round (edges 1, 2).
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.002,0]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0.001]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0.001,0.001],[0.002,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let route = [(0, true), (0, false)];
/// assert_eq!(reroute_through(&net, &graph, &route, 0, 2).unwrap(), vec![(1, true), (2, true), (0, false)]);
/// ```
pub fn reroute_through(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    steps: &[Step],
    at: usize,
    through: u32,
) -> Result<Vec<Step>, EditError> {
    let step = *steps.get(at).ok_or(EditError::NoSuchStep(at))?;
    let direction = graph
        .edge_direction
        .get(through as usize)
        .copied()
        .flatten()
        .ok_or(EditError::NotAllowed(through))?;
    let (start, end) = ends(network, step);
    let mut search = PathSearch::new(network.nodes.len());
    let mut best: Option<(f64, Vec<Step>)> = None;
    for forward in [true, false] {
        let allowed = if forward {
            direction.allows_forward()
        } else {
            direction.allows_backward()
        };
        if !allowed {
            continue;
        }
        let (a, b) = ends(network, (through, forward));
        let mut leg = |from: u32, to: u32| search.quickest(network, graph, from, to);
        let (Some((in_s, in_path)), Some((out_s, out_path))) = (leg(start, a), leg(b, end)) else {
            continue;
        };
        let cost = in_s + graph.time_s(through, forward) + out_s;
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            let mut detour = in_path;
            detour.push((through, forward));
            detour.extend(out_path);
            best = Some((cost, detour));
        }
    }
    let (_, detour) = best.ok_or(EditError::Unreachable(through))?;
    let mut out = steps[..at].to_vec();
    out.extend(detour);
    out.extend_from_slice(&steps[at + 1..]);
    Ok(out)
}

/// A plan of routes as they stand (`routes[u]`: unit `u`'s steps): each checkpoint is a stop
/// of the first route that passes its road edge; timetables and durations are made anew.
/// The lower bounds are not computed (0).
pub fn plan_from_steps(
    graph: &ProfileGraph,
    routes: Vec<Vec<Step>>,
    checkpoints: &[CheckpointTask],
) -> Plan {
    let mut taken = vec![false; checkpoints.len()];
    let routes: Vec<_> = routes
        .into_iter()
        .enumerate()
        .map(|(u, steps)| {
            let edges: std::collections::HashSet<u32> = steps.iter().map(|s| s.0).collect();
            let mut stops: Vec<&CheckpointTask> = Vec::new();
            for (i, c) in checkpoints.iter().enumerate() {
                if !taken[i] && edges.contains(&c.place.edge) {
                    taken[i] = true;
                    stops.push(c);
                }
            }
            finish_route(graph, u, steps, stops)
        })
        .collect();
    Plan {
        longest_s: routes.iter().map(|r| r.duration_s).fold(0.0, f64::max),
        total_s: routes.iter().map(|r| r.duration_s).sum(),
        total_lower_bound_s: 0.0,
        longest_lower_bound_s: 0.0,
        routes,
        unreachable: Vec::new(),
    }
}

/// A plan edited by hand (`routes[u]`: unit `u`'s steps) as [`plan_from_steps`] makes it, with
/// the required road of `requirements` that no route from the first unit's `depot` can reach
/// and leave marked [`Plan::unreachable`] (no plan from there could cover it either): what
/// the map's edit and `patrolmap patrol check` both answer.
pub fn edited_plan(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    requirements: &super::requirements::Requirements,
    depot: u32,
    routes: Vec<Vec<Step>>,
) -> Plan {
    let mut required = requirements.required_edges();
    required.extend(
        requirements
            .checkpoints
            .iter()
            .filter_map(|c| c.place.as_ref().ok().map(|p| (p.edge, true))),
    );
    let checkpoints = CheckpointTask::placed(requirements);
    let mut plan = plan_from_steps(graph, routes, &checkpoints);
    plan.unreachable = super::plan::unreachable_from(network, graph, depot, &required);
    plan
}

/// The road a route drawn as `line` (lon, lat) drives, for a route edited by hand outside
/// patrolmap: the line matched to the roads (see [`match_line`](super::matching::match_line)),
/// each edge it follows for at least half its length taken as a step.
pub fn steps_from_line(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    index: &crate::network::SnapIndex,
    line: &[[f64; 2]],
    options: &super::matching::MatchOptions,
) -> Result<Vec<Step>, super::matching::MatchError> {
    let matched = super::matching::match_line(network, graph, index, line, options)?;
    Ok(matched
        .traversals
        .iter()
        .filter(|t| t.to - t.from >= 0.5)
        .map(|t| (t.edge, t.forward))
        .collect())
}

/// The route's line: the geometry of its steps joined end to end (a vertex shared by two
/// steps once).
pub fn route_line(network: &RoadNetwork, steps: &[Step]) -> Vec<[f64; 2]> {
    let mut line: Vec<[f64; 2]> = Vec::new();
    for &(e, forward) in steps {
        let mut g = network.geometry(e as usize).to_vec();
        if !forward {
            g.reverse();
        }
        let skip = usize::from(line.last() == g.first());
        line.extend_from_slice(&g[skip..]);
    }
    line
}
