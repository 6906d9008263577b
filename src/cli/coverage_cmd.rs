//! `patrolmap coverage`: response coverage of a deployment, as `spec/coverage.md` §4 defines.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::network_cmd::{
    load_road_files, read_speeds, road_files, warn_unnamed_speeds, LoadedFiles, ProfileArgs,
};
use super::write_json;
use crate::coverage::assess::{self, Assessment};
use crate::coverage::gaps::{self, Gap};
use crate::coverage::modes::ModeSet;
use crate::coverage::polygons::{self, PolygonOptions};
use crate::coverage::summary::{CityCoverage, CoverageSummary, NetworkSize};
use crate::coverage::{overlay, ResponseStandard};
use crate::network::time_of_day;
use crate::network::{geodesy::node_key, ProfileGraph, TravelMode};

/// Arguments of `patrolmap coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Road file: .osm.pbf or GeoJSON roads. Coverage is measured on its car network. Repeat
    /// it, or give a folder, to measure several cities as one province (each city's tiers
    /// are said too).
    #[arg(long, required = true)]
    roads: Vec<PathBuf>,
    /// Scenario: GeoJSON FeatureCollection or CSV of points (units, posts, checkpoints…).
    #[arg(long)]
    scenario: PathBuf,
    /// Time budgets in seconds for the coverage rows.
    #[arg(long, value_delimiter = ',', default_value = "60,180,300")]
    budgets: Vec<f64>,
    /// Rows for 1 to K distinct units within each budget.
    #[arg(long, default_value_t = 1)]
    k: usize,
    /// The response standard, BUDGET_S:UNITS[:CLASS|CLASS],…; else the config file's
    /// `standard`; else the 1-3-5 minute standard 60:1,180:2,300:3.
    #[arg(long)]
    standard: Option<ResponseStandard>,
    /// Farthest a unit may stand from a road, in metres, before it is refused with a warning.
    #[arg(long, default_value_t = 250.0, value_parser = super::snap_distance_m)]
    max_snap_m: f64,
    /// Write the JSON summary here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write nearest-unit times of every node here, as {"lon,lat": seconds or null}.
    #[arg(long)]
    node_times: Option<PathBuf>,
    /// Write the coverage overlay here: road pieces cut at each budget, with tier and times.
    #[arg(long)]
    geojson: Option<PathBuf>,
    /// Write tier polygons here: the area within each budget (reached roads buffered and
    /// dissolved), nested, with holes where nothing reaches.
    #[arg(long)]
    polygons: Option<PathBuf>,
    /// Buffer around reached roads for --polygons, in metres.
    #[arg(long, default_value_t = 40.0)]
    buffer_m: f64,
    /// How many gaps (uncovered runs of road) to write per tier with --gaps-geojson.
    #[arg(long, default_value_t = 20)]
    gaps: usize,
    /// Write the largest gaps of each tier here as GeoJSON (the body of
    /// /api/coverage/gaps): MultiLineStrings ranked by incident weight, then length.
    #[arg(long)]
    gaps_geojson: Option<PathBuf>,
    /// Run snap, search and coverage N times and report the median of each.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Search engine: `dijkstra` needs no preparation (best for one run); `phast` prepares a
    /// contraction hierarchy per mode first (about 2 s on a city) and then answers each
    /// search several times faster (best with --repeat, and what the server uses).
    #[arg(long, value_enum, default_value_t = EngineArg::Dijkstra)]
    engine: EngineArg,
    /// TOML file overriding profile speeds and road classes.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Speeds by time of day (CSV: osm_way_id or edge_id, direction, time HH:MM or
    /// hour_of_day, speed_kph): the car network is timed at --at with them; roads not in
    /// the file keep their free-flow speed.
    #[arg(long, requires = "at")]
    speeds: Option<PathBuf>,
    /// Time of day for --speeds, HH:MM (e.g. 08:00 for the morning rush).
    #[arg(long, requires = "speeds", value_parser = time_of_day_arg)]
    at: Option<u16>,
}

/// `--at`: HH:MM as a minute of the day.
fn time_of_day_arg(text: &str) -> Result<u16, String> {
    time_of_day::parse_time(text)
        .ok_or_else(|| format!("'{text}' is not a time of day HH:MM (00:00 to 23:59)"))
}

/// The `--engine` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum EngineArg {
    Dijkstra,
    Phast,
}

impl CoverageArgs {
    /// The response standard, resolved by [`run`] from the command line, config or default.
    fn standard(&self) -> &ResponseStandard {
        self.standard
            .as_ref()
            .expect("the standard is resolved before use")
    }
}

