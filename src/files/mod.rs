//! Scenario and layer files in and out: the formats a Chinese police GIS team's files come in
//! (GeoJSON, CSV, Shapefile, GeoPackage, KML, KMZ), read from a path or from an upload's bytes
//! into one report; and the exports (GeoJSON, Shapefile, GeoPackage, KML, CSV, GPX) in WGS
//! 84, CGCS2000, a Gauss-Krüger zone or GCJ-02. The format readers are pure (in the core);
//! here are the files, the zip archives and SQLite.

mod gpkg;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use geojson::Feature;

use crate::scenario::{
    self, CrsReport, FeatureSet, FileFormat, ReadOptions, Scenario, TextEncoding,
};
use patrolmap_core::crs::Crs;
use patrolmap_core::formats::{self, dbf::DbfEncoding, shapefile::ShapefileParts};

/// The largest file (or zip member) read: a scenario is thousands of features, not millions.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// What reading a file found, before anything is changed.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FileReport {
    /// The format read.
    pub format: FileFormat,
    /// The text encoding found (`utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`, `gb18030`), for
    /// formats with text.
    pub encoding: Option<TextEncoding>,
    /// The coordinate system, how it was decided, and whether positions were converted.
    pub crs: CrsReport,
    /// The files read (a Shapefile's parts, a zip's members).
    pub files: Vec<String>,
}

/// A file read: the scenario (with the features it refused) and the report.
pub struct ReadFile {
    /// The scenario read.
    pub scenario: Scenario,
    /// What was found.
    pub report: FileReport,
}

/// The members of a zip archive as names and bytes, refusing one larger than the limit.
fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).context("not a zip archive")?;
    let mut members = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i)?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_string();
        total += file.size();
        if total > MAX_FILE_BYTES {
            bail!(
                "{name}: the archive unpacks to more than {} MB",
                MAX_FILE_BYTES >> 20
            );
        }
        let mut data = Vec::new();
        file.by_ref()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut data)?;
        members.push((name, data));
    }
    Ok(members)
}

/// A zip archive of `files` (deflated).
fn zip_of(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in files {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(data)?;
    }
    Ok(writer.finish()?.into_inner())
}

