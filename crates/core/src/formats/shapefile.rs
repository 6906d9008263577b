//! Esri Shapefiles: geometry (`.shp`), attributes (`.dbf`), coordinate system (`.prj`) and
//! text encoding (`.cpg`). Read: points, lines and polygons with or without Z and M (Z and M
//! are dropped). Written: one Shapefile per geometry type (points, lines, polygons), with its
//! `.shx` index, `.prj` and `.cpg`, as GDAL, QGIS and ArcGIS read them.

use geojson::{Feature, Geometry, GeometryValue, JsonObject, Position};

use super::dbf::{self, DbfEncoding};
use super::FormatError;
use crate::crs::Crs;
use crate::scenario::{FeatureProblem, FeatureSet, ProblemCode};

/// The files of one Shapefile, as bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShapefileParts<'a> {
    /// The `.shp`.
    pub shp: &'a [u8],
    /// The `.dbf`, when there is one.
    pub dbf: Option<&'a [u8]>,
    /// The `.prj`'s text.
    pub prj: Option<&'a str>,
    /// The `.cpg`'s text.
    pub cpg: Option<&'a str>,
}

fn f64_at(b: &[u8], at: usize) -> Option<f64> {
    Some(f64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn i32_le(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn i32_be(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Twice the signed area of a ring (positive counter-clockwise).
fn signed_area2(ring: &[Position]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

/// The geometry of one record's content (`c` starts at its shape type), or why not.
fn shape(c: &[u8]) -> Result<Option<GeometryValue>, String> {
    let kind = i32_le(c, 0).ok_or("record too short")?;
    let short = || "record shorter than its shape".to_string();
    let point = |at: usize| -> Result<Position, String> {
        Ok(Position::from([
            f64_at(c, at).ok_or_else(short)?,
            f64_at(c, at + 8).ok_or_else(short)?,
        ]))
    };
    match kind {
        0 => Ok(None),
        1 | 11 | 21 => Ok(Some(GeometryValue::Point {
            coordinates: point(4)?,
        })),
        8 | 18 | 28 => {
            let n = i32_le(c, 36).ok_or_else(short)?.max(0) as usize;
            let coordinates = (0..n)
                .map(|i| point(40 + 16 * i))
                .collect::<Result<_, _>>()?;
            Ok(Some(GeometryValue::MultiPoint { coordinates }))
        }
        3 | 13 | 23 | 5 | 15 | 25 => {
            let parts = i32_le(c, 36).ok_or_else(short)?.max(0) as usize;
            let points = i32_le(c, 40).ok_or_else(short)?.max(0) as usize;
            let starts: Vec<usize> = (0..parts)
                .map(|i| {
                    i32_le(c, 44 + 4 * i)
                        .map(|s| s.max(0) as usize)
                        .ok_or_else(short)
                })
                .collect::<Result<_, _>>()?;
            let base = 44 + 4 * parts;
            let mut lines = Vec::with_capacity(parts);
            for (i, &start) in starts.iter().enumerate() {
                let end = starts.get(i + 1).copied().unwrap_or(points);
                if start > end || end > points {
                    return Err("part indexes out of order".into());
                }
                lines.push(
                    (start..end)
                        .map(|p| point(base + 16 * p))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
            if matches!(kind, 3 | 13 | 23) {
                return Ok(Some(GeometryValue::MultiLineString { coordinates: lines }));
            }
            // Outer rings run clockwise, holes counter-clockwise; each hole belongs to the
            // outer ring before it (as the format's writers put them).
            let mut polygons: Vec<Vec<Vec<Position>>> = Vec::new();
            for mut ring in lines {
                let outer = signed_area2(&ring) <= 0.0;
                match polygons.last_mut() {
                    Some(p) if !outer => {
                        ring.reverse();
                        p.push(ring)
                    }
                    _ => {
                        ring.reverse(); // GeoJSON's outer rings run counter-clockwise
                        polygons.push(vec![ring])
                    }
                }
            }
            Ok(Some(GeometryValue::MultiPolygon {
                coordinates: polygons,
            }))
        }
        other => Err(format!(
            "shape type {other} is not read (points, lines and polygons are)"
        )),
    }
}

/// Reads a Shapefile's features: each record's geometry with its attributes, in file order;
/// a record that cannot be read is a problem of its index, the rest loads.
///
/// ```
/// use patrolmap_core::formats::shapefile::{read, write, ShapefileParts};
/// use patrolmap_core::formats::dbf::DbfEncoding;
/// let fc: geojson::FeatureCollection = r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"kind":"岗亭","turnout_s":30},"geometry":{"type":"Point","coordinates":[112.9,27.8]}}]}"#.parse().unwrap();
/// let files = write(&fc.features, &patrolmap_core::crs::Crs::Wgs84, DbfEncoding::Gbk, "posts");
/// let (shp, dbf) = (&files[0].1, &files[3].1);
/// let set = read(ShapefileParts { shp, dbf: Some(dbf), prj: None, cpg: None }).unwrap();
/// assert_eq!(set.features[0].properties.as_ref().unwrap()["kind"], "岗亭");
/// assert_eq!(set.encoding, Some(patrolmap_core::scenario::TextEncoding::Gb18030));
/// ```
pub fn read(parts: ShapefileParts) -> Result<FeatureSet, FormatError> {
    let shp = parts.shp;
    if shp.len() < 100 || i32_be(shp, 0) != Some(9994) {
        return Err(FormatError::Invalid {
            part: "shp",
            reason: "not a Shapefile (no file code 9994 in its header)".into(),
        });
    }
    let (rows, encoding) = match parts.dbf {
        Some(dbf) => {
            let (rows, encoding) = dbf::read(dbf, parts.cpg)?;
            (rows, Some(encoding))
        }
        None => (Vec::new(), None),
    };
    let crs = parts
        .prj
        .map(Crs::parse)
        .transpose()
        .map_err(FormatError::Crs)?;
    let mut set = FeatureSet {
        crs,
        encoding,
        ..FeatureSet::default()
    };
    let mut at = 100;
    while at + 8 <= shp.len() {
        let index = set.features.len();
        let words = i32_be(shp, at + 4).unwrap_or(0).max(0) as usize;
        let content = &shp[at + 8..(at + 8 + 2 * words).min(shp.len())];
        at += 8 + 2 * words;
        let properties = rows.get(index).cloned().unwrap_or_default();
        let geometry = match shape(content) {
            Ok(Some(value)) => Some(Geometry::new(value)),
            Ok(None) => None,
            Err(reason) => {
                set.problems.push(FeatureProblem::new(
                    index,
                    ProblemCode::NoGeometry,
                    None,
                    reason,
                ));
                None
            }
        };
        set.features.push(Feature {
            geometry,
            properties: Some(properties),
            ..Feature::default()
        });
    }
    Ok(set)
}

/// Which Shapefile of an export a geometry goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layer {
    Points,
    Lines,
    Polygons,
}

impl Layer {
    fn of(value: &GeometryValue) -> Option<Layer> {
        match value {
            GeometryValue::Point { .. } => Some(Layer::Points),
            GeometryValue::LineString { .. } | GeometryValue::MultiLineString { .. } => {
                Some(Layer::Lines)
            }
            GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. } => {
                Some(Layer::Polygons)
            }
            _ => None,
        }
    }
}

/// One record's content and its bounding box.
fn record(value: &GeometryValue, crs: &Crs) -> (Vec<u8>, [f64; 4]) {
    let xy = |p: &Position| crs.from_wgs84([p[0], p[1]]);
    let mut out = Vec::new();
    let (kind, parts): (i32, Vec<Vec<[f64; 2]>>) = match value {
        GeometryValue::Point { coordinates } => {
            let p = xy(coordinates);
            out.extend_from_slice(&1i32.to_le_bytes());
            out.extend_from_slice(&p[0].to_le_bytes());
            out.extend_from_slice(&p[1].to_le_bytes());
            return (out, [p[0], p[1], p[0], p[1]]);
        }
        GeometryValue::LineString { coordinates } => {
            (3, vec![coordinates.iter().map(xy).collect()])
        }
        GeometryValue::MultiLineString { coordinates } => (
            3,
            coordinates
                .iter()
                .map(|l| l.iter().map(xy).collect())
                .collect(),
        ),
        GeometryValue::Polygon { coordinates } => (5, rings(std::slice::from_ref(coordinates), xy)),
        GeometryValue::MultiPolygon { coordinates } => (5, rings(coordinates, xy)),
        _ => unreachable!("only the layers' geometries are written"),
    };
    let all = parts.iter().flatten();
    let bbox = all.fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        },
    );
    out.extend_from_slice(&kind.to_le_bytes());
    for v in bbox {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(parts.len() as i32).to_le_bytes());
    out.extend_from_slice(&(parts.iter().map(Vec::len).sum::<usize>() as i32).to_le_bytes());
    let mut start = 0i32;
    for p in &parts {
        out.extend_from_slice(&start.to_le_bytes());
        start += p.len() as i32;
    }
    for p in parts.iter().flatten() {
        out.extend_from_slice(&p[0].to_le_bytes());
        out.extend_from_slice(&p[1].to_le_bytes());
    }
    (out, bbox)
}

/// Polygons' rings in the format's orientation: outer clockwise, holes counter-clockwise.
fn rings(
    polygons: &[Vec<Vec<Position>>],
    xy: impl Fn(&Position) -> [f64; 2],
) -> Vec<Vec<[f64; 2]>> {
    let mut out = Vec::new();
    for polygon in polygons {
        for (i, ring) in polygon.iter().enumerate() {
            let mut r: Vec<[f64; 2]> = ring.iter().map(&xy).collect();
            let ccw = r
                .windows(2)
                .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
                .sum::<f64>()
                > 0.0;
            if ccw == (i == 0) {
                r.reverse();
            }
            out.push(r);
        }
    }
    out
}

fn header(kind: i32, file_len_bytes: usize, bbox: [f64; 4]) -> Vec<u8> {
    let mut h = Vec::with_capacity(100);
    h.extend_from_slice(&9994i32.to_be_bytes());
    h.extend_from_slice(&[0u8; 20]);
    h.extend_from_slice(&((file_len_bytes / 2) as i32).to_be_bytes());
    h.extend_from_slice(&1000i32.to_le_bytes());
    h.extend_from_slice(&kind.to_le_bytes());
    for v in bbox {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&[0u8; 32]); // Z and M ranges
    h
}

/// Writes `features` (WGS 84) in `crs` as Shapefiles named `{stem}_points`, `{stem}_lines`
/// and `{stem}_polygons` (each only when it has features; all of them if none has), every one
/// with its `.shp`, `.shx`, `.dbf`, `.prj` and `.cpg`: the list of file names and bytes.
pub fn write(
    features: &[Feature],
    crs: &Crs,
    encoding: DbfEncoding,
    stem: &str,
) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for (layer, suffix, kind) in [
        (Layer::Points, "points", 1),
        (Layer::Lines, "lines", 3),
        (Layer::Polygons, "polygons", 5),
    ] {
        let chosen: Vec<&Feature> = features
            .iter()
            .filter(|f| f.geometry.as_ref().and_then(|g| Layer::of(&g.value)) == Some(layer))
            .collect();
        if chosen.is_empty() && !features.is_empty() {
            continue;
        }
        let mut shp_records = Vec::new();
        let mut shx_records = Vec::new();
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for (i, f) in chosen.iter().enumerate() {
            let (content, b) = record(&f.geometry.as_ref().expect("chosen by geometry").value, crs);
            bbox = [
                bbox[0].min(b[0]),
                bbox[1].min(b[1]),
                bbox[2].max(b[2]),
                bbox[3].max(b[3]),
            ];
            shx_records.extend_from_slice(&(((100 + shp_records.len()) / 2) as i32).to_be_bytes());
            shx_records.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
            shp_records.extend_from_slice(&(i as i32 + 1).to_be_bytes());
            shp_records.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
            shp_records.extend_from_slice(&content);
        }
        if chosen.is_empty() {
            bbox = [0.0; 4];
        }
        let mut shp = header(kind, 100 + shp_records.len(), bbox);
        shp.extend_from_slice(&shp_records);
        let mut shx = header(kind, 100 + shx_records.len(), bbox);
        shx.extend_from_slice(&shx_records);
        let empty = JsonObject::new();
        let rows: Vec<&JsonObject> = chosen
            .iter()
            .map(|f| f.properties.as_ref().unwrap_or(&empty))
            .collect();
        let name = format!("{stem}_{suffix}");
        files.push((format!("{name}.shp"), shp));
        files.push((format!("{name}.shx"), shx));
        files.push((format!("{name}.prj"), crs.to_wkt().into_bytes()));
        files.push((format!("{name}.dbf"), dbf::write(&rows, encoding)));
        files.push((format!("{name}.cpg"), encoding.cpg().as_bytes().to_vec()));
    }
    files
}
