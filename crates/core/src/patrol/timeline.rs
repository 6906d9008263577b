//! Where a patrol unit is at any moment of its shift: its route as timed legs (driving along
//! a road edge, or standing at a checkpoint), read back as a point on the road.
//!
//! The legs follow the route's own clock ([`Route::visits`]' arrival times), so a unit is at
//! a checkpoint exactly while the timetable says it dwells there.

use super::paths::Step;
use super::plan::Route;
use crate::network::{ProfileGraph, RoadNetwork};

/// A stretch of the shift spent on one road edge: the unit moves evenly from `from_fraction`
/// to `to_fraction` of the edge (measured from the edge's first node) between `start_s` and
/// `end_s`; standing still when the two fractions are equal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Leg {
    /// When the leg starts, in seconds from the start of the route.
    pub start_s: f64,
    /// When it ends, in seconds.
    pub end_s: f64,
    /// The road edge.
    pub edge: u32,
    /// Where on the edge the leg starts.
    pub from_fraction: f64,
    /// Where it ends.
    pub to_fraction: f64,
}

/// A route in time.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// The legs in order, back to back.
    pub legs: Vec<Leg>,
    /// Where the unit stands when the route is empty or over: its depot, as a point on an
    /// edge.
    pub home: (u32, f64),
}

impl Timeline {
    /// The timeline of `route` on `graph` (the times its plan was made with); `home` is where
    /// the unit waits before and after (its depot on a road edge).
    ///
    /// ```
    /// use patrolmap_core::network::{road_geojson::read_str, Profile, ProfileGraph, TravelMode};
    /// use patrolmap_core::patrol::plan::{Route, Visit};
    /// use patrolmap_core::patrol::timeline::Timeline;
    /// let net = read_str(r#"{"type":"FeatureCollection","features":[
    ///   {"type":"Feature","properties":{"speed_kph":36},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}}]}"#,
    ///   "r.geojson".as_ref()).unwrap();
    /// let graph = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
    /// let t = graph.time_s(0, true);
    /// // Out along the edge with a 60 s stop half-way, and back.
    /// let route = Route { unit: 0, steps: vec![(0, true), (0, false)],
    ///     visits: vec![Visit { checkpoint: 0, eta_s: t / 2.0, dwell_s: 60.0 }],
    ///     driving_s: 2.0 * t, dwell_s: 60.0, duration_s: 2.0 * t + 60.0 };
    /// let timeline = Timeline::of_route(&route, &graph, (0, 0.0));
    /// assert_eq!(timeline.position_at(t / 2.0 + 30.0), (0, 0.5));
    /// let (edge, fraction) = timeline.position_at(t + 60.0 + t / 4.0);
    /// assert!(edge == 0 && (fraction - 0.75).abs() < 1e-9);
    /// assert_eq!(timeline.position_at(1e9), (0, 0.0));
    /// ```
    pub fn of_route(route: &Route, graph: &ProfileGraph, home: (u32, f64)) -> Timeline {
        let mut legs = Vec::with_capacity(route.steps.len() + route.visits.len());
        let mut clock = 0.0;
        let mut next_visit = 0;
        let at = |s: Step, along: f64| if s.1 { along } else { 1.0 - along };
        for &step in &route.steps {
            let t = graph.time_s(step.0, step.1);
            // Arrival times count the dwell of earlier stops on this step.
            let mut drive_start = clock;
            let mut along = 0.0;
            // The stops on this step: those whose arrival falls within its driving.
            while let Some(v) = route.visits.get(next_visit) {
                let stop_along = if t > 0.0 {
                    (v.eta_s - drive_start) / t
                } else {
                    0.0
                };
                if stop_along > 1.0 + 1e-9 {
                    break;
                }
                let stop_along = stop_along.clamp(along, 1.0);
                legs.push(Leg {
                    start_s: clock,
                    end_s: clock + (stop_along - along) * t,
                    edge: step.0,
                    from_fraction: at(step, along),
                    to_fraction: at(step, stop_along),
                });
                clock += (stop_along - along) * t;
                legs.push(Leg {
                    start_s: clock,
                    end_s: clock + v.dwell_s,
                    edge: step.0,
                    from_fraction: at(step, stop_along),
                    to_fraction: at(step, stop_along),
                });
                clock += v.dwell_s;
                drive_start += v.dwell_s;
                along = stop_along;
                next_visit += 1;
            }
            legs.push(Leg {
                start_s: clock,
                end_s: clock + (1.0 - along) * t,
                edge: step.0,
                from_fraction: at(step, along),
                to_fraction: at(step, 1.0),
            });
            clock += (1.0 - along) * t;
        }
        Timeline { legs, home }
    }

