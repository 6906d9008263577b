//! Patrol plans for several units: route first, cluster second.
//!
//! One postman tour runs through every required arc (the lines' edges, and an edge through
//! each checkpoint); it is cut into one consecutive piece per unit, each driven from and back
//! to that unit's post. The tour is made from each post in turn (up to ten, in parallel) and
//! the best split kept. The cuts start at equal shares of the work; then a local search moves
//! tasks across each cut and swaps which unit drives which piece, while that shortens the
//! longest route (or, at equal longest, the total). Why this order: the postman tour decides
//! the hard part (which extra roads to drive to link and balance the required ones) once for
//! the whole city, exactly when every edge is required; the split only has to balance the
//! work. (Cluster first, one tour per unit's area, was tried: longer routes on Porto.)

use rayon::prelude::*;

use super::paths::{arc_nodes, ends, PathSearch, Pieces, Step, Weight};
use super::postman::{postman_tour, Tour, TourError};
use super::sequence::Sequencer;
use crate::network::{ProfileGraph, RoadNetwork, Snapped};
use crate::stop::Stop;

/// A unit that patrols.
#[derive(Clone, Debug, PartialEq)]
pub struct PatrolUnit {
    /// Its id.
    pub id: String,
    /// The node it starts from and returns to (its post, or a given point's nearest node).
    pub depot: u32,
}

impl PatrolUnit {
    /// A unit starting from `position` (its post): its depot is the nearer end of the road
    /// edge `index` snaps it to.
    pub fn at(
        id: String,
        position: [f64; 2],
        network: &RoadNetwork,
        index: &crate::network::SnapIndex,
        max_snap_m: f64,
    ) -> Result<PatrolUnit, crate::network::SnapRefusal> {
        let snapped = index.snap(position, max_snap_m)?;
        let edge = &network.edges[snapped.edge as usize];
        let depot = if snapped.fraction < 0.5 {
            edge.from
        } else {
            edge.to
        };
        Ok(PatrolUnit { id, depot })
    }
}

/// A checkpoint to visit.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointTask {
    /// Its index in the scenario.
    pub checkpoint: usize,
    /// Where it is on the road.
    pub place: Snapped,
    /// How long the patrol stays, in seconds.
    pub dwell_s: f64,
}

impl CheckpointTask {
    /// The checkpoints of `requirements` that are on a road.
    pub fn placed(requirements: &super::requirements::Requirements) -> Vec<CheckpointTask> {
        requirements
            .checkpoints
            .iter()
            .filter_map(|c| {
                let place = *c.place.as_ref().ok()?;
                Some(CheckpointTask {
                    checkpoint: c.checkpoint,
                    place,
                    dwell_s: c.dwell_s,
                })
            })
            .collect()
    }
}

/// A checkpoint visit on a route.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Visit {
    /// The checkpoint's index in the scenario.
    pub checkpoint: usize,
    /// Arrival, in seconds from the route's start.
    pub eta_s: f64,
    /// How long it stays.
    pub dwell_s: f64,
}

/// One unit's route.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Route {
    /// Index of the unit.
    pub unit: usize,
    /// The road it drives, from its depot back to it.
    pub steps: Vec<Step>,
    /// The checkpoints it stops at, in order.
    pub visits: Vec<Visit>,
    /// Driving time, in seconds.
    pub driving_s: f64,
    /// Time stopped at checkpoints, in seconds.
    pub dwell_s: f64,
    /// Driving plus dwell, in seconds.
    pub duration_s: f64,
}

/// A plan: one route per unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Plan {
    /// The routes, one per unit, in the units' order.
    pub routes: Vec<Route>,
    /// The longest route's duration, in seconds.
    pub longest_s: f64,
    /// All routes' durations, in seconds.
    pub total_s: f64,
    /// No plan's total can be below this, in seconds: required driving plus dwell, plus a
    /// spanning tree joining the pieces of required road to the depots (every plan must drive
    /// between the pieces; the tree is measured as if every road were two-way).
    pub total_lower_bound_s: f64,
    /// No plan's longest route can be below this: the total bound shared evenly, or the
    /// longest single task with its way from and back to the nearest depot.
    pub longest_lower_bound_s: f64,
    /// Required arcs no route can drive: not reachable from the first unit's depot, or no
    /// way back from them. Left out of the plan.
    pub unreachable: Vec<Step>,
}

