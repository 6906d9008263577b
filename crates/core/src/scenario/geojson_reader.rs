//! Scenario features from a GeoJSON FeatureCollection; `properties.kind` says what each is.

use std::collections::HashSet;

use geojson::{Feature, FeatureCollection, GeometryValue, JsonObject, JsonValue};

use super::{
    kind_name, Area, AreaKind, Closure, FeatureProblem, FeatureSet, PatrolLine, PointFields,
    ProblemCode, ReadOptions, Scenario,
};
use crate::crs::Crs;
use crate::network::geodesy::is_valid_lon_lat;

/// `[lon, lat]` of a GeoJSON position (NaN where missing, so it is refused as invalid).
fn lon_lat(p: &[f64]) -> [f64; 2] {
    [
        p.first().copied().unwrap_or(f64::NAN),
        p.get(1).copied().unwrap_or(f64::NAN),
    ]
}

/// Reads scenario GeoJSON text. Only a text that is not a FeatureCollection is an error; bad
/// features become [`FeatureProblem`]s.
///
/// ```
/// let s = patrolmap_core::scenario::read_geojson_str(r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"kind":"post","class":"kiosk"},"geometry":{"type":"Point","coordinates":[112.9,27.8]}},
///   {"type":"Feature","properties":{"kind":"ufo"},"geometry":{"type":"Point","coordinates":[112.9,27.8]}}]}"#).unwrap();
/// assert_eq!(s.units.len(), 1);
/// assert_eq!(s.problems[0].feature, 1);
/// ```
pub fn read_geojson_str(text: &str) -> Result<Scenario, super::ReadError> {
    Ok(super::read_features(read_geojson_set(text)?, &ReadOptions::default())?.0)
}

/// The features of GeoJSON text, with the coordinate system its `crs` member names (GeoJSON
/// 2008, as GDAL writes it for a file not in WGS 84).
///
/// ```
/// let set = patrolmap_core::scenario::read_geojson_set(r#"{"type":"FeatureCollection",
///   "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},"features":[]}"#).unwrap();
/// assert_eq!(set.crs.unwrap().code(), "EPSG:4547");
/// ```
pub fn read_geojson_set(text: &str) -> Result<FeatureSet, super::ReadError> {
    let collection: FeatureCollection =
        serde_json::from_str(text).map_err(super::ReadError::NotGeoJson)?;
    let named = collection
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("crs"))
        .and_then(|c| c.pointer("/properties/name"))
        .and_then(JsonValue::as_str);
    let crs = match named.map(Crs::parse) {
        None => None,
        Some(Ok(crs)) => Some(crs),
        Some(Err(e)) => return Err(super::ReadError::Crs(e)),
    };
    Ok(FeatureSet {
        features: collection.features,
        crs,
        ..FeatureSet::default()
    })
}

