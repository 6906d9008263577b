//! What a patrol plan must cover: every mandatory line matched to its road edges and every
//! checkpoint placed on its road, each with the reason when it could not be.

use rayon::prelude::*;

use super::matching::{match_line, MatchError, MatchOptions, MatchedLine};
use crate::network::profile::AccessRule;
use crate::network::{
    Profile, ProfileGraph, RoadNetwork, SnapIndex, SnapRefusal, Snapped, TravelMode,
};
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

/// Every road of `network` for `mode`, whatever its class or access, either way: the graph
/// a failed line is matched on again to find the true reason.
fn open_roads(network: &RoadNetwork, mode: TravelMode) -> (ProfileGraph, SnapIndex) {
    let mut profile = Profile::default_for(mode);
    profile.osm_classes = network.class_names().iter().cloned().collect();
    profile.access = AccessRule::Police;
    profile.respects_oneway = false;
    let graph = ProfileGraph::build(network, &profile);
    let index = SnapIndex::build(network, &graph);
    (graph, index)
}

/// The true reason a line did not match on `graph`: matched on every road either way, the
/// first road it follows that `graph` may not use, or the first one-way it runs against;
/// else the matcher's own reason (the roads do not join, or none is near).
fn why_not_matched(
    network: &RoadNetwork,
    graph: &ProfileGraph,
    open_graph: &ProfileGraph,
    open_index: &SnapIndex,
    line: &[[f64; 2]],
    options: &MatchOptions,
    error: MatchError,
) -> MatchError {
    if matches!(error, MatchError::TooShort) {
        return error;
    }
    let Ok(matched) = match_line(network, open_graph, open_index, line, options) else {
        return error;
    };
    let required = matched.required(network, MIN_REQUIRED_M);
    let at = |e: u32| network.geometry(e as usize)[0];
    if let Some(&(e, _)) = required
        .iter()
        .find(|(e, _)| graph.edge_direction[*e as usize].is_none())
    {
        let edge = &network.edges[e as usize];
        return MatchError::ExcludedRoad {
            at: at(e),
            edge: e,
            class: network.class_name(edge.class).to_string(),
            access: edge.access.as_str(),
            mode: graph.mode,
        };
    }
    let against = required.iter().find(|&&(e, forward)| {
        graph.edge_direction[e as usize].is_some_and(|d| {
            if forward {
                !d.allows_forward()
            } else {
                !d.allows_backward()
            }
        })
    });
    match against {
        Some(&(e, _)) => MatchError::AgainstOneWay { at: at(e), edge: e },
        None => error,
    }
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
        // Built only when a line fails: every road, either way, to tell why.
        let open = std::sync::OnceLock::new();
        let lines = scenario
            .patrol_lines
            .par_iter()
            .enumerate()
            .map(|(i, l)| {
                let matched = match_line(network, graph, index, &l.line, options).map_err(|e| {
                    let (open_graph, open_index) =
                        open.get_or_init(|| open_roads(network, graph.mode));
                    why_not_matched(network, graph, open_graph, open_index, &l.line, options, e)
                });
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
            .map(|&(e, _)| graph.quickest_time_s(e))
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

/// How every line was matched and every checkpoint placed: what `patrolmap patrol match`
/// reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MatchReport {
    /// The patrols' travel mode.
    pub mode: crate::network::TravelMode,
    /// Each line's fit, or why it was not matched.
    pub lines: Vec<LineFit>,
    /// Each checkpoint's place, or why it was not placed.
    pub checkpoints: Vec<CheckpointFit>,
    /// Lines matched.
    pub lines_matched: usize,
    /// Checkpoints placed.
    pub checkpoints_placed: usize,
    /// Road edges to travel.
    pub required_edges: usize,
    /// Their length, in metres.
    pub required_m: f64,
    /// Driving them plus every dwell, in seconds: no plan can take less.
    pub work_s: f64,
    /// Where the time went, in milliseconds (the command line sets it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timings_ms: Option<MatchTimings>,
}

/// Where a matching's time went, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct MatchTimings {
    /// Matching the lines and placing the checkpoints.
    #[serde(rename = "match")]
    pub matching: f64,
}

/// How one line fits the roads.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LineFit {
    /// Its id.
    pub id: String,
    /// Its length as drawn, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drawn_m: Option<f64>,
    /// The length of road matched, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_m: Option<f64>,
    /// How far the drawing is from the road, on average and at most, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_dist_m: Option<f64>,
    /// See `mean_dist_m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_dist_m: Option<f64>,
    /// Road edges it makes required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_edges: Option<usize>,
    /// Why it could not be matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The line as a source of response, when measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_from_line: Option<crate::coverage::line_source::LineCoverage>,
}

