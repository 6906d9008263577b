//! Geometry cut for one tile: projected into its coordinates, clipped to the tile and its
//! margin, simplified at its resolution and rounded, as the basemap and the tier areas need.

use geo::{LineString, Simplify};

use super::{bbox, TileId, BUFFER, EXTENT};

/// Tile units per screen pixel (tiles are drawn 512 px wide).
pub(crate) const UNITS_PER_PX: f64 = EXTENT as f64 / 512.0;

pub(crate) fn project(id: &TileId, points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    points.iter().map(|&p| id.project(p)).collect()
}

/// The larger side of the points' bounding box.
pub(crate) fn extent_of(points: &[[f64; 2]]) -> f64 {
    bbox(points.iter().copied()).map_or(0.0, |[w, s, e, n]| (e - w).max(n - s))
}

/// Douglas-Peucker at `tolerance` tile units (a closed ring stays closed).
pub(crate) fn simplify(points: Vec<[f64; 2]>, tolerance: f64) -> Vec<[f64; 2]> {
    let line: LineString<f64> = points.into_iter().map(|p| (p[0], p[1])).collect();
    line.simplify(tolerance)
        .0
        .into_iter()
        .map(|c| [c.x, c.y])
        .collect()
}

pub(crate) fn quantize(points: &[[f64; 2]]) -> Vec<[i32; 2]> {
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(points.len());
    for p in points {
        let q = [p[0].round() as i32, p[1].round() as i32];
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    out
}

/// The tile's box with its margin, in tile units.
pub(crate) const LO: f64 = -BUFFER;
pub(crate) const HI: f64 = EXTENT as f64 + BUFFER;

/// The parts of a polyline inside the tile's box (Liang-Barsky on each segment).
pub(crate) fn clip_line(points: &[[f64; 2]]) -> Vec<Vec<[f64; 2]>> {
    let mut parts: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    for w in points.windows(2) {
        match clip_segment(w[0], w[1]) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    if current.len() >= 2 {
                        parts.push(std::mem::take(&mut current));
                    }
                    current = vec![a];
                }
                current.push(b);
                if b != w[1] {
                    parts.push(std::mem::take(&mut current));
                }
            }
            None => {
                if current.len() >= 2 {
                    parts.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        parts.push(current);
    }
    parts
}

fn clip_segment(a: [f64; 2], b: [f64; 2]) -> Option<([f64; 2], [f64; 2])> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for axis in 0..2 {
        for (p, q) in [(-d[axis], a[axis] - LO), (d[axis], HI - a[axis])] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| [a[0] + t * d[0], a[1] + t * d[1]];
    Some((
        if t0 > 0.0 { at(t0) } else { a },
        if t1 < 1.0 { at(t1) } else { b },
    ))
}

/// A ring clipped to the tile's box (Sutherland-Hodgman: exact for filling, though the cut
/// may run along the box's edge).
pub(crate) fn clip_ring(ring: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut points: Vec<[f64; 2]> = ring.to_vec();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    for (axis, bound, keep_below) in [(0, LO, false), (0, HI, true), (1, LO, false), (1, HI, true)]
    {
        let inside = |p: &[f64; 2]| {
            if keep_below {
                p[axis] <= bound
            } else {
                p[axis] >= bound
            }
        };
        let mut out = Vec::with_capacity(points.len() + 4);
        for i in 0..points.len() {
            let (a, b) = (points[i], points[(i + 1) % points.len()]);
            if inside(&a) {
                out.push(a);
            }
            if inside(&a) != inside(&b) {
                let t = (bound - a[axis]) / (b[axis] - a[axis]);
                out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
            }
        }
        points = out;
        if points.is_empty() {
            break;
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_line_through_the_tile_is_cut_at_its_box() {
        let parts = clip_line(&[[-1000.0, 100.0], [5000.0, 100.0], [5000.0, 9000.0]]);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0][0], [LO, 100.0]);
        assert_eq!(*parts[0].last().unwrap(), [HI, 100.0]);
    }

    #[test]
    fn a_line_that_leaves_and_comes_back_is_two_parts() {
        let parts = clip_line(&[[10.0, 10.0], [10.0, -500.0], [20.0, -500.0], [20.0, 10.0]]);
        assert_eq!(parts.len(), 2, "{parts:?}");
    }

    #[test]
    fn a_ring_around_the_tile_becomes_the_tile_box() {
        let ring = vec![
            [-1e5, -1e5],
            [1e5, -1e5],
            [1e5, 1e5],
            [-1e5, 1e5],
            [-1e5, -1e5],
        ];
        let clipped = clip_ring(&ring);
        assert_eq!(clipped.len(), 4);
        for p in clipped {
            assert!(p.iter().all(|&c| c == LO || c == HI), "{p:?}");
        }
    }

    fn area(ring: &[[f64; 2]]) -> f64 {
        let n = ring.len();
        (0..n)
            .map(|i| {
                let (a, b) = (ring[i], ring[(i + 1) % n]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum::<f64>()
            / 2.0
    }

    proptest! {
        /// Clipping a convex ring (a rectangle) gives the area of its intersection with the box.
        #[test]
        fn clipped_area_is_the_intersection(x0 in -9000.0..9000.0f64, y0 in -9000.0..9000.0f64,
                                             w in 1.0..9000.0f64, h in 1.0..9000.0f64) {
            let ring = vec![[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]];
            let clipped = clip_ring(&ring);
            let overlap = |a0: f64, a1: f64| (a1.min(HI) - a0.max(LO)).max(0.0);
            let expected = overlap(x0, x0 + w) * overlap(y0, y0 + h);
            let got = if clipped.len() >= 3 { area(&clipped).abs() } else { 0.0 };
            prop_assert!((got - expected).abs() <= 1e-6 * expected.max(1.0), "{got} vs {expected}");
        }

        /// Every point of a clipped line lies in the box, and a segment inside it is kept whole.
        #[test]
        fn clipped_lines_stay_in_the_box(points in proptest::collection::vec((-9000.0..9000.0f64, -9000.0..9000.0f64), 2..12)) {
            let line: Vec<[f64; 2]> = points.into_iter().map(|(x, y)| [x, y]).collect();
            for part in clip_line(&line) {
                for p in &part {
                    prop_assert!((LO - 1e-9..=HI + 1e-9).contains(&p[0]) && (LO - 1e-9..=HI + 1e-9).contains(&p[1]));
                }
            }
            for w in line.windows(2) {
                let inside = |p: [f64; 2]| (LO..=HI).contains(&p[0]) && (LO..=HI).contains(&p[1]);
                if inside(w[0]) && inside(w[1]) {
                    prop_assert!(clip_line(w) == vec![w.to_vec()]);
                }
            }
        }
    }
}
