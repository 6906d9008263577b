//! GCJ-02 ("Mars coordinates", the offset every map licensed in China draws in: Amap, Tencent)
//! and BD-09 (Baidu's further offset of GCJ-02), by the published transforms. Forward is the
//! published formula itself; the inverse has no closed form and is solved by fixed-point
//! iteration to well under a millimetre. Outside China's box the offset is zero, as in the
//! published code.

use std::f64::consts::PI;

/// Krasovsky 1940's semi-major axis and first eccentricity squared, as the transform uses them.
const A_M: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// Whether `[lon, lat]` lies outside the box where the offset applies.
fn outside_china([lon, lat]: [f64; 2]) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// GCJ-02 `[lon, lat]` of a WGS 84 `[lon, lat]`.
///
/// ```
/// // Near Xiangtan the offset is some 500 m.
/// let wgs = [112.944, 27.829];
/// let gcj = patrolmap_core::crs::wgs84_to_gcj02(wgs);
/// let d = patrolmap_core::network::geodesy::haversine_m(wgs, gcj);
/// assert!(d > 300.0 && d < 800.0, "{d}");
/// ```
pub fn wgs84_to_gcj02(p: [f64; 2]) -> [f64; 2] {
    if outside_china(p) {
        return p;
    }
    let [lon, lat] = p;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = offset_lat(x, y) * 180.0 / ((A_M * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lon = offset_lon(x, y) * 180.0 / (A_M / sqrt_magic * rad_lat.cos() * PI);
    [lon + d_lon, lat + d_lat]
}

/// Solves `forward(x) = target` for x near `target` (each transform here moves a point by
/// well under a kilometre and is smooth, so the fixed point converges in a few steps).
fn invert(target: [f64; 2], forward: impl Fn([f64; 2]) -> [f64; 2]) -> [f64; 2] {
    let mut x = target;
    for _ in 0..30 {
        let f = forward(x);
        let (dx, dy) = (target[0] - f[0], target[1] - f[1]);
        x = [x[0] + dx, x[1] + dy];
        if dx.abs() < 1e-12 && dy.abs() < 1e-12 {
            break;
        }
    }
    x
}

/// WGS 84 `[lon, lat]` of a GCJ-02 `[lon, lat]`.
///
/// ```
/// use patrolmap_core::crs::{gcj02_to_wgs84, wgs84_to_gcj02};
/// let back = gcj02_to_wgs84(wgs84_to_gcj02([112.944, 27.829]));
/// assert!((back[0] - 112.944).abs() < 1e-9 && (back[1] - 27.829).abs() < 1e-9);
/// ```
pub fn gcj02_to_wgs84(p: [f64; 2]) -> [f64; 2] {
    if outside_china(p) {
        return p;
    }
    invert(p, wgs84_to_gcj02)
}

const X_PI: f64 = PI * 3000.0 / 180.0;

/// BD-09 `[lon, lat]` of a GCJ-02 `[lon, lat]` (Baidu's published formula).
///
/// ```
/// let bd = patrolmap_core::crs::gcj02_to_bd09([112.95, 27.83]);
/// assert!((bd[0] - 112.95 - 0.0065).abs() < 0.001);
/// ```
pub fn gcj02_to_bd09([lon, lat]: [f64; 2]) -> [f64; 2] {
    let z = (lon * lon + lat * lat).sqrt() + 0.000_02 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000_003 * (lon * X_PI).cos();
    [z * theta.cos() + 0.0065, z * theta.sin() + 0.006]
}

/// GCJ-02 `[lon, lat]` of a BD-09 `[lon, lat]`, solved exactly (the published inverse formula
/// is off by a few metres).
///
/// ```
/// use patrolmap_core::crs::{bd09_to_gcj02, gcj02_to_bd09};
/// let back = bd09_to_gcj02(gcj02_to_bd09([112.95, 27.83]));
/// assert!((back[0] - 112.95).abs() < 1e-9 && (back[1] - 27.83).abs() < 1e-9);
/// ```
pub fn bd09_to_gcj02(p: [f64; 2]) -> [f64; 2] {
    invert(p, gcj02_to_bd09)
}
