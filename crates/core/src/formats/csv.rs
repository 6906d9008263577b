//! Features as CSV for Excel: a header of the properties, then `lon` and `lat` for points and
//! `wkt` (well-known text) for lines and polygons; and the WKT those cells hold, read back.

use geojson::{Feature, GeometryValue, JsonValue, Position};

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn ring(points: &[Position]) -> String {
    points
        .iter()
        .map(|p| format!("{} {}", p[0], p[1]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The WKT of a line or polygon (points are written as `lon`, `lat`).
fn wkt(value: &GeometryValue) -> String {
    match value {
        GeometryValue::Point { coordinates: p } => format!("POINT ({} {})", p[0], p[1]),
        GeometryValue::LineString { coordinates } => format!("LINESTRING ({})", ring(coordinates)),
        GeometryValue::Polygon { coordinates } => format!(
            "POLYGON ({})",
            coordinates
                .iter()
                .map(|r| format!("({})", ring(r)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        GeometryValue::MultiLineString { coordinates } => format!(
            "MULTILINESTRING ({})",
            coordinates
                .iter()
                .map(|r| format!("({})", ring(r)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!(
            "GEOMETRYCOLLECTION EMPTY -- {} not written",
            other.type_name()
        ),
    }
}

/// CSV text of `features`: every property a column (in first-seen order), then `lon`, `lat`
/// and `wkt`. With a byte-order mark, so that Excel opens it as UTF-8.
///
/// ```
/// use patrolmap_core::formats::csv::write;
/// let fc: geojson::FeatureCollection = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"kind":"post","name":"岳塘, 东"},"geometry":{"type":"Point","coordinates":[112.9,27.8]}}]}"#.parse().unwrap();
/// assert_eq!(write(&fc.features), "\u{feff}kind,name,lon,lat,wkt\r\npost,\"岳塘, 东\",112.9,27.8,\r\n");
/// ```
pub fn write(features: &[Feature]) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for f in features {
        for key in f.properties.iter().flat_map(|p| p.keys()) {
            if !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    let mut out = String::from("\u{feff}");
    out.push_str(
        &columns
            .iter()
            .map(|c| field(c))
            .chain(["lon".into(), "lat".into(), "wkt".into()])
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for f in features {
        let Some(g) = &f.geometry else { continue };
        let mut row: Vec<String> = columns
            .iter()
            .map(|c| match f.properties.as_ref().and_then(|p| p.get(*c)) {
                None | Some(JsonValue::Null) => String::new(),
                Some(JsonValue::String(s)) => field(s),
                Some(other) => field(&other.to_string()),
            })
            .collect();
        match &g.value {
            GeometryValue::Point { coordinates: p } => {
                row.extend([p[0].to_string(), p[1].to_string(), String::new()])
            }
            other => row.extend([String::new(), String::new(), field(&wkt(other))]),
        }
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The geometry of WKT text: POINT, LINESTRING, POLYGON or MULTILINESTRING (Z and M dropped).
///
/// ```
/// let g = patrolmap_core::formats::csv::read_wkt("LINESTRING (112.9 27.8, 112.91 27.81)").unwrap();
/// assert_eq!(g, geojson::GeometryValue::new_line_string([[112.9, 27.8], [112.91, 27.81]]));
/// ```
pub fn read_wkt(text: &str) -> Result<GeometryValue, String> {
    let t = text.trim();
    let open = t.find('(').ok_or_else(|| format!("{t:?} is not WKT"))?;
    let kind = t[..open].trim().to_ascii_uppercase();
    let kind = kind
        .trim_end_matches(" ZM")
        .trim_end_matches(" Z")
        .trim_end_matches(" M")
        .trim();
    let body = t[open..].trim();
    let point = |s: &str| -> Result<Position, String> {
        let v: Vec<f64> = s
            .split_whitespace()
            .map(|n| {
                n.parse::<f64>()
                    .map_err(|_| format!("{n:?} is not a number"))
            })
            .collect::<Result<_, _>>()?;
        match v[..] {
            [x, y, ..] => Ok(Position::from([x, y])),
            _ => Err(format!("{s:?} is not a position")),
        }
    };
    let list = |s: &str| -> Result<Vec<Position>, String> {
        s.trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(point)
            .collect()
    };
    // "((a), (b))" -> ["a", "b"]
    let groups = |s: &str| -> Result<Vec<Vec<Position>>, String> {
        let inner = s
            .trim()
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .ok_or("unbalanced parentheses")?;
        inner
            .split(')')
            .map(|g| g.trim().trim_start_matches(',').trim())
            .filter(|g| !g.is_empty())
            .map(list)
            .collect()
    };
    Ok(match kind {
        "POINT" => GeometryValue::Point {
            coordinates: list(body)?.into_iter().next().ok_or("an empty POINT")?,
        },
        "LINESTRING" => GeometryValue::LineString {
            coordinates: list(body)?,
        },
        "POLYGON" => GeometryValue::Polygon {
            coordinates: groups(body)?,
        },
        "MULTILINESTRING" => GeometryValue::MultiLineString {
            coordinates: groups(body)?,
        },
        other => {
            return Err(format!(
                "{other} is not read (POINT, LINESTRING, POLYGON, MULTILINESTRING are)"
            ))
        }
    })
}
