//! What looks wrong in a file that reads without error, told before it is used: points far
//! from every road, positions whose longitude and latitude were swapped, and positions in
//! GCJ-02 or BD-09 (picked on Amap, Tencent or Baidu maps) read as WGS 84. Each is found by
//! the distance to the nearest road, as the file is and as the fix would make it.

use crate::crs::{bd09_to_gcj02, gcj02_to_wgs84};

use super::Scenario;

/// Farther than this from every road, a point is far (a post stands on or beside a road).
pub const FAR_M: f64 = 500.0;

/// How far the warnings look for a road: a point farther has no distance (`None`).
pub const SEARCH_M: f64 = 5_000.0;

/// What kind of warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// Points farther than [`FAR_M`] from every road.
    FarFromRoads,
    /// Points that lie on the roads once longitude and latitude are swapped.
    LonLatSwapped,
    /// Points nearer the roads once read as GCJ-02.
    LikelyGcj02,
    /// Points nearer the roads once read as BD-09.
    LikelyBd09,
}

impl WarningCode {
    /// Every code, for the map's message table and its test.
    pub const ALL: [WarningCode; 4] = [
        WarningCode::FarFromRoads,
        WarningCode::LonLatSwapped,
        WarningCode::LikelyGcj02,
        WarningCode::LikelyBd09,
    ];
}

/// A warning about some of a file's features.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportWarning {
    /// What it is.
    pub code: WarningCode,
    /// How many points it concerns.
    pub count: usize,
    /// The first of their features (indexes in the file), at most 20.
    pub features: Vec<usize>,
    /// The points' median distance to the nearest road as read, metres (none: farther than
    /// the search went, [`SEARCH_M`]).
    pub median_m: Option<f64>,
    /// The same after the fix the warning suggests (none for far points), metres.
    pub fixed_median_m: Option<f64>,
}

/// A conversion a warning suggests.
type Fix = fn([f64; 2]) -> [f64; 2];

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The warnings for `scenario`'s points, `nearest_road_m` saying how far a position is from
/// the nearest road (`None` beyond what it searches).
///
/// ```
/// use patrolmap_core::scenario::{position_warnings, read_csv_str, WarningCode};
/// // One road along the equator: a point 0.01° north is 1.1 km off it; swapped, it is on it.
/// let s = read_csv_str("lon,lat\n0.01,10\n").unwrap();
/// let road = |p: [f64; 2]| Some(p[1].abs() * 111_195.0);
/// let w = position_warnings(&s, road);
/// assert_eq!(w[0].code, WarningCode::FarFromRoads);
/// ```
pub fn position_warnings(
    scenario: &Scenario,
    nearest_road_m: impl Fn([f64; 2]) -> Option<f64>,
) -> Vec<ImportWarning> {
    let points: Vec<(usize, [f64; 2])> = scenario
        .units
        .iter()
        .map(|u| (u.feature, u.position))
        .chain(
            [
                &scenario.checkpoints,
                &scenario.key_sites,
                &scenario.incidents,
                &scenario.candidates,
            ]
            .into_iter()
            .flatten()
            .map(|s| (s.feature, s.position)),
        )
        .collect();
    if points.is_empty() {
        return Vec::new();
    }
    let far_m = |p: [f64; 2]| nearest_road_m(p).unwrap_or(f64::INFINITY);
    let as_read: Vec<f64> = points.iter().map(|&(_, p)| far_m(p)).collect();
    let mut warnings = Vec::new();
    let warning =
        |code, chosen: Vec<usize>, before: Vec<f64>, after: Option<Vec<f64>>| ImportWarning {
            code,
            count: chosen.len(),
            features: chosen.iter().take(20).map(|&i| points[i].0).collect(),
            median_m: Some(median(before)).filter(|m| m.is_finite()),
            fixed_median_m: after.map(median).filter(|m| m.is_finite()),
        };
    // A whole file in a Chinese map's offset: most points nearer the roads converted, and
    // markedly so (the offset is hundreds of metres; a post is metres from its road).
    let all: Vec<usize> = (0..points.len()).collect();
    let median_read = median(as_read.clone());
    let fixes: [(WarningCode, Fix); 2] = [
        (WarningCode::LikelyGcj02, gcj02_to_wgs84),
        (WarningCode::LikelyBd09, |p| {
            gcj02_to_wgs84(bd09_to_gcj02(p))
        }),
    ];
    let mut offset_found = false;
    let mut best: Option<(WarningCode, Vec<f64>)> = None;
    for (code, fix) in fixes {
        let fixed: Vec<f64> = points.iter().map(|&(_, p)| far_m(fix(p))).collect();
        let m = median(fixed.clone());
        if median_read > 50.0
            && m < median_read / 3.0
            && best.as_ref().is_none_or(|(_, b)| m < median(b.clone()))
        {
            best = Some((code, fixed));
        }
    }
    if let Some((code, fixed)) = best {
        offset_found = true;
        warnings.push(warning(code, all, as_read.clone(), Some(fixed)));
    }
    let far: Vec<usize> = (0..points.len()).filter(|&i| as_read[i] > FAR_M).collect();
    if !far.is_empty() && !offset_found {
        let swapped: Vec<usize> = far
            .iter()
            .copied()
            .filter(|&i| {
                let [lon, lat] = points[i].1;
                lat.abs() <= 180.0 && lon.abs() <= 90.0 && far_m([lat, lon]) <= FAR_M
            })
            .collect();
        if !swapped.is_empty() {
            let before = swapped.iter().map(|&i| as_read[i]).collect();
            let after = swapped
                .iter()
                .map(|&i| far_m([points[i].1[1], points[i].1[0]]))
                .collect();
            warnings.push(warning(
                WarningCode::LonLatSwapped,
                swapped.clone(),
                before,
                Some(after),
            ));
        }
        let rest: Vec<usize> = far.into_iter().filter(|i| !swapped.contains(i)).collect();
        if !rest.is_empty() {
            let before = rest.iter().map(|&i| as_read[i]).collect();
            warnings.push(warning(WarningCode::FarFromRoads, rest, before, None));
        }
    }
    warnings
}
