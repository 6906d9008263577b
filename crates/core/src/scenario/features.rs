//! What every scenario format is read into before it becomes a [`Scenario`]: features with
//! their properties and the coordinate system they are in. Here the file's column names are
//! mapped to patrolmap's fields (by a mapping the planner gives, then by their Chinese or
//! English names), numbers written as text are read as numbers, one-member multi-geometries
//! are unwrapped, and every position is converted to WGS 84.

use geojson::{Feature, GeometryValue, JsonObject, JsonValue};

use super::{column_name, FeatureProblem, ReadError, Scenario, TextEncoding};
use crate::crs::{zone_from_eastings, Crs};
use crate::formats::each_position;

/// The file formats patrolmap reads scenarios from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// GeoJSON (`.geojson`, `.json`).
    Geojson,
    /// Comma-separated values with a header (`.csv`).
    Csv,
    /// Esri Shapefile (`.shp` with `.dbf`, `.shx`, `.prj`, `.cpg`; or a `.zip` of them).
    Shapefile,
    /// OGC GeoPackage (`.gpkg`).
    Geopackage,
    /// KML (`.kml`).
    Kml,
    /// Zipped KML (`.kmz`).
    Kmz,
}

impl FileFormat {
    /// The format a file name's extension says.
    ///
    /// ```
    /// use patrolmap_core::scenario::FileFormat;
    /// assert_eq!(FileFormat::from_name("岗亭.SHP"), Some(FileFormat::Shapefile));
    /// assert_eq!(FileFormat::from_name("notes.docx"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<FileFormat> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "geojson" | "json" => FileFormat::Geojson,
            "csv" | "txt" => FileFormat::Csv,
            "shp" | "zip" | "dbf" => FileFormat::Shapefile,
            "gpkg" => FileFormat::Geopackage,
            "kml" => FileFormat::Kml,
            "kmz" => FileFormat::Kmz,
            _ => return None,
        })
    }

    /// Its name as `--format` and `?format=` say it.
    ///
    /// ```
    /// assert_eq!(patrolmap_core::scenario::FileFormat::Geopackage.as_str(), "geopackage");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Geojson => "geojson",
            FileFormat::Csv => "csv",
            FileFormat::Shapefile => "shapefile",
            FileFormat::Geopackage => "geopackage",
            FileFormat::Kml => "kml",
            FileFormat::Kmz => "kmz",
        }
    }
}

impl std::str::FromStr for FileFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(FileFormat::Geojson),
            "csv" => Ok(FileFormat::Csv),
            "shapefile" | "shp" => Ok(FileFormat::Shapefile),
            "geopackage" | "gpkg" => Ok(FileFormat::Geopackage),
            "kml" => Ok(FileFormat::Kml),
            "kmz" => Ok(FileFormat::Kmz),
            other => Err(format!(
                "{other:?} is not a format (geojson, csv, shapefile, geopackage, kml, kmz)"
            )),
        }
    }
}

/// What a planner may say about a file when reading it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// The coordinate system, overriding what the file says (`--crs`).
    pub crs: Option<Crs>,
    /// The file's column (or attribute) names and the patrolmap field each holds
    /// (`--column 类别=kind`), before the names patrolmap knows.
    pub columns: Vec<(String, String)>,
    /// Whether every position's two numbers are read the other way round (a file with
    /// latitude first: the import's warning offers it).
    pub swap_lon_lat: bool,
}

/// The features of a file, as its format reader found them.
#[derive(Clone, Debug, Default)]
pub struct FeatureSet {
    /// The features in file order (a feature's index is its place here); a feature that its
    /// reader already refused has no geometry and a problem in `problems`.
    pub features: Vec<Feature>,
    /// Features the format reader refused, by index.
    pub problems: Vec<FeatureProblem>,
    /// The coordinate system the file names (`.prj`, a GeoPackage's table, GeoJSON's `crs`).
    pub crs: Option<Crs>,
    /// The text encoding found, for formats that have one.
    pub encoding: Option<TextEncoding>,
}