/// Why patrol units cannot start from a scenario's posts.
#[derive(Debug, thiserror::Error)]
pub enum UnitsError {
    /// The scenario has neither posts nor units.
    #[error("no posts (or units) for the patrols to start from")]
    NoPost,
    /// A post stands too far from the patrols' roads.
    #[error("post {post} is not on a road")]
    OffRoad {
        /// The post's id.
        post: String,
        /// How far it is.
        #[source]
        source: crate::network::SnapRefusal,
    },
}

/// Where patrols start from, in order: the scenario's posts, or its other units when it has
/// no post. Unit `i` of a plan starts from the `i % len`-th.
pub fn posts_of(scenario: &crate::scenario::Scenario) -> Vec<&crate::scenario::Unit> {
    use crate::scenario::UnitKind;
    let posts: Vec<_> = scenario
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Post)
        .collect();
    if posts.is_empty() {
        scenario.units.iter().collect()
    } else {
        posts
    }
}

/// `count` patrol units from the scenario's posts in order (from its other units when it has
/// no post), going round again when there are more units than posts (ids `post-2`, …).
pub fn units_from_posts(
    scenario: &crate::scenario::Scenario,
    count: usize,
    network: &RoadNetwork,
    index: &crate::network::SnapIndex,
    max_snap_m: f64,
) -> Result<Vec<PatrolUnit>, UnitsError> {
    let posts = posts_of(scenario);
    if posts.is_empty() {
        return Err(UnitsError::NoPost);
    }
    (0..count)
        .map(|i| {
            let post = posts[i % posts.len()];
            let id = if count > posts.len() {
                format!("{}-{}", post.id, i / posts.len() + 1)
            } else {
                post.id.clone()
            };
            PatrolUnit::at(id, post.position, network, index, max_snap_m).map_err(|source| {
                UnitsError::OffRoad {
                    post: post.id.clone(),
                    source,
                }
            })
        })
        .collect()
}

impl Plan {
    /// The routes as a GeoJSON FeatureCollection: one LineString per unit in travel order,
    /// with its durations, timetable (checkpoint ids from `scenario`), `times_s` (the time at
    /// each vertex of the line), and the road it drives: `depot` (a node) and `steps`
    /// (`[edge, 1 forward or 0 backward]`), to send an edited plan back.
    pub fn routes_geojson(
        &self,
        network: &RoadNetwork,
        graph: &ProfileGraph,
        units: &[PatrolUnit],
        scenario: &crate::scenario::Scenario,
    ) -> serde_json::Value {
        use serde_json::json;
        // A unit with nothing to drive (more units than work) has no line: it is idle, and
        // an empty LineString is not GeoJSON.
        let features: Vec<_> = self
            .routes
            .iter()
            .filter(|r| !r.steps.is_empty())
            .map(|r| {
                // Each vertex with the time the unit passes it (its stops' dwell added after
                // the step they are on), so a map can replay the shift.
                let mut line: Vec<[f64; 2]> = Vec::new();
                let mut times_s: Vec<f64> = Vec::new();
                let (mut clock, mut next_visit) = (0.0, 0);
                for &(e, forward) in &r.steps {
                    let mut g = network.geometry(e as usize).to_vec();
                    if !forward {
                        g.reverse();
                    }
                    let step_s = graph.time_s(e, forward);
                    let lengths: Vec<f64> = g
                        .windows(2)
                        .map(|w| crate::network::geodesy::haversine_m(w[0], w[1]))
                        .collect();
                    let total_m: f64 = lengths.iter().sum();
                    let skip = usize::from(line.last() == g.first());
                    let mut along_m = 0.0;
                    for (i, p) in g.iter().enumerate() {
                        if i > 0 {
                            along_m += lengths[i - 1];
                        }
                        if i >= skip {
                            line.push(*p);
                            let part = if total_m > 0.0 { along_m / total_m } else { 1.0 };
                            times_s.push(clock + step_s * part);
                        }
                    }
                    clock += step_s;
                    let arrived = clock;
                    while next_visit < r.visits.len() && r.visits[next_visit].eta_s <= clock + 1e-6 {
                        clock += r.visits[next_visit].dwell_s;
                        next_visit += 1;
                    }
                    // Standing still while it dwells: the same point again, later.
                    if let (true, Some(&last)) = (clock > arrived, line.last()) {
                        line.push(last);
                        times_s.push(clock);
                    }
                }
                let timetable: Vec<_> = r
                    .visits
                    .iter()
                    .map(|v| json!({"checkpoint": scenario.checkpoints[v.checkpoint].id, "eta_s": v.eta_s, "dwell_s": v.dwell_s}))
                    .collect();
                let steps: Vec<[u32; 2]> = r.steps.iter().map(|&(e, f)| [e, u32::from(f)]).collect();
                json!({"type": "Feature",
                    "properties": {"kind": "patrol_route", "unit": units[r.unit].id, "duration_s": r.duration_s,
                        "driving_s": r.driving_s, "dwell_s": r.dwell_s, "timetable": timetable, "times_s": times_s,
                        "depot": units[r.unit].depot, "steps": steps},
                    "geometry": {"type": "LineString", "coordinates": line}})
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }

    /// The routes as the independent check reads them.
    pub fn to_check<'a>(&'a self, units: &'a [PatrolUnit]) -> Vec<super::check::RouteToCheck<'a>> {
        self.routes
            .iter()
            .map(|r| super::check::RouteToCheck {
                unit: &units[r.unit].id,
                depot: units[r.unit].depot,
                steps: &r.steps,
            })
            .collect()
    }
}

/// Plans routes for `units` through every arc of `required` and every checkpoint.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap_core::patrol::plan::{plan_patrols, PatrolUnit};
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}},
///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0.001,0],[0.002,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let units = [PatrolUnit { id: "a".into(), depot: 0 }];
/// let plan = plan_patrols(&net, &graph, &[(0, true), (1, true)], &[], &units).unwrap();
/// // There and back: both edges twice.
/// assert_eq!(plan.routes[0].steps.len(), 4);
/// assert!((plan.longest_s - 2.0 * plan.total_lower_bound_s).abs() < 1e-9);
/// ```
pub fn plan_patrols(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    required: &[Step],
    checkpoints: &[CheckpointTask],
    units: &[PatrolUnit],
) -> Result<Plan, TourError> {
    plan_patrols_until(network, graph, required, checkpoints, units, &Stop::never())
}