/// Where one checkpoint stands on the roads.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CheckpointFit {
    /// Its id.
    pub id: String,
    /// The road edge it is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge: Option<u32>,
    /// Where along it, as a fraction of its length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// How far from the road it stands, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dist_m: Option<f64>,
    /// How long a patrol stays, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dwell_s: Option<f64>,
    /// Why it could not be placed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl MatchReport {
    /// The report of `requirements` gathered on `network` for `mode` on `graph`, with each
    /// line's coverage as a source when measured (`coverage[i]` for line `i`).
    pub fn of(
        network: &RoadNetwork,
        graph: &ProfileGraph,
        mode: crate::network::TravelMode,
        requirements: &Requirements,
        coverage: Option<Vec<Option<crate::coverage::line_source::LineCoverage>>>,
    ) -> MatchReport {
        let mut coverage = coverage.unwrap_or_default().into_iter();
        let lines = requirements
            .lines
            .iter()
            .map(|l| {
                let from_line = coverage.next().flatten();
                match &l.matched {
                    Ok(m) => LineFit {
                        id: l.id.clone(),
                        drawn_m: Some(m.drawn_length_m),
                        matched_m: Some(m.matched_length_m),
                        mean_dist_m: Some(m.mean_dist_m),
                        max_dist_m: Some(m.max_dist_m),
                        required_edges: Some(l.required.len()),
                        error: None,
                        coverage_from_line: from_line,
                    },
                    Err(e) => LineFit {
                        id: l.id.clone(),
                        drawn_m: None,
                        matched_m: None,
                        mean_dist_m: None,
                        max_dist_m: None,
                        required_edges: None,
                        error: Some(e.to_string()),
                        coverage_from_line: None,
                    },
                }
            })
            .collect();
        let checkpoints = requirements
            .checkpoints
            .iter()
            .map(|c| match &c.place {
                Ok(s) => CheckpointFit {
                    id: c.id.clone(),
                    edge: Some(s.edge),
                    fraction: Some(s.fraction),
                    dist_m: Some(s.dist_m),
                    dwell_s: Some(c.dwell_s),
                    error: None,
                },
                Err(e) => CheckpointFit {
                    id: c.id.clone(),
                    edge: None,
                    fraction: None,
                    dist_m: None,
                    dwell_s: None,
                    error: Some(e.to_string()),
                },
            })
            .collect();
        let required = requirements.required_edges();
        MatchReport {
            mode,
            lines,
            checkpoints,
            lines_matched: requirements
                .lines
                .iter()
                .filter(|l| l.matched.is_ok())
                .count(),
            checkpoints_placed: requirements
                .checkpoints
                .iter()
                .filter(|c| c.place.is_ok())
                .count(),
            required_edges: required.len(),
            required_m: required
                .iter()
                .map(|&(e, _)| network.edges[e as usize].length_m)
                .sum(),
            work_s: requirements.work_s(graph),
            timings_ms: None,
        }
    }
}

/// The matched lines as a GeoJSON FeatureCollection: one MultiLineString per matched line
/// (the road it follows, in its direction), with `id`, `matched_m` and `max_dist_m`.
pub fn matched_lines_geojson(
    network: &RoadNetwork,
    requirements: &Requirements,
) -> serde_json::Value {
    let features: Vec<_> = requirements
        .lines
        .iter()
        .filter_map(|l| l.matched.as_ref().ok().map(|m| (l, m)))
        .map(|(l, m)| {
            let parts: Vec<Vec<[f64; 2]>> = m
                .traversals
                .iter()
                .map(|t| {
                    let mut g = crate::coverage::overlay::slice_polyline(
                        network.geometry(t.edge as usize),
                        t.from,
                        t.to,
                    );
                    if !t.forward {
                        g.reverse();
                    }
                    g
                })
                .collect();
            serde_json::json!({"type": "Feature", "properties": {"id": l.id, "matched_m": m.matched_length_m, "max_dist_m": m.max_dist_m},
                "geometry": {"type": "MultiLineString", "coordinates": parts}})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}