/// How the coordinate system of a file was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CrsFound {
    /// Given by the planner (`--crs`, the map's choice).
    Given,
    /// Named by the file (`.prj`, the GeoPackage's spatial reference table, GeoJSON `crs`).
    File,
    /// Told by the zone number in front of the eastings (a Gauss-Krüger file with no `.prj`).
    ZonePrefix,
    /// Every position is a longitude and latitude, and nothing else was said: WGS 84.
    Degrees,
}

/// The coordinate system a file was read in.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CrsReport {
    /// `EPSG:NNNN`, `gcj02` or `bd09`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// How it was decided.
    pub found: CrsFound,
    /// Whether positions were converted to WGS 84 (false for WGS 84 and CGCS2000).
    pub converted: bool,
}

/// The file's coordinate system: the planner's, the file's, or told by the coordinates.
fn decide_crs(set: &FeatureSet, options: &ReadOptions) -> Result<(Crs, CrsFound), ReadError> {
    if let Some(crs) = &options.crs {
        return Ok((crs.clone(), CrsFound::Given));
    }
    if let Some(crs) = &set.crs {
        return Ok((crs.clone(), CrsFound::File));
    }
    let mut positions = Vec::new();
    for f in &set.features {
        if let Some(g) = &f.geometry {
            each_position(&g.value, &mut |p| positions.push([p[0], p[1]]));
        }
    }
    let degrees = |p: &[f64; 2]| p[0].abs() <= 180.0 && p[1].abs() <= 90.0;
    // Mostly degrees: WGS 84, and the odd position out of range is that feature's problem.
    if positions.iter().filter(|p| degrees(p)).count() * 2 >= positions.len() {
        return Ok((Crs::Wgs84, CrsFound::Degrees));
    }
    let eastings: Vec<f64> = positions
        .iter()
        .filter(|p| !degrees(p))
        .map(|p| p[0])
        .collect();
    if let Some(crs) = zone_from_eastings(&eastings) {
        return Ok((crs, CrsFound::ZonePrefix));
    }
    let example = positions
        .iter()
        .find(|p| !degrees(p))
        .copied()
        .unwrap_or_default();
    Err(ReadError::NoCrs { example })
}

/// A multi-geometry of one member as that member (Shapefiles and KML store every line as a
/// multi-line); others as they are.
fn unwrap_single(value: GeometryValue) -> GeometryValue {
    match value {
        GeometryValue::MultiPoint { mut coordinates } if coordinates.len() == 1 => {
            GeometryValue::Point {
                coordinates: coordinates.pop().expect("one"),
            }
        }
        GeometryValue::MultiLineString { mut coordinates } if coordinates.len() == 1 => {
            GeometryValue::LineString {
                coordinates: coordinates.pop().expect("one"),
            }
        }
        GeometryValue::MultiPolygon { mut coordinates } if coordinates.len() == 1 => {
            GeometryValue::Polygon {
                coordinates: coordinates.pop().expect("one"),
            }
        }
        other => other,
    }
}

/// Properties with patrolmap's field names: the planner's mapping first, then
/// [`column_name`] of the lower-cased name; numbers written as text become numbers.
fn normalise(properties: &JsonObject, columns: &[(String, String)]) -> JsonObject {
    let mut out = JsonObject::new();
    for (key, value) in properties {
        let given = columns
            .iter()
            .find(|(from, _)| from == key || from.eq_ignore_ascii_case(key));
        let lower = key.trim().trim_start_matches('\u{feff}').to_lowercase();
        let name = match given {
            Some((_, to)) => to.clone(),
            None => column_name(&lower).to_string(),
        };
        let value = match value {
            JsonValue::String(s) if matches!(name.as_str(), "turnout_s" | "weight" | "dwell_s") => {
                match s.trim().parse::<f64>() {
                    Ok(v) if v.is_finite() => serde_json::json!(v),
                    _ if s.trim().is_empty() => JsonValue::Null,
                    _ => value.clone(),
                }
            }
            JsonValue::String(s) if s.trim().is_empty() => JsonValue::Null,
            _ => value.clone(),
        };
        // The first column of a field wins (a file with both `name` and `名称` keeps `name`
        // where it came first).
        out.entry(name).or_insert(value);
    }
    out
}

