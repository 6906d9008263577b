//! `patrolmap scenario random`: seeded random scenarios for benchmarks and demos.

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
}

pub fn run(cmd: ScenarioCommand) -> Result<()> {
    match cmd {
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
