//! Coverage at a time of day: the car network timed by a [`SpeedTable`] of measured speeds,
//! searched on a customisable hierarchy ([`Cch`]) ordered once and customised for each period
//! of the table asked for (tens of milliseconds on a city), the latest periods kept.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::cch::Cch;
use super::hierarchy::Hierarchy;
use crate::network::time_of_day::SpeedTable;
use crate::network::{ProfileGraph, RoadNetwork};

/// How many periods of the day a [`Traffic`] keeps customised (a planner flips between a few
/// hours; the day chart times every hour without keeping them).
pub const PERIODS_KEPT: usize = 4;

/// Measured car speeds by time of day, with the car graph's metric-independent order.
///
/// ```
/// use patrolmap_core::coverage::traffic::Traffic;
/// use patrolmap_core::network::{self, time_of_day::SpeedTable, NoProgress, Profile, ProfileGraph, TravelMode};
/// let net = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
/// let car = ProfileGraph::build(&net, &Profile::default_for(TravelMode::Car));
/// let table = SpeedTable::parse("edge_id,direction,time,speed_kph\n0,both,07:00,5\n0,both,10:00,30\n", "s.csv").unwrap();
/// let traffic = Traffic::prepare(&net, &car, table);
/// let rush = traffic.at(&net, &car, 8 * 60);
/// assert_eq!(rush.period_start, 7 * 60);
/// assert!(Arc::ptr_eq(&rush, &traffic.at(&net, &car, 9 * 60 + 59)));
/// # use std::sync::Arc;
/// ```
pub struct Traffic {
    table: SpeedTable,
    /// How many of the network's edges the table names (counted once: `/api/info` says it).
    edges_named: usize,
    cch: Cch,
    kept: Mutex<VecDeque<Arc<TimedCar>>>,
}

/// The car network in one period of the day: its graph timed by the table's speeds, and the
/// hierarchy customised for those times.
pub struct TimedCar {
    /// The minute of the day the period starts ([`SpeedTable::period_start`]).
    pub period_start: u16,
    /// The car graph with the period's speeds.
    pub graph: ProfileGraph,
    /// Its hierarchy: PHAST on it equals Dijkstra on `graph`.
    pub hierarchy: Arc<Hierarchy>,
}

impl Traffic {
    /// Orders `car` (the free-flow car graph of `network`) once for every period of `table`
    /// (0.7 s on Porto).
    pub fn prepare(network: &RoadNetwork, car: &ProfileGraph, table: SpeedTable) -> Traffic {
        Traffic {
            cch: Cch::prepare(car, &network.nodes),
            edges_named: table.matched_edge_count(network),
            table,
            kept: Mutex::new(VecDeque::new()),
        }
    }

    /// The speeds.
    pub fn table(&self) -> &SpeedTable {
        &self.table
    }

    /// How many of the network's edges the speeds name (by edge id or OSM way).
    pub fn edges_named(&self) -> usize {
        self.edges_named
    }

    /// The car network at `minute` of the day: kept when its period was asked for lately,
    /// else timed and customised (and kept).
    pub fn at(&self, network: &RoadNetwork, car: &ProfileGraph, minute: u16) -> Arc<TimedCar> {
        self.get(network, car, minute, true)
    }

    /// Like [`Traffic::at`], keeping a period made anew only when `keep` (the day chart's
    /// every hour would push out the periods a planner flips between).
    pub fn get(
        &self,
        network: &RoadNetwork,
        car: &ProfileGraph,
        minute: u16,
        keep: bool,
    ) -> Arc<TimedCar> {
        let period_start = self.table.period_start(minute);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = kept.iter().position(|t| t.period_start == period_start) {
            let timed = kept.remove(i).expect("found");
            kept.push_back(timed.clone());
            return timed;
        }
        drop(kept);
        let timed = Arc::new(self.customised(network, car, period_start));
        if keep {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.retain(|t| t.period_start != period_start);
            kept.push_back(timed.clone());
            while kept.len() > PERIODS_KEPT {
                kept.pop_front();
            }
        }
        timed
    }

    /// The car network at `minute`, made anew and not kept (the day chart's hours).
    pub fn customised(&self, network: &RoadNetwork, car: &ProfileGraph, minute: u16) -> TimedCar {
        let graph = self.timed(network, car, minute);
        let hierarchy = Arc::new(self.cch.customise(&graph));
        TimedCar {
            period_start: self.table.period_start(minute),
            graph,
            hierarchy,
        }
    }

    /// `graph` (the car graph, maybe without closed roads) with the speeds of `minute`.
    pub fn timed(&self, network: &RoadNetwork, graph: &ProfileGraph, minute: u16) -> ProfileGraph {
        graph.with_speeds_kph(network, |e, forward| {
            self.table.edge_speed_kph(network, e, forward, minute)
        })
    }
}
