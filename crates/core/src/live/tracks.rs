//! Recorded tracks for a replay: a CSV of positions (`unit,time,lon,lat[,heading_deg,
//! speed_kph]`) or a GPX file (one track per unit, named by the unit's id), read into
//! [`PositionReport`]s; heading and speed filled in from the track where the file has none;
//! and the schedule a replay sends them on.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::time::unix_s;
use super::PositionReport;
use crate::network::geodesy::haversine_m;

/// Why a track file could not be read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrackError {
    /// A CSV without a needed column.
    #[error("no {0} column (the header needs unit, time, lon and lat)")]
    MissingColumn(&'static str),
    /// A value that cannot be read.
    #[error("line {line}, {column}: {reason}")]
    BadValue {
        /// 1-based line (CSV) or track point (GPX) number.
        line: usize,
        /// The column or element.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Not well-formed GPX.
    #[error("not well-formed GPX: {0}")]
    Xml(String),
    /// Nothing to replay.
    #[error("no positions in the file")]
    Empty,
}

/// The positions of a tracks CSV, in file order. Columns by header name, in any order;
/// `time` is Unix seconds or RFC 3339.
///
/// ```
/// let text = "unit,time,lon,lat\ncar-1,2026-12-04T08:00:00+08:00,112.9,27.8\ncar-1,1796342460,112.91,27.8\n";
/// let reports = patrolmap_core::live::tracks::read_csv(text).unwrap();
/// assert_eq!(reports.len(), 2);
/// assert_eq!(reports[0].time_s, 1796342400.0);
/// assert!(patrolmap_core::live::tracks::read_csv("unit,lon,lat\n").is_err());
/// ```
pub fn read_csv(text: &str) -> Result<Vec<PositionReport>, TrackError> {
    let Some((names, lines)) = rows(text) else {
        return Err(TrackError::Empty);
    };
    let column = |name: &'static str| names.iter().position(|h| h == name);
    let need = |name: &'static str| column(name).ok_or(TrackError::MissingColumn(name));
    let (unit, time, lon, lat) = (need("unit")?, need("time")?, need("lon")?, need("lat")?);
    let (heading, speed) = (column("heading_deg"), column("speed_kph"));
    let mut out = Vec::new();
    for (i, line) in lines {
        let row = Row::new(i, line);
        if row.cell(unit).is_empty() {
            return Err(row.bad("unit", "empty".into()).into());
        }
        out.push(PositionReport {
            unit: row.cell(unit).to_string(),
            time_s: row.time(time)?,
            lon_lat: [row.number(lon, "lon")?, row.number(lat, "lat")?],
            heading_deg: row.optional(heading, "heading_deg")?,
            speed_kph: row.optional(speed, "speed_kph")?,
        });
    }
    if out.is_empty() {
        return Err(TrackError::Empty);
    }
    Ok(out)
}

/// A line of a file and its 0-based number.
pub(super) type NumberedLine<'a> = (usize, &'a str);

/// A cell of a CSV line that does not read: its 1-based line, its column and why.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct BadCell {
    pub line: usize,
    pub column: &'static str,
    pub reason: String,
}

impl From<BadCell> for TrackError {
    fn from(b: BadCell) -> Self {
        TrackError::BadValue {
            line: b.line,
            column: b.column,
            reason: b.reason,
        }
    }
}

/// The cells of one CSV line, read as the tracks and call histories need them.
pub(super) struct Row<'a> {
    line: usize,
    cells: Vec<&'a str>,
}

impl<'a> Row<'a> {
    /// Line `i` (0-based) of a file.
    pub fn new(i: usize, line: &'a str) -> Row<'a> {
        Row {
            line: i + 1,
            cells: split(line).collect(),
        }
    }

    /// Cell `c`, empty past the line's end.
    pub fn cell(&self, c: usize) -> &'a str {
        self.cells.get(c).copied().unwrap_or("")
    }

    /// What is wrong with `column`.
    pub fn bad(&self, column: &'static str, reason: String) -> BadCell {
        BadCell {
            line: self.line,
            column,
            reason,
        }
    }

