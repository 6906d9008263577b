//! Distances on the earth and the node key, exactly as `spec/coverage.md` §1 defines them.

/// Mean earth radius used for every length in patrolmap, in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle (haversine) distance in metres between two `[lon, lat]` positions in degrees.
///
/// ```
/// use patrolmap_core::network::geodesy::haversine_m;
/// let d = haversine_m([0.0, 0.0], [0.0, 1.0]);
/// assert!((d - 111_195.08).abs() < 0.01);
/// ```
#[inline]
pub fn haversine_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (phi1, phi2) = (a[1].to_radians(), b[1].to_radians());
    let dphi = phi2 - phi1;
    let dlambda = (b[0] - a[0]).to_radians();
    let s1 = (dphi / 2.0).sin();
    let s2 = (dlambda / 2.0).sin();
    let h = s1 * s1 + phi1.cos() * phi2.cos() * s2 * s2;
    2.0 * EARTH_RADIUS_M * h.min(1.0).sqrt().asin()
}

/// Length in metres of a polyline: the sum of the haversine distances of its segments.
///
/// ```
/// use patrolmap_core::network::geodesy::polyline_length_m;
/// assert_eq!(polyline_length_m(&[[1.0, 2.0]]), 0.0);
/// ```
pub fn polyline_length_m(points: &[[f64; 2]]) -> f64 {
    points.windows(2).map(|w| haversine_m(w[0], w[1])).sum()
}

/// The key that identifies a node: `"{lon:.7},{lat:.7}"`, with negative zero written as zero.
///
/// ```
/// use patrolmap_core::network::geodesy::node_key;
/// assert_eq!(node_key([-0.00000001, 1.5]), "0.0000000,1.5000000");
/// ```
pub fn node_key(p: [f64; 2]) -> String {
    let mut key = String::with_capacity(26);
    push_coord(&mut key, p[0]);
    key.push(',');
    push_coord(&mut key, p[1]);
    key
}

fn push_coord(out: &mut String, v: f64) {
    use std::fmt::Write;
    let start = out.len();
    let _ = write!(out, "{v:.7}");
    if &out[start..] == "-0.0000000" {
        out.replace_range(start..start + 1, "");
    }
}

/// Whether `[lon, lat]` is a finite position on the earth.
pub fn is_valid_lon_lat(p: [f64; 2]) -> bool {
    p[0].is_finite()
        && p[1].is_finite()
        && (-180.0..=180.0).contains(&p[0])
        && (-90.0..=90.0).contains(&p[1])
}

/// The position at `fraction` (0..1) of a polyline's haversine length, `[lon, lat]`.
///
/// ```
/// use patrolmap_core::network::geodesy::point_along;
/// assert_eq!(point_along(&[[0.0, 0.0], [0.0, 2.0]], 0.5), [0.0, 1.0]);
/// ```
pub fn point_along(points: &[[f64; 2]], fraction: f64) -> [f64; 2] {
    point_along_lengths(
        points,
        points.windows(2).map(|w| haversine_m(w[0], w[1])),
        fraction,
    )
}

/// [`point_along`] with the segments' lengths given (one per segment, in order), for callers
/// that already have them.
pub fn point_along_lengths(
    points: &[[f64; 2]],
    lengths: impl Iterator<Item = f64> + Clone,
    fraction: f64,
) -> [f64; 2] {
    let total: f64 = lengths.clone().sum();
    let mut left = fraction.clamp(0.0, 1.0) * total;
    for (w, d) in points.windows(2).zip(lengths) {
        if left <= d && d > 0.0 {
            let t = left / d;
            return [
                w[0][0] + t * (w[1][0] - w[0][0]),
                w[0][1] + t * (w[1][1] - w[0][1]),
            ];
        }
        left -= d;
    }
    *points.last().expect("a polyline has points")
}