fn lower_ext(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// The Shapefiles among `members` (name, bytes), read and joined in name order.
fn shapefiles(members: &[(String, Vec<u8>)]) -> Result<(FeatureSet, Vec<String>)> {
    let mut shps: Vec<&(String, Vec<u8>)> = members
        .iter()
        .filter(|(n, _)| lower_ext(n) == "shp")
        .collect();
    shps.sort_by(|a, b| a.0.cmp(&b.0));
    if shps.is_empty() {
        bail!(
            "no .shp in the archive (found: {})",
            members
                .iter()
                .map(|m| m.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let part = |s: &str, ext: &str| {
        members
            .iter()
            .find(|(n, _)| stem(n) == s && lower_ext(n) == ext)
            .map(|(_, b)| b.as_slice())
    };
    let mut joined = FeatureSet::default();
    let mut files = Vec::new();
    for (name, shp) in shps {
        let s = stem(name);
        let text = |ext| part(s, ext).map(|b| String::from_utf8_lossy(b).into_owned());
        let (prj, cpg) = (text("prj"), text("cpg"));
        let dbf = part(s, "dbf");
        let set = formats::shapefile::read(ShapefileParts {
            shp,
            dbf,
            prj: prj.as_deref(),
            cpg: cpg.as_deref(),
        })
        .with_context(|| name.clone())?;
        files.push(name.clone());
        files.extend(
            ["dbf", "prj", "cpg"]
                .iter()
                .filter(|e| part(s, e).is_some())
                .map(|e| format!("{s}.{e}")),
        );
        if !joined.features.is_empty() && joined.crs != set.crs {
            bail!("{name} is in another coordinate system than the Shapefiles before it");
        }
        let offset = joined.features.len();
        joined
            .problems
            .extend(set.problems.into_iter().map(|mut p| {
                p.feature += offset;
                p
            }));
        joined.features.extend(set.features);
        joined.crs = set.crs;
        joined.encoding = joined.encoding.or(set.encoding);
    }
    Ok((joined, files))
}

/// Reads a scenario from a file's bytes: `name` (the file's name, or just its extension)
/// says the format unless `format` does; a Shapefile comes as a zip of its parts.
pub fn read_bytes(
    name: &str,
    format: Option<FileFormat>,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<ReadFile> {
    let (set, format, files) = set_from_bytes(name, format, bytes, options)?;
    finish(set, format, files, options)
}

/// The features of a file's bytes as its format reader found them, with the format and the
/// files read.
fn set_from_bytes(
    name: &str,
    format: Option<FileFormat>,
    bytes: &[u8],
    options: &ReadOptions,
) -> Result<(FeatureSet, FileFormat, Vec<String>)> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("{name}: larger than {} MB", MAX_FILE_BYTES >> 20);
    }
    let format = format
        .or_else(|| FileFormat::from_name(name))
        .with_context(|| {
            format!("{name}: which format? (.geojson, .csv, .shp/.zip, .gpkg, .kml, .kmz)")
        })?;
    let mut files = vec![name.to_string()];
    let set = match format {
        FileFormat::Geojson => {
            let (text, encoding) = scenario::decode_text(bytes)?;
            FeatureSet {
                encoding: Some(encoding),
                ..scenario::read_geojson_set(&text)?
            }
        }
        FileFormat::Csv => {
            let (text, encoding) = scenario::decode_text(bytes)?;
            FeatureSet {
                encoding: Some(encoding),
                ..scenario::read_csv_set(&text, &options.columns)?
            }
        }
        FileFormat::Kml => formats::kml::read(&scenario::decode_text(bytes)?.0)?,
        FileFormat::Kmz => {
            let members = unzip(bytes)?;
            let (member, kml) = members
                .iter()
                .find(|(n, _)| lower_ext(n) == "kml")
                .context("no .kml inside the .kmz")?;
            files = vec![member.clone()];
            formats::kml::read(&scenario::decode_text(kml)?.0)?
        }
        FileFormat::Shapefile if bytes.starts_with(b"PK") => {
            let (set, parts) = shapefiles(&unzip(bytes)?)?;
            files = parts;
            set
        }
        FileFormat::Shapefile => formats::shapefile::read(ShapefileParts {
            shp: bytes,
            ..Default::default()
        })?,
        FileFormat::Geopackage => {
            // SQLite reads files: the upload goes to a private temporary file, removed after.
            with_temp_gpkg("upload", |path| {
                std::fs::write(path, bytes)?;
                gpkg::read(path)
            })?
        }
    };
    Ok((set, format, files))
}

/// `f` of a GeoPackage path in a private temporary folder of its own, removed after
/// whatever `f` did (SQLite works on files, uploads and exports are bytes).
fn with_temp_gpkg<T>(what: &str, f: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("patrolmap-{what}-{}-{n}", std::process::id()));
    std::fs::create_dir(&dir)?;
    let result = f(&dir.join(format!("{what}.gpkg")));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn finish(
    set: FeatureSet,
    format: FileFormat,
    files: Vec<String>,
    options: &ReadOptions,
) -> Result<ReadFile> {
    let encoding = set.encoding;
    let (scenario, crs) = scenario::read_features(set, options)?;
    Ok(ReadFile {
        scenario,
        report: FileReport {
            format,
            encoding,
            crs,
            files,
        },
    })
}

/// The file beside `path` with extension `ext` (either case), when there is one.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_string(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

/// Reads a scenario file at `path`: a Shapefile's `.shp` with the parts beside it, a
/// GeoPackage, or any format [`read_bytes`] reads.
pub fn read_path(
    path: &Path,
    format: Option<FileFormat>,
    options: &ReadOptions,
) -> Result<ReadFile> {
    let (set, format, files) = set_from_path(path, format, options)?;
    finish(set, format, files, options).with_context(|| path.display().to_string())
}

/// The features of the file at `path` as its format reader found them.
fn set_from_path(
    path: &Path,
    format: Option<FileFormat>,
    options: &ReadOptions,
) -> Result<(FeatureSet, FileFormat, Vec<String>)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = format.or_else(|| FileFormat::from_name(&name));
    let meta =
        std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        bail!(
            "{}: larger than {} MB",
            path.display(),
            MAX_FILE_BYTES >> 20
        );
    }
    let read = match format {
        Some(FileFormat::Geopackage) => {
            gpkg::read(path).map(|set| (set, FileFormat::Geopackage, vec![name.clone()]))
        }
        Some(FileFormat::Shapefile) if lower_ext(&name) == "shp" => {
            let mut members = vec![(name.clone(), std::fs::read(path)?)];
            for ext in ["dbf", "prj", "cpg"] {
                if let Some(p) = sibling(path, ext) {
                    members.push((format!("{}.{ext}", stem(&name)), std::fs::read(p)?));
                }
            }
            shapefiles(&members).map(|(set, files)| (set, FileFormat::Shapefile, files))
        }
        _ => {
            let bytes =
                std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
            set_from_bytes(&name, format, &bytes, options)
        }
    };
    read.with_context(|| path.display().to_string())
}

/// Any file's features in WGS 84 (a coverage layer, patrol routes, roads), read by its
/// format's reader without taking them as a scenario, with the coordinate system found.
pub fn read_features_any(path: &Path, options: &ReadOptions) -> Result<(Vec<Feature>, CrsReport)> {
    let (mut set, _, _) = set_from_path(path, None, options)?;
    let crs =
        scenario::into_wgs84(&mut set, options).with_context(|| path.display().to_string())?;
    Ok((set.features, crs))
}

/// Whether `path` is a road layer of a GIS format (a Shapefile, its zip, a GeoPackage) rather
/// than OpenStreetMap or GeoJSON roads.
pub fn is_road_layer(path: &Path) -> bool {
    matches!(
        lower_ext(&path.to_string_lossy()).as_str(),
        "shp" | "zip" | "gpkg"
    )
}

/// Loads a Shapefile or GeoPackage road layer through its fields (`[road_layer]` of the
/// profile config), in the coordinate system the file names (or `crs`): the network, and how
/// its directions were read.
pub fn load_road_layer(
    path: &Path,
    fields: &crate::network::road_layer::RoadLayerFields,
    crs: Option<Crs>,
) -> Result<(
    crate::network::RoadNetwork,
    crate::network::road_layer::RoadLayerReport,
)> {
    let options = ReadOptions {
        crs,
        ..Default::default()
    };
    let (mut set, _, _) = set_from_path(path, None, &options)?;
    scenario::into_wgs84(&mut set, &options).with_context(|| path.display().to_string())?;
    let (features, report) = crate::network::road_layer::road_features(&set.features, fields);
    let collection = geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    };
    let network = crate::network::road_geojson::read_collection(&collection, path)?;
    Ok((network, report))
}

