//! The police layers of a scenario: responding units and posts, checkpoints, key sites,
//! incidents, patrol lines and closures, read from GeoJSON or CSV.
//!
//! Reading never stops at a bad feature: each one is reported by its index with the reason,
//! and the rest loads.

pub mod changes;
mod csv;
mod features;
pub mod generate;
mod geojson_reader;
pub mod schedule;
mod text;
mod warnings;
pub mod write;

use std::path::{Path, PathBuf};

use crate::network::TravelMode;

pub use csv::{column_name, read_csv_set, read_csv_str};
pub use features::{
    into_wgs84, read_features, CrsFound, CrsReport, FeatureSet, FileFormat, ReadOptions,
};
pub use geojson_reader::{read_geojson_set, read_geojson_str};
pub use text::{decode_text, EncodingError, TextEncoding};
pub use warnings::{position_warnings, ImportWarning, WarningCode, FAR_M, SEARCH_M};

/// Whether a responder moves (a patrol) or stands (a fixed post).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Mobile: patrol car, e-bike, foot patrol.
    Unit,
    /// Fixed: armed duty point, quick-response platform, police station.
    Post,
}

/// A unit or post that responds to incidents.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Unit {
    /// Its `id`, or `unit-N` (N = its index among units) when it has none.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Unit or post.
    pub kind: UnitKind,
    /// Its class (`kiosk`, `station`, `patrol`, `sub_bureau`, `city_unit`…), for tiers.
    pub class: Option<String>,
    /// How it travels.
    pub mode: TravelMode,
    /// Delay before it moves, in seconds.
    pub turnout_s: f64,
    /// Where it is, `[lon, lat]`.
    pub position: [f64; 2],
    /// Index of its feature (or CSV row) in the file.
    pub feature: usize,
    /// A patrol unit's duty hours and breaks (`shift`, `break`).
    pub duty: schedule::Duty,
}

/// A place that must be reached: a checkpoint, key site or incident.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Site {
    /// Its `id`, or a generated one.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Demand weight (default 1).
    pub weight: f64,
    /// Dwell time at a checkpoint, in seconds (default 300).
    pub dwell_s: f64,
    /// Where it is, `[lon, lat]`.
    pub position: [f64; 2],
    /// Index of its feature in the file.
    pub feature: usize,
    /// For a checkpoint: how often and when it is visited (`every`, `passes`, `windows`).
    pub schedule: schedule::Schedule,
    /// For an incident of a call history: when the call came in, Unix seconds (`time`:
    /// Unix seconds or RFC 3339); a drill replays such incidents at their times.
    pub time_s: Option<f64>,
}

/// A mandatory patrol line as drawn by a planner.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PatrolLine {
    /// Its `id`, or a generated one.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// The drawn line, `[lon, lat]` positions.
    pub line: Vec<[f64; 2]>,
    /// Index of its feature in the file.
    pub feature: usize,
    /// How often and when it is patrolled (`every`, `passes`, `windows`).
    pub schedule: schedule::Schedule,
}

/// A closed road stretch (event perimeter, works): a line or a polygon.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Closure {
    /// Its `id`, or a generated one.
    pub id: String,
    /// The closing geometry: a line (`polygon == false`) or a polygon's outer ring.
    pub ring: Vec<[f64; 2]>,
    /// Whether `ring` is a polygon ring.
    pub polygon: bool,
    /// Index of its feature in the file.
    pub feature: usize,
}

/// What an area of a scenario is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    /// An event venue (`kind: event_area`): its roads and hot spots get their own standard.
    Event,
    /// Where no post may stand (`kind: no_go`): water, private ground, the crowd itself.
    NoGo,
}

impl AreaKind {
    /// Its `kind` in a scenario file.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaKind::Event => "event_area",
            AreaKind::NoGo => "no_go",
        }
    }
}

/// A polygon of a scenario: an event venue or a no-go area.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Area {
    /// Its `id`, or a generated one.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Event venue or no-go area.
    pub kind: AreaKind,
    /// The outer ring, `[lon, lat]` positions, closed.
    pub ring: Vec<[f64; 2]>,
    /// When the event starts and ends (`start`, `end`, as written, e.g. ISO 8601).
    pub window: Option<(String, String)>,
    /// The event's own response standard (`standard`, e.g. `60:2,180:3`), as written; checked
    /// where it is used.
    pub standard: Option<String>,
    /// Index of its feature in the file.
    pub feature: usize,
}

/// A feature that was not loaded, and why; or, for [`ProblemCode::BadSchedule`], one loaded
/// without the schedule field that did not read (what a timetable then refuses).
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FeatureProblem {
    /// Index of the feature (or CSV data row, from 0) in the file.
    pub feature: usize,
    /// What kind of problem it is: a stable name the map says in the user's language.
    pub code: ProblemCode,
    /// The property or column at fault, when one is.
    pub field: Option<String>,
    /// What is wrong with it, in English, with the value found.
    pub reason: String,
}

