//! File formats from and to bytes, for features as GeoJSON's types hold them (every layer
//! patrolmap reads or writes is a collection of features): Shapefile and its dBASE table,
//! KML, the GeoPackage geometry blob (WKB), GPX routes and CSV. No file is opened here: the
//! edges (the command line, the server) read and write the bytes.

pub mod csv;
pub mod dbf;
pub mod gpx;
pub mod kml;
pub mod shapefile;
pub mod wkb;

use geojson::{GeometryValue, Position};

/// Why a file's bytes are not of their format.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The bytes of one part (`shp`, `dbf`, `kml`…) are not what the format says.
    #[error("{part}: {reason}")]
    Invalid {
        /// The part: a file extension or the format's name.
        part: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A coordinate system (`.prj`) that cannot be used.
    #[error("prj: {0}")]
    Crs(#[source] crate::crs::CrsError),
}

/// Calls `f` on every position of a geometry.
///
/// ```
/// let g = geojson::GeometryValue::new_line_string([[1.0, 2.0], [3.0, 4.0]]);
/// let mut n = 0;
/// patrolmap_core::formats::each_position(&g, &mut |_| n += 1);
/// assert_eq!(n, 2);
/// ```
pub fn each_position(value: &GeometryValue, f: &mut impl FnMut(&Position)) {
    match value {
        GeometryValue::Point { coordinates } => f(coordinates),
        GeometryValue::MultiPoint { coordinates } | GeometryValue::LineString { coordinates } => {
            coordinates.iter().for_each(f)
        }
        GeometryValue::MultiLineString { coordinates } | GeometryValue::Polygon { coordinates } => {
            coordinates.iter().flatten().for_each(f)
        }
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().flatten().flatten().for_each(f)
        }
        GeometryValue::GeometryCollection { geometries } => {
            geometries.iter().for_each(|g| each_position(&g.value, f))
        }
    }
}

/// The bounding box `[min_x, min_y, max_x, max_y]` of a geometry's positions (none for an
/// empty one).
///
/// ```
/// let g = geojson::GeometryValue::new_line_string([[1.0, 4.0], [3.0, 2.0]]);
/// assert_eq!(patrolmap_core::formats::bbox(&g), Some([1.0, 2.0, 3.0, 4.0]));
/// ```
pub fn bbox(value: &GeometryValue) -> Option<[f64; 4]> {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    each_position(value, &mut |p| {
        b = [
            b[0].min(p[0]),
            b[1].min(p[1]),
            b[2].max(p[0]),
            b[3].max(p[1]),
        ];
    });
    b[0].is_finite().then_some(b)
}

/// Replaces every position of a geometry by `f` of it (a change of coordinate system).
///
/// ```
/// let mut g = geojson::GeometryValue::new_point([1.0, 2.0]);
/// patrolmap_core::formats::transform(&mut g, |[x, y]| [x * 2.0, y]);
/// assert_eq!(g, geojson::GeometryValue::new_point([2.0, 2.0]));
/// ```
pub fn transform(value: &mut GeometryValue, f: impl Fn([f64; 2]) -> [f64; 2]) {
    fn each(value: &mut GeometryValue, f: &dyn Fn(&mut Position)) {
        match value {
            GeometryValue::Point { coordinates } => f(coordinates),
            GeometryValue::MultiPoint { coordinates }
            | GeometryValue::LineString { coordinates } => coordinates.iter_mut().for_each(f),
            GeometryValue::MultiLineString { coordinates }
            | GeometryValue::Polygon { coordinates } => {
                coordinates.iter_mut().flatten().for_each(f)
            }
            GeometryValue::MultiPolygon { coordinates } => {
                coordinates.iter_mut().flatten().flatten().for_each(f)
            }
            GeometryValue::GeometryCollection { geometries } => {
                geometries.iter_mut().for_each(|g| each(&mut g.value, f))
            }
        }
    }
    each(value, &|p: &mut Position| {
        let [x, y] = f([p[0], p[1]]);
        *p = Position::from([x, y]);
    });
}
