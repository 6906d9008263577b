//! What a patrol plan must cover: every mandatory line matched to its road edges and every
//! checkpoint placed on its road, each with the reason when it could not be.

use rayon::prelude::*;

use super::matching::{match_line, MatchError, MatchOptions, MatchedLine};
use crate::network::{ProfileGraph, RoadNetwork, SnapIndex, SnapRefusal, Snapped};
use crate::scenario::Scenario;

/// A mandatory patrol line as matched.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LineRequirement {
    /// Index of the line in the scenario.
    pub line: usize,
    /// Its id.
    pub id: String,
    /// The matched road, or why there is none.
    pub matched: Result<MatchedLine, MatchError>,
    /// The edges (and directions) to travel for it.
    pub required: Vec<(u32, bool)>,
}

/// A checkpoint on its road.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckpointPlace {
    /// Index of the checkpoint in the scenario.
    pub checkpoint: usize,
    /// Its id.
    pub id: String,
    /// How long a patrol stays there, in seconds.
    pub dwell_s: f64,
    /// Where on the road it is (a route visits it by passing that point), or why it is not.
    #[serde(serialize_with = "serialize_place")]
    pub place: Result<Snapped, SnapRefusal>,
}

fn serialize_place<S: serde::Serializer>(
    place: &Result<Snapped, SnapRefusal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match place {
        Ok(s) => serde_json::json!({"edge": s.edge, "fraction": s.fraction, "position": s.position, "dist_m": s.dist_m}),
        Err(e) => serde_json::json!({"refused": e.to_string()}),
    }
    .serialize(serializer)
}

/// Everything a plan must cover.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Requirements {
    /// The lines, in scenario order.
    pub lines: Vec<LineRequirement>,
    /// The checkpoints, in scenario order.
    pub checkpoints: Vec<CheckpointPlace>,
}

/// Shortest part of an edge a line must follow for the edge to be required, in metres (see
/// [`MatchedLine::required`]).
pub const MIN_REQUIRED_M: f64 = 20.0;

impl Requirements {
    /// Matches every patrol line of `scenario` (in parallel) and places every checkpoint, on
    /// `graph` (the patrol's mode) within `max_snap_m` of a road.
    pub fn gather(
        network: &RoadNetwork,
        graph: &ProfileGraph,
        index: &SnapIndex,
        scenario: &Scenario,
        options: &MatchOptions,
        max_snap_m: f64,
    ) -> Requirements {
        let lines = scenario
            .patrol_lines
            .par_iter()
            .enumerate()
            .map(|(i, l)| {
                let matched = match_line(network, graph, index, &l.line, options);
                let required = matched
                    .as_ref()
                    .map(|m| m.required(network, MIN_REQUIRED_M))
                    .unwrap_or_default();
                LineRequirement {
                    line: i,
                    id: l.id.clone(),
                    matched,
                    required,
                }
            })
            .collect();
        let checkpoints = scenario
            .checkpoints
            .iter()
            .enumerate()
            .map(|(i, c)| CheckpointPlace {
                checkpoint: i,
                id: c.id.clone(),
                dwell_s: c.dwell_s,
                place: index.snap(c.position, max_snap_m),
            })
            .collect();
        Requirements { lines, checkpoints }
    }

    /// The required edges of all lines, each once, in order of first appearance.
    pub fn required_edges(&self) -> Vec<(u32, bool)> {
        let mut seen = std::collections::HashSet::new();
        self.lines
            .iter()
            .flat_map(|l| l.required.iter().copied())
            .filter(|r| seen.insert(*r))
            .collect()
    }

    /// Driving time of the required edges on `graph` plus the checkpoints' dwell: a patrol
    /// plan of any number of units takes at least this much in all, in seconds.
    pub fn work_s(&self, graph: &ProfileGraph) -> f64 {
        let driving: f64 = self
            .required_edges()
            .iter()
            .map(|&(e, _)| graph.edge_time_s[e as usize])
            .sum();
        let dwell: f64 = self
            .checkpoints
            .iter()
            .filter(|c| c.place.is_ok())
            .map(|c| c.dwell_s)
            .sum();
        driving + dwell
    }
}
