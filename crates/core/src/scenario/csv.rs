//! Scenario points from CSV: a header with `lon` and `lat`, optionally `kind`, `id`, `name`,
//! `class`, `mode`, `turnout_s`, `weight`, `dwell_s`, each also by its Chinese name (`经度`,
//! `纬度`, `类型`, `编号`, `名称`, …; [`column_name`]). Plain comma-separated values; a field
//! may be double-quoted (with `""` for a quote).

use geojson::{Feature, Geometry, GeometryValue, JsonObject, JsonValue};

use super::{FeatureProblem, FeatureSet, ProblemCode, ReadOptions, Scenario};

/// Reads scenario CSV text; rows are numbered from 0 (the first data row) in problems.
///
/// ```
/// let s = patrolmap_core::scenario::read_csv_str("lon,lat,kind,name\n112.9,27.8,post,\"岳塘 kiosk\"\nx,27.8,unit,bad\n").unwrap();
/// assert_eq!(s.units[0].name.as_deref(), Some("岳塘 kiosk"));
/// assert_eq!(s.problems.len(), 1);
/// ```
pub fn read_csv_str(text: &str) -> Result<Scenario, super::ReadError> {
    Ok(super::read_features(read_csv_set(text, &[])?, &ReadOptions::default())?.0)
}

/// The rows of CSV text as point features: the position from the columns that are (by
/// `columns`, the planner's mapping, or by [`column_name`]) `lon` and `lat`, every other
/// column a text property under its own name.
///
/// ```
/// let set = patrolmap_core::scenario::read_csv_set("东,北,名称\n38401544.6,3087761.9,岳塘\n", &[("东".into(), "lon".into()), ("北".into(), "lat".into())]).unwrap();
/// assert_eq!(set.features.len(), 1);
/// ```
pub fn read_csv_set(
    text: &str,
    columns: &[(String, String)],
) -> Result<FeatureSet, super::ReadError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = split_row(lines.next().ok_or(super::ReadError::EmptyCsv)?)
        .into_iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let field = |h: &str| match columns
        .iter()
        .find(|(from, _)| from == h || from.eq_ignore_ascii_case(h))
    {
        Some((_, to)) => to.clone(),
        None => column_name(&h.to_lowercase()).to_string(),
    };
    let fields: Vec<String> = header.iter().map(|h| field(h)).collect();
    let col = |name: &str| fields.iter().position(|h| h == name);
    let wkt = col("wkt");
    let (lon, lat) = match (col("lon"), col("lat")) {
        (Some(lon), Some(lat)) => (lon, lat),
        // A table of WKT geometries only: no position columns.
        _ if wkt.is_some() => (usize::MAX, usize::MAX),
        _ => {
            return Err(super::ReadError::CsvHeader {
                found: header.join(","),
            })
        }
    };
    let mut set = FeatureSet::default();
    for (row, line) in lines.enumerate() {
        let values = split_row(line);
        let get = |c: usize| values.get(c).map(|s| s.trim()).unwrap_or("");
        let number = |c: usize| get(c).parse::<f64>().map_err(|_| c);
        let mut properties = JsonObject::new();
        for (c, name) in header.iter().enumerate() {
            if c != lon && c != lat && Some(c) != wkt && !get(c).is_empty() {
                properties.insert(name.clone(), JsonValue::String(get(c).to_string()));
            }
        }
        let shape = wkt.map(get).filter(|w| !w.is_empty());
        let no_position = get(lon).is_empty() && get(lat).is_empty();
        let geometry = match (number(lon), number(lat)) {
            _ if no_position && shape.is_some() => {
                match crate::formats::csv::read_wkt(shape.unwrap_or_default()) {
                    Ok(g) => Some(Geometry::new(g)),
                    Err(reason) => {
                        set.problems.push(FeatureProblem::new(
                            row,
                            ProblemCode::NoGeometry,
                            Some("wkt"),
                            format!("wkt: {reason}"),
                        ));
                        None
                    }
                }
            }
            _ if lon == usize::MAX || (no_position && wkt.is_some()) => {
                set.problems.push(FeatureProblem::new(
                    row,
                    ProblemCode::NoGeometry,
                    Some("wkt"),
                    "no position and no wkt",
                ));
                None
            }
            (Ok(x), Ok(y)) => Some(Geometry::new(GeometryValue::new_point([x, y]))),
            (Err(c), _) | (_, Err(c)) => {
                let name = &fields[c];
                set.problems.push(FeatureProblem::new(
                    row,
                    ProblemCode::NotANumber,
                    Some(name),
                    format!("{name}: not a number: {:?}", get(c)),
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

/// A column name as patrolmap's field it holds: the field's own name, an English synonym, or
/// the Chinese a police GIS table or an Excel sheet uses; anything else as written.
///
/// ```
/// use patrolmap_core::scenario::column_name;
/// assert_eq!(column_name("经度"), "lon");
/// assert_eq!(column_name("名称"), "name");
/// ```
pub fn column_name(header: &str) -> &str {
    match header {
        // x and y are the first and second coordinate (easting, northing) in any system;
        // Chinese surveying's X is the northing, so X坐标 and Y坐标 are left to a mapping.
        "lng" | "long" | "longitude" | "经度" | "x" | "easting" | "东坐标" => "lon",
        "geometry" | "geom" | "shape" | "几何" | "图形" => "wkt",
        "latitude" | "纬度" | "y" | "northing" | "北坐标" => "lat",
        "type" | "类型" | "要素类型" => "kind",
        "编号" | "编码" | "代码" => "id",
        "名称" | "名字" => "name",
        "类别" | "级别" | "等级" => "class",
        "方式" | "出行方式" | "交通方式" => "mode",
        "出警准备时间" | "准备时间" => "turnout_s",
        "权重" => "weight",
        "时间" | "接警时间" | "报警时间" => "time",
        "停留时间" | "驻留时间" => "dwell_s",
        "巡逻间隔" | "间隔" | "频次" => "every",
        "巡逻次数" | "次数" | "遍数" => "passes",
        "时段" | "时间窗" | "巡逻时段" => "windows",
        "班次" | "值班时间" | "勤务时间" => "shift",
        "休息" | "休息时间" | "breaks" => "break",
        other => other,
    }
}

fn split_row(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("one field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}
