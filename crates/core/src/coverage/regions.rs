//! Coverage of a province region by region (issue 20 item 2): each region (a city, or the
//! motorways between them) is measured on a network of its own, its roads and every road
//! within the largest budget of reaching them (its halo), with the units standing there. No
//! path of at most that budget into a region leaves its halo, so the sum over the regions is
//! the province's coverage, exactly; the regions are measured in parallel, and a what-if that
//! moves a unit measures again only the regions whose halo holds it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use super::assess::{self, Roads};
use super::hierarchy::Hierarchy;
use super::modes::ModeSet;
use super::{Engine, Placement, ResponseStandard};
use crate::network::province::part;
use crate::network::{ProfileGraph, ProfileSet, RoadNetwork};
use crate::scenario::Scenario;

/// A region of a province, prepared to be measured alone.
pub struct Region {
    /// Its name.
    pub name: String,
    /// Its roads, in the province's edge numbering.
    pub edges: Range<usize>,
    /// Its roads first (as many as `edges`, in order), then its halo's.
    pub network: RoadNetwork,
    /// The graphs of `network`, one per mode (in the province's order), and their
    /// hierarchies; no snap index, as units are placed on the province's roads.
    pub graphs: Vec<ProfileGraph>,
    hierarchies: Vec<Arc<Hierarchy>>,
    /// `(province edge, edge of network)`, sorted.
    local: Vec<(u32, u32)>,
}

/// Each region's tiers.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionTiers {
    /// Per tier, the metres of the region's car road where it is met.
    pub met_m: Vec<f64>,
    /// The region's usable car road, in metres.
    pub length_m: f64,
}

impl Region {
    /// The edge of its network that is the province's edge `e`, if it has it.
    pub fn local_edge(&self, e: u32) -> Option<u32> {
        let i = self.local.binary_search_by_key(&e, |x| x.0).ok()?;
        Some(self.local[i].1)
    }

    /// Its tiers of `standard` from the units `placements` (placed on the province's roads)
    /// of `scenario`: those standing in its network, searched on its hierarchies.
    pub fn tiers(
        &self,
        scenario: &Scenario,
        placements: &[Placement],
        standard: &ResponseStandard,
    ) -> RegionTiers {
        let local: Vec<Placement> = placements
            .iter()
            .filter_map(|p| self.local_edge(p.edge).map(|edge| Placement { edge, ..*p }))
            .collect();
        let graphs: Vec<&ProfileGraph> = self.graphs.iter().collect();
        // The tiers' searches need no snap index: the units are placed already.
        let roads = Roads {
            network: &self.network,
            modes: &[],
            engine: Engine::Phast(&self.hierarchies),
        };
        let own = 0..self.edges.len();
        let tiers =
            assess::measure_tiers_in(roads, &graphs, scenario, standard, &local, own.clone());
        let length_m = own
            .filter(|&e| graphs[0].is_usable(e))
            .map(|e| self.network.edges[e].length_m)
            .sum();
        RegionTiers {
            met_m: tiers.iter().map(|t| t.covered_m).collect(),
            length_m,
        }
    }
}

/// Prepares each of `regions` (name, its edges of `network`) of the province `network`, whose
/// graphs per mode are `graphs` (in the order of `modes`): its halo is every node from which
/// some mode reaches one of its roads within `halo_s`, and its network its roads and every
/// road with an end in its halo. In parallel; each region's graphs and hierarchies as
/// [`ModeSet::with_hierarchies`] makes them.
pub fn prepare(
    network: &RoadNetwork,
    modes: &ModeSet,
    profiles: &ProfileSet,
    regions: &[(String, Range<usize>)],
    halo_s: f64,
) -> Vec<Region> {
    regions
        .par_iter()
        .map(|(name, edges)| {
            let mut near = vec![false; network.nodes.len()];
            for e in edges.clone() {
                near[network.edges[e].from as usize] = true;
                near[network.edges[e].to as usize] = true;
            }
            let inside = near.clone();
            for graph in &modes.graphs {
                for v in reaching(graph, &inside, halo_s) {
                    near[v as usize] = true;
                }
            }
            let mut chosen: Vec<usize> = edges.clone().collect();
            chosen.extend((0..network.edges.len()).filter(|e| {
                let edge = &network.edges[*e];
                !edges.contains(e) && (near[edge.from as usize] || near[edge.to as usize])
            }));
            let mut local: Vec<(u32, u32)> = chosen
                .iter()
                .enumerate()
                .map(|(i, &e)| (e as u32, i as u32))
                .collect();
            local.sort_unstable();
            let sub = part(network, &chosen);
            let graphs: Vec<ProfileGraph> = modes
                .modes
                .par_iter()
                .map(|&m| ProfileGraph::build(&sub, profiles.get(m)))
                .collect();
            let hierarchies = graphs
                .par_iter()
                .map(|g| Arc::new(Hierarchy::prepare(g)))
                .collect();
            Region {
                name: name.clone(),
                edges: edges.clone(),
                network: sub,
                graphs,
                hierarchies,
                local,
            }
        })
        .collect()
}

/// The nodes from which `graph` reaches a node marked in `targets` within `within_s` (a
/// bounded search backwards from all of them at once).
fn reaching(graph: &ProfileGraph, targets: &[bool], within_s: f64) -> Vec<u32> {
    let mut dist = vec![f64::INFINITY; targets.len()];
    let mut heap = BinaryHeap::new();
    for (v, &t) in targets.iter().enumerate() {
        if t {
            dist[v] = 0.0;
            heap.push(Reverse((0u64, v as u32)));
        }
    }
    let mut reached = Vec::new();
    while let Some(Reverse((bits, v))) = heap.pop() {
        let d = f64::from_bits(bits);
        if d > dist[v as usize] {
            continue;
        }
        reached.push(v);
        for (tail, time_s, _) in graph.backward.arcs(v) {
            let t = d + time_s;
            if t <= within_s && t < dist[tail as usize] {
                dist[tail as usize] = t;
                heap.push(Reverse((t.to_bits(), tail)));
            }
        }
    }
    reached
}

/// The province's tiers: each region's, in parallel, and their sum per tier.
pub fn province_tiers(
    regions: &[Region],
    scenario: &Scenario,
    placements: &[Placement],
    standard: &ResponseStandard,
) -> (Vec<RegionTiers>, Vec<f64>) {
    let each: Vec<RegionTiers> = regions
        .par_iter()
        .map(|r| r.tiers(scenario, placements, standard))
        .collect();
    let mut total = vec![0.0; standard.tiers.len()];
    for r in &each {
        for (t, m) in total.iter_mut().zip(&r.met_m) {
            *t += m;
        }
    }
    (each, total)
}

/// The regions a unit standing on the province's edge `e` counts in (those whose network
/// has it): what a what-if moving it there or from there measures again.
pub fn regions_with_edge(regions: &[Region], e: u32) -> Vec<usize> {
    (0..regions.len())
        .filter(|&r| regions[r].local_edge(e).is_some())
        .collect()
}
