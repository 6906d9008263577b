//! `patrolmap optimize`: where the next posts go to cover the most road within a budget, the
//! scenario's units kept where they are; each suggestion with its gain, and the answer with
//! an upper bound on the best possible.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;

use super::network_cmd::{load_roads, ProfileArgs};
use super::write_json;
use crate::network::{RoadNetwork, SnapIndex};
use crate::optimize::greedy::{lazy_greedy, swap_improve};
use crate::optimize::matrix::{road_nodes, CoverageMatrix};

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Road file: .osm.pbf or GeoJSON roads.
    #[arg(long)]
    roads: PathBuf,
    /// Scenario whose units and posts stay where they are (each counted as a car post at its
    /// nearest road node).
    #[arg(long)]
    scenario: PathBuf,
    /// How many posts to add.
    #[arg(long, default_value_t = 10)]
    add: usize,
    /// The budget a post must reach road within, in seconds.
    #[arg(long, default_value_t = 180.0)]
    budget: f64,
    /// Where posts may go: `nodes` (every road node) or a GeoJSON file of Points.
    #[arg(long, default_value = "nodes")]
    candidates: String,
    /// Farthest a unit or candidate point may stand from a road, in metres.
    #[arg(long, default_value_t = 250.0)]
    max_snap_m: f64,
    /// Write the report here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the suggested posts here as GeoJSON Points (rank, gain).
    #[arg(long)]
    geojson: Option<PathBuf>,
    #[command(flatten)]
    profile: ProfileArgs,
}

/// The road node nearest to `position` (the nearer end of the road it snaps to).
fn node_at(
    network: &RoadNetwork,
    index: &SnapIndex,
    position: [f64; 2],
    max_snap_m: f64,
) -> Option<u32> {
    let s = index.snap(position, max_snap_m).ok()?;
    let edge = &network.edges[s.edge as usize];
    Some(if s.fraction < 0.5 { edge.from } else { edge.to })
}

/// Candidate points from a GeoJSON file: every Point feature.
fn read_points(path: &Path) -> Result<Vec<[f64; 2]>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the candidates {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let features = value["features"]
        .as_array()
        .with_context(|| format!("{}: not a GeoJSON FeatureCollection", path.display()))?;
    let points: Vec<[f64; 2]> = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .filter_map(|f| serde_json::from_value(f["geometry"]["coordinates"].clone()).ok())
        .collect();
    if points.is_empty() {
        bail!("{}: no Point features to use as candidates", path.display());
    }
    Ok(points)
}

pub fn run(args: OptimizeArgs) -> Result<()> {
    if !(args.budget.is_finite() && args.budget > 0.0 && args.budget <= 3600.0) {
        bail!("--budget must be from 1 to 3600 seconds");
    }
    if args.add == 0 || args.add > 1000 {
        bail!("--add must be from 1 to 1000");
    }
    let loaded = load_roads(&args.roads, &args.profile.profiles()?, args.profile.profile)?;
    let (network, graph) = (&loaded.network, &loaded.graph);
    let index = SnapIndex::build(network, graph);
    let scenario = crate::scenario::load(&args.scenario)?;
    let existing: Vec<u32> = scenario
        .units
        .iter()
        .filter_map(|u| node_at(network, &index, u.position, args.max_snap_m))
        .collect();
    let mut candidates: Vec<u32> = if args.candidates == "nodes" {
        road_nodes(network, graph)
    } else {
        let path = Path::new(&args.candidates);
        read_points(path)?
            .into_iter()
            .filter_map(|p| node_at(network, &index, p, args.max_snap_m))
            .collect()
    };
    candidates.sort_unstable();
    candidates.dedup();
    if candidates.is_empty() {
        bail!("no candidate stands within {} m of a road", args.max_snap_m);
    }
    let start = Instant::now();
    let matrix = CoverageMatrix::build(network, graph, &candidates, &existing, args.budget);
    let matrix_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let best = swap_improve(&matrix, &lazy_greedy(&matrix, args.add));
    let select_s = start.elapsed().as_secs_f64();
    let share = |w: f64| {
        if matrix.total_m > 0.0 {
            (w + matrix.existing_m) / matrix.total_m
        } else {
            0.0
        }
    };
    println!(
        "{} posts added of {} candidates: {:.2}% of road reached whole within {:.0} s (the {} units alone: {:.2}%); no {} posts can do better than {:.2}%; matrix {:.2} s, selection {:.2} s",
        best.chosen.len(),
        candidates.len(),
        100.0 * share(best.covered),
        args.budget,
        existing.len(),
        100.0 * share(0.0),
        args.add,
        100.0 * share(best.upper_bound),
        matrix_s,
        select_s
    );
    let posts: Vec<serde_json::Value> = best
        .chosen
        .iter()
        .zip(&best.gains)
        .enumerate()
        .map(|(rank, (&c, &gain))| {
            let node = candidates[c];
            let p = network.nodes[node as usize];
            println!(
                "  {:>3}. node {node} at [{:.6}, {:.6}]: {:.0} m of road only it covers",
                rank + 1,
                p[0],
                p[1],
                gain
            );
            json!({"rank": rank + 1, "node": node, "position": p, "gain_m": gain})
        })
        .collect();
    if let Some(path) = &args.json {
        write_json(
            path,
            &json!({
                "budget_s": args.budget, "added": posts, "candidates": candidates.len(), "existing_units": existing.len(),
                "share_before": share(0.0), "share": share(best.covered), "upper_bound_share": share(best.upper_bound),
                "demand_items": matrix.weights.len(),
                "timings_ms": {"matrix": matrix_s * 1e3, "select": select_s * 1e3},
            }),
        )?;
    }
    if let Some(path) = &args.geojson {
        let features: Vec<_> = posts
            .iter()
            .map(|p| json!({"type": "Feature", "properties": {"kind": "post", "id": format!("suggested-{}", p["rank"]), "rank": p["rank"], "gain_m": p["gain_m"]},
                "geometry": {"type": "Point", "coordinates": p["position"]}}))
            .collect();
        write_json(
            path,
            &json!({"type": "FeatureCollection", "features": features}),
        )?;
    }
    Ok(())
}
