//! `patrolmap network info|export`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use super::progress::TerminalProgress;
use crate::network::{
    self, export, Connectivity, NetworkError, NetworkSource, ProfileGraph, ProfileSet, RoadNetwork,
    TravelMode,
};

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Print nodes, edges, length and connectivity of a road file for one travel mode.
    Info {
        /// Road file: .osm.pbf or GeoJSON roads.
        file: PathBuf,
        #[command(flatten)]
        profile: ProfileArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write the roads of one travel mode as GeoJSON (the spec's road format).
    Export {
        /// Road file: .osm.pbf or GeoJSON roads.
        file: PathBuf,
        /// Where to write the GeoJSON ("-" for stdout).
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        profile: ProfileArgs,
    },
}

/// Choosing and configuring the travel profile.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Travel mode: car, ebike or foot.
    #[arg(long, default_value = "car")]
    pub profile: TravelMode,
    /// TOML file overriding profile speeds and road classes.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl ProfileArgs {
    pub fn profiles(&self) -> Result<ProfileSet> {
        Ok(match &self.config {
            Some(path) => ProfileSet::from_toml_file(path)?,
            None => ProfileSet::default(),
        })
    }
}

/// A road file loaded and prepared for one mode, with how long each step took.
pub struct LoadedRoads {
    pub network: RoadNetwork,
    pub graph: ProfileGraph,
    pub load_s: f64,
    pub graph_s: f64,
}

/// The road files `roads` names: each file, and the road files of each folder (`.osm.pbf`,
/// `.pbf`, `.geojson`, `.json`, `.shp`, `.zip`, `.gpkg`), in name order.
pub fn road_files(roads: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in roads {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("{}: cannot read the folder", path.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|f| {
                let name = f.to_string_lossy().to_lowercase();
                [".pbf", ".geojson", ".json", ".shp", ".zip", ".gpkg"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
            })
            .collect();
        found.sort();
        if found.is_empty() {
            bail!(
                "{}: no road files in this folder (.osm.pbf, .geojson, .shp, .gpkg)",
                path.display()
            );
        }
        files.extend(found);
    }
    // The same roads twice would count every road twice.
    let mut seen = std::collections::HashSet::new();
    for f in &files {
        if !seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())) {
            bail!("{}: given twice (--roads)", f.display());
        }
    }
    Ok(files)
}

/// A file's or folder's name without its extensions: a city's name.
pub fn stem(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.split('.').next().unwrap_or(n).to_string())
        .unwrap_or_default()
}

/// The speed file `path` read (errors name its line and field), with how answers name it:
/// its path and the start of its SHA-256 (answers at a time depend on its content).
pub fn read_speeds(path: &Path) -> Result<(crate::network::time_of_day::SpeedTable, String)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let table = crate::network::time_of_day::SpeedTable::parse(&text, &path.display().to_string())?;
    let digest = <sha2::Sha256 as sha2::Digest>::digest(text.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok((table, format!("{} ({hex})", path.display())))
}

/// Warns when the speed file `source` names none of the roads of `roads` (`named` edges).
pub fn warn_unnamed_speeds(source: &str, named: usize, roads: &str) {
    if named == 0 {
        eprintln!(
            "warning: {source} names no road of {roads} (another city's file?); every road keeps its free-flow speed"
        );
    }
}

/// Road files loaded as one network (see [`load_road_files`]).
pub struct LoadedFiles {
    /// The network and its graph of the mode asked.
    pub roads: LoadedRoads,
    /// The cities, one per file, when there are several (none for one file).
    pub cities: Vec<crate::network::province::ProvinceCity>,
}

/// Loads `files` (as [`road_files`] lists them) as one network: one file as it is; several
/// joined as a province (shared border nodes merged), each file a city named by its stem.
/// OSM and GeoJSON road files are not mixed (their roads are chosen differently).
pub fn load_road_files(
    files: &[PathBuf],
    profiles: &ProfileSet,
    mode: TravelMode,
) -> Result<LoadedFiles> {
    if let [file] = files {
        return Ok(LoadedFiles {
            roads: load_roads(file, profiles, mode)?,
            cities: Vec::new(),
        });
    }
    let start = Instant::now();
    let mut loaded = Vec::with_capacity(files.len());
    for file in files {
        loaded.push((stem(file), load_roads(file, profiles, mode)?.network));
    }
    if loaded.iter().any(|(_, r)| r.source != loaded[0].1.source) {
        bail!(
            "cannot measure OSM and GeoJSON road files as one province (their roads are chosen differently): export the OSM ones first with `patrolmap network export`"
        );
    }
    let named: Vec<(&str, &RoadNetwork)> = loaded.iter().map(|(n, r)| (n.as_str(), r)).collect();
    let province = crate::network::province::join(&named);
    eprintln!(
        "{} cities ({}), {} road edges",
        province.cities.len(),
        named.iter().map(|c| c.0).collect::<Vec<_>>().join(", "),
        province.network.edges.len()
    );
    let load_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let graph = ProfileGraph::build(&province.network, profiles.get(mode));
    Ok(LoadedFiles {
        roads: LoadedRoads {
            network: province.network,
            graph,
            load_s,
            graph_s: start.elapsed().as_secs_f64(),
        },
        cities: province.cities,
    })
}

