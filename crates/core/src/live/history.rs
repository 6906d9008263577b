//! A history of 110 calls for a drill: a CSV of `time,lon,lat` (a command centre's call
//! records exported; other columns are ignored), each call at the time it came, so a drill
//! replays a real day's load where it fell.

use super::tracks::{rows, BadCell, Row};

/// A call of the history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PastCall {
    /// When it came, Unix seconds.
    pub time_s: f64,
    /// Where, `[lon, lat]`.
    pub position: [f64; 2],
}

/// Why a call history could not be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// A needed column is missing.
    #[error("no {0} column (the header needs time, lon and lat)")]
    MissingColumn(&'static str),
    /// A value that cannot be read.
    #[error("line {line}, {column}: {reason}")]
    BadValue {
        /// 1-based line number.
        line: usize,
        /// The column.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// No calls.
    #[error("no calls in the file")]
    Empty,
}

impl From<BadCell> for HistoryError {
    fn from(b: BadCell) -> Self {
        HistoryError::BadValue {
            line: b.line,
            column: b.column,
            reason: b.reason,
        }
    }
}

/// The calls of a history CSV, in time order. Columns by header name (`time`, `lon`, `lat`;
/// `x`/`y` and `longitude`/`latitude` too), in any order; `time` is Unix seconds or RFC 3339.
///
/// ```
/// use patrolmap_core::live::history::read_csv;
/// let text = "id,time,lon,lat\n7,2026-12-04T08:30:00+08:00,112.91,27.8\n3,1796342400,112.9,27.8\n";
/// let calls = read_csv(text).unwrap();
/// assert_eq!(calls.len(), 2);
/// assert_eq!(calls[0].time_s, 1796342400.0); // sorted by time
/// assert_eq!(calls[1].position, [112.91, 27.8]);
/// assert!(read_csv("time,lon\n").is_err());
/// ```
pub fn read_csv(text: &str) -> Result<Vec<PastCall>, HistoryError> {
    let Some((names, lines)) = rows(text) else {
        return Err(HistoryError::Empty);
    };
    let column = |want: &[&str], name: &'static str| {
        names
            .iter()
            .position(|h| want.contains(&h.as_str()))
            .ok_or(HistoryError::MissingColumn(name))
    };
    let time = column(&["time"], "time")?;
    let lon = column(&["lon", "x", "longitude", "lng"], "lon")?;
    let lat = column(&["lat", "y", "latitude"], "lat")?;
    let mut out = Vec::new();
    for (i, line) in lines {
        let row = Row::new(i, line);
        let position = [row.number(lon, "lon")?, row.number(lat, "lat")?];
        if !crate::network::geodesy::is_valid_lon_lat(position) {
            return Err(row
                .bad(
                    "lon",
                    format!("{position:?} is not a longitude and latitude"),
                )
                .into());
        }
        let time_s = row.time(time)?;
        out.push(PastCall { time_s, position });
    }
    if out.is_empty() {
        return Err(HistoryError::Empty);
    }
    out.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    Ok(out)
}

/// The call history a scenario holds: its incidents with a `time`, as past calls in time
/// order (empty when none has one).
///
/// ```
/// use patrolmap_core::live::history::of_scenario;
/// let text = r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"kind":"incident","time":"2026-12-04T08:30:00+08:00"},"geometry":{"type":"Point","coordinates":[112.9,27.8]}},
///   {"type":"Feature","properties":{"kind":"incident","time":1796342400},"geometry":{"type":"Point","coordinates":[112.91,27.81]}},
///   {"type":"Feature","properties":{"kind":"incident"},"geometry":{"type":"Point","coordinates":[112.92,27.82]}}]}"#;
/// let scenario = patrolmap_core::scenario::read_geojson_str(text).unwrap();
/// let calls = of_scenario(&scenario);
/// assert_eq!(calls.len(), 2);
/// assert_eq!(calls[0].time_s, 1796342400.0);
/// assert_eq!(calls[1].position, [112.9, 27.8]);
/// ```
pub fn of_scenario(scenario: &crate::scenario::Scenario) -> Vec<PastCall> {
    let mut calls: Vec<PastCall> = scenario
        .incidents
        .iter()
        .filter_map(|s| {
            Some(PastCall {
                time_s: s.time_s?,
                position: s.position,
            })
        })
        .collect();
    calls.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
    calls
}
