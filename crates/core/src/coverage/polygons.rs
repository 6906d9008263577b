//! Tier polygons: the area within reach of each budget, as the reached road pieces buffered by
//! a few tens of metres and dissolved.
//!
//! Why a raster and not geo's `Buffer` plus a union: buffering and dissolving the ~100k reached
//! pieces of a city with vector boolean operations took 23 s on Porto. Here every piece stamps
//! discs of the buffer radius onto a grid of points (each point keeps the smallest tier that
//! reaches it), and marching squares traces each tier's outline. The masks are nested (a point
//! within tier 0 is within every later tier) and marching squares with separated saddles is
//! monotone in its mask, so the 1-minute polygon lies inside the 3-minute one inside the
//! 5-minute one; its rings never touch, so each polygon is valid.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;

use super::overlay::{slice_polyline, RoadPiece};
use crate::network::geodesy::EARTH_RADIUS_M;
use crate::network::RoadNetwork;

/// How the reached roads are turned into areas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolygonOptions {
    /// Buffer around each reached piece of road, in metres.
    pub buffer_m: f64,
    /// Grid spacing, in metres (made coarser when the area would need more than
    /// [`MAX_GRID_POINTS`]).
    pub cell_m: f64,
}

impl Default for PolygonOptions {
    /// A 40 m buffer on a 20 m grid: a street and the buildings on it.
    fn default() -> Self {
        PolygonOptions {
            buffer_m: 40.0,
            cell_m: 20.0,
        }
    }
}

/// The largest grid traced (16 M points, 16 MB of tiers): a metropolitan area at 20 m.
pub const MAX_GRID_POINTS: usize = 16_000_000;

/// The area of one tier: everything within the buffer of a road reached within its budget.
#[derive(Clone, Debug)]
pub struct TierPolygon {
    /// Index of the budget (pieces of this tier and every earlier one are inside).
    pub tier: usize,
    /// Polygons in `[lon, lat]` degrees; exteriors counter-clockwise, holes clockwise
    /// (RFC 7946).
    pub area: MultiPolygon<f64>,
    /// The area in square metres (on the local projection).
    pub area_m2: f64,
    /// The grid spacing used, in metres.
    pub cell_m: f64,
}

/// The areas within each of `tier_count` tiers of reach.
///
/// `pieces` are the overlay's road pieces ([`super::overlay::road_pieces`]); tier `t`'s area
/// is the buffer of every piece whose tier is `t` or less.
///
/// ```
/// use patrolmap_core::coverage::overlay::RoadPiece;
/// use patrolmap_core::coverage::polygons::{tier_polygons, PolygonOptions};
/// use patrolmap_core::network::road_geojson::read_str;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
///   "geometry":{"type":"LineString","coordinates":[[0,0],[0.01,0]]}}]}"#, "r.geojson".as_ref()).unwrap();
/// let piece = |from, to, tier| RoadPiece { edge: 0, from, to, tier, min_time_s: 0.0, max_time_s: 0.0 };
/// let options = PolygonOptions { buffer_m: 40.0, cell_m: 5.0 };
/// let polygons = tier_polygons(&net, &[piece(0.0, 0.5, 0), piece(0.5, 1.0, 1)], 2, options);
/// // A 1,112 m road buffered by 40 m: 1112 x 80 m plus two half discs, 94,000 m², up to the
/// // grid (outlines lie within a cell's diagonal of the exact buffer); the first tier about half.
/// assert!((polygons[1].area_m2 / 94_000.0 - 1.0).abs() < 0.08);
/// assert!((polygons[0].area_m2 / polygons[1].area_m2 - 0.5).abs() < 0.05);
/// ```
pub fn tier_polygons(
    network: &RoadNetwork,
    pieces: &[RoadPiece],
    tier_count: usize,
    options: PolygonOptions,
) -> Vec<TierPolygon> {
    let empty = |tier| TierPolygon {
        tier,
        area: MultiPolygon::new(Vec::new()),
        area_m2: 0.0,
        cell_m: options.cell_m,
    };
    let Some(grid) = Grid::stamp(network, pieces, options) else {
        return (0..tier_count).map(empty).collect();
    };
    (0..tier_count)
        .into_par_iter()
        .map(|tier| grid.trace(tier as u8))
        .collect()
}

/// Points east and north of the origin, in metres, on a local equirectangular projection.
#[derive(Clone, Copy, Debug)]
struct Projection {
    lon0: f64,
    lat0: f64,
    m_per_deg_lon: f64,
    m_per_deg_lat: f64,
}

