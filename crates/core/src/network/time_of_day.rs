//! Speeds by time of day: a CSV of measured speeds per road and direction, read into a
//! [`SpeedTable`] and looked up at a minute of the day as the speed each edge takes then.
//!
//! The file, one row per road, direction and start of a period:
//!
//! ```text
//! osm_way_id,direction,time,speed_kph
//! 4060219,forward,07:00,18
//! 4060219,forward,09:30,35
//! 4060219,backward,07:00,24
//! ```
//!
//! The first column is `osm_way_id` (every edge cut from that way) or `edge_id` (an edge of
//! the loaded network, for GeoJSON roads); `direction` is `forward`, `backward` or `both`
//! (`正向`, `反向`, `双向`), along the way's drawing; `time` is `HH:MM` (or `hour_of_day`,
//! 0-23, as Uber Movement writes it). A speed holds from its time until the next one given
//! for that road and direction, round midnight; roads not listed keep their free-flow speed.

use std::collections::HashMap;

use super::RoadNetwork;

/// A row that could not be read, named by line and field.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{file} line {line}: {message}")]
pub struct SpeedTableError {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line number (the header is line 1).
    pub line: usize,
    /// What is wrong, naming the field.
    pub message: String,
}

/// How a row names its road.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Road {
    Way(i64),
    Edge(u32),
}

/// Measured speeds per road and direction, each a step function of the minute of the day.
///
/// ```
/// use patrolmap_core::network::time_of_day::SpeedTable;
/// let t = SpeedTable::parse("osm_way_id,direction,time,speed_kph\n7,forward,07:00,18\n7,forward,09:30,35\n", "s.csv").unwrap();
/// assert_eq!(t.row_count(), 2);
/// assert_eq!(t.way_speed_kph(7, true, 8 * 60), Some(18.0));
/// assert_eq!(t.way_speed_kph(7, true, 3 * 60), Some(35.0)); // last period of the day before
/// assert_eq!(t.way_speed_kph(7, false, 8 * 60), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SpeedTable {
    /// `(road, forward)` -> `(minute of the day, km/h)` sorted by minute.
    periods: HashMap<(Road, bool), Vec<(u16, f64)>>,
    /// Every minute at which some period starts, ascending, without repeats.
    starts: Vec<u16>,
    rows: usize,
}

/// Minutes in a day.
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// `HH:MM` as a minute of the day.
///
/// ```
/// assert_eq!(patrolmap_core::network::time_of_day::parse_time("07:45"), Some(465));
/// assert_eq!(patrolmap_core::network::time_of_day::parse_time("24:00"), None);
/// ```
pub fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

