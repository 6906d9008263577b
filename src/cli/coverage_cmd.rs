//! `patrolmap coverage`: response coverage of a deployment, as `spec/coverage.md` §4 defines.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;

use super::network_cmd::{load_roads, ProfileArgs};
use crate::coverage::hierarchy::Hierarchy;
use crate::coverage::polygons::{self, PolygonOptions};
use crate::coverage::{self, overlay, reach, Engine, ModeNetwork, Placement, ResponseStandard};
use crate::network::{geodesy::node_key, ProfileGraph, SnapIndex, TravelMode};
use crate::scenario::{self, Scenario};

/// Arguments of `patrolmap coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Road file: .osm.pbf or GeoJSON roads. Coverage is measured on its car network.
    #[arg(long)]
    roads: PathBuf,
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
    #[arg(long, default_value_t = 250.0)]
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
    /// How many gaps (uncovered runs of road) to list per tier.
    #[arg(long, default_value_t = 20)]
    gaps: usize,
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
}

/// The `--engine` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum EngineArg {
    Dijkstra,
    Phast,
}

/// A tier's eligible units and their search, shared by tier coverage, points and gaps.
struct TierSearch {
    eligible: Vec<Placement>,
    labels: Vec<crate::coverage::search::Labels>,
}

impl CoverageArgs {
    /// The response standard, resolved by [`run`] from the command line, config or default.
    fn standard(&self) -> &ResponseStandard {
        self.standard
            .as_ref()
            .expect("the standard is resolved before use")
    }
}

/// One repetition's output.
struct Run {
    placements: Vec<Placement>,
    unplaced: Vec<coverage::Unplaced>,
    covered: Vec<Vec<f64>>,
    tiers: Vec<f64>,
    tier_searches: Vec<TierSearch>,
    node_times_s: Vec<f64>,
    snap_s: f64,
    search_s: f64,
    coverage_s: f64,
    tiers_s: f64,
}

