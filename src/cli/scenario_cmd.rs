//! `patrolmap scenario check|export|random|patrol`: what a file holds before it is used, a
//! file in another format or coordinate system, and seeded random scenarios for benchmarks.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use crate::files::{self, ExportFormat};
use crate::scenario::{FileFormat, ReadOptions};
use patrolmap_core::crs::Crs;
use patrolmap_core::formats::dbf::DbfEncoding;

use super::network_cmd::{load_roads, ProfileArgs};
use crate::scenario::{generate, write};

/// How to read a scenario file, when the file does not say.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The format, when the extension does not say: geojson, csv, shapefile, geopackage, kml,
    /// kmz.
    #[arg(long)]
    format: Option<FileFormat>,
    /// The coordinate system of the positions, overriding the file's: EPSG:4547 (CGCS2000
    /// Gauss-Krüger, 4491-4554), EPSG:4490, EPSG:32649 (UTM), EPSG:3857, gcj02 (Amap,
    /// Tencent), bd09 (Baidu), wgs84. Without it: the file's .prj or table, else WGS 84 when
    /// the positions are degrees, else the Gauss-Krüger zone the eastings start with.
    #[arg(long, value_parser = parse_crs)]
    crs: Option<Crs>,
    /// A column (or attribute) and the patrolmap field it holds, e.g. `--column 单位类别=class`
    /// (repeat for more). Fields: kind, id, name, class, mode, turnout_s, weight, dwell_s,
    /// lon, lat, wkt. Chinese and English names patrolmap knows need none (类型, 名称, 编号, 经度…).
    #[arg(long = "column", value_parser = parse_column)]
    columns: Vec<(String, String)>,
    /// Read every position latitude first (a file whose columns were swapped).
    #[arg(long)]
    swap: bool,
}

impl ReadArgs {
    fn options(&self) -> ReadOptions {
        ReadOptions {
            crs: self.crs.clone(),
            columns: self.columns.clone(),
            swap_lon_lat: self.swap,
        }
    }
}

fn parse_crs(text: &str) -> Result<Crs, String> {
    Crs::parse(text).map_err(|e| e.to_string())
}

fn parse_column(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
            Ok((from.trim().to_string(), to.trim().to_string()))
        }
        _ => Err(format!(
            "expected COLUMN=FIELD (e.g. 单位类别=class), got {text:?}"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Read a scenario file and report what it holds, changing nothing: the format, text
    /// encoding and coordinate system found, the features of each kind, and every feature
    /// that would be refused with why. Exits non-zero when nothing would load.
    #[command(
        after_help = "Examples:\n  patrolmap scenario check 岗亭.shp\n  patrolmap scenario check posts.csv --crs gcj02\n  patrolmap scenario check 点位.xlsx.csv --column 单位类别=class --json report.json"
    )]
    Check {
        /// The file: .geojson, .csv, .shp (with its .dbf, .prj, .cpg beside it), a .zip of a
        /// Shapefile, .gpkg, .kml or .kmz.
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// Also write the report as JSON to this file (`-` for standard output).
        #[arg(long)]
        json: Option<PathBuf>,
        /// A road file (.osm.pbf or GeoJSON roads): also warn of points far from every road,
        /// swapped longitude and latitude, and GCJ-02 or BD-09 positions read as WGS 84.
        #[arg(long)]
        roads: Option<PathBuf>,
    },
    /// Write a scenario file in another format or coordinate system (GeoJSON, Shapefile,
    /// GeoPackage, KML, CSV; positions in WGS 84, CGCS2000, a Gauss-Krüger zone or GCJ-02).
    #[command(
        after_help = "Examples:\n  patrolmap scenario export data/demo-scenario.geojson -o 岗亭.shp --to-crs EPSG:4547\n  patrolmap scenario export plan.geojson -o amap.csv --to-crs gcj02\n  patrolmap scenario export 岗亭.shp -o 岗亭.gpkg"
    )]
    Export {
        /// The scenario file to read (any format `scenario check` reads).
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        write: WriteArgs,
    },
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

/// Where and how to write a file: the output, its format, coordinate system and encoding.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Where to write: its extension says the format unless --to does (.geojson, .shp
    /// writes name_points.shp and so on beside it, .zip, .gpkg, .kml, .csv, .gpx).
    #[arg(short, long)]
    output: PathBuf,
    /// The format to write.
    #[arg(long, value_enum)]
    to: Option<ExportFormat>,
    /// The coordinate system to write in (default WGS 84).
    #[arg(long = "to-crs", value_parser = parse_crs, default_value = "wgs84")]
    to_crs: Crs,
    /// The text encoding of a Shapefile's table: utf-8 or gbk (for older Chinese GIS tools).
    #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
    encoding: DbfEncoding,
}