    /// Where the unit is at `time_s`: a road edge and the fraction along it from its first
    /// node. At home before the route starts and after it ends.
    pub fn position_at(&self, time_s: f64) -> (u32, f64) {
        let i = self.legs.partition_point(|l| l.end_s < time_s);
        match self.legs.get(i) {
            Some(l) if time_s >= l.start_s => {
                let span = l.end_s - l.start_s;
                let part = if span > 0.0 {
                    (time_s - l.start_s) / span
                } else {
                    1.0
                };
                (
                    l.edge,
                    l.from_fraction + (l.to_fraction - l.from_fraction) * part,
                )
            }
            _ => self.home,
        }
    }

    /// Which way the unit moves along its edge at `time_s`: `Some(true)` towards the edge's
    /// last node, `Some(false)` towards its first, `None` standing (at a checkpoint, at home).
    ///
    /// ```
    /// use patrolmap_core::patrol::timeline::{Leg, Timeline};
    /// let leg = |start_s, end_s, from_fraction, to_fraction| Leg { start_s, end_s, edge: 0, from_fraction, to_fraction };
    /// let timeline = Timeline { legs: vec![leg(0.0, 10.0, 0.0, 0.5), leg(10.0, 70.0, 0.5, 0.5), leg(70.0, 80.0, 0.5, 0.0)], home: (0, 0.0) };
    /// assert_eq!(timeline.heading_at(5.0), Some(true));
    /// assert_eq!(timeline.heading_at(30.0), None);
    /// assert_eq!(timeline.heading_at(75.0), Some(false));
    /// assert_eq!(timeline.heading_at(100.0), None);
    /// ```
    pub fn heading_at(&self, time_s: f64) -> Option<bool> {
        let i = self.legs.partition_point(|l| l.end_s <= time_s);
        let l = self.legs.get(i).filter(|l| time_s >= l.start_s)?;
        (l.to_fraction != l.from_fraction).then_some(l.to_fraction > l.from_fraction)
    }

    /// When the route ends, in seconds.
    pub fn end_s(&self) -> f64 {
        self.legs.last().map_or(0.0, |l| l.end_s)
    }
}

/// Where a unit whose depot is `node` stands: the start of a road edge leaving it on `graph`
/// (or the end of one arriving), when one is usable.
pub fn home_of(network: &RoadNetwork, graph: &ProfileGraph, node: u32) -> Option<(u32, f64)> {
    let usable = |e: usize| graph.is_usable(e);
    (0..network.edges.len())
        .find(|&e| usable(e) && network.edges[e].from == node)
        .map(|e| (e as u32, 0.0))
        .or_else(|| {
            (0..network.edges.len())
                .find(|&e| usable(e) && network.edges[e].to == node)
                .map(|e| (e as u32, 1.0))
        })
}

/// The plan's patrol units as they move through a shift sampled at `times_s`: each a unit of
/// class `patrol` on `mode` (index `mode_index` among the coverage modes), already on the
/// road (no turnout), following its route and then waiting at its depot.
pub fn moving_units(
    plan: &super::plan::Plan,
    units: &[super::plan::PatrolUnit],
    network: &RoadNetwork,
    graph: &ProfileGraph,
    mode: crate::network::TravelMode,
    mode_index: usize,
    times_s: &[f64],
) -> Vec<crate::coverage::shift::MovingUnit> {
    plan.routes
        .iter()
        .filter_map(|route| {
            let unit = &units[route.unit];
            let home = home_of(network, graph, unit.depot)?;
            let timeline = Timeline::of_route(route, graph, home);
            let node = &network.nodes[unit.depot as usize];
            Some(crate::coverage::shift::MovingUnit {
                unit: crate::scenario::Unit {
                    id: unit.id.clone(),
                    name: None,
                    kind: crate::scenario::UnitKind::Unit,
                    class: Some("patrol".into()),
                    mode,
                    turnout_s: 0.0,
                    position: *node,
                    feature: usize::MAX,
                    duty: Default::default(),
                },
                mode_index,
                positions: times_s.iter().map(|&t| timeline.position_at(t)).collect(),
            })
        })
        .collect()
}