/// [`plan_patrols`], its searches for shorter orders ending when `stop` says so (the plan is
/// then the best found by then: every requirement is still in it).
pub fn plan_patrols_until(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    required: &[Step],
    checkpoints: &[CheckpointTask],
    units: &[PatrolUnit],
    stop: &Stop,
) -> Result<Plan, TourError> {
    assert!(!units.is_empty(), "a plan needs at least one unit");
    let (mut arcs, checkpoint_arc) = work_arcs(graph, required, checkpoints);
    // What cannot be reached from the first depot and back is left out (and reported): an
    // extract's edge, a one-way dead end.
    let unreachable = unreachable_from(network, graph, units[0].depot, &arcs);
    arcs.retain(|s| !unreachable.contains(s));
    // Any number of units: the min-max core (on Porto 2.9 % shorter than route-first's
    // salesman order of the postman tour's blocks with one unit, 4.3 % with 10, in less
    // time); route-first when the core cannot (a depot that cannot reach every task). The
    // joining bound beside either.
    let work = Work {
        arcs: &arcs,
        checkpoints,
        checkpoint_arc: &checkpoint_arc,
        units,
    };
    let (made, joining_s) = rayon::join(
        || -> Result<(Vec<Route>, f64), TourError> {
            if let Some(made) =
                super::balance::balanced_routes(network, graph, &work, stop, BALANCE_TIME)
            {
                return Ok((made, longest_single_s(network, graph, &work)));
            }
            route_first(network, graph, &work, stop)
        },
        || joining_lower_bound(network, graph, &arcs, units),
    );
    let (routes, single) = made?;
    let k = units.len();
    // The planner may drive a two-way arc either way: the bound counts the quicker.
    let required_s: f64 = arcs.iter().map(|a| graph.quickest_time_s(a.0)).sum();
    let dwell_total: f64 = checkpoints
        .iter()
        .zip(&checkpoint_arc)
        .filter(|(_, a)| !unreachable.iter().any(|u| u.0 == a.0))
        .map(|(c, _)| c.dwell_s)
        .sum();
    let total_lower_bound_s = required_s + dwell_total + joining_s;
    Ok(Plan {
        longest_s: routes.iter().map(|r| r.duration_s).fold(0.0, f64::max),
        total_s: routes.iter().map(|r| r.duration_s).sum(),
        total_lower_bound_s,
        longest_lower_bound_s: (total_lower_bound_s / k as f64).max(single),
        routes,
        unreachable,
    })
}