impl FeatureProblem {
    /// Feature `feature`'s problem `code` with `field` (the property at fault) and `reason`.
    pub fn new(
        feature: usize,
        code: ProblemCode,
        field: Option<&str>,
        reason: impl Into<String>,
    ) -> Self {
        FeatureProblem {
            feature,
            code,
            field: field.map(str::to_string),
            reason: reason.into(),
        }
    }
}

/// What is wrong with a feature that was not loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The feature has no geometry.
    NoGeometry,
    /// A position that is no longitude/latitude (out of range, not a number, or swapped).
    InvalidPosition,
    /// A property that must be a number is not one.
    NotANumber,
    /// A number that must be zero or more is negative (or not finite).
    Negative,
    /// A travel mode patrolmap does not know.
    UnknownMode,
    /// A kind patrolmap does not know, for this geometry.
    UnknownKind,
    /// A line with fewer than two valid positions.
    ShortLine,
    /// A polygon without a ring of four valid positions.
    BadPolygon,
    /// An event area with a start and no end, or the reverse.
    StartWithoutEnd,
    /// A schedule field (`every`, `passes`, `windows`, `shift`, `break`) that does not read:
    /// the feature is loaded without it, and a shift timetable is refused until it reads.
    BadSchedule,
    /// An incident's `time` that is neither Unix seconds nor RFC 3339: the incident is
    /// loaded without it (a drill does not replay it at a time).
    BadTime,
}

impl ProblemCode {
    /// Every code, for the map's message table and its test.
    pub const ALL: [ProblemCode; 11] = [
        ProblemCode::NoGeometry,
        ProblemCode::InvalidPosition,
        ProblemCode::NotANumber,
        ProblemCode::Negative,
        ProblemCode::UnknownMode,
        ProblemCode::UnknownKind,
        ProblemCode::ShortLine,
        ProblemCode::BadPolygon,
        ProblemCode::StartWithoutEnd,
        ProblemCode::BadSchedule,
        ProblemCode::BadTime,
    ];
}

/// Everything a scenario file holds.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Scenario {
    /// Responding units and posts, in file order.
    pub units: Vec<Unit>,
    /// Mandatory checkpoints.
    pub checkpoints: Vec<Site>,
    /// Key sites (schools, hospitals, banks…).
    pub key_sites: Vec<Site>,
    /// Past incidents (demand).
    pub incidents: Vec<Site>,
    /// Mandatory patrol lines.
    pub patrol_lines: Vec<PatrolLine>,
    /// Road closures.
    pub closures: Vec<Closure>,
    /// Candidate places for new posts (`kind: candidate` Points).
    pub candidates: Vec<Site>,
    /// Event venues and no-go areas.
    pub areas: Vec<Area>,
    /// Features that were not loaded.
    pub problems: Vec<FeatureProblem>,
}

/// How many features of each layer a scenario holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LayerCounts {
    /// Responding units and posts.
    pub units: usize,
    /// Checkpoints.
    pub checkpoints: usize,
    /// Key sites.
    pub key_sites: usize,
    /// Incidents.
    pub incidents: usize,
    /// Patrol lines.
    pub patrol_lines: usize,
    /// Closures.
    pub closures: usize,
}

impl Scenario {
    /// How many features of each layer it holds.
    ///
    /// ```
    /// let s = patrolmap_core::scenario::Scenario::default();
    /// assert_eq!(s.counts().units, 0);
    /// ```
    pub fn counts(&self) -> LayerCounts {
        LayerCounts {
            units: self.units.len(),
            checkpoints: self.checkpoints.len(),
            key_sites: self.key_sites.len(),
            incidents: self.incidents.len(),
            patrol_lines: self.patrol_lines.len(),
            closures: self.closures.len(),
        }
    }
}

/// What can go wrong reading a scenario file as a whole (bad features are
/// [`FeatureProblem`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{path}: cannot read")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a GeoJSON FeatureCollection, or not a CSV with `lon` and `lat` columns.
    #[error("{path}")]
    Format {
        path: PathBuf,
        #[source]
        source: ReadError,
    },
}

/// Why a text is not a scenario at all (a bad feature is a [`FeatureProblem`], not this).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not GeoJSON, or not a FeatureCollection.
    #[error("invalid GeoJSON (a scenario must be a FeatureCollection)")]
    NotGeoJson(#[source] serde_json::Error),
    /// Bytes that are not text in any encoding tried.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// A coordinate system that cannot be used.
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
    /// Positions in metres (or anything not degrees) and nothing to say which system.
    #[error("the positions are not longitudes and latitudes (e.g. {example:?}) and the file names no coordinate system: give it (--crs EPSG:NNNN, a .prj beside a Shapefile)")]
    NoCrs {
        /// A position found.
        example: [f64; 2],
    },
    /// A CSV with no header.
    #[error("empty CSV: expected a header with lon and lat")]
    EmptyCsv,
    /// A CSV whose header has no `lon` or no `lat`.
    #[error("the CSV header must name lon and lat columns (found: {found})")]
    CsvHeader {
        /// The header as found.
        found: String,
    },
}