/// Loads `file` and builds the graph of `mode`, failing when the mode keeps no edge.
pub fn load_roads(file: &Path, profiles: &ProfileSet, mode: TravelMode) -> Result<LoadedRoads> {
    let start = Instant::now();
    let network = if crate::files::is_road_layer(file) {
        let (network, r) = crate::files::load_road_layer(file, &profiles.road_layer, None)?;
        eprintln!(
            "{}: {} roads one way along the drawing, {} against it, {} both ways, {} closed (left out); {} with a speed of their own, {} with a speed per direction",
            file.display(), r.forward, r.backward, r.both, r.prohibited, r.with_speed, r.with_speed_per_direction
        );
        network
    } else {
        network::load(file, &TerminalProgress::new())?
    };
    let load_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let graph = ProfileGraph::build(&network, profiles.get(mode));
    let graph_s = start.elapsed().as_secs_f64();
    if graph.usable_edge_count() == 0 {
        return Err(NetworkError::NoEdgesForProfile {
            path: file.to_path_buf(),
            profile: mode.to_string(),
            edges: network.edges.len(),
        }
        .into());
    }
    Ok(LoadedRoads {
        network,
        graph,
        load_s,
        graph_s,
    })
}

pub fn run(cmd: NetworkCommand) -> Result<()> {
    match cmd {
        NetworkCommand::Info {
            file,
            profile,
            json,
        } => info(&file, &profile, json),
        NetworkCommand::Export {
            file,
            output,
            profile,
        } => {
            let roads = load_roads(&file, &profile.profiles()?, profile.profile)?;
            let write = |out: &mut dyn Write| -> std::io::Result<()> {
                export::write_geojson(&roads.network, &roads.graph, out)?;
                out.flush()
            };
            if output.as_os_str() == "-" {
                write(&mut BufWriter::new(std::io::stdout().lock()))
                    .context("writing to stdout")?;
            } else {
                let file = File::create(&output)
                    .with_context(|| format!("{}: cannot create", output.display()))?;
                write(&mut BufWriter::new(file))
                    .with_context(|| format!("{}: cannot write", output.display()))?;
                eprintln!(
                    "wrote {} {} road edges to {}",
                    roads.graph.usable_edge_count(),
                    profile.profile,
                    output.display()
                );
            }
            Ok(())
        }
    }
}

/// `network info --json`: the file, the mode's graph and its connectivity.
#[derive(serde::Serialize)]
struct NetworkInfo<'a> {
    file: &'a Path,
    source: Option<NetworkSource>,
    profile: crate::network::TravelMode,
    /// Nodes of the mode's graph.
    nodes: usize,
    /// Usable edges and their arcs.
    edges: usize,
    arcs: usize,
    length_m: f64,
    /// Usable edges with a speed per direction (each way its own time).
    directed_speed_edges: usize,
    /// All of the file's roads, of any mode.
    file_nodes: usize,
    file_edges: usize,
    file_length_m: f64,
    bbox: Option<[f64; 4]>,
    connectivity: ConnectivityInfo,
    access: AccessInfo,
    report: &'a crate::network::LoadReport,
    peak_memory_mb: Option<f64>,
    timings_ms: InfoTimings,
}

/// Which roads the profile's access rule lets it use.
#[derive(serde::Serialize)]
struct AccessInfo {
    /// `police` (every road kept) or `public` (general traffic's roads).
    rule: crate::network::profile::AccessRule,
    /// Edges of the mode's classes general traffic may not use (private, destination,
    /// delivery, emergency-only), and how many of them the profile uses.
    restricted_edges: usize,
    restricted_used: usize,
}

/// How the mode's graph hangs together.
#[derive(serde::Serialize)]
struct ConnectivityInfo {
    components: usize,
    largest_nodes: usize,
    largest_share: f64,
    islands: usize,
    island_nodes: usize,
}

