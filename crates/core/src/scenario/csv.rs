//! Scenario points from CSV: a header with `lon` and `lat`, optionally `kind`, `id`, `name`,
//! `class`, `mode`, `turnout_s`, `weight`, `dwell_s`, each also by its Chinese name (`经度`,
//! `纬度`, `类型`, `编号`, `名称`, …; [`column_name`]). Plain comma-separated values; a field
//! may be double-quoted (with `""` for a quote).

use super::{FeatureProblem, PointFields, ProblemCode, Scenario};

/// Reads scenario CSV text; rows are numbered from 0 (the first data row) in problems.
///
/// ```
/// let s = patrolmap_core::scenario::read_csv_str("lon,lat,kind,name\n112.9,27.8,post,\"岳塘 kiosk\"\nx,27.8,unit,bad\n").unwrap();
/// assert_eq!(s.units[0].name.as_deref(), Some("岳塘 kiosk"));
/// assert_eq!(s.problems.len(), 1);
/// ```
pub fn read_csv_str(text: &str) -> Result<Scenario, super::ReadError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = split_row(lines.next().ok_or(super::ReadError::EmptyCsv)?)
        .into_iter()
        .map(|h| column_name(&h.trim().trim_start_matches('\u{feff}').to_lowercase()).to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(lon), Some(lat)) = (col("lon"), col("lat")) else {
        return Err(super::ReadError::CsvHeader {
            found: header.join(","),
        });
    };
    let mut scenario = Scenario::default();
    for (row, line) in lines.enumerate() {
        let fields = split_row(line);
        let get = |c: Option<usize>| {
            c.and_then(|c| fields.get(c))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let mut bad = None;
        let mut num = |name: &str| match get(col(name)) {
            None => None,
            Some(s) => match s.parse::<f64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    bad.get_or_insert((name.to_string(), format!("{name}: not a number: {s:?}")));
                    None
                }
            },
        };
        let position = [
            num("lon").unwrap_or(f64::NAN),
            num("lat").unwrap_or(f64::NAN),
        ];
        let (turnout_s, weight, dwell_s) = (num("turnout_s"), num("weight"), num("dwell_s"));
        if let Some((field, reason)) = bad {
            scenario.problems.push(FeatureProblem::new(
                row,
                ProblemCode::NotANumber,
                Some(&field),
                reason,
            ));
            continue;
        }
        let _ = (lon, lat);
        let owned = |name: &str| get(col(name)).map(str::to_string);
        scenario.add_point(
            row,
            position,
            PointFields {
                kind: get(col("kind")),
                id: owned("id"),
                name: owned("name"),
                class: owned("class"),
                mode: get(col("mode")),
                turnout_s,
                weight,
                dwell_s,
            },
        );
    }
    Ok(scenario)
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
        "lng" | "long" | "longitude" | "经度" => "lon",
        "latitude" | "纬度" => "lat",
        "type" | "类型" | "要素类型" => "kind",
        "编号" | "编码" | "代码" => "id",
        "名称" | "名字" => "name",
        "类别" | "级别" | "等级" => "class",
        "方式" | "出行方式" | "交通方式" => "mode",
        "出警准备时间" | "准备时间" => "turnout_s",
        "权重" => "weight",
        "停留时间" | "驻留时间" => "dwell_s",
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
