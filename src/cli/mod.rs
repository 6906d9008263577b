//! The `patrolmap` command line: a thin layer of argument parsing, files and printing over the
//! library. Errors carry their context up to here and are printed once, with a non-zero exit.

mod coverage_cmd;
mod db_cmd;
mod live_cmd;
mod network_cmd;
mod optimize_cmd;
mod patrol_cmd;
mod progress;
mod scenario_cmd;
mod serve_cmd;
mod user_cmd;

use std::process::ExitCode;

use anyhow::{Context, Result};

use clap::{Parser, Subcommand};

/// patrolmap: plan police patrols and 1-3-5 minute rapid response on real road networks.
#[derive(Debug, Parser)]
#[command(name = "patrolmap", version, about, long_about = None)]
#[command(
    after_help = "Start here: `patrolmap serve` and open http://127.0.0.1:8080/ (the demo city).\n\nRoad data: OpenStreetMap .osm.pbf or GeoJSON roads. \
Map data © OpenStreetMap contributors (ODbL).\n\nExamples:\n  \
patrolmap network info data/campo-grande.osm.pbf\n  \
patrolmap network export data/campo-grande.osm.pbf -o roads.geojson\n  \
patrolmap coverage --roads data/campo-grande.osm.pbf --scenario data/demo-scenario.geojson --k 3"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Road networks: load, inspect and export.
    #[command(subcommand)]
    Network(network_cmd::NetworkCommand),
    /// Response coverage of a deployment: 1-3-5 minute tiers, reinforcement, node times.
    Coverage(coverage_cmd::CoverageArgs),
    /// The command map: serve the API, vector tiles and the web view (the bundled demo city
    /// when no roads are given).
    Serve(serve_cmd::ServeArgs),
    /// Patrol routes: match the lines to the roads, plan, check.
    #[command(subcommand)]
    Patrol(patrol_cmd::PatrolCommand),
    /// Where the next posts go: the most demand met by K more, or the fewest meeting all of
    /// it; coverage, reinforcement or a weighted mix of tiers, units kept.
    Optimize(optimize_cmd::OptimizeArgs),
    /// Event security: temporary posts for a venue and their compliance, tier by tier.
    #[command(subcommand)]
    Event(optimize_cmd::EventCommand),
    /// The scenario store: list, back up, restore.
    #[command(subcommand)]
    Db(db_cmd::DbCommand),
    /// Live operations: replay recorded unit tracks into a server (drills, tests).
    #[command(subcommand)]
    Live(live_cmd::LiveCommand),
    /// Users of the server: add one (prints a token), new tokens, list, remove.
    #[command(subcommand)]
    User(user_cmd::UserCommand),
    /// The audit log: who changed what, when, from where; as CSV with --csv.
    Audit(user_cmd::AuditArgs),
    /// Scenario files: check what one holds, convert it (formats, coordinate systems), or
    /// generate seeded random ones.
    #[command(subcommand)]
    Scenario(scenario_cmd::ScenarioCommand),
    /// Any layer file (coverage layers, patrol routes, roads) in another format or coordinate
    /// system: GeoJSON, Shapefile, GeoPackage, KML, CSV, GPX; WGS 84, CGCS2000, Gauss-Krüger,
    /// GCJ-02.
    Convert(scenario_cmd::ConvertArgs),
}

/// Flags renamed so that the command line, the API and the JSON say the same (`budget_s`,
/// `shift_s`…): the old spelling still works for this release, with a note.
const RENAMED: [(&str, &str); 4] = [
    ("--budget", "--budget-s"),
    ("--time-limit", "--time-limit-s"),
    ("--shift", "--shift-s"),
    ("--coverage-every", "--coverage-every-s"),
];

/// The notes for the renamed flags among `args`.
fn deprecation_notes(args: &[String]) -> Vec<String> {
    args.iter()
        .filter_map(|a| {
            let flag = a.split('=').next().unwrap_or(a);
            RENAMED
                .iter()
                .find(|(old, _)| *old == flag)
                .map(|(old, new)| {
                    format!(
                        "warning: {old} is now {new}; {old} will stop working in the next release"
                    )
                })
        })
        .collect()
}

/// Parses a duration in seconds: `8h`, `90m`, `3600s` or plain seconds, positive and finite.
pub(crate) fn duration_s(text: &str) -> Result<f64, String> {
    crate::scenario::schedule::duration_s(text)
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    for note in deprecation_notes(&args[1.min(args.len())..]) {
        eprintln!("{note}");
    }
    let cli = Cli::parse_from(&args);
    let result = match cli.command {
        Command::Network(cmd) => network_cmd::run(cmd),
        Command::Coverage(args) => coverage_cmd::run(args),
        Command::Scenario(cmd) => scenario_cmd::run(cmd),
        Command::Convert(args) => scenario_cmd::convert(args),
        Command::Patrol(cmd) => patrol_cmd::run(cmd),
        Command::Optimize(args) => optimize_cmd::run(args),
        Command::Event(cmd) => optimize_cmd::run_event(cmd),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Db(cmd) => db_cmd::run(cmd),
        Command::Live(cmd) => live_cmd::run(cmd),
        Command::User(cmd) => user_cmd::run(cmd),
        Command::Audit(args) => user_cmd::run_audit(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The farthest a unit or site may stand from a road, in metres: a positive, finite number
/// (`inf` or `NaN` would count units on another continent as covering the city; a huge finite
/// one is asked for knowingly, as the spec's own check does).
pub(crate) fn snap_distance_m(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(m) if m.is_finite() && m > 0.0 => Ok(m),
        _ => Err(format!(
            "{text:?}: a distance in metres, a finite number above 0"
        )),
    }
}

/// Writes `value` to `path` as pretty JSON, naming the file in any error.
pub(crate) fn write_json(path: &std::path::Path, value: &impl serde::Serialize) -> Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("{}: cannot create", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut out, value)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    std::io::Write::flush(&mut out).with_context(|| format!("{}: cannot write", path.display()))
}