/// Reads features whose properties carry patrolmap's field names and whose positions are WGS
/// 84 (what [`super::read_features`] makes of any file); those in `refused` are skipped.
pub(super) fn read_collection(features: &[Feature], refused: &HashSet<usize>) -> Scenario {
    let mut scenario = Scenario::default();
    let empty = JsonObject::new();
    for (index, feature) in features.iter().enumerate() {
        if refused.contains(&index) {
            continue;
        }
        let props = feature.properties.as_ref().unwrap_or(&empty);
        let text = |key: &str| props.get(key).and_then(JsonValue::as_str);
        let owned = |key: &str| match props.get(key) {
            Some(JsonValue::String(s)) => Some(s.clone()),
            Some(JsonValue::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let number = |key: &str| props.get(key).and_then(JsonValue::as_f64);
        let problem = |code: ProblemCode, field: Option<&str>, reason: String| {
            FeatureProblem::new(index, code, field, reason)
        };
        let kind = text("kind").map(kind_name);
        let Some(geometry) = feature.geometry.as_ref() else {
            scenario
                .problems
                .push(problem(ProblemCode::NoGeometry, None, "no geometry".into()));
            continue;
        };
        match (&geometry.value, kind) {
            (GeometryValue::Point { coordinates }, _) => {
                let position = lon_lat(coordinates.as_slice());
                let bad_number = ["turnout_s", "weight", "dwell_s"]
                    .into_iter()
                    .find(|k| props.get(*k).is_some_and(|v| !v.is_number() && !v.is_null()));
                if let Some(key) = bad_number {
                    scenario.problems.push(problem(ProblemCode::NotANumber, Some(key), format!("{key} must be a number")));
                    continue;
                }
                // A schedule that does not read is said, and its feature kept without it: a
                // post's coverage does not hang on its break (the timetable refuses it).
                let schedule = super::schedule::schedule_from(props).unwrap_or_else(|(field, reason)| {
                    scenario.problems.push(problem(ProblemCode::BadSchedule, Some(field), reason));
                    Default::default()
                });
                // A call's time that does not read is said, and the incident kept without it.
                let time_s = match props.get("time") {
                    None | Some(JsonValue::Null) => None,
                    Some(JsonValue::Number(n)) => n.as_f64(),
                    Some(JsonValue::String(s)) => crate::live::time::unix_s(s).or_else(|| {
                        scenario.problems.push(problem(ProblemCode::BadTime, Some("time"), format!("time {s:?} is neither Unix seconds nor RFC 3339 (2026-12-04T08:30:00+08:00)")));
                        None
                    }),
                    Some(other) => {
                        scenario.problems.push(problem(ProblemCode::BadTime, Some("time"), format!("time {other} is neither Unix seconds nor RFC 3339")));
                        None
                    }
                };
                let duty = super::schedule::duty_from(props).unwrap_or_else(|(field, reason)| {
                    scenario.problems.push(problem(ProblemCode::BadSchedule, Some(field), reason));
                    Default::default()
                });
                scenario.add_point(
                    index,
                    position,
                    PointFields {
                        schedule,
                        duty,
                        kind,
                        id: owned("id"),
                        name: owned("name"),
                        class: owned("class"),
                        mode: text("mode"),
                        turnout_s: number("turnout_s"),
                        weight: number("weight"),
                        dwell_s: number("dwell_s"),
                        time_s,
                    },
                );
            }
            (GeometryValue::LineString { coordinates }, Some(kind @ ("patrol_line" | "closure"))) => {
                let line: Vec<[f64; 2]> = coordinates.iter().map(|p| lon_lat(p.as_slice())).collect();
                if line.len() < 2 || !line.iter().all(|&p| is_valid_lon_lat(p)) {
                    scenario
                        .problems
                        .push(problem(ProblemCode::ShortLine, None, format!("{kind}: needs two or more valid positions")));
                    continue;
                }
                let id = owned("id");
                if kind == "patrol_line" {
                    let schedule = super::schedule::schedule_from(props).unwrap_or_else(|(field, reason)| {
                        scenario.problems.push(problem(ProblemCode::BadSchedule, Some(field), reason));
                        Default::default()
                    });
                    let id = id.unwrap_or_else(|| format!("line-{}", scenario.patrol_lines.len()));
                    scenario.patrol_lines.push(PatrolLine {
                        id,
                        name: owned("name"),
                        line,
                        feature: index,
                        schedule,
                    });
                } else {
                    let id = id.unwrap_or_else(|| format!("closure-{}", scenario.closures.len()));
                    scenario.closures.push(Closure {
                        id,
                        ring: line,
                        polygon: false,
                        feature: index,
                    });
                }
            }
            (GeometryValue::Polygon { coordinates }, Some(kind @ ("closure" | "event_area" | "no_go"))) => {
                let ring: Vec<[f64; 2]> = coordinates
                    .first()
                    .map(|r| r.iter().map(|p| lon_lat(p.as_slice())).collect())
                    .unwrap_or_default();
                if ring.len() < 4 || !ring.iter().all(|&p| is_valid_lon_lat(p)) {
                    scenario.problems.push(problem(ProblemCode::BadPolygon, None, format!("{kind}: a polygon needs a ring of 4+ valid positions")));
                    continue;
                }
                if kind == "closure" {
                    let id = owned("id").unwrap_or_else(|| format!("closure-{}", scenario.closures.len()));
                    scenario.closures.push(Closure {
                        id,
                        ring,
                        polygon: true,
                        feature: index,
                    });
                    continue;
                }
                let window = match (owned("start"), owned("end")) {
                    (Some(start), Some(end)) => Some((start, end)),
                    (None, None) => None,
                    _ => {
                        scenario.problems.push(problem(ProblemCode::StartWithoutEnd, Some("start"), format!("{kind}: give both start and end, or neither")));
                        continue;
                    }
                };
                let id = owned("id").unwrap_or_else(|| format!("{kind}-{}", scenario.areas.len()));
                scenario.areas.push(Area {
                    id,
                    name: owned("name"),
                    kind: if kind == "no_go" { AreaKind::NoGo } else { AreaKind::Event },
                    ring,
                    window,
                    standard: owned("standard"),
                    feature: index,
                });
            }
            // A saved patrol plan's route (the map saves its plan with a version): kept in the
            // saved GeoJSON for the map to plan again, no part of the coverage.
            (GeometryValue::LineString { .. }, Some("patrol_route")) => {}
            (value, kind) => scenario.problems.push(problem(ProblemCode::UnknownKind, Some("kind"), format!(
                "a {} with kind {} is not a scenario feature (units, posts, checkpoints, key sites and incidents are Points; candidates are Points; patrol lines LineStrings; closures LineStrings or Polygons; event_area and no_go Polygons)",
                value.type_name(),
                kind.map_or("(none)".to_string(), |k| format!("{k:?}"))
            ))),
        }
    }
    scenario
}
