//! GPX 1.1 tracks of patrol routes, for in-car terminals and handhelds that load a route.

use geojson::{Feature, GeometryValue, JsonValue};

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// A GPX document with one track per line feature (named by its `unit`, `name` or `id`
/// property) and a waypoint per point feature (named by its `name` or `id`, described by its
/// `desc`: a checkpoint and when it is visited, say); other features are left out.
///
/// ```
/// let fc: geojson::FeatureCollection = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"unit":"巡逻1"},"geometry":{"type":"LineString","coordinates":[[112.9,27.8],[112.91,27.81]]}}]}"#.parse().unwrap();
/// let gpx = patrolmap_core::formats::gpx::write(&fc.features);
/// assert!(gpx.contains("<name>巡逻1</name>") && gpx.contains(r#"<trkpt lat="27.81" lon="112.91"/>"#));
/// ```
pub fn write(features: &[Feature]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"patrolmap\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n");
    // GPX 1.1 lists the waypoints before the tracks.
    for f in features {
        let Some(GeometryValue::Point { coordinates: p }) = f.geometry.as_ref().map(|g| &g.value)
        else {
            continue;
        };
        let props = f.properties.as_ref();
        let text = |k: &str| props.and_then(|p| p.get(k)).and_then(JsonValue::as_str);
        out.push_str(&format!("<wpt lat=\"{}\" lon=\"{}\">", p[1], p[0]));
        if let Some(name) = text("name").or(text("id")) {
            out.push_str(&format!("<name>{}</name>", escape(name)));
        }
        if let Some(desc) = text("desc") {
            out.push_str(&format!("<desc>{}</desc>", escape(desc)));
        }
        out.push_str("</wpt>\n");
    }
    for f in features {
        let lines = match f.geometry.as_ref().map(|g| &g.value) {
            Some(GeometryValue::LineString { coordinates }) => vec![coordinates.clone()],
            Some(GeometryValue::MultiLineString { coordinates }) => coordinates.clone(),
            _ => continue,
        };
        out.push_str("<trk>");
        let props = f.properties.as_ref();
        let name = ["unit", "name", "id"]
            .iter()
            .find_map(|k| props.and_then(|p| p.get(*k)).and_then(JsonValue::as_str));
        if let Some(name) = name {
            out.push_str(&format!("<name>{}</name>", escape(name)));
        }
        for line in lines {
            out.push_str("<trkseg>");
            for p in line {
                out.push_str(&format!("<trkpt lat=\"{}\" lon=\"{}\"/>", p[1], p[0]));
            }
            out.push_str("</trkseg>");
        }
        out.push_str("</trk>\n");
    }
    out.push_str("</gpx>\n");
    out
}
