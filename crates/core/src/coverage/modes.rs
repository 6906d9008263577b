//! The road network prepared for several travel modes at once ([`ModeSet`]): one graph and
//! snap index per mode, and optionally one contraction hierarchy per mode; what the server's
//! city, the command line's coverage and the shift coverage all measure on.

use std::sync::Arc;

use rayon::prelude::*;

use super::hierarchy::Hierarchy;
use super::{Engine, ModeNetwork};
use crate::network::{ProfileGraph, ProfileSet, RoadNetwork, SnapIndex, TravelMode};

/// Graphs, snap indexes and (when prepared) hierarchies, one of each per mode, in the order
/// of [`ModeSet::modes`]; coverage is measured on the first mode's graph.
pub struct ModeSet {
    /// The modes.
    pub modes: Vec<TravelMode>,
    /// One graph per mode.
    pub graphs: Vec<ProfileGraph>,
    /// One snap index per mode.
    pub indexes: Vec<SnapIndex>,
    /// One hierarchy per mode, or none (searches then run Dijkstra); shared, as a time of
    /// day replaces only the car's.
    pub hierarchies: Vec<Arc<Hierarchy>>,
}

impl ModeSet {
    /// The nearest road of any mode to `point` within `max_m` (the foot graph holds the most
    /// roads; the car graph the rest of what is drivable).
    pub fn nearest_road(&self, point: [f64; 2], max_m: f64) -> Option<crate::network::Snapped> {
        self.indexes
            .iter()
            .filter_map(|i| i.snap(point, max_m).ok())
            .min_by(|a, b| a.dist_m.total_cmp(&b.dist_m))
    }

    /// The graphs and snap indexes of `modes` on `network` with `profiles`, without the
    /// `closed` edges (none when empty), made in parallel.
    ///
    /// ```
    /// use patrolmap_core::coverage::modes::ModeSet;
    /// use patrolmap_core::network::{self, NoProgress, ProfileSet, TravelMode};
    /// let roads = network::load("../../data/campo-grande.osm.pbf".as_ref(), &NoProgress).unwrap();
    /// let set = ModeSet::build(&roads, &ProfileSet::default(), &[TravelMode::Car, TravelMode::Foot], &[]);
    /// assert_eq!(set.networks().len(), 2);
    /// assert_eq!(set.position(TravelMode::Foot), Some(1));
    /// ```
    pub fn build(
        network: &RoadNetwork,
        profiles: &ProfileSet,
        modes: &[TravelMode],
        closed: &[bool],
    ) -> ModeSet {
        let graphs: Vec<ProfileGraph> = modes
            .par_iter()
            .map(|&m| {
                if closed.contains(&true) {
                    ProfileGraph::build_without(network, profiles.get(m), closed)
                } else {
                    ProfileGraph::build(network, profiles.get(m))
                }
            })
            .collect();
        ModeSet::from_graphs(network, modes, graphs)
    }

    /// The set of `graphs` (one per mode of `modes`, already made) with their snap indexes.
    pub fn from_graphs(
        network: &RoadNetwork,
        modes: &[TravelMode],
        graphs: Vec<ProfileGraph>,
    ) -> ModeSet {
        assert_eq!(modes.len(), graphs.len(), "one graph per mode");
        let indexes = graphs
            .par_iter()
            .map(|g| SnapIndex::build(network, g))
            .collect();
        ModeSet {
            modes: modes.to_vec(),
            graphs,
            indexes,
            hierarchies: Vec::new(),
        }
    }

    /// The same with a contraction hierarchy prepared for every mode (in parallel; a few
    /// seconds on a city): searches then run PHAST.
    pub fn with_hierarchies(mut self) -> ModeSet {
        self.hierarchies = self
            .graphs
            .par_iter()
            .map(|g| Arc::new(Hierarchy::prepare(g)))
            .collect();
        self
    }

    /// Each mode's graph and snap index, as the searches take them.
    pub fn networks(&self) -> Vec<ModeNetwork<'_>> {
        self.modes
            .iter()
            .zip(&self.graphs)
            .zip(&self.indexes)
            .map(|((&mode, graph), index)| ModeNetwork { mode, graph, index })
            .collect()
    }

    /// PHAST on the hierarchies when they are prepared, else Dijkstra.
    pub fn engine(&self) -> Engine<'_> {
        if self.hierarchies.is_empty() {
            Engine::Dijkstra
        } else {
            Engine::Phast(&self.hierarchies)
        }
    }

    /// Where `mode` is in the set.
    pub fn position(&self, mode: TravelMode) -> Option<usize> {
        self.modes.iter().position(|&m| m == mode)
    }

    /// The graph coverage is measured on (the first mode's).
    pub fn measure(&self) -> &ProfileGraph {
        &self.graphs[0]
    }
}
