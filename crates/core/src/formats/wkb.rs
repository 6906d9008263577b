//! Well-known binary geometries, and the GeoPackage geometry blob around them (a `GP` header
//! with the spatial reference id and an envelope, then WKB). Z and M are read and dropped.

use geojson::{Geometry, GeometryValue, Position};

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
    little: bool,
}

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self
            .b
            .get(self.at..self.at + N)
            .ok_or("geometry shorter than its header says")?;
        self.at += N;
        Ok(s.try_into().expect("N bytes"))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
    fn f64(&mut self) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if self.little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }
}

fn geometry(c: &mut Cursor, depth: usize) -> Result<GeometryValue, String> {
    if depth > 8 {
        return Err("geometry nested too deep".into());
    }
    c.little = c.take::<1>()?[0] == 1;
    let code = c.u32()?;
    // ISO codes (1001 = Point Z, 2001 = Point M, 3001 = Point ZM) and EWKB's high flags.
    let (base, dims) = {
        let flags = code & 0xf000_0000;
        let iso = code & 0x0fff_ffff;
        let extra = match iso / 1000 {
            1 | 2 => 1,
            3 => 2,
            _ => 0,
        } + (flags & 0x8000_0000 != 0) as usize
            + (flags & 0x4000_0000 != 0) as usize;
        (iso % 1000, 2 + extra)
    };
    let point = |c: &mut Cursor| -> Result<Position, String> {
        let x = c.f64()?;
        let y = c.f64()?;
        for _ in 2..dims {
            c.f64()?;
        }
        Ok(Position::from([x, y]))
    };
    let count = |c: &mut Cursor| -> Result<usize, String> {
        let n = c.u32()? as usize;
        if n > c.b.len() {
            return Err("a count larger than the geometry".into());
        }
        Ok(n)
    };
    Ok(match base {
        1 => GeometryValue::Point {
            coordinates: point(c)?,
        },
        2 => {
            let n = count(c)?;
            GeometryValue::LineString {
                coordinates: (0..n).map(|_| point(c)).collect::<Result<_, _>>()?,
            }
        }
        3 => {
            let rings = count(c)?;
            let mut coordinates = Vec::with_capacity(rings);
            for _ in 0..rings {
                let n = count(c)?;
                coordinates.push((0..n).map(|_| point(c)).collect::<Result<_, _>>()?);
            }
            GeometryValue::Polygon { coordinates }
        }
        4..=7 => {
            let n = count(c)?;
            let parts = (0..n)
                .map(|_| geometry(c, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            let mismatch = || "a multi-geometry with a member of another type".to_string();
            match base {
                4 => GeometryValue::MultiPoint {
                    coordinates: parts
                        .into_iter()
                        .map(|g| match g {
                            GeometryValue::Point { coordinates } => Ok(coordinates),
                            _ => Err(mismatch()),
                        })
                        .collect::<Result<_, _>>()?,
                },
                5 => GeometryValue::MultiLineString {
                    coordinates: parts
                        .into_iter()
                        .map(|g| match g {
                            GeometryValue::LineString { coordinates } => Ok(coordinates),
                            _ => Err(mismatch()),
                        })
                        .collect::<Result<_, _>>()?,
                },
                6 => GeometryValue::MultiPolygon {
                    coordinates: parts
                        .into_iter()
                        .map(|g| match g {
                            GeometryValue::Polygon { coordinates } => Ok(coordinates),
                            _ => Err(mismatch()),
                        })
                        .collect::<Result<_, _>>()?,
                },
                _ => GeometryValue::GeometryCollection {
                    geometries: parts.into_iter().map(Geometry::new).collect(),
                },
            }
        }
        other => return Err(format!("WKB geometry type {other} is not read")),
    })
}

/// The geometry of WKB bytes.
///
/// ```
/// use patrolmap_core::formats::wkb;
/// let g = geojson::GeometryValue::new_line_string([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(wkb::read(&wkb::write(&g)).unwrap(), g);
/// ```
pub fn read(bytes: &[u8]) -> Result<GeometryValue, String> {
    geometry(
        &mut Cursor {
            b: bytes,
            at: 0,
            little: true,
        },
        0,
    )
}

/// The geometry of a GeoPackage blob (`GP` header, then WKB), or `None` for an empty one.
///
/// ```
/// use patrolmap_core::formats::wkb;
/// let g = geojson::GeometryValue::new_point([112.9, 27.8]);
/// assert_eq!(wkb::read_gpkg(&wkb::write_gpkg(&g, 4326)).unwrap(), Some(g));
/// ```
pub fn read_gpkg(blob: &[u8]) -> Result<Option<GeometryValue>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no GP header)".into());
    }
    let flags = blob[3];
    if flags & 0x10 != 0 {
        return Ok(None);
    }
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => {
            return Err(format!(
                "envelope code {other} is not in the GeoPackage standard"
            ))
        }
    };
    read(
        blob.get(8 + envelope..)
            .ok_or("geometry shorter than its header")?,
    )
    .map(Some)
}