/// The most time the min-max core searches a city plan once its time matrix is made (less
/// when the request's own limit comes first): on Porto (316 tasks, 637 places) the matrix
/// takes about 3 s, and the whole plan answers within 10 s.
pub const BALANCE_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// What a plan must drive and who drives it.
#[derive(Clone, Copy, Debug)]
pub struct Work<'a> {
    /// The arcs to drive ([`work_arcs`], those no route can reach left out).
    pub arcs: &'a [Step],
    /// The checkpoints to stop at.
    pub checkpoints: &'a [CheckpointTask],
    /// The arc each checkpoint is on.
    pub checkpoint_arc: &'a [Step],
    /// The units, each from its depot.
    pub units: &'a [PatrolUnit],
}

/// The longest of the round trips to a single required arc (with its checkpoints' dwell)
/// from its nearest depot, in seconds: whichever unit drives that arc, its route is at least
/// this long, so no plan's longest route is shorter.
fn longest_single_s(network: &RoadNetwork, graph: &ProfileGraph, work: &Work) -> f64 {
    let Work {
        arcs,
        checkpoints,
        checkpoint_arc,
        units,
    } = *work;
    let mut depots: Vec<u32> = units.iter().map(|u| u.depot).collect();
    depots.sort_unstable();
    depots.dedup();
    let times: Vec<(Vec<f64>, Vec<f64>)> = depots
        .par_iter()
        .map_init(
            || PathSearch::new(network.nodes.len()),
            |search, &d| {
                let mut from_to = [Vec::new(), Vec::new()];
                for (forward, out) in [true, false].into_iter().zip(&mut from_to) {
                    search.run(
                        network,
                        graph,
                        Weight::Time,
                        forward,
                        &[(d, 0.0)],
                        f64::INFINITY,
                        |_| false,
                        1,
                    );
                    *out = search.cost.clone();
                }
                let [from, to] = from_to;
                (from, to)
            },
        )
        .collect();
    let mut dwell_s: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
    for (c, a) in checkpoints.iter().zip(checkpoint_arc) {
        *dwell_s.entry(a.0).or_default() += c.dwell_s;
    }
    arcs.iter()
        .map(|&(e, _)| {
            let edge = &network.edges[e as usize];
            let Some(direction) = graph.edge_direction[e as usize] else {
                return 0.0;
            };
            let dwell = dwell_s.get(&e).copied().unwrap_or(0.0);
            let mut ways = Vec::with_capacity(2);
            if direction.allows_forward() {
                ways.push((edge.from, edge.to, graph.time_s(e, true) + dwell));
            }
            if direction.allows_backward() {
                ways.push((edge.to, edge.from, graph.time_s(e, false) + dwell));
            }
            times
                .iter()
                .flat_map(|(from, to)| {
                    ways.iter()
                        .map(move |&(a, b, service)| from[a as usize] + service + to[b as usize])
                })
                .fold(f64::INFINITY, f64::min)
        })
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max)
}