impl WriteArgs {
    /// Writes `features` (WGS 84) as asked: the files written.
    fn write(&self, features: &[geojson::Feature]) -> Result<Vec<PathBuf>> {
        let format = self.to.or_else(|| format_of(&self.output)).with_context(|| {
            format!("{}: which format? give --to or an extension (.geojson, .shp, .zip, .gpkg, .kml, .csv, .gpx)", self.output.display())
        })?;
        let stem = self
            .output
            .file_stem()
            .map_or("layer".into(), |s| s.to_string_lossy().into_owned());
        let export = files::export(features, format, &self.to_crs, &stem, self.encoding)?;
        files::write_export(&export, &self.output)
    }
}

/// `patrolmap convert`: any layer file (a coverage layer written by `coverage --geojson`,
/// `--polygons` or `--gaps-geojson`, the routes of `patrol plan --geojson`, roads) in another
/// format or coordinate system, its features as they are.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  patrolmap coverage --roads city.osm.pbf --scenario s.geojson --polygons tiers.geojson && patrolmap convert tiers.geojson -o tiers.shp --to-crs EPSG:4547\n  patrolmap patrol plan ... --geojson routes.geojson && patrolmap convert routes.geojson -o routes.gpx\n  patrolmap convert gaps.geojson -o gaps.kml"
)]
pub struct ConvertArgs {
    /// The file to read (GeoJSON, CSV, Shapefile, GeoPackage, KML, KMZ).
    file: PathBuf,
    #[command(flatten)]
    read: ReadArgs,
    #[command(flatten)]
    write: WriteArgs,
}

/// Runs `patrolmap convert`.
pub fn convert(args: ConvertArgs) -> Result<()> {
    let (features, crs) = files::read_features_any(&args.file, &args.read.options())?;
    let written = args.write.write(&features)?;
    eprintln!(
        "wrote {} features from {} ({}) in {} to {}",
        features.len(),
        args.file.display(),
        crs.code,
        args.write.to_crs.name(),
        paths(&written)
    );
    Ok(())
}

/// Paths as a list for a message.
fn paths(written: &[PathBuf]) -> String {
    written
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_encoding(text: &str) -> Result<DbfEncoding, String> {
    match text.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Ok(DbfEncoding::Utf8),
        "gbk" | "cp936" | "936" => Ok(DbfEncoding::Gbk),
        other => Err(format!("{other:?}: the table's encoding is utf-8 or gbk")),
    }
}

/// The export format an output path's extension says.
fn format_of(path: &std::path::Path) -> Option<ExportFormat> {
    let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
    Some(match ext.as_str() {
        "geojson" | "json" => ExportFormat::Geojson,
        "shp" | "zip" => ExportFormat::Shapefile,
        "gpkg" => ExportFormat::Geopackage,
        "kml" => ExportFormat::Kml,
        "csv" => ExportFormat::Csv,
        "gpx" => ExportFormat::Gpx,
        _ => return None,
    })
}

/// The report `scenario check` prints and writes.
#[derive(serde::Serialize)]
struct CheckReport<'a> {
    file: String,
    #[serde(flatten)]
    report: &'a files::FileReport,
    counts: crate::scenario::LayerCounts,
    problems: &'a [crate::scenario::FeatureProblem],
    warnings: &'a [crate::scenario::ImportWarning],
}

