//! KML (Google Earth, 2-bit maps, many Chinese police mobile terminals' exports): each
//! Placemark's name, its extended data (`Data` and `SimpleData`) as properties and its Point,
//! LineString, Polygon or MultiGeometry. KML is WGS 84 longitude, latitude by definition.

use geojson::{Feature, Geometry, GeometryValue, JsonObject, JsonValue, Position};
use quick_xml::events::Event;
use quick_xml::Reader;

use super::FormatError;
use crate::crs::Crs;
use crate::scenario::{FeatureProblem, FeatureSet, ProblemCode};

/// The positions of a `coordinates` text (`lon,lat[,alt]` separated by spaces).
fn positions(text: &str) -> Result<Vec<Position>, String> {
    text.split_whitespace()
        .map(|tuple| {
            let mut v = tuple.split(',').map(|s| s.trim().parse::<f64>());
            match (v.next(), v.next()) {
                (Some(Ok(lon)), Some(Ok(lat))) => Ok(Position::from([lon, lat])),
                _ => Err(format!("coordinates {tuple:?} are not lon,lat")),
            }
        })
        .collect()
}

#[derive(Default)]
struct Placemark {
    name: Option<String>,
    properties: JsonObject,
    geometries: Vec<GeometryValue>,
    /// Rings of the Polygon being read: outer first.
    rings: Vec<Vec<Position>>,
    problem: Option<String>,
}

impl Placemark {
    fn finish(mut self) -> (Option<Geometry>, JsonObject, Option<String>) {
        if let Some(name) = self.name {
            self.properties
                .entry("name")
                .or_insert(JsonValue::String(name));
        }
        let value = match self.geometries.len() {
            0 => None,
            1 => self.geometries.pop(),
            _ => {
                let all = |f: fn(&GeometryValue) -> bool| self.geometries.iter().all(f);
                if all(|g| matches!(g, GeometryValue::Point { .. })) {
                    Some(GeometryValue::MultiPoint {
                        coordinates: self
                            .geometries
                            .into_iter()
                            .map(|g| match g {
                                GeometryValue::Point { coordinates } => coordinates,
                                _ => unreachable!(),
                            })
                            .collect(),
                    })
                } else if all(|g| matches!(g, GeometryValue::LineString { .. })) {
                    Some(GeometryValue::MultiLineString {
                        coordinates: self
                            .geometries
                            .into_iter()
                            .map(|g| match g {
                                GeometryValue::LineString { coordinates } => coordinates,
                                _ => unreachable!(),
                            })
                            .collect(),
                    })
                } else if all(|g| matches!(g, GeometryValue::Polygon { .. })) {
                    Some(GeometryValue::MultiPolygon {
                        coordinates: self
                            .geometries
                            .into_iter()
                            .map(|g| match g {
                                GeometryValue::Polygon { coordinates } => coordinates,
                                _ => unreachable!(),
                            })
                            .collect(),
                    })
                } else {
                    Some(GeometryValue::GeometryCollection {
                        geometries: self.geometries.into_iter().map(Geometry::new).collect(),
                    })
                }
            }
        };
        (value.map(Geometry::new), self.properties, self.problem)
    }
}