/// Route first, cluster second (the module's method): routes and the longest single task's
/// round trip from its nearest depot (a lower bound on the longest route).
fn route_first(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    work: &Work,
    stop: &Stop,
) -> Result<(Vec<Route>, f64), TourError> {
    let Work {
        arcs,
        checkpoints,
        checkpoint_arc,
        units,
    } = *work;
    let n = network.nodes.len();
    let mut search = PathSearch::new(n);
    // Times from each depot to every node and from every node back to it.
    let mut from_depot: Vec<Vec<f64>> = Vec::with_capacity(units.len());
    let mut to_depot: Vec<Vec<f64>> = Vec::with_capacity(units.len());
    for u in units {
        for (forward, out) in [(true, &mut from_depot), (false, &mut to_depot)] {
            search.run(
                network,
                graph,
                Weight::Time,
                forward,
                &[(u.depot, 0.0)],
                f64::INFINITY,
                |_| false,
                1,
            );
            out.push(search.cost.clone());
        }
    }
    // The tour from each post in turn (up to 10): where the city-wide tour starts changes
    // where it is cut; the best split wins.
    let mut starts: Vec<usize> = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        if starts.len() < 10 && !starts.iter().any(|&s| units[s].depot == unit.depot) {
            starts.push(u);
        }
    }
    stop.stage("routes", starts.len() as u64);
    // The blocks of one postman tour, reordered as a salesman would from each start; the
    // postman tour itself where that is shorter.
    let base = postman_tour(network, graph, arcs, units[starts[0]].depot)?;
    let depots: Vec<u32> = starts.iter().map(|&s| units[s].depot).collect();
    let sequencer = Sequencer::new(network, graph, &base, &depots).until(stop);
    let splits = starts
        .par_iter()
        .map(|&start| {
            let mut search = PathSearch::new(n);
            let depot = units[start].depot;
            let tour = match sequencer.tour_from(network, graph, depot) {
                Some(t) if t.time_s <= base.time_s => t,
                _ if depot == base.depot => base.clone(),
                _ => postman_tour(network, graph, arcs, depot)?,
            };
            let split = split_tour(
                network,
                graph,
                &tour,
                checkpoints,
                checkpoint_arc,
                units,
                &from_depot,
                &to_depot,
                &mut search,
            );
            stop.advance(1);
            Ok(split)
        })
        .collect::<Result<Vec<(Vec<Route>, f64)>, TourError>>()?;
    let key = |r: &[Route]| {
        (
            r.iter().map(|r| r.duration_s).fold(0.0, f64::max),
            r.iter().map(|r| r.duration_s).sum::<f64>(),
        )
    };
    let best_routes = splits.into_iter().min_by(|a, b| {
        let (x, y) = (key(&a.0), key(&b.0));
        x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1))
    });
    let (routes, single) = best_routes.unwrap_or_default();
    // Each route's own blocks reordered from its depot, where that is shorter (the cut tour's
    // order was best for the whole city, not for each piece).
    let required_edges: std::collections::HashSet<u32> = arcs.iter().map(|a| a.0).collect();
    stop.stage("improving", routes.len() as u64);
    let routes: Vec<Route> = if units.len() > 1 {
        routes
            .into_par_iter()
            .map(|route| {
                let better = resequence(
                    network,
                    graph,
                    route,
                    units,
                    &required_edges,
                    checkpoints,
                    stop,
                );
                stop.advance(1);
                better
            })
            .collect()
    } else {
        routes
    };
    Ok((routes, single))
}

/// The arcs a plan must drive: `required`, then each checkpoint's edge not among them (in
/// a direction it allows; either way is fine for the check); and the arc each checkpoint is on.
pub fn work_arcs(
    graph: &ProfileGraph,
    required: &[Step],
    checkpoints: &[CheckpointTask],
) -> (Vec<Step>, Vec<Step>) {
    let mut arcs: Vec<Step> = required.to_vec();
    let mut checkpoint_arc: Vec<Step> = Vec::with_capacity(checkpoints.len());
    for c in checkpoints {
        let e = c.place.edge;
        let arc = match arcs.iter().find(|a| a.0 == e) {
            Some(&a) => a,
            None => {
                let forward = graph.edge_direction[e as usize].is_some_and(|d| d.allows_forward());
                arcs.push((e, forward));
                (e, forward)
            }
        };
        checkpoint_arc.push(arc);
    }
    (arcs, checkpoint_arc)
}

/// `route` with its blocks of required road reordered from its depot
/// ([`Sequencer`]), when that makes it shorter; its stops and timetable made anew.
fn resequence(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    route: Route,
    units: &[PatrolUnit],
    required: &std::collections::HashSet<u32>,
    checkpoints: &[CheckpointTask],
    stop: &Stop,
) -> Route {
    let depot = units[route.unit].depot;
    let mut seen = std::collections::HashSet::new();
    let serves: Vec<bool> = route
        .steps
        .iter()
        .map(|s| required.contains(&s.0) && seen.insert(s.0))
        .collect();
    let tour = Tour {
        depot,
        steps: route.steps.clone(),
        serves,
        time_s: route.driving_s,
    };
    let sequencer = Sequencer::new(network, graph, &tour, &[depot]).until(stop);
    match sequencer.tour_from(network, graph, depot) {
        Some(better) if better.time_s < route.driving_s - 1e-6 => {
            let stops: Vec<&CheckpointTask> = route
                .visits
                .iter()
                .filter_map(|v| checkpoints.iter().find(|c| c.checkpoint == v.checkpoint))
                .collect();
            finish_route(graph, route.unit, better.steps, stops)
        }
        _ => route,
    }
}

