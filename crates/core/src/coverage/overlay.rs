//! The coverage overlay: road pieces cut exactly where the nearest-unit arrival time crosses
//! each budget, each with its tier and its range of arrival times, as GeoJSON.

use rayon::prelude::*;
use serde_json::{json, Value};

use super::reach::ModeReach;
use super::Placement;
use crate::network::geodesy::{haversine_m, point_along_lengths};
use crate::network::{ProfileGraph, RoadNetwork};

/// A piece of one edge reached within some budget.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RoadPiece {
    /// The edge.
    pub edge: u32,
    /// Start, as a fraction of the edge's length.
    pub from: f64,
    /// End, as a fraction of the edge's length.
    pub to: f64,
    /// Index of the smallest budget within which the whole piece is reached.
    pub tier: usize,
    /// Earliest arrival on the piece, in seconds.
    pub min_time_s: f64,
    /// Latest arrival on the piece, in seconds.
    pub max_time_s: f64,
}

/// An arrival-time line `start_s + slope_s · f` valid for `f` in `[lo, hi]`.
#[derive(Clone, Copy, Debug)]
struct Line {
    start_s: f64,
    slope_s: f64,
    lo: f64,
    hi: f64,
}

impl Line {
    #[inline]
    fn at(&self, f: f64) -> f64 {
        self.start_s + self.slope_s * f
    }
}

/// Cuts every reached edge of `measure` into pieces by the nearest unit's arrival time and
/// `budgets_s` (ascending). `modes` needs only nearest times (k = 1).
pub fn road_pieces(
    network: &RoadNetwork,
    measure: &ProfileGraph,
    modes: &[ModeReach],
    placements: &[Placement],
    budgets_s: &[f64],
) -> Vec<RoadPiece> {
    let max_budget_s = budgets_s.iter().fold(0.0f64, |a, &b| a.max(b));
    let by_edge = super::placements_by_edge(network.edges.len(), placements);
    // Edges are cut independently: fixed chunks over the cores, joined in edge order (the
    // command map cuts the whole city on every what-if).
    const CHUNK: usize = 8192;
    let edge_count = network.edges.len();
    let chunks: Vec<Vec<RoadPiece>> = (0..edge_count.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut pieces = Vec::new();
            let mut lines: Vec<Line> = Vec::new();
            let mut cuts: Vec<f64> = Vec::new();
            let range = c * CHUNK..((c + 1) * CHUNK).min(edge_count);
            for (e, edge) in network.edges[range.clone()].iter().enumerate() {
                let e = range.start + e;
                if !measure.is_usable(e) || edge.length_m == 0.0 {
                    continue;
                }
                lines.clear();
                for (m, mode) in modes.iter().enumerate() {
                    let Some(direction) = mode.graph.edge_direction[e] else {
                        continue;
                    };
                    let (forward_s, backward_s) = (
                        mode.graph.edge_forward_time_s[e],
                        mode.graph.edge_backward_time_s[e],
                    );
                    let (tu, tv) = (
                        mode.labels.nearest_s(edge.from),
                        mode.labels.nearest_s(edge.to),
                    );
                    if direction.allows_forward() && tu <= max_budget_s {
                        lines.push(Line {
                            start_s: tu,
                            slope_s: forward_s,
                            lo: 0.0,
                            hi: 1.0,
                        });
                    }
                    if direction.allows_backward() && tv <= max_budget_s {
                        lines.push(Line {
                            start_s: tv + backward_s,
                            slope_s: -backward_s,
                            lo: 0.0,
                            hi: 1.0,
                        });
                    }
                    for &i in &by_edge[e] {
                        let p = &placements[i];
                        if p.mode_index != m {
                            continue;
                        }
                        let g = p.fraction.clamp(0.0, 1.0);
                        if direction.allows_forward() {
                            lines.push(Line {
                                start_s: p.start_s - g * forward_s,
                                slope_s: forward_s,
                                lo: g,
                                hi: 1.0,
                            });
                        }
                        if direction.allows_backward() {
                            lines.push(Line {
                                start_s: p.start_s + g * backward_s,
                                slope_s: -backward_s,
                                lo: 0.0,
                                hi: g,
                            });
                        }
                    }
                }
                if lines.is_empty() {
                    continue;
                }
                cuts.clear();
                cuts.extend([0.0, 1.0]);
                for (i, a) in lines.iter().enumerate() {
                    cuts.extend([a.lo, a.hi]);
                    for &b in budgets_s {
                        if a.slope_s != 0.0 {
                            cuts.push((b - a.start_s) / a.slope_s);
                        }
                    }
                    for c in &lines[i + 1..] {
                        if a.slope_s != c.slope_s {
                            cuts.push((c.start_s - a.start_s) / (a.slope_s - c.slope_s));
                        }
                    }
                }
                cuts.retain(|f| (0.0..=1.0).contains(f));
                cuts.sort_by(f64::total_cmp);
                cuts.dedup();
                // Arrival on the piece [x, y] from the lines that span all of it: between two cuts one
                // of them is the least, so the arrival is linear there (it may jump at a cut, where a
                // one-way unit's line begins).
                let arrival = |f: f64, x: f64, y: f64| {
                    lines
                        .iter()
                        .filter(|l| l.lo <= x && y <= l.hi)
                        .map(|l| l.at(f))
                        .fold(f64::INFINITY, f64::min)
                };
                for w in cuts.windows(2) {
                    let (x, y) = (w[0], w[1]);
                    if y <= x {
                        continue;
                    }
                    let mid = arrival((x + y) / 2.0, x, y);
                    let Some(tier) = budgets_s.iter().position(|&b| mid <= b) else {
                        continue;
                    };
                    let (ax, ay) = (arrival(x, x, y), arrival(y, x, y));
                    let (lo_t, hi_t) = (ax.min(ay), ax.max(ay));
                    match pieces.last_mut() {
                        Some(last @ RoadPiece { .. })
                            if last.edge == e as u32 && last.tier == tier && last.to == x =>
                        {
                            last.to = y;
                            last.min_time_s = last.min_time_s.min(lo_t);
                            last.max_time_s = last.max_time_s.max(hi_t);
                        }
                        _ => pieces.push(RoadPiece {
                            edge: e as u32,
                            from: x,
                            to: y,
                            tier,
                            min_time_s: lo_t,
                            max_time_s: hi_t,
                        }),
                    }
                }
            }
            pieces
        })
        .collect();
    chunks.concat()
}