fn push_points(out: &mut Vec<u8>, points: &[Position]) {
    out.extend_from_slice(&(points.len() as u32).to_le_bytes());
    for p in points {
        out.extend_from_slice(&p[0].to_le_bytes());
        out.extend_from_slice(&p[1].to_le_bytes());
    }
}

/// Little-endian 2D WKB of a geometry.
pub fn write(value: &GeometryValue) -> Vec<u8> {
    let mut out = Vec::new();
    write_into(value, &mut out);
    out
}

fn write_into(value: &GeometryValue, out: &mut Vec<u8>) {
    out.push(1);
    let code: u32 = match value {
        GeometryValue::Point { .. } => 1,
        GeometryValue::LineString { .. } => 2,
        GeometryValue::Polygon { .. } => 3,
        GeometryValue::MultiPoint { .. } => 4,
        GeometryValue::MultiLineString { .. } => 5,
        GeometryValue::MultiPolygon { .. } => 6,
        GeometryValue::GeometryCollection { .. } => 7,
    };
    out.extend_from_slice(&code.to_le_bytes());
    match value {
        GeometryValue::Point { coordinates } => {
            out.extend_from_slice(&coordinates[0].to_le_bytes());
            out.extend_from_slice(&coordinates[1].to_le_bytes());
        }
        GeometryValue::LineString { coordinates } => push_points(out, coordinates),
        GeometryValue::Polygon { coordinates } => {
            out.extend_from_slice(&(coordinates.len() as u32).to_le_bytes());
            coordinates.iter().for_each(|r| push_points(out, r));
        }
        GeometryValue::MultiPoint { coordinates } => {
            out.extend_from_slice(&(coordinates.len() as u32).to_le_bytes());
            for c in coordinates {
                write_into(
                    &GeometryValue::Point {
                        coordinates: c.clone(),
                    },
                    out,
                );
            }
        }
        GeometryValue::MultiLineString { coordinates } => {
            out.extend_from_slice(&(coordinates.len() as u32).to_le_bytes());
            for c in coordinates {
                write_into(
                    &GeometryValue::LineString {
                        coordinates: c.clone(),
                    },
                    out,
                );
            }
        }
        GeometryValue::MultiPolygon { coordinates } => {
            out.extend_from_slice(&(coordinates.len() as u32).to_le_bytes());
            for c in coordinates {
                write_into(
                    &GeometryValue::Polygon {
                        coordinates: c.clone(),
                    },
                    out,
                );
            }
        }
        GeometryValue::GeometryCollection { geometries } => {
            out.extend_from_slice(&(geometries.len() as u32).to_le_bytes());
            for g in geometries {
                write_into(&g.value, out);
            }
        }
    }
}

/// A GeoPackage geometry blob: the `GP` header with `srs_id` and the xy envelope, then WKB.
pub fn write_gpkg(value: &GeometryValue, srs_id: i32) -> Vec<u8> {
    let b = super::bbox(value).unwrap_or([0.0; 4]);
    let mut out = vec![b'G', b'P', 0, 0b0000_0011];
    out.extend_from_slice(&srs_id.to_le_bytes());
    for v in [b[0], b[2], b[1], b[3]] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&write(value));
    out
}