/// The arcs of `arcs` that no route from `depot` can drive (either way the road allows) and
/// come back from: road cut off from the depot, or a one-way dead end.
pub fn unreachable_from(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    depot: u32,
    arcs: &[Step],
) -> Vec<Step> {
    let mut search = PathSearch::new(network.nodes.len());
    let mut reach = |forward: bool| -> Vec<bool> {
        search.run(
            network,
            graph,
            Weight::Time,
            forward,
            &[(depot, 0.0)],
            f64::INFINITY,
            |_| false,
            1,
        );
        search.cost.iter().map(|c| c.is_finite()).collect()
    };
    let (from_depot, to_depot) = (reach(true), reach(false));
    let feasible_way = |s: Step| {
        let (a, b) = ends(network, s);
        let allowed = graph.edge_direction[s.0 as usize].is_some_and(|d| {
            if s.1 {
                d.allows_forward()
            } else {
                d.allows_backward()
            }
        });
        allowed && from_depot[a as usize] && to_depot[b as usize]
    };
    arcs.iter()
        .copied()
        .filter(|&s| !feasible_way(s) && !feasible_way((s.0, !s.1)))
        .collect()
}

/// A route from its steps: its stops at `stops` (each where the route first passes it), its
/// timetable and durations.
pub(crate) fn finish_route(
    graph: &ProfileGraph,
    unit: usize,
    steps: Vec<Step>,
    stops: Vec<&CheckpointTask>,
) -> Route {
    let mut pending = stops;
    let mut visits = Vec::new();
    let (mut clock, mut dwell_s, mut driving_s) = (0.0, 0.0, 0.0);
    for &s in &steps {
        let t = graph.time_s(s.0, s.1);
        // Stops on this step, in the order they are passed.
        let mut here: Vec<(f64, usize)> = pending
            .iter()
            .enumerate()
            .filter(|(_, c)| c.place.edge == s.0)
            .map(|(i, c)| {
                (
                    if s.1 {
                        c.place.fraction
                    } else {
                        1.0 - c.place.fraction
                    },
                    i,
                )
            })
            .collect();
        here.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut done: Vec<usize> = Vec::new();
        for (along, i) in here {
            let c = pending[i];
            visits.push(Visit {
                checkpoint: c.checkpoint,
                eta_s: clock + along * t,
                dwell_s: c.dwell_s,
            });
            clock += c.dwell_s;
            dwell_s += c.dwell_s;
            done.push(i);
        }
        done.sort_unstable();
        for i in done.into_iter().rev() {
            pending.remove(i);
        }
        clock += t;
        driving_s += t;
    }
    Route {
        unit,
        steps,
        visits,
        driving_s,
        dwell_s,
        duration_s: driving_s + dwell_s,
    }
}

