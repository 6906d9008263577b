//! A road layer from a GIS (a Shapefile or GeoPackage of road lines, as SuperMap and ArcGIS
//! network datasets keep them) as the road features of `spec/coverage.md` §1: its speed,
//! direction, class and name fields found by the names the profile config lists, its
//! direction values read by the FT / TF / both / prohibited convention (one way along the
//! drawing, against it, both ways, closed to traffic).

use geojson::{Feature, GeometryValue, JsonObject, JsonValue};

/// Which fields of a road layer hold what, and what the direction values mean: the
/// `[road_layer]` section of the profile config. Names are matched without regard to case.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadLayerFields {
    /// Fields holding the speed in km/h (the first present is used).
    pub speed: Vec<String>,
    /// Fields holding the speed along the drawing, when each direction has its own (a
    /// network dataset's FT speed); it overrides `speed` that way.
    pub forward_speed: Vec<String>,
    /// Fields holding the speed against the drawing (the TF speed).
    pub backward_speed: Vec<String>,
    /// Fields holding the direction.
    pub direction: Vec<String>,
    /// Direction values meaning one way along the drawing.
    pub forward: Vec<String>,
    /// Direction values meaning one way against the drawing.
    pub backward: Vec<String>,
    /// Direction values meaning closed to traffic (the road is left out).
    pub prohibited: Vec<String>,
    /// Fields holding the road class (kept as the edge's `highway` class for the profiles).
    pub class: Vec<String>,
    /// Fields holding the street name.
    pub name: Vec<String>,
}

impl Default for RoadLayerFields {
    fn default() -> Self {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
        RoadLayerFields {
            speed: v(&[
                "speed_kph",
                "speed",
                "maxspeed",
                "spd",
                "速度",
                "限速",
                "设计速度",
            ]),
            forward_speed: v(&[
                "forward_speed_kph",
                "ft_speed",
                "maxspeed:forward",
                "正向速度",
                "正向限速",
            ]),
            backward_speed: v(&[
                "backward_speed_kph",
                "tf_speed",
                "maxspeed:backward",
                "反向速度",
                "反向限速",
            ]),
            direction: v(&["oneway", "direction", "dir", "方向", "通行方向", "单行"]),
            forward: v(&["FT", "F", "yes", "正向"]),
            backward: v(&["TF", "T", "-1", "逆向", "反向"]),
            prohibited: v(&["N", "no_entry", "禁行", "禁止通行"]),
            class: v(&["highway", "class", "fclass", "kind", "等级", "道路等级"]),
            name: v(&["name", "名称", "路名", "道路名称"]),
        }
    }
}

/// How a road layer's features were read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RoadLayerReport {
    /// Roads one way along the drawing.
    pub forward: usize,
    /// Roads one way against it.
    pub backward: usize,
    /// Roads both ways.
    pub both: usize,
    /// Roads closed to traffic, left out.
    pub prohibited: usize,
    /// Roads with a speed of their own.
    pub with_speed: usize,
    /// Roads with a speed per direction (forward or backward speed fields).
    pub with_speed_per_direction: usize,
}

fn field<'a>(props: &'a JsonObject, names: &[String]) -> Option<&'a JsonValue> {
    names.iter().find_map(|n| {
        props
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(n) && !v.is_null())
            .map(|(_, v)| v)
    })
}

fn as_text(v: &JsonValue) -> String {
    match v {
        JsonValue::String(s) => s.trim().to_string(),
        JsonValue::Number(n) => n.to_string(),
        JsonValue::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The layer's line features (WGS 84) as road features of §1 (`speed_kph`, `oneway`,
/// `highway`, `name`), one per line part; prohibited roads left out.
///
/// ```
/// use patrolmap_core::network::road_layer::{road_features, RoadLayerFields};
/// let fc: geojson::FeatureCollection = r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"ONEWAY":"TF","SPEED":40,"路名":"建设路"},"geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}},
///   {"type":"Feature","properties":{"ONEWAY":"N"},"geometry":{"type":"LineString","coordinates":[[0,0],[0.001,0]]}}]}"#.parse().unwrap();
/// let (roads, report) = road_features(&fc.features, &RoadLayerFields::default());
/// assert_eq!((roads.len(), report.backward, report.prohibited), (1, 1, 1));
/// assert_eq!(roads[0].properties.as_ref().unwrap()["oneway"], "-1");
/// ```
pub fn road_features(
    features: &[Feature],
    fields: &RoadLayerFields,
) -> (Vec<Feature>, RoadLayerReport) {
    let mut report = RoadLayerReport::default();
    let mut out = Vec::new();
    let empty = JsonObject::new();
    let is = |values: &[String], v: &str| values.iter().any(|x| x.eq_ignore_ascii_case(v));
    for f in features {
        let lines = match f.geometry.as_ref().map(|g| &g.value) {
            Some(GeometryValue::LineString { coordinates }) => vec![coordinates.clone()],
            Some(GeometryValue::MultiLineString { coordinates }) => coordinates.clone(),
            _ => continue,
        };
        let props = f.properties.as_ref().unwrap_or(&empty);
        let direction = field(props, &fields.direction)
            .map(as_text)
            .unwrap_or_default();
        let oneway = if is(&fields.prohibited, &direction) {
            report.prohibited += 1;
            continue;
        } else if is(&fields.forward, &direction) {
            report.forward += 1;
            "yes"
        } else if is(&fields.backward, &direction) {
            report.backward += 1;
            "-1"
        } else {
            report.both += 1;
            "no"
        };
        let speed_in = |names: &[String]| {
            field(props, names)
                .and_then(|v| match v {
                    JsonValue::Number(n) => n.as_f64(),
                    JsonValue::String(s) => s.trim().parse().ok(),
                    _ => None,
                })
                .filter(|v: &f64| v.is_finite() && *v > 0.0)
        };
        let speed = speed_in(&fields.speed);
        let directed = [
            ("forward_speed_kph", speed_in(&fields.forward_speed)),
            ("backward_speed_kph", speed_in(&fields.backward_speed)),
        ];
        report.with_speed += speed.is_some() as usize;
        report.with_speed_per_direction += directed.iter().any(|d| d.1.is_some()) as usize;
        let mut p = JsonObject::new();
        p.insert("oneway".into(), oneway.into());
        if let Some(v) = speed {
            p.insert("speed_kph".into(), serde_json::json!(v));
        }
        for (key, v) in directed {
            if let Some(v) = v {
                p.insert(key.into(), serde_json::json!(v));
            }
        }
        if let Some(c) = field(props, &fields.class)
            .map(as_text)
            .filter(|c| !c.is_empty())
        {
            p.insert("highway".into(), c.into());
        }
        if let Some(n) = field(props, &fields.name)
            .map(as_text)
            .filter(|n| !n.is_empty())
        {
            p.insert("name".into(), n.into());
        }
        for line in lines {
            out.push(Feature {
                geometry: Some(geojson::Geometry::new(GeometryValue::LineString {
                    coordinates: line,
                })),
                properties: Some(p.clone()),
                ..Feature::default()
            });
        }
    }
    (out, report)
}