pub fn run(mut args: CoverageArgs) -> Result<()> {
    if args.standard.is_none() {
        if let Some(path) = &args.config {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            args.standard = ResponseStandard::from_config_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
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
    let roads = load_roads(&args.roads, &profiles, TravelMode::Car)?;
    let scenario = scenario::load(&args.scenario)?;
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
    let graphs: Vec<ProfileGraph> = modes
        .iter()
        .map(|&m| match m {
            TravelMode::Car if closed_count == 0 => roads.graph.clone(),
            _ => ProfileGraph::build_without(network, profiles.get(m), &closed),
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
    let indexes: Vec<SnapIndex> = graphs
        .iter()
        .map(|g| SnapIndex::build(network, g))
        .collect();
    let load_s = roads.load_s + roads.graph_s + start.elapsed().as_secs_f64();
    let mode_networks: Vec<ModeNetwork> = modes
        .iter()
        .zip(&graphs)
        .zip(&indexes)
        .map(|((&mode, graph), index)| ModeNetwork { mode, graph, index })
        .collect();
    let graph_refs: Vec<&ProfileGraph> = graphs.iter().collect();
    let start = Instant::now();
    let hierarchies: Vec<Hierarchy> = match args.engine {
        EngineArg::Dijkstra => Vec::new(),
        EngineArg::Phast => graphs.iter().map(Hierarchy::prepare).collect(),
    };
    let prepare_s = start.elapsed().as_secs_f64();
    let engine = match args.engine {
        EngineArg::Dijkstra => Engine::Dijkstra,
        EngineArg::Phast => Engine::Phast(&hierarchies),
    };

    let runs: Vec<Run> = (0..args.repeat)
        .map(|_| {
            run_once(
                &args,
                engine,
                network,
                &scenario,
                &mode_networks,
                &graph_refs,
            )
        })
        .collect();
    let median = |f: fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (snap_s, search_s, coverage_s) = (
        median(|r| r.snap_s),
        median(|r| r.search_s),
        median(|r| r.coverage_s),
    );
    let tiers_s = median(|r| r.tiers_s);
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

    let start = Instant::now();
    let points = point_report(
        &args,
        engine,
        network,
        &scenario,
        &graph_refs,
        &indexes[0],
        &result.placements,
        &result.tier_searches,
    );
    let points_s = start.elapsed().as_secs_f64();
    for (kind, id, reason) in points
        .iter()
        .filter_map(|p| p["refused"].as_str().map(|r| (&p["kind"], &p["id"], r)))
    {
        eprintln!(
            "warning: {}: {kind} {id} not placed on a road: {reason}",
            args.scenario.display()
        );
    }

    let gap_lists = gap_report(
        &args,
        network,
        &scenario,
        &graph_refs,
        &result.tier_searches,
    );

    let measure = &graphs[0];
    let total_m: f64 = (0..network.edges.len())
        .filter(|&e| measure.is_usable(e))
        .map(|e| network.edges[e].length_m)
        .sum();
    let share = |m: f64| if total_m > 0.0 { m / total_m } else { 0.0 };
    let node_count = (0..network.nodes.len() as u32)
        .filter(|&v| measure.has_arcs(v))
        .count();
    let rows: Vec<_> = args
        .budgets
        .iter()
        .enumerate()
        .flat_map(|(b, &budget_s)| {
            (0..args.k).map(move |j| (budget_s, j + 1, result.covered[b][j]))
        })
        .map(|(budget_s, k, m)| json!({"budget_s": budget_s, "k": k, "covered_m": m, "share": share(m)}))
        .collect();
    let tiers: Vec<_> = args
        .standard()
        .tiers
        .iter()
        .zip(&result.tiers)
        .map(|(t, &m)| json!({"budget_s": t.budget_s, "units": t.units, "classes": t.classes, "covered_m": m, "share": share(m)}))
        .collect();
    let summary = json!({
        "network": {
            "nodes": node_count,
            "edges": measure.usable_edge_count(),
            "length_m": total_m,
            "skipped_features": network.report.skipped_features,
        },
        "units": result.placements.len(),
        "closed_edges": closed_count,
        "units_refused": result.unplaced.iter().map(|u| json!({"id": scenario.units[u.unit as usize].id, "reason": u.reason})).collect::<Vec<_>>(),
        "scenario_problems": scenario.problems,
        "coverage": rows,
        "standard": args.standard().to_string(),
        "tiers": tiers,
        "points": points,
        "gaps": gap_lists,
        "engine": format!("{:?}", args.engine).to_lowercase(),
        "timings_ms": {"load": load_s * 1e3, "prepare": prepare_s * 1e3, "snap": snap_s * 1e3, "search": search_s * 1e3, "coverage": coverage_s * 1e3, "tiers": tiers_s * 1e3, "points": points_s * 1e3},
        "repeat": args.repeat,
    });
    if let Some(path) = &args.json {
        write_json(path, &summary)?;
    }
    if args.geojson.is_some() || args.polygons.is_some() {
        let mut budgets = args.budgets.clone();
        budgets.sort_by(f64::total_cmp);
        budgets.dedup();
        let labels = coverage::search_nearest_times(
            engine,
            network,
            &graph_refs,
            &result.placements,
            budgets[budgets.len() - 1],
        );
        let modes = reach::mode_reach(&graph_refs, &labels);
        let pieces =
            overlay::road_pieces(network, &graphs[0], &modes, &result.placements, &budgets);
        if let Some(path) = &args.geojson {
            write_json(path, &overlay::pieces_geojson(network, &pieces, &budgets))?;
        }
        if let Some(path) = &args.polygons {
            let options = PolygonOptions {
                buffer_m: args.buffer_m,
                cell_m: (args.buffer_m / 2.0).max(1.0),
            };
            let tiers = polygons::tier_polygons(network, &pieces, budgets.len(), options);
            write_json(
                path,
                &polygons::polygons_geojson(&tiers, &budgets, args.buffer_m),
            )?;
        }
    }
    if let Some(path) = &args.node_times {
        let mut times = serde_json::Map::new();
        for v in (0..network.nodes.len() as u32).filter(|&v| measure.has_arcs(v)) {
            let t = result.node_times_s[v as usize];
            times.insert(
                node_key(network.nodes[v as usize]),
                if t.is_finite() { json!(t) } else { json!(null) },
            );
        }
        write_json(path, &serde_json::Value::Object(times))?;
    }
    print_table(&args, &summary, result.placements.len(), total_m);
    Ok(())
}

fn run_once(
    args: &CoverageArgs,
    engine: Engine,
    network: &crate::network::RoadNetwork,
    scenario: &Scenario,
    modes: &[ModeNetwork],
    graphs: &[&ProfileGraph],
) -> Run {
    let start = Instant::now();
    let (placements, unplaced) = coverage::place_units(&scenario.units, modes, args.max_snap_m);
    let snap_s = start.elapsed().as_secs_f64();

    let cutoff_s = args
        .budgets
        .iter()
        .chain(args.standard().tiers.iter().map(|t| &t.budget_s))
        .fold(0.0f64, |a, &b| a.max(b));
    let start = Instant::now();
    let labels = if args.k == 1 {
        coverage::search_nearest_times(engine, network, graphs, &placements, cutoff_s)
    } else {
        coverage::search_with(engine, network, graphs, &placements, args.k, cutoff_s)
    };
    let search_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mode_reach = reach::mode_reach(graphs, &labels);
    let covered = reach::covered_lengths(
        network,
        graphs[0],
        &mode_reach,
        &placements,
        &args.budgets,
        args.k,
    );
    let coverage_s = start.elapsed().as_secs_f64();
    let node_times_s = coverage::nearest_node_times(&labels, network.nodes.len());
    let start = Instant::now();
    let (tiers, tier_searches) =
        tier_coverage(args, engine, network, scenario, graphs, &placements);
    let tiers_s = start.elapsed().as_secs_f64();
    Run {
        placements,
        unplaced,
        covered,
        tiers,
        tier_searches,
        node_times_s,
        snap_s,
        search_s,
        coverage_s,
        tiers_s,
    }
}

/// Covered metres of each tier (its budget, its number of distinct units, its classes), and
/// each tier's search for the points and gaps to reuse.
fn tier_coverage(
    args: &CoverageArgs,
    engine: Engine,
    network: &crate::network::RoadNetwork,
    scenario: &Scenario,
    graphs: &[&ProfileGraph],
    placements: &[Placement],
) -> (Vec<f64>, Vec<TierSearch>) {
    args.standard()
        .tiers
        .iter()
        .map(|tier| {
            let eligible = eligible_placements(tier, scenario, placements);
            let labels = coverage::search_with(
                engine,
                network,
                graphs,
                &eligible,
                tier.units,
                tier.budget_s,
            );
            let modes = reach::mode_reach(graphs, &labels);
            let covered = reach::covered_lengths(
                network,
                graphs[0],
                &modes,
                &eligible,
                &[tier.budget_s],
                tier.units,
            );
            (covered[0][tier.units - 1], TierSearch { eligible, labels })
        })
        .unzip()
}

/// For every checkpoint, key site and incident: the nearest units with their times, and
/// whether each tier of the standard is met there (enough distinct eligible units in time).
#[allow(clippy::too_many_arguments)]
fn point_report(
    args: &CoverageArgs,
    engine: Engine,
    network: &crate::network::RoadNetwork,
    scenario: &Scenario,
    graphs: &[&ProfileGraph],
    car_index: &SnapIndex,
    placements: &[Placement],
    tier_searches: &[TierSearch],
) -> Vec<serde_json::Value> {
    let sites: Vec<(&str, &crate::scenario::Site)> = [
        ("checkpoint", &scenario.checkpoints),
        ("key_site", &scenario.key_sites),
        ("incident", &scenario.incidents),
    ]
    .into_iter()
    .flat_map(|(kind, list)| list.iter().map(move |s| (kind, s)))
    .collect();
    if sites.is_empty() {
        return Vec::new();
    }
    let max_budget = args
        .standard()
        .tiers
        .iter()
        .map(|t| t.budget_s)
        .fold(0.0f64, f64::max);
    let k_list = args
        .standard()
        .tiers
        .iter()
        .map(|t| t.units)
        .max()
        .unwrap_or(1)
        .max(args.k)
        .max(3);
    // One search for the nearest-units list; the tiers' own searches decide the tiers.
    let nearest_labels =
        coverage::search_with(engine, network, graphs, placements, k_list, max_budget);
    sites
        .iter()
        .map(|(kind, site)| {
            let base =
                json!({"kind": kind, "id": site.id, "name": site.name, "weight": site.weight});
            let snapped = match car_index.snap(site.position, args.max_snap_m) {
                Ok(s) => s,
                Err(e) => {
                    let mut v = base;
                    v["refused"] = json!(e.to_string());
                    return v;
                }
            };
            let nearest = reach::arrivals_at(
                network,
                &reach::mode_reach(graphs, &nearest_labels),
                placements,
                snapped.edge,
                snapped.fraction,
                k_list,
            );
            let tiers_met: Vec<bool> = args
                .standard()
                .tiers
                .iter()
                .zip(tier_searches)
                .map(|(tier, ts)| {
                    let arrivals = reach::arrivals_at(
                        network,
                        &reach::mode_reach(graphs, &ts.labels),
                        &ts.eligible,
                        snapped.edge,
                        snapped.fraction,
                        tier.units,
                    );
                    arrivals.iter().filter(|a| a.1 <= tier.budget_s).count() >= tier.units
                })
                .collect();
            let mut v = base;
            v["dist_m"] = json!(snapped.dist_m);
            v["nearest"] = nearest
                .iter()
                .map(|&(u, t)| json!({"unit": scenario.units[u as usize].id, "time_s": t}))
                .collect();
            v["tiers_met"] = json!(tiers_met);
            v
        })
        .collect()
}

/// The largest uncovered runs of road for each tier.
fn gap_report(
    args: &CoverageArgs,
    network: &crate::network::RoadNetwork,
    scenario: &Scenario,
    graphs: &[&ProfileGraph],
    tier_searches: &[TierSearch],
) -> Vec<serde_json::Value> {
    let incidents: Vec<([f64; 2], f64)> = scenario
        .incidents
        .iter()
        .map(|s| (s.position, s.weight))
        .collect();
    args.standard()
        .tiers
        .iter()
        .zip(tier_searches)
        .map(|(tier, ts)| {
            let modes = reach::mode_reach(graphs, &ts.labels);
            let gaps = crate::coverage::gaps::find_gaps(network, graphs[0], &modes, &ts.eligible, tier.budget_s, tier.units, &incidents, 200.0);
            let listed: Vec<_> = gaps
                .iter()
                .take(args.gaps)
                .map(|g| json!({"length_m": g.length_m, "incident_weight": g.incident_weight, "location": g.location, "stretches": g.stretches.len()}))
                .collect();
            json!({"budget_s": tier.budget_s, "units": tier.units, "runs": gaps.len(), "length_m": gaps.iter().map(|g| g.length_m).sum::<f64>(), "largest": listed})
        })
        .collect()
}

fn eligible_placements(
    tier: &crate::coverage::Tier,
    scenario: &Scenario,
    placements: &[Placement],
) -> Vec<Placement> {
    placements
        .iter()
        .filter(|p| {
            tier.classes.is_empty()
                || scenario.units[p.unit as usize]
                    .class
                    .as_ref()
                    .is_some_and(|c| tier.classes.contains(c))
        })
        .copied()
        .collect()
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("{}: cannot create", path.display()))?;
    let mut out = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut out, value)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    out.flush()
        .with_context(|| format!("{}: cannot write", path.display()))
}

fn print_table(args: &CoverageArgs, summary: &serde_json::Value, units: usize, total_m: f64) {
    println!("{units} units on {:.1} km of car roads", total_m / 1e3);
    println!(
        "{:>8} {:>3} {:>12} {:>7}",
        "budget", "k", "covered km", "share"
    );
    for row in summary["coverage"].as_array().into_iter().flatten() {
        println!(
            "{:>7}s {:>3} {:>12.2} {:>6.1}%",
            row["budget_s"].as_f64().unwrap_or(0.0),
            row["k"],
            row["covered_m"].as_f64().unwrap_or(0.0) / 1e3,
            100.0 * row["share"].as_f64().unwrap_or(0.0)
        );
    }
    println!("standard {}", args.standard());
    for (tier, row) in args
        .standard()
        .tiers
        .iter()
        .zip(summary["tiers"].as_array().into_iter().flatten())
    {
        println!(
            "  within {:>4}s, {} unit(s){}: {:>6.1}% of road length",
            tier.budget_s,
            tier.units,
            if tier.classes.is_empty() {
                String::new()
            } else {
                format!(" of {}", tier.classes.join("/"))
            },
            100.0 * row["share"].as_f64().unwrap_or(0.0)
        );
    }
    let points = summary["points"].as_array().cloned().unwrap_or_default();
    if !points.is_empty() {
        for kind in ["checkpoint", "key_site", "incident"] {
            let of_kind: Vec<_> = points.iter().filter(|p| p["kind"] == kind).collect();
            if of_kind.is_empty() {
                continue;
            }
            let met: Vec<String> = (0..args.standard().tiers.len())
                .map(|i| {
                    of_kind
                        .iter()
                        .filter(|p| p["tiers_met"][i] == true)
                        .count()
                        .to_string()
                })
                .collect();
            println!(
                "{kind}s ({}): meeting each tier: {}",
                of_kind.len(),
                met.join(" / ")
            );
        }
    }
    let t = &summary["timings_ms"];
    let ms = |key: &str| t[key].as_f64().unwrap_or(0.0);
    println!(
        "time: load {:.0} ms, prepare {:.0} ms, snap {:.2} ms, search {:.2} ms, coverage {:.2} ms, tiers {:.2} ms",
        ms("load"),
        ms("prepare"),
        ms("snap"),
        ms("search"),
        ms("coverage"),
        ms("tiers")
    );
}