/// Cuts `tour` into one consecutive piece per unit, each driven from and back to its unit's
/// depot, balanced by a local search on the cuts and on which unit drives which piece.
/// Returns the routes and the longest single task's round trip from its nearest depot (a
/// lower bound on the longest route).
#[allow(clippy::too_many_arguments)]
fn split_tour(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    tour: &super::postman::Tour,
    checkpoints: &[CheckpointTask],
    checkpoint_arc: &[Step],
    units: &[PatrolUnit],
    from_depot: &[Vec<f64>],
    to_depot: &[Vec<f64>],
    search: &mut PathSearch,
) -> (Vec<Route>, f64) {
    let time = |s: Step| graph.time_s(s.0, s.1);
    // Tasks: the serving steps of the tour, with the dwell of their checkpoints.
    let task_steps: Vec<usize> = (0..tour.steps.len()).filter(|&i| tour.serves[i]).collect();
    let mut task_dwell = vec![0.0; task_steps.len()];
    for (c, arc) in checkpoints.iter().zip(checkpoint_arc) {
        if let Some(t) = task_steps.iter().position(|&i| tour.steps[i].0 == arc.0) {
            task_dwell[t] += c.dwell_s;
        }
    }
    let mut prefix_s = vec![0.0; tour.steps.len() + 1];
    for (i, &s) in tour.steps.iter().enumerate() {
        prefix_s[i + 1] = prefix_s[i] + time(s);
    }
    let mut dwell_prefix = vec![0.0; task_steps.len() + 1];
    for t in 0..task_steps.len() {
        dwell_prefix[t + 1] = dwell_prefix[t] + task_dwell[t];
    }

    // A piece: tasks [a, b) of the tour; its cost for unit u.
    let k = units.len();
    let tasks = task_steps.len();
    let piece_cost = |a: usize, b: usize, u: usize| -> f64 {
        if a >= b {
            return 0.0;
        }
        let (first, last) = (task_steps[a], task_steps[b - 1]);
        let start = ends(network, tour.steps[first]).0;
        let end = ends(network, tour.steps[last]).1;
        from_depot[u][start as usize]
            + (prefix_s[last + 1] - prefix_s[first])
            + (dwell_prefix[b] - dwell_prefix[a])
            + to_depot[u][end as usize]
    };
    // Cuts at equal shares of the work (driving along the tour plus dwell).
    let work_at = |t: usize| -> f64 {
        if t == tasks {
            prefix_s[tour.steps.len()] + dwell_prefix[tasks]
        } else {
            prefix_s[task_steps[t]] + dwell_prefix[t]
        }
    };
    let total_work = work_at(tasks);
    let mut cuts: Vec<usize> = (0..=k)
        .map(|g| {
            if g == k {
                return tasks;
            }
            let target = total_work * g as f64 / k as f64;
            (0..tasks).find(|&t| work_at(t) >= target).unwrap_or(tasks)
        })
        .collect();
    cuts[0] = 0;
    // Which unit drives piece g.
    let mut assign: Vec<usize> = (0..k).collect();
    let score = |cuts: &[usize], assign: &[usize]| -> (f64, f64) {
        let costs: Vec<f64> = (0..k)
            .map(|g| piece_cost(cuts[g], cuts[g + 1], assign[g]))
            .collect();
        (
            costs.iter().fold(0.0, |a: f64, &b| a.max(b)),
            costs.iter().sum(),
        )
    };
    let better =
        |a: (f64, f64), b: (f64, f64)| a.0 < b.0 - 1e-9 || (a.0 <= b.0 + 1e-9 && a.1 < b.1 - 1e-9);
    let mut best = score(&cuts, &assign);
    for _round in 0..200 {
        let mut improved = false;
        // Swap which units drive two pieces.
        for g in 0..k {
            for h in g + 1..k {
                assign.swap(g, h);
                let s = score(&cuts, &assign);
                if better(s, best) {
                    best = s;
                    improved = true;
                } else {
                    assign.swap(g, h);
                }
            }
        }
        // Move each cut by a few tasks either way.
        for c in 1..k {
            for delta in [1isize, -1, 2, -2, 4, -4, 8, -8, 16, -16, 32, -32] {
                let moved = cuts[c] as isize + delta;
                if moved < cuts[c - 1] as isize || moved > cuts[c + 1] as isize {
                    continue;
                }
                let old = cuts[c];
                cuts[c] = moved as usize;
                let s = score(&cuts, &assign);
                if better(s, best) {
                    best = s;
                    improved = true;
                } else {
                    cuts[c] = old;
                }
            }
        }
        if !improved {
            break;
        }
    }

    // The routes: way out, the piece, way back.
    let mut routes = Vec::with_capacity(k);
    for g in 0..k {
        let u = assign[g];
        let (a, b) = (cuts[g], cuts[g + 1]);
        let mut steps: Vec<Step> = Vec::new();
        if a < b {
            let (first, last) = (task_steps[a], task_steps[b - 1]);
            let start = ends(network, tour.steps[first]).0;
            let end = ends(network, tour.steps[last]).1;
            let depot = units[u].depot;
            let way = |search: &mut PathSearch, a: u32, b: u32| {
                search
                    .quickest(network, graph, a, b)
                    .map_or_else(Vec::new, |(_, p)| p)
            };
            steps.extend(way(search, depot, start));
            steps.extend_from_slice(&tour.steps[first..=last]);
            steps.extend(way(search, end, depot));
        }
        routes.push((u, steps, a..b));
    }
    routes.sort_by_key(|r| r.0);
    let route_first: Vec<Route> = routes
        .into_iter()
        .map(|(u, steps, range)| {
            // Its stops: each checkpoint whose task is in this piece.
            let stops: Vec<&CheckpointTask> = checkpoints
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    task_steps
                        .iter()
                        .position(|&s| tour.steps[s].0 == checkpoint_arc[*i].0)
                        .is_some_and(|t| range.contains(&t))
                })
                .map(|(_, c)| c)
                .collect();
            finish_route(graph, u, steps, stops)
        })
        .collect();
    // The longest route also holds at least one task and the way to it and back.
    let single = (0..tasks)
        .map(|t| {
            (0..k)
                .map(|u| piece_cost(t, t + 1, u))
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max);
    (route_first, single)
}

