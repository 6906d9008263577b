//! A placement question answered the same way for the command line and the server: the new
//! posts ranked with what each adds, the shares before and after, the bound and whether the
//! answer is proven, and for the fewest posts what cannot be met and why.

use std::time::Instant;

use super::cover::fewest;
use super::exact::Limits;
use super::matrix::Target;
use super::problem::{DemandKind, Prepared};
use crate::network::RoadNetwork;

/// The question asked of a prepared matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ask {
    /// The most demand met by this many more posts.
    Add(usize),
    /// The fewest posts meeting all of it.
    Cover,
}

/// A suggested post.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SuggestedPost {
    /// 1 = the most useful alone.
    pub rank: usize,
    /// Its road node.
    pub node: u32,
    /// Where it stands, `[lon, lat]`.
    pub position: [f64; 2],
    /// What it adds at its turn (metres of road, or site weight).
    pub gain: f64,
}

/// Demand no choice of posts meets.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Unmet {
    /// What: `checkpoint ID`, `edge N`…
    pub element: String,
    /// The target's index.
    pub target: u32,
    /// Why.
    pub why: String,
}

/// An answer.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Answer {
    /// The new posts, most useful first.
    pub added: Vec<SuggestedPost>,
    /// The share of demand the existing units meet.
    pub share_before: f64,
    /// With the new posts.
    pub share: f64,
    /// No as many posts can do better (for `Add`).
    pub upper_bound_share: f64,
    /// Proven optimal (`Add`) or proven the fewest (`Cover`).
    pub proven: bool,
    /// The answer's gap to its bound, as a fraction of the bound (`Add`).
    pub gap: f64,
    /// No fewer posts meet all (`Cover`).
    pub lower_bound: usize,
    /// What cannot be met and why.
    pub cannot_be_met: Vec<Unmet>,
    /// Candidate places considered.
    pub candidates: usize,
    /// Existing units counted.
    pub existing_units: usize,
    /// Demand items after merging.
    pub demand_items: usize,
    /// Branch-and-bound nodes searched.
    pub nodes: usize,
    /// Sites or units left out, with why.
    pub skipped: Vec<String>,
    /// The time allowed ran out before the answer was proven (it is the best found by then).
    pub time_ran_out: bool,
    /// What was counted.
    pub demand: DemandKind,
    /// The targets of the objective.
    pub targets: Vec<Target>,
    /// Where the time went, in milliseconds.
    pub timings_ms: PlacementTimings,
}

/// Where a placement answer's time went, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PlacementTimings {
    /// Preparing the question: mostly the candidate-to-demand matrix.
    pub matrix: f64,
    /// The search.
    pub search: f64,
}

/// Answers `ask` on `prepared` (made for `targets`).
pub fn answer(
    network: &RoadNetwork,
    prepared: &Prepared,
    targets: &[Target],
    ask: Ask,
    limits: &Limits,
) -> Answer {
    let started = Instant::now();
    let m = &prepared.matrix;
    // Runs until proven or out of time: not counted in steps.
    limits.stop.stage("search", 0);
    let (selection, bound, proven, gap, lower_bound, nodes) = match ask {
        Ask::Add(k) => {
            let s = super::best_k(m, k, limits);
            let gap = s.gap();
            (s.selection, s.bound, s.proven, gap, 0, s.nodes)
        }
        Ask::Cover => {
            let c = fewest(m, limits);
            let value = c.selection.value;
            (c.selection, value, c.minimal, 0.0, c.lower_bound, 0)
        }
    };
    let cannot_be_met = m
        .shortfalls
        .iter()
        .map(|s| {
            let element = prepared.points.get(s.element as usize).map_or_else(
                || format!("edge {}", s.element),
                |p| format!("{} {}", p.kind, p.id),
            );
            let t = targets[s.target as usize];
            let why = if s.candidates == 0 {
                format!("no candidate place reaches it within {} s", t.budget_s)
            } else {
                format!(
                    "needs {} more units within {} s; only {} candidate places reach it",
                    s.need, t.budget_s, s.candidates
                )
            };
            Unmet {
                element,
                target: s.target,
                why,
            }
        })
        .collect();
    let added = selection
        .chosen
        .iter()
        .zip(&selection.gains)
        .enumerate()
        .map(|(rank, (&c, &gain))| {
            let node = prepared.candidate_nodes[c];
            SuggestedPost {
                rank: rank + 1,
                node,
                position: network.nodes[node as usize],
                gain,
            }
        })
        .collect();
    let search_ms = started.elapsed().as_secs_f64() * 1e3;
    Answer {
        added,
        share_before: m.share(0.0),
        share: m.share(selection.value),
        upper_bound_share: m.share(bound),
        proven,
        gap,
        lower_bound,
        cannot_be_met,
        candidates: prepared.candidate_nodes.len(),
        existing_units: prepared.existing_units,
        demand_items: m.weights.len(),
        nodes,
        skipped: prepared.skipped.clone(),
        time_ran_out: !proven && limits.stop.should_stop(),
        demand: prepared.demand,
        targets: targets.to_vec(),
        timings_ms: PlacementTimings {
            matrix: prepared.prepare_ms,
            search: search_ms,
        },
    }
}

/// Posts as a GeoJSON FeatureCollection of Points (`kind: post`, id `suggested-RANK`, and
/// every other field of the post as a property): a file a planner opens in QGIS or imports
/// back into a scenario as posts. `position` says where each post stands, `rank` its rank.
///
/// ```
/// use patrolmap_core::optimize::answer::{posts_geojson, SuggestedPost};
/// let post = SuggestedPost { rank: 1, node: 7, position: [10.0, 20.0], gain: 300.0 };
/// let fc = posts_geojson(&[post], |p| p.position, |p| p.rank);
/// assert_eq!(fc["features"][0]["properties"]["id"], "suggested-1");
/// assert_eq!(fc["features"][0]["geometry"]["coordinates"][1], 20.0);
/// ```
pub fn posts_geojson<T: serde::Serialize>(
    posts: &[T],
    position: impl Fn(&T) -> [f64; 2],
    rank: impl Fn(&T) -> usize,
) -> serde_json::Value {
    use serde_json::json;
    let features: Vec<_> = posts
        .iter()
        .map(|p| {
            let mut props = serde_json::to_value(p).unwrap_or_default();
            if let Some(o) = props.as_object_mut() {
                o.remove("position");
                o.insert("kind".into(), json!("post"));
                o.insert("id".into(), json!(format!("suggested-{}", rank(p))));
            }
            json!({"type": "Feature", "properties": props,
                "geometry": {"type": "Point", "coordinates": position(p)}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}