fn check(
    file: PathBuf,
    read: ReadArgs,
    json: Option<PathBuf>,
    roads: Option<PathBuf>,
) -> Result<()> {
    let got = files::read_path(&file, read.format, &read.options())?;
    let warnings = match &roads {
        None => Vec::new(),
        Some(path) => {
            // The roads as every --roads reads them (OSM, GeoJSON or a GIS road layer).
            let profiles = crate::network::ProfileSet::default();
            let network = load_roads(path, &profiles, crate::network::TravelMode::Car)?.network;
            let modes = patrolmap_core::coverage::modes::ModeSet::build(
                &network,
                &profiles,
                &patrolmap_core::city::MODES,
                &[],
            );
            crate::scenario::position_warnings(&got.scenario, |p| {
                modes
                    .nearest_road(p, crate::scenario::SEARCH_M)
                    .map(|s| s.dist_m)
            })
        }
    };
    let (s, r) = (&got.scenario, &got.report);
    let crs = &r.crs;
    let how = match crs.found {
        crate::scenario::CrsFound::Given => "as given",
        crate::scenario::CrsFound::File => "named by the file",
        crate::scenario::CrsFound::ZonePrefix => "told by the zone number in front of the eastings",
        crate::scenario::CrsFound::Degrees => "the positions are degrees and the file names none",
    };
    println!("{}: {}", file.display(), r.format.as_str());
    if let Some(e) = r.encoding {
        println!("  text:        {}", e.as_str());
    }
    println!(
        "  coordinates: {} ({}; {how}){}",
        crs.name,
        crs.code,
        if crs.converted {
            ", converted to WGS 84"
        } else {
            ""
        }
    );
    if r.files.len() > 1 {
        println!("  files read:  {}", r.files.join(", "));
    }
    let c = s.counts();
    let read_count = c.units
        + c.checkpoints
        + c.key_sites
        + c.incidents
        + c.patrol_lines
        + c.closures
        + s.candidates.len()
        + s.areas.len();
    println!(
        "  read:        {} units and posts, {} checkpoints, {} key sites, {} incidents, {} patrol lines, {} closures, {} candidates, {} areas",
        c.units, c.checkpoints, c.key_sites, c.incidents, c.patrol_lines, c.closures, s.candidates.len(), s.areas.len()
    );
    // A schedule that does not read leaves its feature loaded without it: said apart.
    let (schedules, refused): (Vec<_>, Vec<_>) = s
        .problems
        .iter()
        .partition(|p| p.code == crate::scenario::ProblemCode::BadSchedule);
    if refused.is_empty() {
        println!("  refused:     none");
    } else {
        println!("  refused:     {} features", refused.len());
        for p in &refused {
            println!("    feature {}: {}", p.feature, p.reason);
        }
    }
    if !schedules.is_empty() {
        println!(
            "  schedules:   {} not read (the features are kept without them; a timetable refuses them)",
            schedules.len()
        );
        for p in &schedules {
            println!("    feature {}: {}", p.feature, p.reason);
        }
    }
    for w in &warnings {
        let fixed = w
            .fixed_median_m
            .map(|m| format!(", {m:.0} m after the fix"))
            .unwrap_or_default();
        let what = match w.code {
            crate::scenario::WarningCode::FarFromRoads => format!("farther than {:.0} m from every road", crate::scenario::FAR_M),
            crate::scenario::WarningCode::LonLatSwapped => "on the roads with longitude and latitude swapped (read again with --swap)".into(),
            crate::scenario::WarningCode::LikelyGcj02 => "nearer the roads read as GCJ-02, Amap's and Tencent's offset (read again with --crs gcj02)".into(),
            crate::scenario::WarningCode::LikelyBd09 => "nearer the roads read as BD-09, Baidu's offset (read again with --crs bd09)".into(),
        };
        println!(
            "  warning:     {} points {what} (median {}{fixed}; features {})",
            w.count,
            w.median_m
                .map_or("over 5 km".into(), |m| format!("{m:.0} m")),
            w.features
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&CheckReport {
            file: file.display().to_string(),
            report: r,
            counts: c,
            problems: &s.problems,
            warnings: &warnings,
        })?;
        if path.as_os_str() == "-" {
            println!("{text}");
        } else {
            std::fs::write(&path, text)
                .with_context(|| format!("{}: cannot write", path.display()))?;
        }
    }
    if read_count == 0 {
        bail!(
            "{}: nothing would load ({} features refused)",
            file.display(),
            s.problems.len()
        );
    }
    Ok(())
}

pub fn run(cmd: ScenarioCommand) -> Result<()> {
    match cmd {
        ScenarioCommand::Check {
            file,
            read,
            json,
            roads,
        } => check(file, read, json, roads),
        ScenarioCommand::Export { file, read, write } => {
            let got = files::read_path(&file, read.format, &read.options())?;
            for p in &got.scenario.problems {
                eprintln!(
                    "warning: {}: feature {} left out: {}",
                    file.display(),
                    p.feature,
                    p.reason
                );
            }
            let collection = write::to_geojson(&got.scenario);
            let features: Vec<geojson::Feature> =
                serde_json::from_value(collection["features"].clone())?;
            let written = write.write(&features)?;
            eprintln!(
                "wrote {} features in {} to {}",
                features.len(),
                write.to_crs.name(),
                paths(&written)
            );
            Ok(())
        }
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
