//! GeoPackage (OGC 12-128r18) read and written through SQLite: every feature table of a file
//! read with its spatial reference; a scenario written as one table per geometry type (points,
//! lines, polygons), as ArcGIS wants a single type per table.

use std::path::Path;

use anyhow::{bail, Context, Result};
use geojson::{Feature, Geometry, GeometryValue, JsonObject, JsonValue};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::scenario::{FeatureProblem, FeatureSet, ProblemCode};
use patrolmap_core::crs::Crs;
use patrolmap_core::formats::wkb;

/// The coordinate system of a GeoPackage spatial reference id.
fn srs(db: &Connection, srs_id: i64) -> Result<Option<Crs>> {
    let (org, code, definition): (String, i64, String) = db
        .query_row(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .with_context(|| format!("spatial reference {srs_id} is not in gpkg_spatial_ref_sys"))?;
    if srs_id <= 0 {
        return Ok(None); // undefined: decided by the coordinates
    }
    if org.eq_ignore_ascii_case("EPSG") {
        if let Ok(crs) = Crs::from_epsg(code as u32) {
            return Ok(Some(crs));
        }
    }
    Ok(Some(Crs::parse(&definition)?))
}

/// Reads every feature table of the GeoPackage at `path`, tables in name order.
pub fn read(path: &Path) -> Result<FeatureSet> {
    let db = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .context("not a SQLite file")?;
    let tables: Vec<(String, String, i64)> = {
        let mut q = db
            .prepare("SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name")
            .context("not a GeoPackage (no gpkg_contents or gpkg_geometry_columns)")?;
        let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if tables.is_empty() {
        bail!("the GeoPackage has no feature table");
    }
    let mut set = FeatureSet::default();
    let mut first_crs: Option<Option<Crs>> = None;
    for (table, column, srs_id) in &tables {
        let crs = srs(&db, *srs_id)?;
        match &first_crs {
            None => first_crs = Some(crs.clone()),
            Some(c) if *c != crs => bail!("tables {:?} and {table:?} are in different coordinate systems: export them one at a time", tables[0].0),
            Some(_) => {}
        }
        let pk: Option<String> = db
            .prepare(&format!(
                "PRAGMA table_info(\"{}\")",
                table.replace('"', "\"\"")
            ))?
            .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(5)?)))?
            .filter_map(|r| r.ok())
            .find(|(_, pk)| *pk > 0)
            .map(|(name, _)| name);
        let mut q = db.prepare(&format!("SELECT * FROM \"{}\"", table.replace('"', "\"\"")))?;
        let names: Vec<String> = q.column_names().iter().map(|s| s.to_string()).collect();
        let mut rows = q.query([])?;
        while let Some(row) = rows.next()? {
            let index = set.features.len();
            let mut properties = JsonObject::new();
            let mut geometry = None;
            for (i, name) in names.iter().enumerate() {
                let value = row.get_ref(i)?;
                if name == column {
                    if let ValueRef::Blob(blob) = value {
                        match wkb::read_gpkg(blob) {
                            Ok(g) => geometry = g.map(Geometry::new),
                            Err(reason) => set.problems.push(FeatureProblem::new(
                                index,
                                ProblemCode::NoGeometry,
                                None,
                                format!("{table}: {reason}"),
                            )),
                        }
                    }
                    continue;
                }
                if Some(name) == pk.as_ref() {
                    continue;
                }
                let v = match value {
                    ValueRef::Null | ValueRef::Blob(_) => JsonValue::Null,
                    ValueRef::Integer(n) => JsonValue::from(n),
                    ValueRef::Real(x) => serde_json::json!(x),
                    ValueRef::Text(t) => JsonValue::String(String::from_utf8_lossy(t).into_owned()),
                };
                properties.insert(name.clone(), v);
            }
            set.features.push(Feature {
                geometry,
                properties: Some(properties),
                ..Feature::default()
            });
        }
    }
    set.crs = first_crs.flatten();
    set.encoding = Some(crate::scenario::TextEncoding::Utf8);
    Ok(set)
}