/// The part of a polyline between two fractions of its (haversine) length.
///
/// Each segment's length is computed once: the overlay and the tier polygons slice every
/// reached piece of a city.
pub fn slice_polyline(points: &[[f64; 2]], from: f64, to: f64) -> Vec<[f64; 2]> {
    let lengths: Vec<f64> = points.windows(2).map(|w| haversine_m(w[0], w[1])).collect();
    let total: f64 = lengths.iter().sum();
    let at = |fraction| point_along_lengths(points, lengths.iter().copied(), fraction);
    let (a, b) = (from * total, to * total);
    let mut out = vec![at(from)];
    let mut along = 0.0;
    for (w, &d) in points.windows(2).zip(&lengths) {
        along += d;
        if along > a && along < b {
            out.push(w[1]);
        }
    }
    out.push(at(to));
    out
}

/// The pieces as a GeoJSON FeatureCollection (RFC 7946: `[lon, lat]`, WGS 84), each with
/// `tier` (index), `budget_s`, `min_time_s`, `max_time_s`, `edge` and `length_m`.
pub fn pieces_geojson(network: &RoadNetwork, pieces: &[RoadPiece], budgets_s: &[f64]) -> Value {
    let features: Vec<Value> = pieces
        .iter()
        .map(|p| {
            let geometry = slice_polyline(network.geometry(p.edge as usize), p.from, p.to);
            json!({
                "type": "Feature",
                "properties": {
                    "tier": p.tier, "budget_s": budgets_s[p.tier],
                    "min_time_s": p.min_time_s, "max_time_s": p.max_time_s,
                    "edge": p.edge, "length_m": (p.to - p.from) * network.edges[p.edge as usize].length_m,
                },
                "geometry": {"type": "LineString", "coordinates": geometry},
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}