    /// Cell `c` as a finite number.
    pub fn number(&self, c: usize, column: &'static str) -> Result<f64, BadCell> {
        let text = self.cell(c);
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.bad(column, format!("{text:?} is not a number")))
    }

    /// Cell `c` as a number, if the column is there and the cell not empty.
    pub fn optional(&self, c: Option<usize>, column: &'static str) -> Result<Option<f64>, BadCell> {
        match c {
            Some(c) if !self.cell(c).is_empty() => self.number(c, column).map(Some),
            _ => Ok(None),
        }
    }

    /// Cell `c` as a time: Unix seconds or RFC 3339.
    pub fn time(&self, c: usize) -> Result<f64, BadCell> {
        let text = self.cell(c);
        unix_s(text).ok_or_else(|| {
            self.bad(
                "time",
                format!("{text:?} is neither Unix seconds nor RFC 3339"),
            )
        })
    }
}

/// A CSV's header names (lower case) and its other lines with their 0-based numbers, blank
/// ones left out and a byte-order mark taken off; none when it has no header.
pub(super) fn rows(text: &str) -> Option<(Vec<String>, Vec<NumberedLine<'_>>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next()?;
    let names = split(header).map(|h| h.to_ascii_lowercase()).collect();
    Some((names, lines.collect()))
}

/// The cells of a CSV line, trimmed, quotes taken off (ids and times hold no commas).
pub(super) fn split(line: &str) -> impl Iterator<Item = &str> {
    line.split(',').map(|c| c.trim().trim_matches('"').trim())
}