impl Projection {
    fn new(lon0: f64, lat0: f64) -> Self {
        let m_per_deg_lat = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        Projection {
            lon0,
            lat0,
            m_per_deg_lon: m_per_deg_lat * lat0.to_radians().cos(),
            m_per_deg_lat,
        }
    }

    fn to_xy(self, p: [f64; 2]) -> [f64; 2] {
        [
            (p[0] - self.lon0) * self.m_per_deg_lon,
            (p[1] - self.lat0) * self.m_per_deg_lat,
        ]
    }

    fn to_lon_lat(self, x: f64, y: f64) -> Coord<f64> {
        Coord {
            x: self.lon0 + x / self.m_per_deg_lon,
            y: self.lat0 + y / self.m_per_deg_lat,
        }
    }
}

/// The grid of points, each holding the smallest tier whose buffer covers it.
struct Grid {
    projection: Projection,
    /// Position of point (0, 0), in projected metres.
    origin: [f64; 2],
    cell_m: f64,
    width: usize,
    height: usize,
    /// `tier[j * width + i]`, `NONE` where no tier reaches.
    tier: Vec<u8>,
}

const NONE: u8 = u8::MAX;

/// A straight part of a reached piece, in grid units, and its tier.
struct Part {
    a: [f64; 2],
    b: [f64; 2],
    tier: u8,
}

impl Part {
    /// Lowers to its tier every point of `rows` (rows from `first_row` on, `width` points
    /// each) within `radius` grid units of the part: one interval per row, where the row
    /// crosses the capsule (two discs and the rectangle between them; their union is convex,
    /// so the hull of their intervals is exact).
    fn stamp(&self, radius: f64, width: usize, first_row: usize, rows: &mut [u8]) {
        let row_count = rows.len() / width;
        let (a, b, r) = (self.a, self.b, radius);
        let lo_y = (a[1].min(b[1]) - r).ceil().max(first_row as f64);
        let hi_y = (a[1].max(b[1]) + r)
            .floor()
            .min((first_row + row_count) as f64 - 1.0);
        if lo_y > hi_y {
            return;
        }
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt();
        let (ux, uy) = if len > 0.0 {
            (dx / len, dy / len)
        } else {
            (0.0, 0.0)
        };
        let mut y = lo_y;
        while y <= hi_y {
            let (mut lo, mut hi) = (f64::INFINITY, -f64::INFINITY);
            for c in [a, b] {
                let h2 = r * r - (y - c[1]) * (y - c[1]);
                if h2 >= 0.0 {
                    let h = h2.sqrt();
                    lo = lo.min(c[0] - h);
                    hi = hi.max(c[0] + h);
                }
            }
            if len > 0.0 {
                // 0 <= (p - a)·u <= len and |(p - a)·n| <= r with n = (-uy, ux), for p = (x, y).
                let mut interval = (-f64::INFINITY, f64::INFINITY);
                let ry = y - a[1];
                for (coef, rest, min, max) in [(ux, ry * uy, 0.0, len), (-uy, ry * ux, -r, r)] {
                    if coef.abs() > 1e-12 {
                        let (p, q) = ((min - rest) / coef, (max - rest) / coef);
                        interval = (interval.0.max(p.min(q)), interval.1.min(p.max(q)));
                    } else if !(min..=max).contains(&rest) {
                        interval = (1.0, 0.0);
                    }
                }
                // Solved for x - a.x.
                if interval.0 <= interval.1 {
                    lo = lo.min(a[0] + interval.0);
                    hi = hi.max(a[0] + interval.1);
                }
            }
            if lo <= hi {
                let i0 = lo.ceil().max(0.0) as usize;
                let i1 = (hi.floor() + 1.0).clamp(0.0, width as f64) as usize;
                if i0 < i1 {
                    let row = (y as usize - first_row) * width;
                    for v in &mut rows[row + i0..row + i1] {
                        *v = (*v).min(self.tier);
                    }
                }
            }
            y += 1.0;
        }
    }
}

