//! Response coverage: who reaches where within the 1-3-5 minute standard.
//!
//! [`place_units`] snaps units to their mode's roads, [`search`] runs the bounded searches
//! (nearest unit, or k distinct units), and [`reach::covered_lengths`] turns labels into
//! exactly covered metres, as `spec/coverage.md` defines; [`overlay`] and [`polygons`] draw
//! what is reached. [`Engine::Phast`] answers the same searches on a prepared
//! [`hierarchy::Hierarchy`]. The functions are pure: no files, no printing.

pub mod assess;
pub mod cch;
pub mod closures;
pub mod gaps;
pub mod hierarchy;
pub mod line_source;
pub mod modes;
pub mod overlay;
pub mod polygons;
pub mod radix_heap;
pub mod reach;
pub mod regions;
pub mod search;
pub mod shift;
mod standard;
pub mod summary;
pub mod traffic;
pub mod who_reaches;

pub use standard::{ResponseStandard, StandardError, Tier};

use crate::network::{ProfileGraph, RoadNetwork, SnapIndex, TravelMode};
use crate::scenario::Unit;
use hierarchy::Hierarchy;
use search::{Labels, Source};

/// A unit placed on its mode's road network.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Placement {
    /// Index of the unit in the deployment.
    pub unit: u32,
    /// Index of the unit's mode in the list of mode graphs the caller passes around.
    pub mode_index: usize,
    /// The edge it stands on.
    pub edge: u32,
    /// Where on the edge, as a fraction of its length from its first node.
    pub fraction: f64,
    /// When it starts moving (its turnout), in seconds.
    pub start_s: f64,
    /// How far it stood from the road, in metres.
    pub dist_m: f64,
}

/// A unit that could not be placed, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Unplaced {
    /// Index of the unit.
    pub unit: u32,
    /// Why.
    pub reason: String,
}

/// A travel mode's graph and snap index, as units of that mode need them.
pub struct ModeNetwork<'a> {
    /// The mode.
    pub mode: TravelMode,
    /// Its graph.
    pub graph: &'a ProfileGraph,
    /// Its snap index.
    pub index: &'a SnapIndex,
}

/// Snaps every unit onto the roads of its mode. Units farther than `max_snap_m` from a road,
/// or whose mode has no network in `modes`, are returned as [`Unplaced`].
pub fn place_units(
    units: &[Unit],
    modes: &[ModeNetwork],
    max_snap_m: f64,
) -> (Vec<Placement>, Vec<Unplaced>) {
    let (mut placed, mut unplaced) = (Vec::new(), Vec::new());
    for (i, unit) in units.iter().enumerate() {
        let Some(mode_index) = modes.iter().position(|m| m.mode == unit.mode) else {
            unplaced.push(Unplaced {
                unit: i as u32,
                reason: format!("no {} network loaded", unit.mode),
            });
            continue;
        };
        match modes[mode_index].index.snap(unit.position, max_snap_m) {
            Ok(s) => placed.push(Placement {
                unit: i as u32,
                mode_index,
                edge: s.edge,
                fraction: s.fraction,
                start_s: unit.turnout_s,
                dist_m: s.dist_m,
            }),
            Err(e) => unplaced.push(Unplaced {
                unit: i as u32,
                reason: e.to_string(),
            }),
        }
    }
    (placed, unplaced)
}

/// `by_edge[e]`: the indices of the placements standing on edge `e`.
pub(crate) fn placements_by_edge(edge_count: usize, placements: &[Placement]) -> Vec<Vec<usize>> {
    let mut by_edge = vec![Vec::new(); edge_count];
    for (i, p) in placements.iter().enumerate() {
        by_edge[p.edge as usize].push(i);
    }
    by_edge
}