/// The positions of a GPX file: each `<trk>` a unit named by its `<name>`, each `<trkpt>`
/// with its `<time>`; a point's `<course>` (degrees) and `<speed>` (m/s), GPX 1.0's or an
/// extension's, are kept.
///
/// ```
/// let gpx = r#"<gpx><trk><name>car-1</name><trkseg>
///   <trkpt lat="27.8" lon="112.9"><time>2026-12-04T00:00:00Z</time><speed>10</speed></trkpt>
/// </trkseg></trk></gpx>"#;
/// let reports = patrolmap_core::live::tracks::read_gpx(gpx).unwrap();
/// assert_eq!(reports[0].unit, "car-1");
/// assert_eq!(reports[0].speed_kph, Some(36.0));
/// ```
pub fn read_gpx(text: &str) -> Result<Vec<PositionReport>, TrackError> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut unit: Option<String> = None;
    let mut point: Option<PositionReport> = None;
    let mut has_time = false;
    let mut points = 0usize;
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut text_buf = String::new();
    let attribute = |e: &quick_xml::events::BytesStart, name: &str| -> Option<f64> {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.unescape_value().ok()?.trim().parse().ok())
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| TrackError::Xml(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Empty(e) if e.local_name().as_ref() == b"trkpt" => {
                return Err(TrackError::BadValue {
                    line: points + 1,
                    column: "time",
                    reason: "a track point without <time> cannot be replayed".into(),
                });
            }
            Event::Start(e) if e.local_name().as_ref() == b"trkpt" => {
                points += 1;
                let bad = |column| TrackError::BadValue {
                    line: points,
                    column,
                    reason: "missing or not a number".into(),
                };
                let lon = attribute(&e, "lon").ok_or_else(|| bad("lon"))?;
                let lat = attribute(&e, "lat").ok_or_else(|| bad("lat"))?;
                point = Some(PositionReport {
                    unit: unit.clone().unwrap_or_default(),
                    lon_lat: [lon, lat],
                    time_s: f64::NAN,
                    heading_deg: None,
                    speed_kph: None,
                });
                has_time = false;
                path.push(b"trkpt".to_vec());
                text_buf.clear();
            }
            Event::Start(e) => {
                path.push(e.local_name().as_ref().to_vec());
                text_buf.clear();
            }
            Event::Text(t) => {
                text_buf.push_str(&t.unescape().map_err(|e| TrackError::Xml(e.to_string()))?)
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let text = std::mem::take(&mut text_buf);
                let text = text.trim();
                let in_point = path.iter().any(|p| p == b"trkpt");
                match name.as_slice() {
                    b"name" if path.last().is_some_and(|p| p == b"trk") => {
                        unit = Some(text.to_string())
                    }
                    b"trk" => unit = None,
                    b"time" if in_point => {
                        if let Some(p) = point.as_mut() {
                            p.time_s = unix_s(text).ok_or_else(|| TrackError::BadValue {
                                line: points,
                                column: "time",
                                reason: format!("{text:?} is not RFC 3339"),
                            })?;
                            has_time = true;
                        }
                    }
                    b"course" if in_point => {
                        if let Some(p) = point.as_mut() {
                            p.heading_deg = text.parse().ok();
                        }
                    }
                    b"speed" if in_point => {
                        if let Some(p) = point.as_mut() {
                            p.speed_kph = text.parse::<f64>().ok().map(|v| v * 3.6);
                        }
                    }
                    b"trkpt" => {
                        let p = point.take().expect("a track point is open");
                        if !has_time {
                            return Err(TrackError::BadValue {
                                line: points,
                                column: "time",
                                reason: "a track point without <time> cannot be replayed".into(),
                            });
                        }
                        if p.unit.is_empty() {
                            return Err(TrackError::BadValue {
                                line: points,
                                column: "name",
                                reason: "its track has no <name> (the unit's id)".into(),
                            });
                        }
                        out.push(p);
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if out.is_empty() {
        return Err(TrackError::Empty);
    }
    Ok(out)
}

/// Fills each position's missing heading and speed from the unit's previous position in
/// `reports` (as a GPS receiver would from its last fix).
///
/// ```
/// use patrolmap_core::live::{tracks::fill_motion, PositionReport};
/// let at = |t: f64, lat: f64| PositionReport { unit: "a".into(), lon_lat: [0.0, lat], time_s: t, heading_deg: None, speed_kph: None };
/// let mut reports = vec![at(0.0, 0.0), at(10.0, 0.001)];
/// fill_motion(&mut reports);
/// assert!(reports[1].heading_deg.unwrap().abs() < 1e-9);
/// assert!((reports[1].speed_kph.unwrap() - 40.0).abs() < 0.1);
/// ```
pub fn fill_motion(reports: &mut [PositionReport]) {
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by(|&a, &b| {
        (&reports[a].unit, reports[a].time_s)
            .partial_cmp(&(&reports[b].unit, reports[b].time_s))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for w in order.windows(2) {
        let (a, b) = (&reports[w[0]], &reports[w[1]]);
        let dt = b.time_s - a.time_s;
        if a.unit != b.unit || dt <= 0.0 {
            continue;
        }
        let (p, q) = (a.lon_lat, b.lon_lat);
        let metres = haversine_m(p, q);
        let dx = (q[0] - p[0]) * ((p[1] + q[1]) / 2.0).to_radians().cos();
        let heading = dx.atan2(q[1] - p[1]).to_degrees().rem_euclid(360.0);
        let b = &mut reports[w[1]];
        if b.speed_kph.is_none() {
            b.speed_kph = Some(metres / dt * 3.6);
        }
        if b.heading_deg.is_none() && metres > 1.0 {
            b.heading_deg = Some(heading);
        }
    }
}

/// When a replay at `speed` times real time sends each position: `(seconds after the start,
/// indices of the positions due then)`, the positions due within `batch_s` of each other
/// sent together, in time order.
///
/// ```
/// use patrolmap_core::live::{tracks::schedule, PositionReport};
/// let at = |t: f64| PositionReport { unit: "a".into(), lon_lat: [0.0, 0.0], time_s: t, heading_deg: None, speed_kph: None };
/// let plan = schedule(&[at(100.0), at(100.5), at(120.0)], 10.0, 1.0);
/// assert_eq!(plan, vec![(0.0, vec![0, 1]), (2.0, vec![2])]);
/// ```
pub fn schedule(reports: &[PositionReport], speed: f64, batch_s: f64) -> Vec<(f64, Vec<usize>)> {
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by(|&a, &b| reports[a].time_s.total_cmp(&reports[b].time_s));
    let Some(&first) = order.first() else {
        return Vec::new();
    };
    let t0 = reports[first].time_s;
    let mut out: Vec<(f64, Vec<usize>)> = Vec::new();
    for i in order {
        let due = (reports[i].time_s - t0) / speed;
        match out.last_mut() {
            Some((start, batch)) if due - *start < batch_s => batch.push(i),
            _ => out.push((due, vec![i])),
        }
    }
    out
}