/// Where `network info`'s time went, in milliseconds.
#[derive(serde::Serialize)]
struct InfoTimings {
    load: f64,
    graph: f64,
    components: f64,
}

fn info(file: &Path, args: &ProfileArgs, json: bool) -> Result<()> {
    let roads = load_roads(file, &args.profiles()?, args.profile)?;
    let start = Instant::now();
    let conn = Connectivity::of(&roads.graph);
    let components_s = start.elapsed().as_secs_f64();
    let (network, graph) = (&roads.network, &roads.graph);
    let usable_length_m: f64 = (0..network.edges.len())
        .filter(|&e| graph.is_usable(e))
        .map(|e| network.edges[e].length_m)
        .sum();
    let source = match network.source {
        Some(NetworkSource::Osm) => "OpenStreetMap PBF",
        _ => "GeoJSON roads",
    };
    let profiles = args.profiles()?;
    let rule = profiles.get(args.profile).access;
    // The same profile with every road allowed: which of its roads are restricted.
    let mut open = profiles.get(args.profile).clone();
    open.access = crate::network::profile::AccessRule::Police;
    let restricted: Vec<usize> = (0..network.edges.len())
        .filter(|&e| {
            let edge = &network.edges[e];
            edge.access != crate::network::Access::Public
                && open.speeds_kph(network, edge).is_some()
        })
        .collect();
    let access = AccessInfo {
        rule,
        restricted_edges: restricted.len(),
        restricted_used: restricted.iter().filter(|&&e| graph.is_usable(e)).count(),
    };
    if json {
        let out = NetworkInfo {
            file,
            source: network.source,
            profile: args.profile,
            nodes: conn.nodes,
            edges: graph.usable_edge_count(),
            arcs: graph.arc_count(),
            length_m: usable_length_m,
            directed_speed_edges: graph.directed_speed_edge_count(),
            file_nodes: network.nodes.len(),
            file_edges: network.edges.len(),
            file_length_m: network.length_m(),
            bbox: network.bbox(),
            access,
            connectivity: ConnectivityInfo {
                components: conn.components,
                largest_nodes: conn.largest_nodes,
                largest_share: conn.largest_share(),
                islands: conn.islands,
                island_nodes: conn.island_nodes,
            },
            report: &network.report,
            peak_memory_mb: peak_memory_mb(),
            timings_ms: InfoTimings {
                load: roads.load_s * 1e3,
                graph: roads.graph_s * 1e3,
                components: components_s * 1e3,
            },
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("roads       {} ({source})", file.display());
    println!("profile     {}", args.profile);
    println!(
        "nodes       {} (of {} in the file)",
        conn.nodes,
        network.nodes.len()
    );
    println!(
        "edges       {} usable, {} directed arcs (of {} edges in the file)",
        graph.usable_edge_count(),
        graph.arc_count(),
        network.edges.len()
    );
    println!(
        "length      {:.1} km (of {:.1} km in the file)",
        usable_length_m / 1e3,
        network.length_m() / 1e3
    );
    println!(
        "speeds      {} edges with a speed per direction (maxspeed:forward/backward)",
        graph.directed_speed_edge_count()
    );
    println!(
        "access      {}: {} of the {} edges general traffic may not use (private, destination, delivery, emergency only) are used",
        access.rule.as_str(),
        access.restricted_used,
        access.restricted_edges
    );
    println!(
        "components  {} strongly connected; the largest holds {:.1}% of nodes ({} islands, {} nodes)",
        conn.components,
        100.0 * conn.largest_share(),
        conn.islands,
        conn.island_nodes
    );
    let r = &network.report;
    if network.source == Some(NetworkSource::Osm) {
        println!(
            "osm         {} highway ways kept ({} of them restricted), {} excluded, {} node references missing (cut at the extract's edge), {} duplicate nodes merged",
            r.ways_kept, r.ways_restricted, r.ways_excluded, r.missing_node_refs, r.merged_duplicate_nodes
        );
    } else if r.skipped_features > 0 {
        println!(
            "skipped     {} features that are not LineStrings of 2+ positions",
            r.skipped_features
        );
    }
    println!(
        "time        load {:.0} ms, graph {:.0} ms, components {:.0} ms",
        roads.load_s * 1e3,
        roads.graph_s * 1e3,
        components_s * 1e3
    );
    Ok(())
}

/// Peak resident memory of this process (Linux `VmHWM`), in MB, where the system tells it.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