/// A lower bound on the driving between the pieces of required road (arcs joined end to end)
/// in any plan: the minimum spanning tree over the pieces, with every depot as one root,
/// in times as if every road were two-way (Prim, each step a multi-source search from the
/// tree so far). Why it bounds: each route reaches its pieces one after another from its
/// depot, and the way from one piece to the next costs at least their distance, so the
/// routes' deadheading contains a spanning forest of pieces rooted at depots.
pub fn joining_lower_bound(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    arcs: &[Step],
    units: &[PatrolUnit],
) -> f64 {
    let n = network.nodes.len();
    let mut pieces = Pieces::new(n);
    pieces.join_arcs(network, arcs);
    let mut touched = arc_nodes(network, arcs);
    // All depots are one root.
    for u in units {
        touched[u.depot as usize] = true;
        pieces.join(u.depot, units[0].depot);
    }
    let members = pieces.members(&touched);
    let mut in_tree = vec![false; n];
    let root = pieces.find(units[0].depot);
    let mut tree: Vec<u32> = members[&root].clone();
    for &v in &tree {
        in_tree[v as usize] = true;
    }
    let mut left = members.len() - 1;
    let mut search = PathSearch::new(n);
    let mut total = 0.0;
    while left > 0 {
        let sources: Vec<(u32, f64)> = tree.iter().map(|&v| (v, 0.0)).collect();
        let mut reached = None;
        search.run_undirected(
            network,
            graph,
            Weight::Time,
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
        let Some(v) = reached else { break };
        total += search.cost[v as usize];
        let piece = pieces.find(v);
        for &w in &members[&piece] {
            in_tree[w as usize] = true;
            tree.push(w);
        }
        left -= 1;
    }
    total
}

/// The problem a plan solved, for other solvers: every usable edge of the mode's graph
/// (`[edge, from, to, forward time_s, forward allowed, backward allowed, backward time_s]`), the required edges of each
/// line in order as `[edge, drawn forward]` (those no route can reach left out), the
/// checkpoints' edges and dwell, the units' depots, and this plan's figures.
pub fn instance_json(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    req: &super::requirements::Requirements,
    checkpoints: &[CheckpointTask],
    units: &[PatrolUnit],
    plan: &Plan,
    plan_s: f64,
) -> serde_json::Value {
    let unreachable: std::collections::HashSet<u32> =
        plan.unreachable.iter().map(|s| s.0).collect();
    let edges: Vec<serde_json::Value> = (0..network.edges.len())
        .filter_map(|e| {
            let d = graph.edge_direction[e]?;
            let edge = &network.edges[e];
            Some(serde_json::json!([
                e,
                edge.from,
                edge.to,
                graph.time_s(e as u32, true),
                d.allows_forward(),
                d.allows_backward(),
                graph.time_s(e as u32, false)
            ]))
        })
        .collect();
    let lines: Vec<Vec<(u32, bool)>> = req
        .lines
        .iter()
        .map(|l| {
            l.required
                .iter()
                .copied()
                .filter(|r| !unreachable.contains(&r.0))
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.is_empty())
        .collect();
    serde_json::json!({
        "nodes": network.nodes.len(),
        "edges": edges,
        "lines": lines,
        "checkpoints": checkpoints.iter().filter(|c| !unreachable.contains(&c.place.edge))
            .map(|c| serde_json::json!({"edge": c.place.edge, "fraction": c.place.fraction, "dwell_s": c.dwell_s})).collect::<Vec<_>>(),
        "depots": units.iter().map(|u| u.depot).collect::<Vec<_>>(),
        "patrolmap": {"longest_s": plan.longest_s, "total_s": plan.total_s, "seconds": plan_s,
            "longest_lower_bound_s": plan.longest_lower_bound_s, "total_lower_bound_s": plan.total_lower_bound_s},
    })
}