/// Reads a KML document's placemarks, in document order (folders flattened).
///
/// ```
/// let kml = r#"<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>岳塘岗亭</name>
///   <ExtendedData><Data name="kind"><value>post</value></Data></ExtendedData>
///   <Point><coordinates>112.94,27.83,0</coordinates></Point></Placemark></Document></kml>"#;
/// let set = patrolmap_core::formats::kml::read(kml).unwrap();
/// let p = set.features[0].properties.as_ref().unwrap();
/// assert_eq!((p["name"].as_str(), p["kind"].as_str()), (Some("岳塘岗亭"), Some("post")));
/// ```
pub fn read(text: &str) -> Result<FeatureSet, FormatError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut set = FeatureSet {
        crs: Some(Crs::Wgs84),
        ..FeatureSet::default()
    };
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut placemark: Option<Placemark> = None;
    let mut data_name: Option<String> = None;
    let mut text_buf = String::new();
    let mut seen_kml = false;
    loop {
        let event = reader.read_event().map_err(|e| FormatError::Invalid {
            part: "kml",
            reason: format!(
                "not well-formed XML at byte {}: {e}",
                reader.buffer_position()
            ),
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                seen_kml |= name == b"kml";
                match name.as_slice() {
                    b"Placemark" => placemark = Some(Placemark::default()),
                    b"Data" | b"SimpleData" => {
                        data_name = e
                            .try_get_attribute("name")
                            .ok()
                            .flatten()
                            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                    }
                    b"Polygon" => {
                        if let Some(p) = placemark.as_mut() {
                            p.rings.clear()
                        }
                    }
                    _ => {}
                }
                text_buf.clear();
                path.push(name);
            }
            Event::Text(t) => {
                text_buf.push_str(&t.unescape().map_err(|e| FormatError::Invalid {
                    part: "kml",
                    reason: e.to_string(),
                })?)
            }
            Event::CData(t) => text_buf.push_str(&String::from_utf8_lossy(&t)),
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(Vec::as_slice).unwrap_or(b"");
                let text = std::mem::take(&mut text_buf);
                let Some(p) = placemark.as_mut() else {
                    continue;
                };
                match name.as_slice() {
                    b"name" if parent == b"Placemark" => p.name = Some(text.trim().to_string()),
                    b"value" if parent == b"Data" => {
                        if let Some(key) = data_name.take() {
                            p.properties
                                .insert(key, JsonValue::String(text.trim().to_string()));
                        }
                    }
                    b"SimpleData" => {
                        if let Some(key) = data_name.take() {
                            p.properties
                                .insert(key, JsonValue::String(text.trim().to_string()));
                        }
                    }
                    b"coordinates" => match positions(&text) {
                        Err(e) => p.problem = Some(e),
                        Ok(coords) => match parent {
                            b"Point" => match coords.into_iter().next() {
                                Some(c) => {
                                    p.geometries.push(GeometryValue::Point { coordinates: c })
                                }
                                None => p.problem = Some("a Point without coordinates".into()),
                            },
                            b"LineString" => p.geometries.push(GeometryValue::LineString {
                                coordinates: coords,
                            }),
                            b"LinearRing" => p.rings.push(coords),
                            _ => {}
                        },
                    },
                    b"Polygon" => {
                        let rings = std::mem::take(&mut p.rings);
                        p.geometries
                            .push(GeometryValue::Polygon { coordinates: rings });
                    }
                    b"Placemark" => {
                        let (geometry, properties, problem) =
                            placemark.take().expect("in a placemark").finish();
                        let index = set.features.len();
                        match (problem, &geometry) {
                            (Some(reason), _) => set.problems.push(FeatureProblem::new(
                                index,
                                ProblemCode::InvalidPosition,
                                None,
                                reason,
                            )),
                            (None, None) => set.problems.push(FeatureProblem::new(
                                index,
                                ProblemCode::NoGeometry,
                                None,
                                "a Placemark without a geometry",
                            )),
                            _ => {}
                        }
                        set.features.push(Feature {
                            geometry,
                            properties: Some(properties),
                            ..Feature::default()
                        });
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_kml {
        return Err(FormatError::Invalid {
            part: "kml",
            reason: "no <kml> element".into(),
        });
    }
    Ok(set)
}

/// XML text with its special characters escaped.
fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn coordinates(points: &[Position]) -> String {
    points
        .iter()
        .map(|p| format!("{},{}", p[0], p[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

fn geometry_kml(value: &GeometryValue, out: &mut String) {
    let polygon = |rings: &[Vec<Position>], out: &mut String| {
        out.push_str("<Polygon>");
        for (i, ring) in rings.iter().enumerate() {
            let side = if i == 0 {
                "outerBoundaryIs"
            } else {
                "innerBoundaryIs"
            };
            out.push_str(&format!(
                "<{side}><LinearRing><coordinates>{}</coordinates></LinearRing></{side}>",
                coordinates(ring)
            ));
        }
        out.push_str("</Polygon>");
    };
    match value {
        GeometryValue::Point { coordinates: c } => out.push_str(&format!(
            "<Point><coordinates>{}</coordinates></Point>",
            coordinates(std::slice::from_ref(c))
        )),
        GeometryValue::LineString { coordinates: c } => out.push_str(&format!(
            "<LineString><coordinates>{}</coordinates></LineString>",
            coordinates(c)
        )),
        GeometryValue::Polygon { coordinates: rings } => polygon(rings, out),
        GeometryValue::MultiPoint {
            coordinates: points,
        } => {
            out.push_str("<MultiGeometry>");
            for p in points {
                geometry_kml(
                    &GeometryValue::Point {
                        coordinates: p.clone(),
                    },
                    out,
                );
            }
            out.push_str("</MultiGeometry>");
        }
        GeometryValue::MultiLineString { coordinates: lines } => {
            out.push_str("<MultiGeometry>");
            for l in lines {
                geometry_kml(
                    &GeometryValue::LineString {
                        coordinates: l.clone(),
                    },
                    out,
                );
            }
            out.push_str("</MultiGeometry>");
        }
        GeometryValue::MultiPolygon {
            coordinates: polygons,
        } => {
            out.push_str("<MultiGeometry>");
            for p in polygons {
                polygon(p, out);
            }
            out.push_str("</MultiGeometry>");
        }
        GeometryValue::GeometryCollection { geometries } => {
            out.push_str("<MultiGeometry>");
            for g in geometries {
                geometry_kml(&g.value, out);
            }
            out.push_str("</MultiGeometry>");
        }
    }
}

/// A KML document of `features` (WGS 84): each a Placemark named by its `name`, with every
/// property as extended data.
///
/// ```
/// let fc: geojson::FeatureCollection = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"name":"A & B","kind":"post"},"geometry":{"type":"Point","coordinates":[112.9,27.8]}}]}"#.parse().unwrap();
/// let text = patrolmap_core::formats::kml::write(&fc.features, "岗亭");
/// let back = patrolmap_core::formats::kml::read(&text).unwrap();
/// assert_eq!(back.features[0].properties, fc.features[0].properties);
/// ```
pub fn write(features: &[Feature], title: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>");
    out.push_str(&format!("<name>{}</name>\n", escape(title)));
    for f in features {
        let Some(g) = &f.geometry else { continue };
        out.push_str("<Placemark>");
        let props = f.properties.as_ref();
        if let Some(name) = props
            .and_then(|p| p.get("name"))
            .and_then(JsonValue::as_str)
        {
            out.push_str(&format!("<name>{}</name>", escape(name)));
        }
        out.push_str("<ExtendedData>");
        for (key, value) in props.into_iter().flatten() {
            let text = match value {
                JsonValue::Null => continue,
                JsonValue::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!(
                "<Data name=\"{}\"><value>{}</value></Data>",
                escape(key),
                escape(&text)
            ));
        }
        out.push_str("</ExtendedData>");
        geometry_kml(&g.value, &mut out);
        out.push_str("</Placemark>\n");
    }
    out.push_str("</Document></kml>\n");
    out
}
