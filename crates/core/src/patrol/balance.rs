//! The city plan as a min-max problem for [`super::minmax`]: its tasks are the runs of
//! required road (consecutive arcs of a line, and each checkpoint's edge off the lines), with
//! the dwell of the checkpoints on them; its places are the runs' ends and the units' depots,
//! timed by one search per place; the core's answer is turned back into routes on the road.
//!
//! Why beside the route-first split of [`super::plan`]: cutting one tour into K consecutive
//! pieces cannot give a unit pieces from two ends of the tour, nor choose which unit takes
//! which region freely; the min-max core searches exactly that (it comes within 0.011 % of
//! HGS-CARP on the MM-kWRPP benchmark). The plan keeps whichever of the two is shorter.

use std::collections::{HashMap, HashSet};

use super::minmax::{self, Instance, Options, Task, Way};
use super::paths::{ends, time_matrix, PathSearch, Places, Step};
use super::plan::{finish_route, CheckpointTask, Route, Work};
use crate::network::{ProfileGraph, RoadNetwork};
use crate::stop::Stop;

/// A run of required road served in one go.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Its arcs in the order drawn.
    pub steps: Vec<Step>,
    /// Every arc two-way: it may be driven backwards.
    pub reversible: bool,
}

/// The runs of `arcs`: consecutive arcs that join end to start (as a line's matched edges
/// do), each edge once; a new run where the next arc does not start where the last ended.
///
/// ```
/// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
/// use patrolmap_core::patrol::balance::runs;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0.001,0],[0.002,0]]}},
///   {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0.005,0],[0.006,0]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let r = runs(&net, &graph, &[(0, true), (1, true), (1, true), (2, true)]);
/// assert_eq!(r.len(), 2);
/// assert_eq!(r[0].steps, vec![(0, true), (1, true)]);
/// assert!(r[0].reversible);
/// ```
pub fn runs(network: &RoadNetwork, graph: &ProfileGraph, arcs: &[Step]) -> Vec<Run> {
    let two_way = |e: u32| {
        graph.edge_direction[e as usize].is_some_and(|d| d.allows_forward() && d.allows_backward())
    };
    let mut seen = HashSet::new();
    let mut out: Vec<Run> = Vec::new();
    let mut last_end: Option<u32> = None;
    for &arc in arcs {
        if !seen.insert(arc.0) {
            last_end = None;
            continue;
        }
        let (from, to) = ends(network, arc);
        match out.last_mut() {
            Some(run) if last_end == Some(from) => {
                run.steps.push(arc);
                run.reversible &= two_way(arc.0);
            }
            _ => out.push(Run {
                steps: vec![arc],
                reversible: two_way(arc.0),
            }),
        }
        last_end = Some(to);
    }
    out
}

/// Routes for the units of `work` through its every arc and checkpoint, by the min-max core, searching for `search` once its time
/// matrix is made (or until `stop`, when that comes first). `None` when some task or depot
/// cannot reach another (route-first then plans).
pub fn balanced_routes(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    work: &Work,
    stop: &Stop,
    search: std::time::Duration,
) -> Option<Vec<Route>> {
    let Work {
        arcs,
        checkpoints,
        checkpoint_arc,
        units,
    } = *work;
    let runs = runs(network, graph, arcs);
    if runs.is_empty() {
        return None;
    }
    stop.stage("balancing", 0);
    let time = |s: Step| graph.time_s(s.0, s.1);
    let run_of: HashMap<u32, usize> = runs
        .iter()
        .enumerate()
        .flat_map(|(r, run)| run.steps.iter().map(move |s| (s.0, r)))
        .collect();
    let mut dwell_s = vec![0.0; runs.len()];
    for (c, arc) in checkpoints.iter().zip(checkpoint_arc) {
        if let Some(&r) = run_of.get(&arc.0) {
            dwell_s[r] += c.dwell_s;
        }
    }
    // Places: the depots, then the runs' ends.
    let mut places = Places::default();
    let mut place = |v: u32| places.place(v);
    let depots: Vec<u32> = units.iter().map(|u| place(u.depot)).collect();
    let tasks: Vec<Task> = runs
        .iter()
        .zip(&dwell_s)
        .map(|(run, dwell)| {
            let a = place(ends(network, run.steps[0]).0);
            let z = place(ends(network, run.steps[run.steps.len() - 1]).1);
            let cost = run.steps.iter().map(|&s| time(s)).sum::<f64>() + dwell;
            let forward = Way {
                from: a,
                to: z,
                cost,
            };
            if run.reversible {
                // Driven back, each edge at its time that way (`maxspeed:backward`).
                let back_s: f64 = run.steps.iter().map(|&(e, f)| time((e, !f))).sum();
                Task::either(
                    forward,
                    Way {
                        from: z,
                        to: a,
                        cost: back_s + dwell,
                    },
                )
            } else {
                Task::one_way(forward)
            }
        })
        .collect();
    let nodes = places.nodes;
    let matrix: Vec<f64> = time_matrix(network, graph, &nodes)
        .into_iter()
        .map(f64::from)
        .collect();
    let instance = Instance::new(nodes.len(), matrix, tasks, depots).ok()?;
    let solution = minmax::solve(
        &instance,
        &Options::for_tasks(runs.len()),
        &stop.within(search),
    );
    if !solution.longest.is_finite() {
        return None;
    }
    let mut search = PathSearch::new(network.nodes.len());
    let mut routes = Vec::with_capacity(units.len());
    for (u, served) in solution.routes.iter().enumerate() {
        let depot = units[u].depot;
        let mut steps: Vec<Step> = Vec::new();
        let mut at = depot;
        let mut link = |from: u32, to: u32, steps: &mut Vec<Step>| -> Option<()> {
            if from != to {
                steps.extend(search.quickest(network, graph, from, to)?.1);
            }
            Some(())
        };
        for &(task, way) in served {
            let run = &runs[task as usize];
            let driven: Vec<Step> = if way == 1 {
                run.steps.iter().rev().map(|&(e, f)| (e, !f)).collect()
            } else {
                run.steps.clone()
            };
            link(at, ends(network, driven[0]).0, &mut steps)?;
            at = ends(network, driven[driven.len() - 1]).1;
            steps.extend(driven);
        }
        link(at, depot, &mut steps)?;
        let mine: HashSet<u32> = served.iter().map(|&(t, _)| t).collect();
        let stops: Vec<&CheckpointTask> = checkpoints
            .iter()
            .zip(checkpoint_arc)
            .filter(|(_, arc)| {
                run_of
                    .get(&arc.0)
                    .is_some_and(|&r| mine.contains(&(r as u32)))
            })
            .map(|(c, _)| c)
            .collect();
        routes.push(finish_route(graph, u, steps, stops));
    }
    Some(routes)
}