/// The graph entries of a placed unit: to the edge's last node if it may go forward, to its
/// first node if it may go backward (`spec/coverage.md` §2).
pub fn sources_of(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    p: &Placement,
    out: &mut Vec<Source>,
) {
    let e = p.edge as usize;
    let Some(direction) = graph.edge_direction[e] else {
        return;
    };
    let edge = &network.edges[e];
    if direction.allows_forward() {
        out.push(Source {
            node: edge.to,
            time_s: p.start_s + (1.0 - p.fraction) * graph.edge_forward_time_s[e],
            unit: p.unit,
        });
    }
    if direction.allows_backward() {
        out.push(Source {
            node: edge.from,
            time_s: p.start_s + p.fraction * graph.edge_backward_time_s[e],
            unit: p.unit,
        });
    }
}

/// How the searches run.
#[derive(Clone, Copy, Debug, Default)]
pub enum Engine<'a> {
    /// Dijkstra on each mode graph: nothing to prepare, so best for a single query.
    #[default]
    Dijkstra,
    /// PHAST on each mode graph's prepared [`Hierarchy`] (indexed like the graphs): a
    /// preparation once, then every query several times faster (the command map's what-ifs).
    Phast(&'a [std::sync::Arc<Hierarchy>]),
}

impl Engine<'_> {
    /// Its name, as reports say it: `dijkstra` or `phast`.
    ///
    /// ```
    /// assert_eq!(patrolmap_core::coverage::Engine::Dijkstra.name(), "dijkstra");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Dijkstra => "dijkstra",
            Engine::Phast(_) => "phast",
        }
    }
}

/// Runs one search per mode: `k` labels per node from distinct units (the nearest unit when
/// `k == 1`), up to `cutoff_s`, with Dijkstra. The result is indexed like `graphs`.
pub fn search(
    network: &RoadNetwork,
    graphs: &[&ProfileGraph],
    placements: &[Placement],
    k: usize,
    cutoff_s: f64,
) -> Vec<Labels> {
    search_with(Engine::Dijkstra, network, graphs, placements, k, cutoff_s)
}

/// Like [`search`], on the given engine.
pub fn search_with(
    engine: Engine,
    network: &RoadNetwork,
    graphs: &[&ProfileGraph],
    placements: &[Placement],
    k: usize,
    cutoff_s: f64,
) -> Vec<Labels> {
    per_mode(
        network,
        graphs,
        placements,
        |m, graph, sources| match engine {
            Engine::Dijkstra => search::k_nearest(graph, sources, k.max(1), cutoff_s),
            Engine::Phast(h) => h[m].k_nearest(sources, k.max(1), cutoff_s),
        },
    )
}

/// Nearest-unit times at every node: with Dijkstra, like [`search`] with `k == 1` but
/// recording only times, not which unit (the fastest way to covered length and node times);
/// with PHAST, its nearest-unit sweep.
pub fn search_nearest_times(
    engine: Engine,
    network: &RoadNetwork,
    graphs: &[&ProfileGraph],
    placements: &[Placement],
    cutoff_s: f64,
) -> Vec<Labels> {
    per_mode(
        network,
        graphs,
        placements,
        |m, graph, sources| match engine {
            Engine::Dijkstra => search::nearest_times(graph, sources, cutoff_s),
            Engine::Phast(h) => h[m].nearest_times(sources, cutoff_s),
        },
    )
}

/// Runs `search` once per mode graph on the sources of that mode's units.
fn per_mode(
    network: &RoadNetwork,
    graphs: &[&ProfileGraph],
    placements: &[Placement],
    search: impl Fn(usize, &ProfileGraph, &[Source]) -> Labels,
) -> Vec<Labels> {
    let mut sources = Vec::new();
    graphs
        .iter()
        .enumerate()
        .map(|(m, graph)| {
            sources.clear();
            for p in placements.iter().filter(|p| p.mode_index == m) {
                sources_of(network, graph, p, &mut sources);
            }
            search(m, graph, &sources)
        })
        .collect()
}

/// Nearest-unit time at every node over all modes (infinite where none arrives in time).
pub fn nearest_node_times(labels: &[Labels], node_count: usize) -> Vec<f64> {
    (0..node_count as u32)
        .map(|v| {
            labels
                .iter()
                .map(|l| l.nearest_s(v))
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}
