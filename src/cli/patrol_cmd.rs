//! `patrolmap patrol match`: the mandatory patrol lines matched to the roads and the
//! checkpoints placed on them, with what failed and why.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::json;

use super::network_cmd::{load_roads, ProfileArgs};
use crate::network::SnapIndex;
use crate::patrol::matching::MatchOptions;
use crate::patrol::requirements::Requirements;
use crate::scenario;

#[derive(Debug, Subcommand)]
pub enum PatrolCommand {
    /// Match every mandatory patrol line to the roads (hidden Markov model) and place every
    /// checkpoint on its road; report each line's fit and anything that could not be matched.
    Match {
        /// Road file: .osm.pbf or GeoJSON roads.
        #[arg(long)]
        roads: PathBuf,
        /// Scenario with `patrol_line` LineStrings and `checkpoint` Points.
        #[arg(long)]
        scenario: PathBuf,
        /// Farthest road a line's sample may be matched to, in metres.
        #[arg(long, default_value_t = 40.0)]
        radius_m: f64,
        /// Farthest a checkpoint may stand from a road, in metres.
        #[arg(long, default_value_t = 250.0)]
        max_snap_m: f64,
        /// Write the report here as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the matched roads here as GeoJSON: one MultiLineString per line.
        #[arg(long)]
        geojson: Option<PathBuf>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
}

pub fn run(cmd: PatrolCommand) -> Result<()> {
    match cmd {
        PatrolCommand::Match {
            roads,
            scenario: scenario_path,
            radius_m,
            max_snap_m,
            json: json_path,
            geojson,
            profile,
        } => {
            if !(radius_m.is_finite() && (1.0..=500.0).contains(&radius_m)) {
                bail!("--radius-m must be from 1 to 500 metres");
            }
            let profiles = profile.profiles()?;
            let loaded = load_roads(&roads, &profiles, profile.profile)?;
            let network = &loaded.network;
            let scenario = scenario::load(&scenario_path)?;
            for p in &scenario.problems {
                eprintln!(
                    "warning: {}: feature {}: {}",
                    scenario_path.display(),
                    p.feature,
                    p.reason
                );
            }
            if scenario.patrol_lines.is_empty() && scenario.checkpoints.is_empty() {
                bail!(
                    "{}: no patrol lines or checkpoints",
                    scenario_path.display()
                );
            }
            let index = SnapIndex::build(network, &loaded.graph);
            let options = MatchOptions {
                radius_m,
                ..MatchOptions::default()
            };
            let start = Instant::now();
            let req = Requirements::gather(
                network,
                &loaded.graph,
                &index,
                &scenario,
                &options,
                max_snap_m,
            );
            let match_s = start.elapsed().as_secs_f64();
            let lines: Vec<_> = req
                .lines
                .iter()
                .map(|l| match &l.matched {
                    Ok(m) => json!({"id": l.id, "drawn_m": m.drawn_length_m, "matched_m": m.matched_length_m,
                        "mean_dist_m": m.mean_dist_m, "max_dist_m": m.max_dist_m, "required_edges": l.required.len()}),
                    Err(e) => json!({"id": l.id, "error": e.to_string()}),
                })
                .collect();
            let checkpoints: Vec<_> = req
                .checkpoints
                .iter()
                .map(|c| match &c.place {
                    Ok(s) => json!({"id": c.id, "edge": s.edge, "fraction": s.fraction, "dist_m": s.dist_m, "dwell_s": c.dwell_s}),
                    Err(e) => json!({"id": c.id, "error": e.to_string()}),
                })
                .collect();
            let required = req.required_edges();
            let required_m: f64 = required
                .iter()
                .map(|&(e, _)| network.edges[e as usize].length_m)
                .sum();
            let matched = req.lines.iter().filter(|l| l.matched.is_ok()).count();
            let placed = req.checkpoints.iter().filter(|c| c.place.is_ok()).count();
            let report = json!({
                "mode": profile.profile.as_str(),
                "lines": lines, "checkpoints": checkpoints,
                "lines_matched": matched, "checkpoints_placed": placed,
                "required_edges": required.len(), "required_m": required_m,
                "work_s": req.work_s(&loaded.graph),
                "timings_ms": {"match": match_s * 1e3},
            });
            println!(
                "{matched} of {} patrol lines matched ({} road edges, {:.2} km to travel); {placed} of {} checkpoints placed; driving + dwell at least {:.0} s; matched in {:.0} ms",
                req.lines.len(),
                required.len(),
                required_m / 1e3,
                req.checkpoints.len(),
                req.work_s(&loaded.graph),
                match_s * 1e3
            );
            for l in &req.lines {
                match &l.matched {
                    Ok(m) => println!(
                        "  line {}: drawn {:.0} m, matched {:.0} m, off the road {:.1} m on average, {:.1} m at most",
                        l.id, m.drawn_length_m, m.matched_length_m, m.mean_dist_m, m.max_dist_m
                    ),
                    Err(e) => println!("  line {}: NOT MATCHED: {e}", l.id),
                }
            }
            for c in req.checkpoints.iter().filter(|c| c.place.is_err()) {
                if let Err(e) = &c.place {
                    println!("  checkpoint {}: NOT PLACED: {e}", c.id);
                }
            }
            if let Some(path) = &json_path {
                std::fs::write(path, serde_json::to_string_pretty(&report)?)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            if let Some(path) = &geojson {
                let features: Vec<_> = req
                    .lines
                    .iter()
                    .filter_map(|l| l.matched.as_ref().ok().map(|m| (l, m)))
                    .map(|(l, m)| {
                        let parts: Vec<Vec<[f64; 2]>> = m
                            .traversals
                            .iter()
                            .map(|t| {
                                let mut g = crate::coverage::overlay::slice_polyline(network.geometry(t.edge as usize), t.from, t.to);
                                if !t.forward {
                                    g.reverse();
                                }
                                g
                            })
                            .collect();
                        json!({"type": "Feature", "properties": {"id": l.id, "matched_m": m.matched_length_m, "max_dist_m": m.max_dist_m},
                            "geometry": {"type": "MultiLineString", "coordinates": parts}})
                    })
                    .collect();
                let fc = json!({"type": "FeatureCollection", "features": features});
                std::fs::write(path, serde_json::to_string(&fc)?)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
            }
            if matched < req.lines.len() || placed < req.checkpoints.len() {
                eprintln!("warning: some lines or checkpoints could not be placed on the roads (listed above)");
            }
            Ok(())
        }
    }
}