/// Writes `features` (WGS 84) in `crs` as a GeoPackage at `path` (which must not exist).
pub fn write(path: &Path, features: &[Feature], crs: &Crs) -> Result<()> {
    let mut db = Connection::open(path)?;
    let srs_id: i64 = crs.epsg().map_or(99_999, i64::from);
    let tx = db.transaction()?;
    tx.execute_batch(
        "PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
         INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL), ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL);",
    )?;
    let wgs84 = Crs::Wgs84.to_wkt();
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, ?1, NULL)",
        [&wgs84],
    )?;
    if srs_id != 4326 {
        let org = if crs.epsg().is_some() { "EPSG" } else { "NONE" };
        tx.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?2, ?4, NULL)",
            rusqlite::params![crs.name(), srs_id, org, crs.to_wkt()],
        )?;
    }
    for (table, kind) in [
        ("points", "POINT"),
        ("lines", "LINESTRING"),
        ("polygons", "POLYGON"),
    ] {
        let chosen: Vec<&Feature> = features
            .iter()
            .filter(|f| match f.geometry.as_ref().map(|g| &g.value) {
                Some(GeometryValue::Point { .. }) => kind == "POINT",
                Some(GeometryValue::LineString { .. } | GeometryValue::MultiLineString { .. }) => {
                    kind == "LINESTRING"
                }
                Some(GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. }) => {
                    kind == "POLYGON"
                }
                _ => false,
            })
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let mut columns: Vec<(String, bool)> = Vec::new();
        for f in &chosen {
            for (key, value) in f.properties.iter().flatten() {
                let number = value.is_number() || value.is_null();
                match columns.iter_mut().find(|(k, _)| k == key) {
                    Some(c) => c.1 &= number,
                    None => columns.push((key.clone(), number)),
                }
            }
        }
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let defs: String = columns
            .iter()
            .map(|(k, number)| format!(", {} {}", quote(k), if *number { "REAL" } else { "TEXT" }))
            .collect();
        tx.execute_batch(&format!(
            "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom {kind}{defs})"
        ))?;
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let placeholders: String = (0..=columns.len())
            .map(|i| format!("?{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let names: String = std::iter::once("geom".to_string())
            .chain(columns.iter().map(|(k, _)| quote(k)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {table} ({names}) VALUES ({placeholders})"
        ))?;
        for f in &chosen {
            let mut value = f
                .geometry
                .as_ref()
                .expect("chosen by geometry")
                .value
                .clone();
            patrolmap_core::formats::transform(&mut value, |p| crs.from_wgs84(p));
            if let Some(e) = patrolmap_core::formats::bbox(&value) {
                b = [
                    b[0].min(e[0]),
                    b[1].min(e[1]),
                    b[2].max(e[2]),
                    b[3].max(e[3]),
                ];
            }
            let mut params: Vec<rusqlite::types::Value> = vec![rusqlite::types::Value::Blob(
                wkb::write_gpkg(&value, srs_id as i32),
            )];
            for (key, number) in &columns {
                let v = f
                    .properties
                    .as_ref()
                    .and_then(|p| p.get(key))
                    .unwrap_or(&JsonValue::Null);
                params.push(match (v, number) {
                    (JsonValue::Null, _) => rusqlite::types::Value::Null,
                    (v, true) => rusqlite::types::Value::Real(v.as_f64().unwrap_or(f64::NAN)),
                    (JsonValue::String(s), false) => rusqlite::types::Value::Text(s.clone()),
                    (other, false) => rusqlite::types::Value::Text(other.to_string()),
                });
            }
            insert.execute(rusqlite::params_from_iter(params))?;
        }
        drop(insert);
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![table, b[0], b[1], b[2], b[3], srs_id],
        )?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)",
            rusqlite::params![table, kind, srs_id],
        )?;
    }
    tx.commit()?;
    Ok(())
}