/// Reads features into a scenario: the coordinate system decided and applied, the columns
/// mapped, every feature read or refused with its reason.
///
/// ```
/// use patrolmap_core::crs::Crs;
/// use patrolmap_core::scenario::{read_features, FeatureSet, ReadOptions, CrsFound};
/// let gk = Crs::from_epsg(4547).unwrap();
/// let [x, y] = gk.from_wgs84([112.94, 27.83]);
/// let collection: geojson::FeatureCollection = serde_json::from_value(serde_json::json!({
///   "type": "FeatureCollection", "features": [{"type": "Feature",
///     "properties": {"类型": "岗亭", "名称": "岳塘", "出警准备时间": "30"},
///     "geometry": {"type": "Point", "coordinates": [x, y]}}]})).unwrap();
/// let set = FeatureSet { features: collection.features, crs: Some(gk), ..Default::default() };
/// let (s, crs) = read_features(set, &ReadOptions::default()).unwrap();
/// assert_eq!(s.units[0].name.as_deref(), Some("岳塘"));
/// assert_eq!(s.units[0].turnout_s, 30.0);
/// assert!((s.units[0].position[0] - 112.94).abs() < 1e-9);
/// assert_eq!((crs.code.as_str(), crs.found, crs.converted), ("EPSG:4547", CrsFound::File, true));
/// ```
pub fn read_features(
    mut set: FeatureSet,
    options: &ReadOptions,
) -> Result<(Scenario, CrsReport), ReadError> {
    let report = into_wgs84(&mut set, options)?;
    let refused: std::collections::HashSet<usize> =
        set.problems.iter().map(|p| p.feature).collect();
    for feature in &mut set.features {
        let properties = normalise(
            feature.properties.as_ref().unwrap_or(&JsonObject::new()),
            &options.columns,
        );
        feature.properties = Some(properties);
    }
    let mut scenario = super::geojson_reader::read_collection(&set.features, &refused);
    scenario.problems.extend(set.problems);
    scenario.problems.sort_by_key(|p| p.feature);
    Ok((scenario, report))
}

/// Every position of `set` in WGS 84: the coordinate system decided (the planner's, the
/// file's, or told by the coordinates), positions swapped first when asked, one-member
/// multi-geometries unwrapped.
///
/// ```
/// use patrolmap_core::scenario::{into_wgs84, read_geojson_set, ReadOptions};
/// let mut set = read_geojson_set(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
///   "geometry":{"type":"Point","coordinates":[38500000,0]}}]}"#).unwrap();
/// let crs = into_wgs84(&mut set, &ReadOptions::default()).unwrap();
/// assert_eq!(crs.code, "EPSG:4526");
/// ```
pub fn into_wgs84(set: &mut FeatureSet, options: &ReadOptions) -> Result<CrsReport, ReadError> {
    let (crs, found) = decide_crs(set, options)?;
    let converted = !matches!(crs, Crs::Wgs84 | Crs::Cgcs2000);
    for feature in &mut set.features {
        if let Some(g) = feature.geometry.as_mut() {
            g.value = unwrap_single(std::mem::replace(
                &mut g.value,
                GeometryValue::GeometryCollection { geometries: vec![] },
            ));
            if options.swap_lon_lat {
                crate::formats::transform(&mut g.value, |[x, y]| [y, x]);
            }
            if converted {
                crate::formats::transform(&mut g.value, |p| crs.to_wgs84(p));
            }
        }
    }
    Ok(CrsReport {
        code: crs.code(),
        name: crs.name(),
        found,
        converted,
    })
}