/// Reads a scenario from GeoJSON (`.geojson`, `.json`) or CSV (`.csv`), in UTF-8 (with or
/// without a byte-order mark), UTF-16 with its mark, or GBK/GB18030 ([`decode_text`]).
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let result = decode_text(&bytes)
        .map_err(ReadError::from)
        .and_then(|(text, _)| {
            if is_csv {
                read_csv_str(&text)
            } else {
                read_geojson_str(&text)
            }
        });
    result.map_err(|source| ScenarioError::Format {
        path: path.to_path_buf(),
        source,
    })
}

/// A feature kind as written in a file, in English or in the Chinese a police GIS table uses
/// (`岗亭` is `post`, `必巡点` is `checkpoint`, …); anything else as written.
///
/// ```
/// use patrolmap_core::scenario::kind_name;
/// assert_eq!(kind_name("必巡点"), "checkpoint");
/// assert_eq!(kind_name("post"), "post");
/// ```
pub fn kind_name(kind: &str) -> &str {
    match kind.trim() {
        "警力" | "巡逻警力" | "警车" | "巡逻车" => "unit",
        "岗亭" | "岗位" | "警务站" | "执勤点" | "派出所" => "post",
        "必巡点" | "必到点" | "打卡点" => "checkpoint",
        "重点部位" | "重点单位" => "key_site",
        "警情" | "案件" | "事件" => "incident",
        "候选点" | "候选点位" => "candidate",
        "巡逻线路" | "必巡线路" | "巡逻路线" | "巡线" => "patrol_line",
        "封控" | "封闭" | "管制" | "交通管制" => "closure",
        "活动区域" | "安保区域" | "活动场地" => "event_area",
        "禁区" | "禁入区域" => "no_go",
        other => other,
    }
}

/// The fields a point feature or CSV row may carry, before they are given a kind.
#[derive(Default)]
pub(crate) struct PointFields<'a> {
    pub kind: Option<&'a str>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub class: Option<String>,
    pub mode: Option<&'a str>,
    pub turnout_s: Option<f64>,
    pub weight: Option<f64>,
    pub dwell_s: Option<f64>,
    pub time_s: Option<f64>,
    pub schedule: schedule::Schedule,
    pub duty: schedule::Duty,
}

impl Scenario {
    /// Adds a point feature of any kind, or a problem for it.
    pub(crate) fn add_point(&mut self, feature: usize, position: [f64; 2], f: PointFields) {
        if !crate::network::geodesy::is_valid_lon_lat(position) {
            self.problems.push(FeatureProblem::new(
                feature,
                ProblemCode::InvalidPosition,
                None,
                format!("invalid position {position:?}"),
            ));
            return;
        }
        let check = |what: &str, v: Option<f64>, default: f64| match v {
            None => Ok(default),
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            Some(v) => Err(FeatureProblem::new(
                feature,
                ProblemCode::Negative,
                Some(what),
                format!("{what} must be a number ≥ 0, got {v}"),
            )),
        };
        match f.kind.map_or("unit", kind_name) {
            kind @ ("unit" | "post") => {
                let mode = match f.mode.map(str::parse::<TravelMode>).transpose() {
                    Ok(m) => m.unwrap_or(TravelMode::Car),
                    Err(e) => {
                        return self.problems.push(FeatureProblem::new(
                            feature,
                            ProblemCode::UnknownMode,
                            Some("mode"),
                            format!("mode: {e}"),
                        ))
                    }
                };
                let turnout_s = match check("turnout_s", f.turnout_s, 0.0) {
                    Ok(v) => v,
                    Err(e) => return self.problems.push(e),
                };
                let index = self.units.len();
                self.units.push(Unit {
                    id: f.id.unwrap_or_else(|| format!("unit-{index}")),
                    name: f.name,
                    kind: if kind == "post" { UnitKind::Post } else { UnitKind::Unit },
                    class: f.class,
                    mode,
                    turnout_s,
                    position,
                    feature,
                    duty: f.duty,
                });
            }
            kind @ ("checkpoint" | "key_site" | "incident" | "candidate") => {
                let (weight, dwell_s) = match (check("weight", f.weight, 1.0), check("dwell_s", f.dwell_s, 300.0)) {
                    (Ok(w), Ok(d)) => (w, d),
                    (Err(e), _) | (_, Err(e)) => return self.problems.push(e),
                };
                let list = match kind {
                    "checkpoint" => &mut self.checkpoints,
                    "key_site" => &mut self.key_sites,
                    "candidate" => &mut self.candidates,
                    _ => &mut self.incidents,
                };
                let id = f.id.unwrap_or_else(|| format!("{kind}-{}", list.len()));
                list.push(Site {
                    id,
                    name: f.name,
                    weight,
                    dwell_s,
                    position,
                    feature,
                    schedule: if kind == "checkpoint" { f.schedule } else { Default::default() },
                    time_s: if kind == "incident" { f.time_s } else { None },
                });
            }
            other => self.problems.push(FeatureProblem::new(
                feature,
                ProblemCode::UnknownKind,
                Some("kind"),
                format!("unknown kind {other:?} for a Point (expected unit, post, checkpoint, key_site, incident or candidate)"),
            )),
        }
    }
}