pub fn run(mut args: CoverageArgs) -> Result<()> {
    if args.standard.is_none() {
        if let Some(path) = &args.config {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            args.standard = ResponseStandard::from_config_toml(&text)
                .with_context(|| path.display().to_string())?;
        }
    }
    let args = CoverageArgs {
        standard: Some(args.standard.unwrap_or_default()),
        ..args
    };
    if args.budgets.is_empty() || args.budgets.iter().any(|b| !(b.is_finite() && *b > 0.0)) {
        bail!("--budgets: every budget must be a positive number of seconds");
    }
    if !(1..=8).contains(&args.k) {
        bail!("--k must be from 1 to 8");
    }
    if !(args.buffer_m.is_finite() && (1.0..=1000.0).contains(&args.buffer_m)) {
        bail!("--buffer-m must be from 1 to 1000 metres");
    }
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let profile_args = ProfileArgs {
        profile: TravelMode::Car,
        config: args.config.clone(),
    };
    let profiles = profile_args.profiles()?;
    let files = road_files(&args.roads)?;
    let roads_named = (files.iter())
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let LoadedFiles { roads, cities } = load_road_files(&files, &profiles, TravelMode::Car)?;
    let scenario = crate::files::load_scenario(&args.scenario)?;
    for p in &scenario.problems {
        eprintln!(
            "warning: {}: feature {}: {}",
            args.scenario.display(),
            p.feature,
            p.reason
        );
    }
    if scenario.units.is_empty() {
        bail!(
            "{}: no responding units (Points of kind unit or post, or with no kind)",
            args.scenario.display()
        );
    }

    // One graph and snap index per mode that has units; the car graph measures coverage.
    let start = Instant::now();
    let network = &roads.network;
    let mut modes: Vec<TravelMode> = vec![TravelMode::Car];
    for u in &scenario.units {
        if !modes.contains(&u.mode) {
            modes.push(u.mode);
        }
    }
    let closed = crate::coverage::closures::closed_edges(network, &scenario.closures);
    let closed_count = closed.iter().filter(|&&c| c).count();
    let speeds = match (&args.speeds, args.at) {
        (Some(path), Some(minute)) => {
            let (table, source) = read_speeds(path)?;
            let named = table.matched_edge_count(network);
            eprintln!(
                "speeds at {:02}:{:02} from {source}: {} rows, {named} of {} road edges named",
                minute / 60,
                minute % 60,
                table.row_count(),
                network.edges.len()
            );
            warn_unnamed_speeds(&source, named, &roads_named);
            Some((table, minute))
        }
        _ => None,
    };
    let graphs: Vec<ProfileGraph> = modes
        .iter()
        .map(|&m| {
            let graph = match m {
                TravelMode::Car if closed_count == 0 => roads.graph.clone(),
                _ => ProfileGraph::build_without(network, profiles.get(m), &closed),
            };
            // Measured traffic speeds are the car network's; bikes and feet keep theirs.
            match (&speeds, m) {
                (Some((table, minute)), TravelMode::Car) => graph
                    .with_speeds_kph(network, |e, forward| {
                        table.edge_speed_kph(network, e, forward, *minute)
                    }),
                _ => graph,
            }
        })
        .collect();
    if !scenario.closures.is_empty() {
        let km: f64 = (0..network.edges.len())
            .filter(|&e| closed[e])
            .map(|e| network.edges[e].length_m)
            .sum::<f64>()
            / 1e3;
        eprintln!(
            "{} closures close {closed_count} road edges ({km:.2} km)",
            scenario.closures.len()
        );
    }
    let mut set = ModeSet::from_graphs(network, &modes, graphs);
    let load_s = roads.load_s + roads.graph_s + start.elapsed().as_secs_f64();
    let start = Instant::now();
    if args.engine == EngineArg::Phast {
        set = set.with_hierarchies();
    }
    let prepare_s = start.elapsed().as_secs_f64();
    let mode_networks = set.networks();
    let engine = set.engine();

    let options = assess::Options {
        budgets_s: args.budgets.clone(),
        k: args.k,
        standard: args.standard().clone(),
        max_snap_m: args.max_snap_m,
        pieces: args.geojson.is_some() || args.polygons.is_some(),
        ..assess::Options::default()
    };
    let roads = assess::Roads {
        network,
        modes: &mode_networks,
        engine,
    };
    let runs: Vec<Assessment> = (0..args.repeat)
        .map(|_| assess::assess(roads, &scenario, &options))
        .collect();
    let median = |f: fn(&assess::Timings) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(|r| f(&r.timings)).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (snap_s, search_s, coverage_s) = (
        median(|t| t.snap_s),
        median(|t| t.search_s),
        median(|t| t.coverage_s),
    );
    let (tiers_s, points_s) = (median(|t| t.tiers_s), median(|t| t.points_s));
    let result = &runs[0];
    for u in &result.unplaced {
        let unit = &scenario.units[u.unit as usize];
        eprintln!(
            "warning: {}: unit {} (feature {}) refused: {}",
            args.scenario.display(),
            unit.id,
            unit.feature,
            u.reason
        );
    }
    for p in &result.points {
        if let Some(reason) = &p.refused {
            eprintln!(
                "warning: {}: {} {} not placed on a road: {reason}",
                args.scenario.display(),
                p.kind,
                p.id
            );
        }
    }
    let measure = set.measure();
    let total_m = result.total_m;
    let mut summary = CoverageSummary::of(
        0,
        result,
        &scenario,
        &options,
        NetworkSize::of(network, measure, total_m),
        closed_count,
        engine.name(),
        snap_s + search_s + coverage_s + tiers_s + points_s,
    );
    // The medians of the runs, and what only the command line spends.
    let t = &mut summary.timings_ms;
    t.load = Some(load_s * 1e3);
    t.prepare = Some(prepare_s * 1e3);
    (t.snap, t.search, t.coverage) = (snap_s * 1e3, search_s * 1e3, coverage_s * 1e3);
    (t.tiers, t.points) = (tiers_s * 1e3, points_s * 1e3);
    summary.cities = CityCoverage::of_cities(roads, &options.standard, &result.tiers, &cities);
    if let Some(path) = &args.json {
        write_json(path, &summary)?;
    }
    if let Some(path) = &args.gaps_geojson {
        let gaps: Vec<Vec<Gap>> = result.tiers.iter().map(|t| t.gaps.clone()).collect();
        write_json(
            path,
            &gaps::gaps_geojson(network, &options.standard, &gaps, args.gaps, None),
        )?;
    }
    if args.geojson.is_some() || args.polygons.is_some() {
        let budgets = options.piece_budgets();
        let pieces = &result.pieces;
        if let Some(path) = &args.geojson {
            write_json(path, &overlay::pieces_geojson(network, pieces, &budgets))?;
        }
        if let Some(path) = &args.polygons {
            let options = PolygonOptions {
                buffer_m: args.buffer_m,
                cell_m: (args.buffer_m / 2.0).max(1.0),
            };
            let tiers = polygons::tier_polygons(network, pieces, budgets.len(), options);
            write_json(
                path,
                &polygons::polygons_geojson(&tiers, &budgets, args.buffer_m),
            )?;
        }
    }
    if let Some(path) = &args.node_times {
        // Unreached nodes as null.
        let times: std::collections::BTreeMap<String, Option<f64>> = (0..network.nodes.len()
            as u32)
            .filter(|&v| measure.has_arcs(v))
            .map(|v| {
                let t = result.node_times_s[v as usize];
                (
                    node_key(network.nodes[v as usize]),
                    t.is_finite().then_some(t),
                )
            })
            .collect();
        write_json(path, &times)?;
    }
    print_table(&summary, result);
    Ok(())
}