impl SpeedTable {
    /// Reads the CSV `text` of the file `file` (named in errors).
    pub fn parse(text: &str, file: &str) -> Result<SpeedTable, SpeedTableError> {
        let err = |line: usize, message: String| SpeedTableError {
            file: file.to_string(),
            line,
            message,
        };
        let mut lines = text.trim_start_matches('\u{feff}').lines().enumerate();
        let Some((_, header)) = lines.next() else {
            return Err(err(
                1,
                "the file is empty (want a header: osm_way_id,direction,time,speed_kph)".into(),
            ));
        };
        let columns: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
        let find = |names: &[&str]| columns.iter().position(|c| names.contains(&c.as_str()));
        let (road_col, by_edge) = match (find(&["osm_way_id", "way_id"]), find(&["edge_id"])) {
            (Some(c), _) => (c, false),
            (None, Some(c)) => (c, true),
            _ => return Err(err(1, "no column `osm_way_id` or `edge_id`".into())),
        };
        let direction_col = find(&["direction"]).ok_or_else(|| {
            err(
                1,
                "no column `direction` (forward, backward or both)".into(),
            )
        })?;
        let (time_col, by_hour) = match (find(&["time"]), find(&["hour_of_day"])) {
            (Some(c), _) => (c, false),
            (None, Some(c)) => (c, true),
            _ => return Err(err(1, "no column `time` (HH:MM) or `hour_of_day`".into())),
        };
        let speed_col = find(&["speed_kph", "speed_kph_mean"])
            .ok_or_else(|| err(1, "no column `speed_kph`".into()))?;
        let mut table = SpeedTable::default();
        for (i, row) in lines {
            let line = i + 1;
            if row.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = row.split(',').map(str::trim).collect();
            let cell = |c: usize, name: &str| {
                cells
                    .get(c)
                    .copied()
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| err(line, format!("field `{name}` is missing")))
            };
            let road_text = cell(road_col, if by_edge { "edge_id" } else { "osm_way_id" })?;
            let road = if by_edge {
                road_text.parse().map(Road::Edge)
            } else {
                road_text.parse().map(Road::Way)
            }
            .map_err(|_| {
                err(
                    line,
                    format!("field `{}`: '{road_text}' is not an id", columns[road_col]),
                )
            })?;
            let directions: &[bool] = match cell(direction_col, "direction")? {
                "forward" | "正向" => &[true],
                "backward" | "反向" => &[false],
                "both" | "双向" => &[true, false],
                other => {
                    return Err(err(
                        line,
                        format!("field `direction`: '{other}' is not forward, backward or both"),
                    ))
                }
            };
            let time_text = cell(time_col, if by_hour { "hour_of_day" } else { "time" })?;
            let minute = if by_hour {
                time_text
                    .parse::<u16>()
                    .ok()
                    .filter(|h| *h < 24)
                    .map(|h| h * 60)
            } else {
                parse_time(time_text)
            }
            .ok_or_else(|| {
                err(
                    line,
                    format!(
                        "field `{}`: '{time_text}' is not a time of day",
                        columns[time_col]
                    ),
                )
            })?;
            let speed_text = cell(speed_col, "speed_kph")?;
            let speed = speed_text
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= 300.0)
                .ok_or_else(|| err(line, format!("field `speed_kph`: '{speed_text}' is not a speed (above 0, at most 300 km/h; a closed road is a closure, not a speed)")))?;
            for &forward in directions {
                let list = table.periods.entry((road, forward)).or_default();
                if list.iter().any(|p| p.0 == minute) {
                    return Err(err(
                        line,
                        format!(
                            "road {road_text} {} at {time_text} is given twice",
                            if forward { "forward" } else { "backward" }
                        ),
                    ));
                }
                list.push((minute, speed));
            }
            table.rows += 1;
        }
        for list in table.periods.values_mut() {
            list.sort_by_key(|p| p.0);
        }
        let mut starts: Vec<u16> = table.periods.values().flatten().map(|p| p.0).collect();
        starts.sort_unstable();
        starts.dedup();
        table.starts = starts;
        Ok(table)
    }

    /// Number of rows read.
    pub fn row_count(&self) -> usize {
        self.rows
    }

    /// The minutes at which some road's speed changes, ascending: between two of them every
    /// road keeps one speed.
    pub fn period_starts(&self) -> &[u16] {
        &self.starts
    }

    /// The start of the period `minute` falls in: the latest [`SpeedTable::period_starts`]
    /// not after it (before the first of the day, the last of the day before). Every minute of
    /// one period gives every road the same speed, so answers at a time are kept by it.
    ///
    /// ```
    /// use patrolmap_core::network::time_of_day::SpeedTable;
    /// let t = SpeedTable::parse("edge_id,direction,time,speed_kph\n0,both,07:00,18\n1,forward,09:30,35\n", "s.csv").unwrap();
    /// assert_eq!(t.period_starts(), &[420, 570]);
    /// assert_eq!(t.period_start(8 * 60), 420);
    /// assert_eq!(t.period_start(9 * 60 + 30), 570);
    /// assert_eq!(t.period_start(60), 570);
    /// ```
    pub fn period_start(&self, minute: u16) -> u16 {
        let i = self
            .starts
            .partition_point(|&s| s <= minute % MINUTES_PER_DAY);
        match (i, self.starts.last()) {
            (0, Some(&last)) => last,
            (0, None) => 0,
            _ => self.starts[i - 1],
        }
    }

    fn lookup(&self, road: Road, forward: bool, minute: u16) -> Option<f64> {
        let list = self.periods.get(&(road, forward))?;
        let i = list.partition_point(|p| p.0 <= minute % MINUTES_PER_DAY);
        // Before the first period of the day the last one of the day before still holds.
        Some(list[if i == 0 { list.len() - 1 } else { i - 1 }].1)
    }

    /// The speed of OSM way `way` in one direction at `minute` of the day, if listed.
    pub fn way_speed_kph(&self, way: i64, forward: bool, minute: u16) -> Option<f64> {
        self.lookup(Road::Way(way), forward, minute)
    }

    /// The speed of `network`'s edge `edge` in one direction at `minute`: by its edge id,
    /// else by the OSM way it was cut from.
    pub fn edge_speed_kph(
        &self,
        network: &RoadNetwork,
        edge: u32,
        forward: bool,
        minute: u16,
    ) -> Option<f64> {
        self.lookup(Road::Edge(edge), forward, minute).or_else(|| {
            let way = network.edges.get(edge as usize)?.osm_way_id;
            (way != 0)
                .then(|| self.lookup(Road::Way(way), forward, minute))
                .flatten()
        })
    }

    /// How many of `network`'s edges the table names (by edge id or OSM way).
    pub fn matched_edge_count(&self, network: &RoadNetwork) -> usize {
        (0..network.edges.len() as u32)
            .filter(|&e| {
                [true, false].iter().any(|&f| {
                    self.periods.contains_key(&(Road::Edge(e), f))
                        || self
                            .periods
                            .contains_key(&(Road::Way(network.edges[e as usize].osm_way_id), f))
                })
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SpeedTable, SpeedTableError> {
        SpeedTable::parse(text, "speeds.csv")
    }

    #[test]
    fn periods_hold_until_the_next_and_round_midnight() {
        let t = parse("\u{feff}osm_way_id,direction,time,speed_kph\r\n1,both,07:00,20\r\n1,forward,22:00,50\r\n").unwrap();
        assert_eq!(t.way_speed_kph(1, true, 7 * 60), Some(20.0));
        assert_eq!(t.way_speed_kph(1, true, 21 * 60 + 59), Some(20.0));
        assert_eq!(t.way_speed_kph(1, true, 23 * 60), Some(50.0));
        assert_eq!(t.way_speed_kph(1, true, 60), Some(50.0));
        assert_eq!(t.way_speed_kph(1, false, 60), Some(20.0));
        assert_eq!(t.way_speed_kph(2, false, 60), None);
    }

    #[test]
    fn hour_of_day_and_edge_ids_are_read() {
        let t = parse("edge_id,direction,hour_of_day,speed_kph_mean\n3,反向,8,12.5\n").unwrap();
        assert_eq!(t.lookup(Road::Edge(3), false, 8 * 60 + 30), Some(12.5));
    }

    #[test]
    fn bad_rows_name_their_line_and_field() {
        let head = "osm_way_id,direction,time,speed_kph\n";
        let cases = [
            (
                "x,forward,07:00,20",
                "line 2: field `osm_way_id`: 'x' is not an id",
            ),
            ("1,up,07:00,20", "line 2: field `direction`: 'up'"),
            (
                "1,forward,7h,20",
                "line 2: field `time`: '7h' is not a time of day",
            ),
            (
                "1,forward,07:00,0",
                "line 2: field `speed_kph`: '0' is not a speed",
            ),
            ("1,forward,07:00", "line 2: field `speed_kph` is missing"),
        ];
        for (row, want) in cases {
            let e = parse(&format!("{head}{row}\n")).unwrap_err().to_string();
            assert!(
                e.starts_with("speeds.csv ") && e.contains(want),
                "{row}: {e}"
            );
        }
        let twice = parse(&format!("{head}1,both,07:00,20\n1,forward,07:00,30\n")).unwrap_err();
        assert_eq!(twice.line, 3);
        assert!(parse("way,direction\n")
            .unwrap_err()
            .message
            .contains("osm_way_id"));
        assert_eq!(parse("").unwrap_err().line, 1);
    }
}