/// The scenario in a file of any format, as every command that takes `--scenario` reads it.
pub fn load_scenario(path: &Path) -> Result<Scenario> {
    Ok(read_path(path, None, &ReadOptions::default())?.scenario)
}

/// The formats patrolmap exports to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// GeoJSON (in WGS 84 unless asked otherwise, with GDAL's `crs` member then).
    Geojson,
    /// A zip of Shapefiles (points, lines, polygons), each with `.prj` and `.cpg`.
    Shapefile,
    /// A GeoPackage with a table per geometry type.
    Geopackage,
    /// KML (always WGS 84, as KML is).
    Kml,
    /// CSV for Excel: points as lon, lat; lines and polygons as WKT.
    Csv,
    /// GPX tracks of the line features (patrol routes).
    Gpx,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <ExportFormat as clap::ValueEnum>::from_str(s, true).map_err(|_| {
            format!("{s:?} is not an export format (geojson, shapefile, geopackage, kml, csv, gpx)")
        })
    }
}

/// An exported file.
pub struct Export {
    /// Its file name.
    pub file_name: String,
    /// Its media type.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Exports `features` (WGS 84) as `format` in `crs` (KML and GPX are WGS 84 whatever is
/// asked), named `stem`; the Shapefile's text in `encoding`.
pub fn export(
    features: &[Feature],
    format: ExportFormat,
    crs: &Crs,
    stem: &str,
    encoding: DbfEncoding,
) -> Result<Export> {
    let converted = || -> Vec<Feature> {
        let mut out = features.to_vec();
        for f in &mut out {
            if let Some(g) = f.geometry.as_mut() {
                formats::transform(&mut g.value, |p| crs.from_wgs84(p));
            }
        }
        out
    };
    Ok(match format {
        ExportFormat::Geojson => {
            let mut collection =
                serde_json::json!({"type": "FeatureCollection", "features": converted()});
            if let (Some(code), false) = (crs.epsg(), *crs == Crs::Wgs84) {
                collection["crs"] = serde_json::json!({"type": "name", "properties": {"name": format!("urn:ogc:def:crs:EPSG::{code}")}});
            }
            Export {
                file_name: format!("{stem}.geojson"),
                content_type: "application/geo+json",
                bytes: serde_json::to_vec_pretty(&collection)?,
            }
        }
        ExportFormat::Shapefile => Export {
            file_name: format!("{stem}.zip"),
            content_type: "application/zip",
            bytes: zip_of(&formats::shapefile::write(features, crs, encoding, stem))?,
        },
        ExportFormat::Geopackage => {
            let written = with_temp_gpkg("export", |path| {
                gpkg::write(path, features, crs)?;
                Ok(std::fs::read(path)?)
            });
            Export {
                file_name: format!("{stem}.gpkg"),
                content_type: "application/geopackage+sqlite3",
                bytes: written?,
            }
        }
        ExportFormat::Kml => Export {
            file_name: format!("{stem}.kml"),
            content_type: "application/vnd.google-earth.kml+xml",
            bytes: formats::kml::write(features, stem).into_bytes(),
        },
        ExportFormat::Csv => Export {
            file_name: format!("{stem}.csv"),
            content_type: "text/csv; charset=utf-8",
            bytes: formats::csv::write(&converted()).into_bytes(),
        },
        ExportFormat::Gpx => Export {
            file_name: format!("{stem}.gpx"),
            content_type: "application/gpx+xml",
            bytes: formats::gpx::write(features).into_bytes(),
        },
    })
}

/// Writes an export into `dir` or at `path`: a file as it is (a Shapefile's zip unpacked when
/// `path` ends in `.shp`).
pub fn write_export(export: &Export, path: &Path) -> Result<Vec<PathBuf>> {
    if lower_ext(&path.to_string_lossy()) == "shp" {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut written = Vec::new();
        let want = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!("{}_", stem(&export.file_name));
        for (name, data) in unzip(&export.bytes)? {
            // `{stem}_points.shp` etc. become `{want}_points.shp`.
            let rest = name.strip_prefix(&prefix).unwrap_or(&name);
            let target = dir.join(format!("{want}_{rest}"));
            std::fs::write(&target, data)
                .with_context(|| format!("{}: cannot write", target.display()))?;
            written.push(target);
        }
        return Ok(written);
    }
    std::fs::write(path, &export.bytes)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(vec![path.to_path_buf()])
}