/// The summary as a table, with each tier's largest gap.
fn print_table(summary: &CoverageSummary, result: &Assessment) {
    println!(
        "{} units on {:.1} km of car roads",
        summary.units,
        summary.network.length_m / 1e3
    );
    println!(
        "{:>8} {:>3} {:>12} {:>7}",
        "budget", "k", "covered km", "share"
    );
    for row in &summary.coverage {
        println!(
            "{:>7}s {:>3} {:>12.2} {:>6.1}%",
            row.budget_s,
            row.k,
            row.covered_m / 1e3,
            100.0 * row.share
        );
    }
    println!("standard {}", summary.standard);
    for (tier, measured) in summary.tiers.iter().zip(&result.tiers) {
        let largest = measured.gaps.first().map_or(String::new(), |g| {
            format!(
                "; largest gap {:.0} m at {:.5},{:.5}",
                g.length_m, g.location[0], g.location[1]
            )
        });
        println!(
            "  within {:>4}s, {} unit(s){}: {:>6.1}% of road length{largest}",
            tier.budget_s,
            tier.units,
            if tier.classes.is_empty() {
                String::new()
            } else {
                format!(" of {}", tier.classes.join("/"))
            },
            100.0 * tier.share
        );
    }
    for (kind, sites) in [
        ("checkpoint", &summary.checkpoints),
        ("key_site", &summary.key_sites),
        ("incident", &summary.incidents),
    ] {
        if sites.count > 0 {
            let met: Vec<String> = sites.met.iter().map(usize::to_string).collect();
            println!(
                "{kind}s ({}): meeting each tier: {}",
                sites.count,
                met.join(" / ")
            );
        }
    }
    if !summary.cities.is_empty() {
        println!("by city, each tier's share of its road:");
    }
    for city in &summary.cities {
        let shares: Vec<String> = (city.tier_shares.iter())
            .map(|s| format!("{:.1}%", 100.0 * s))
            .collect();
        println!("  {}: {}", city.name, shares.join(" / "));
    }
    let t = &summary.timings_ms;
    println!(
        "time: load {:.0} ms, prepare {:.0} ms, snap {:.2} ms, search {:.2} ms, coverage {:.2} ms, tiers {:.2} ms",
        t.load.unwrap_or(0.0),
        t.prepare.unwrap_or(0.0),
        t.snap,
        t.search,
        t.coverage,
        t.tiers
    );
}