impl Grid {
    /// Stamps every piece's buffer (a capsule around each straight part) onto a new grid.
    fn stamp(network: &RoadNetwork, pieces: &[RoadPiece], options: PolygonOptions) -> Option<Grid> {
        let mut bbox = [f64::INFINITY, f64::INFINITY, -f64::INFINITY, -f64::INFINITY];
        for p in pieces {
            for q in network.geometry(p.edge as usize) {
                bbox = [
                    bbox[0].min(q[0]),
                    bbox[1].min(q[1]),
                    bbox[2].max(q[0]),
                    bbox[3].max(q[1]),
                ];
            }
        }
        if pieces.is_empty() || !bbox.iter().all(|v| v.is_finite()) {
            return None;
        }
        let projection = Projection::new((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0);
        let [x0, y0] = projection.to_xy([bbox[0], bbox[1]]);
        let [x1, y1] = projection.to_xy([bbox[2], bbox[3]]);
        let radius_m = options.buffer_m.max(0.0);
        // Empty points beyond the buffer on every side, so every outline closes.
        let margin_m = |cell: f64| radius_m + 2.0 * cell;
        let points_for = |cell: f64| {
            let w = ((x1 - x0 + 2.0 * margin_m(cell)) / cell).ceil() as usize + 1;
            let h = ((y1 - y0 + 2.0 * margin_m(cell)) / cell).ceil() as usize + 1;
            (w, h)
        };
        let mut cell_m = options.cell_m.max(0.5);
        while {
            let (w, h) = points_for(cell_m);
            w.saturating_mul(h) > MAX_GRID_POINTS
        } {
            cell_m *= 1.25;
        }
        let (width, height) = points_for(cell_m);
        let origin = [x0 - margin_m(cell_m), y0 - margin_m(cell_m)];
        // Every straight part of every piece, in grid units.
        let to_grid = |p: [f64; 2]| {
            let [x, y] = projection.to_xy(p);
            [(x - origin[0]) / cell_m, (y - origin[1]) / cell_m]
        };
        let parts: Vec<Part> = pieces
            .par_iter()
            .flat_map_iter(|p| {
                let tier = p.tier.min(NONE as usize - 1) as u8;
                slice_polyline(network.geometry(p.edge as usize), p.from, p.to)
                    .windows(2)
                    .map(|w| Part {
                        a: to_grid(w[0]),
                        b: to_grid(w[1]),
                        tier,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut tier = vec![NONE; width * height];
        let radius = radius_m / cell_m;
        // Bands of rows on each thread; each band clips every part to its rows.
        let band_rows = height
            .div_ceil(rayon::current_num_threads().max(1) * 4)
            .max(1);
        tier.par_chunks_mut(band_rows * width)
            .enumerate()
            .for_each(|(band, rows)| {
                let first_row = band * band_rows;
                for part in &parts {
                    part.stamp(radius, width, first_row, rows);
                }
            });
        Some(Grid {
            projection,
            origin,
            cell_m,
            width,
            height,
            tier,
        })
    }

    /// The outline of one tier, as polygons.
    fn trace(&self, tier: u8) -> TierPolygon {
        let mask = Mask::new(self, tier);
        let (w, h) = (self.width, self.height);
        // One bit per side a traced segment starts from, per square.
        let mut visited = vec![0u8; w * h];
        let mut shells: Vec<Ring> = Vec::new();
        let mut holes: Vec<Ring> = Vec::new();
        for j in 0..h - 1 {
            for k in 0..mask.words {
                // Squares whose four points do not all agree, 64 at a time.
                let mut edge = mask.differing(k, j);
                while edge != 0 {
                    let i = k * 64 + edge.trailing_zeros() as usize;
                    edge &= edge - 1;
                    for &(start, _) in segments(mask.case(i, j)) {
                        if visited[j * w + i] & (1 << start as u8) == 0 {
                            let ring = trace_ring(&mask, i, j, start, &mut visited);
                            if ring.area2 > 0 {
                                shells.push(ring);
                            } else {
                                holes.push(ring);
                            }
                        }
                    }
                }
            }
        }
        let components = Components::label(&mask);
        let mut polygons: Vec<Polygon<f64>> = Vec::with_capacity(shells.len());
        let mut shell_of_component = std::collections::HashMap::new();
        for ring in &shells {
            shell_of_component.insert(components.of(ring.seed), polygons.len());
            polygons.push(Polygon::new(self.line_string(&ring.vertices), Vec::new()));
        }
        for ring in &holes {
            if let Some(&p) = shell_of_component.get(&components.of(ring.seed)) {
                polygons[p].interiors_push(self.line_string(&ring.vertices));
            }
        }
        let area2: i64 = shells.iter().chain(&holes).map(|r| r.area2).sum();
        TierPolygon {
            tier: tier as usize,
            area: MultiPolygon::new(polygons),
            // Vertices are in half cells: twice the area in half-cell units over 8 is the
            // area in cells.
            area_m2: area2 as f64 / 8.0 * self.cell_m * self.cell_m,
            cell_m: self.cell_m,
        }
    }

    /// Half-cell vertices to a closed ring in `[lon, lat]`.
    fn line_string(&self, vertices: &[[i64; 2]]) -> LineString<f64> {
        let half = self.cell_m / 2.0;
        let mut coords: Vec<Coord<f64>> = vertices
            .iter()
            .map(|v| {
                self.projection.to_lon_lat(
                    self.origin[0] + v[0] as f64 * half,
                    self.origin[1] + v[1] as f64 * half,
                )
            })
            .collect();
        coords.push(coords[0]);
        LineString::new(coords)
    }
}

/// One tier's inside points as bits, 64 to a word, row by row.
struct Mask {
    width: usize,
    height: usize,
    words: usize,
    bits: Vec<u64>,
}

impl Mask {
    fn new(grid: &Grid, tier: u8) -> Mask {
        let words = grid.width.div_ceil(64);
        let mut bits = vec![0u64; words * grid.height];
        for (row, out) in grid
            .tier
            .chunks_exact(grid.width)
            .zip(bits.chunks_exact_mut(words))
        {
            for (chunk, word) in row.chunks(64).zip(out.iter_mut()) {
                *word = chunk
                    .iter()
                    .enumerate()
                    .fold(0u64, |acc, (b, &t)| acc | (((t <= tier) as u64) << b));
            }
        }
        Mask {
            width: grid.width,
            height: grid.height,
            words,
            bits,
        }
    }

    /// Whether point (i, j) is inside.
    #[inline]
    fn inside(&self, i: usize, j: usize) -> bool {
        self.bits[j * self.words + i / 64] >> (i % 64) & 1 == 1
    }

    /// Bit b set: square (64k + b, j) has points inside and outside.
    #[inline]
    fn differing(&self, k: usize, j: usize) -> u64 {
        let word = |row: usize, k: usize| {
            if k < self.words {
                self.bits[row * self.words + k]
            } else {
                0
            }
        };
        let (a, b) = (word(j, k), word(j + 1, k));
        let a_next = a >> 1 | word(j, k + 1) << 63;
        let b_next = b >> 1 | word(j + 1, k + 1) << 63;
        (a ^ a_next) | (a ^ b) | (a ^ b_next)
    }

    /// Marching-squares case of square (i, j): bit 1 its lower-left point, 2 lower-right,
    /// 4 upper-right, 8 upper-left.
    #[inline]
    fn case(&self, i: usize, j: usize) -> u8 {
        self.inside(i, j) as u8
            | (self.inside(i + 1, j) as u8) << 1
            | (self.inside(i + 1, j + 1) as u8) << 2
            | (self.inside(i, j + 1) as u8) << 3
    }
}

/// Follows one outline from the segment of square (i, j) that starts on side `start`.
fn trace_ring(mask: &Mask, mut i: usize, mut j: usize, start: Side, visited: &mut [u8]) -> Ring {
    let seed = start.inside_point(i, j);
    let mut vertices: Vec<[i64; 2]> = Vec::new();
    let mut side = start;
    loop {
        let square = j * mask.width + i;
        if visited[square] & (1 << side as u8) != 0 {
            break;
        }
        visited[square] |= 1 << side as u8;
        push_vertex(&mut vertices, side.midpoint(i, j));
        let end = segments(mask.case(i, j))
            .iter()
            .find(|s| s.0 == side)
            .expect("an outline enters a square only where a segment starts")
            .1;
        // Cross into the neighbour; the side crossed is its opposite side.
        match end {
            Side::Bottom => j -= 1,
            Side::Right => i += 1,
            Side::Top => j += 1,
            Side::Left => i -= 1,
        }
        side = end.opposite();
    }
    // The last vertex may continue the first straight run.
    while vertices.len() > 3 {
        let n = vertices.len();
        if collinear(vertices[n - 2], vertices[n - 1], vertices[0]) {
            vertices.pop();
        } else if collinear(vertices[n - 1], vertices[0], vertices[1]) {
            vertices.remove(0);
        } else {
            break;
        }
    }
    let n = vertices.len();
    let area2 = (0..n)
        .map(|a| {
            let (p, q) = (vertices[a], vertices[(a + 1) % n]);
            p[0] * q[1] - q[0] * p[1]
        })
        .sum();
    Ring {
        vertices,
        area2,
        seed,
    }
}

/// Appends `v`, dropping the previous vertex when it lies on a straight run.
fn push_vertex(vertices: &mut Vec<[i64; 2]>, v: [i64; 2]) {
    let n = vertices.len();
    if n >= 2 && collinear(vertices[n - 2], vertices[n - 1], v) {
        vertices[n - 1] = v;
    } else {
        vertices.push(v);
    }
}

fn collinear(a: [i64; 2], b: [i64; 2], c: [i64; 2]) -> bool {
    (b[0] - a[0]) * (c[1] - a[1]) == (b[1] - a[1]) * (c[0] - a[0])
}

/// One traced outline: vertices in half cells, twice its signed area in half cells
/// (positive: counter-clockwise, an exterior), and a grid point just inside it.
struct Ring {
    vertices: Vec<[i64; 2]>,
    area2: i64,
    seed: (usize, usize),
}

/// A side of a square of four grid points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Side {
    Bottom = 0,
    Right = 1,
    Top = 2,
    Left = 3,
}

impl Side {
    fn opposite(self) -> Side {
        match self {
            Side::Bottom => Side::Top,
            Side::Right => Side::Left,
            Side::Top => Side::Bottom,
            Side::Left => Side::Right,
        }
    }

    /// The midpoint of this side of square (i, j), in half cells.
    fn midpoint(self, i: usize, j: usize) -> [i64; 2] {
        let (x, y) = (2 * i as i64, 2 * j as i64);
        match self {
            Side::Bottom => [x + 1, y],
            Side::Right => [x + 2, y + 1],
            Side::Top => [x + 1, y + 2],
            Side::Left => [x, y + 1],
        }
    }

    /// The inside point of this side when an outline enters the square through it (the
    /// inside is on the outline's left).
    fn inside_point(self, i: usize, j: usize) -> (usize, usize) {
        match self {
            Side::Bottom => (i, j),
            Side::Right => (i + 1, j),
            Side::Top => (i + 1, j + 1),
            Side::Left => (i, j + 1),
        }
    }
}

/// The directed segments of a marching-squares case, as (side entered, side left), with the
/// inside on the left. Saddles (5, 10) keep their two inside corners apart, which keeps the
/// result monotone in the mask and the rings from touching.
fn segments(case: u8) -> &'static [(Side, Side)] {
    use Side::*;
    match case {
        1 => &[(Bottom, Left)],
        2 => &[(Right, Bottom)],
        3 => &[(Right, Left)],
        4 => &[(Top, Right)],
        5 => &[(Bottom, Left), (Top, Right)],
        6 => &[(Top, Bottom)],
        7 => &[(Top, Left)],
        8 => &[(Left, Top)],
        9 => &[(Bottom, Top)],
        10 => &[(Right, Bottom), (Left, Top)],
        11 => &[(Right, Top)],
        12 => &[(Left, Right)],
        13 => &[(Bottom, Right)],
        14 => &[(Left, Bottom)],
        _ => &[],
    }
}

/// 4-connected components of a tier's inside points, from runs per row and union-find: which
/// exterior each hole belongs to.
struct Components {
    /// Runs of inside points per row: `(first i, last i, run id)`.
    rows: Vec<Vec<(usize, usize, usize)>>,
    parent: Vec<usize>,
}

impl Components {
    fn label(mask: &Mask) -> Components {
        let mut rows: Vec<Vec<(usize, usize, usize)>> = Vec::with_capacity(mask.height);
        let mut parent: Vec<usize> = Vec::new();
        for j in 0..mask.height {
            let mut runs = Vec::new();
            let mut i = 0;
            while i < mask.width {
                // Skip to the next inside point a word at a time.
                let rest = mask.bits[j * mask.words + i / 64] >> (i % 64);
                if rest == 0 {
                    i = (i / 64 + 1) * 64;
                    continue;
                }
                i += rest.trailing_zeros() as usize;
                let first = i;
                while i < mask.width && mask.inside(i, j) {
                    i += 1;
                }
                runs.push((first, i - 1, parent.len()));
                parent.push(parent.len());
            }
            if let Some(below) = rows.last() {
                // Runs that share a column with a run of the row below are connected.
                let mut b = 0;
                for &(first, last, id) in &runs {
                    while b < below.len() && below[b].1 < first {
                        b += 1;
                    }
                    let mut c = b;
                    while c < below.len() && below[c].0 <= last {
                        union(&mut parent, id, below[c].2);
                        c += 1;
                    }
                }
            }
            rows.push(runs);
        }
        Components { rows, parent }
    }

    /// The component of inside point (i, j).
    fn of(&self, (i, j): (usize, usize)) -> usize {
        let runs = &self.rows[j];
        let r = runs.partition_point(|run| run.1 < i);
        debug_assert!(r < runs.len() && runs[r].0 <= i, "the seed is inside");
        let mut x = runs[r.min(runs.len() - 1)].2;
        while self.parent[x] != x {
            x = self.parent[x];
        }
        x
    }
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let root = |parent: &mut [usize], mut x: usize| {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    };
    let (ra, rb) = (root(parent, a), root(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// The polygons with fewer vertices for drawing: each outline simplified (Visvalingam–Whyatt,
/// keeping every ring valid and apart from the others of its polygon) by about `tolerance_m`
/// (by the grid's cell: the outline stays within a cell and a half of the traced one, less
/// than the buffer, with about 40 % fewer vertices). For drawing, not for
/// measuring: `area_m2` stays the traced area, and the tiers, simplified each on its own, may
/// cross by up to the tolerance.
///
/// ```
/// use patrolmap_core::coverage::overlay::RoadPiece;
/// use patrolmap_core::coverage::polygons::{simplified, tier_polygons, PolygonOptions};
/// use patrolmap_core::network::road_geojson::read_str;
/// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
///   "geometry":{"type":"LineString","coordinates":[[0,0],[0.01,0.004],[0.02,0.001],[0.03,0.009]]}}]}"#,
///   "r.geojson".as_ref()).unwrap();
/// let piece = RoadPiece { edge: 0, from: 0.0, to: 1.0, tier: 0, min_time_s: 0.0, max_time_s: 0.0 };
/// let traced = tier_polygons(&net, &[piece], 1, PolygonOptions::default());
/// let light = simplified(&traced, 20.0);
/// use geo::CoordsIter;
/// assert!(light[0].area.coords_count() < traced[0].area.coords_count());
/// ```
pub fn simplified(polygons: &[TierPolygon], tolerance_m: f64) -> Vec<TierPolygon> {
    use geo::SimplifyVwPreserve;
    polygons
        .par_iter()
        .map(|p| {
            let lat = p
                .area
                .0
                .first()
                .and_then(|poly| poly.exterior().0.first())
                .map_or(0.0, |c| c.y);
            let m_per_deg_lat = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
            let m_per_deg_lon = m_per_deg_lat * lat.to_radians().cos().max(0.01);
            // Visvalingam–Whyatt drops a vertex whose triangle is smaller than the epsilon
            // (an area): a tolerance of t metres is a triangle of t x t (the steps of the
            // traced outline, half a cell each, make triangles of half that).
            let epsilon = (tolerance_m / m_per_deg_lon) * (tolerance_m / m_per_deg_lat);
            TierPolygon {
                area: p.area.simplify_vw_preserve(epsilon),
                ..p.clone()
            }
        })
        .collect()
}

/// The polygons as a GeoJSON FeatureCollection, widest tier first so that a map draws the
/// nearer tiers on top; each feature has `tier`, `budget_s`, `area_km2`, `buffer_m`, `cell_m`.
pub fn polygons_geojson(
    polygons: &[TierPolygon],
    budgets_s: &[f64],
    buffer_m: f64,
) -> serde_json::Value {
    // To 1e-7 degrees (about a centimetre): the traced outline is no finer, and the text half
    // as long.
    let round = |v: f64| (v * 1e7).round() / 1e7;
    let ring = |l: &LineString<f64>| -> Vec<[f64; 2]> {
        l.coords().map(|c| [round(c.x), round(c.y)]).collect()
    };
    let features: Vec<serde_json::Value> = polygons
        .iter()
        .rev()
        .map(|p| {
            let coordinates: Vec<Vec<Vec<[f64; 2]>>> = p
                .area
                .iter()
                .map(|poly| {
                    std::iter::once(ring(poly.exterior()))
                        .chain(poly.interiors().iter().map(ring))
                        .collect()
                })
                .collect();
            serde_json::json!({
                "type": "Feature",
                "properties": {
                    "tier": p.tier, "budget_s": budgets_s[p.tier], "area_km2": p.area_m2 / 1e6,
                    "buffer_m": buffer_m, "cell_m": p.cell_m,
                },
                "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
            })
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}
