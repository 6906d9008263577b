//! `patrolmap scenario random|patrol`: seeded random scenarios for benchmarks and demos.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use super::network_cmd::{load_roads, ProfileArgs};
use crate::scenario::{generate, write};

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Place units and checkpoints at random (seeded, uniform over road length) on the roads.
    Random {
        /// Road file: .osm.pbf or GeoJSON roads.
        #[arg(long)]
        roads: PathBuf,
        /// Number of units.
        #[arg(long, default_value_t = 20)]
        units: usize,
        /// Number of checkpoints.
        #[arg(long, default_value_t = 0)]
        checkpoints: usize,
        /// Random seed: the same seed gives the same scenario.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the scenario GeoJSON.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// A patrol-planning instance: mandatory lines (walks of 0.4-1.5 km along two-way streets,
    /// redrawn a few metres off the road), checkpoints (dwell 120 s) and posts, seeded.
    Patrol {
        /// Road file: .osm.pbf or GeoJSON roads.
        #[arg(long)]
        roads: PathBuf,
        /// Number of patrol lines.
        #[arg(long, default_value_t = 130)]
        lines: usize,
        /// Number of checkpoints.
        #[arg(long, default_value_t = 190)]
        checkpoints: usize,
        /// Number of posts.
        #[arg(long, default_value_t = 10)]
        posts: usize,
        /// Random seed: the same seed gives the same instance.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the scenario GeoJSON.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        profile: ProfileArgs,
    },
}

pub fn run(cmd: ScenarioCommand) -> Result<()> {
    match cmd {
        ScenarioCommand::Patrol {
            roads,
            lines,
            checkpoints,
            posts,
            seed,
            output,
            profile,
        } => {
            let loaded = load_roads(&roads, &profile.profiles()?, profile.profile)?;
            let scenario = generate::patrol_instance(
                &loaded.network,
                &loaded.graph,
                lines,
                checkpoints,
                posts,
                seed,
            );
            std::fs::write(&output, write::to_geojson(&scenario).to_string())
                .with_context(|| format!("{}: cannot write", output.display()))?;
            eprintln!(
                "wrote {} patrol lines, {checkpoints} checkpoints and {posts} posts to {}",
                scenario.patrol_lines.len(),
                output.display()
            );
            Ok(())
        }
        ScenarioCommand::Random {
            roads,
            units,
            checkpoints,
            seed,
            output,
            profile,
        } => {
            let loaded = load_roads(&roads, &profile.profiles()?, profile.profile)?;
            let scenario =
                generate::random_scenario(&loaded.network, &loaded.graph, units, checkpoints, seed);
            let text = write::to_geojson(&scenario).to_string();
            std::fs::write(&output, text)
                .with_context(|| format!("{}: cannot write", output.display()))?;
            eprintln!(
                "wrote {units} units and {checkpoints} checkpoints to {}",
                output.display()
            );
            Ok(())
        }
    }
}
