//! A minimal Mapbox Vector Tile (v2.1) encoder: point, line and polygon features with integer
//! and string properties, written straight as protobuf.
//!
//! Hand-written rather than a protobuf crate: the format needs five message types, and
//! encoding directly into one buffer keeps a tile of a whole city cheap to make.

use std::collections::HashMap;

/// A property value of a feature.
#[derive(Clone, Debug, PartialEq)]
pub enum PropertyValue {
    /// A signed integer.
    Int(i64),
    /// A string.
    String(String),
}

/// One layer of a tile under construction.
///
/// ```
/// use patrolmap_core::tiles::mvt::{encode_tile, Layer, PropertyValue};
/// let mut roads = Layer::new("roads", 4096);
/// roads.add_lines(Some(7), &[vec![[0, 0], [10, 0], [10, 10]]], &[("tier", PropertyValue::Int(1))]);
/// let bytes = encode_tile(&[roads]);
/// assert_eq!(bytes[0], 0x1a); // field 3 (layers), length-delimited
/// ```
#[derive(Debug)]
pub struct Layer {
    name: String,
    extent: u32,
    keys: Vec<String>,
    key_index: HashMap<String, u32>,
    values: Vec<PropertyValue>,
    value_index: HashMap<ValueKey, u32>,
    features: Vec<u8>,
    feature_count: usize,
}

/// Values as hashable keys for deduplication.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ValueKey {
    Int(i64),
    String(String),
}

impl Layer {
    /// An empty layer; `extent` is the tile's coordinate range (4096 by convention).
    pub fn new(name: &str, extent: u32) -> Layer {
        Layer {
            name: name.to_string(),
            extent,
            keys: Vec::new(),
            key_index: HashMap::new(),
            values: Vec::new(),
            value_index: HashMap::new(),
            features: Vec::new(),
            feature_count: 0,
        }
    }

    /// The layer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many features the layer holds.
    pub fn len(&self) -> usize {
        self.feature_count
    }

    /// Whether the layer holds no feature.
    pub fn is_empty(&self) -> bool {
        self.feature_count == 0
    }

    /// Adds a (multi)linestring feature in tile coordinates. Lines of fewer than two points
    /// are skipped; nothing is added when none is left.
    pub fn add_lines(
        &mut self,
        id: Option<u64>,
        lines: &[Vec<[i32; 2]>],
        properties: &[(&str, PropertyValue)],
    ) {
        let mut geometry = Vec::new();
        let mut cursor = [0i32; 2];
        for line in lines.iter().filter(|l| l.len() >= 2) {
            path(&mut geometry, &mut cursor, line);
        }
        self.push(id, 2, &geometry, properties); // LINESTRING
    }

    /// Adds a (multi)point feature in tile coordinates (nothing when `points` is empty).
    ///
    /// ```
    /// use patrolmap_core::tiles::mvt::{encode_tile, Layer, PropertyValue};
    /// let mut places = Layer::new("place", 4096);
    /// places.add_points(None, &[[100, 200]], &[("name", PropertyValue::String("湘潭".into()))]);
    /// assert_eq!(places.len(), 1);
    /// ```
    pub fn add_points(
        &mut self,
        id: Option<u64>,
        points: &[[i32; 2]],
        properties: &[(&str, PropertyValue)],
    ) {
        if points.is_empty() {
            return;
        }
        let mut geometry = vec![command(1, points.len() as u32)];
        let mut cursor = [0i32; 2];
        for p in points {
            step(&mut geometry, &mut cursor, *p);
        }
        self.push(id, 1, &geometry, properties); // POINT
    }

    /// Adds a (multi)polygon feature in tile coordinates: each polygon its outer ring then
    /// its holes, closed or not. Rings are turned to the winding the format asks (outer rings
    /// clockwise on screen, holes anticlockwise); rings of fewer than three distinct points
    /// and polygons whose outer ring is dropped are skipped.
    ///
    /// ```
    /// use patrolmap_core::tiles::mvt::{Layer, PropertyValue};
    /// let mut water = Layer::new("water", 4096);
    /// let square = vec![[0, 0], [0, 100], [100, 100], [100, 0]];
    /// water.add_polygons(None, &[vec![square]], &[("class", PropertyValue::String("lake".into()))]);
    /// assert_eq!(water.len(), 1);
    /// ```
    pub fn add_polygons(
        &mut self,
        id: Option<u64>,
        polygons: &[Vec<Vec<[i32; 2]>>],
        properties: &[(&str, PropertyValue)],
    ) {
        let mut geometry = Vec::new();
        let mut cursor = [0i32; 2];
        for polygon in polygons {
            for (r, ring) in polygon.iter().enumerate() {
                let mut ring: Vec<[i32; 2]> = ring.clone();
                if ring.len() > 1 && ring.first() == ring.last() {
                    ring.pop();
                }
                ring.dedup();
                if ring.len() < 3 || twice_area(&ring) == 0 {
                    if r == 0 {
                        break; // no outer ring: the holes have nothing to be holes of
                    }
                    continue;
                }
                // Outer rings have a positive area in tile coordinates (y down), holes negative.
                if (twice_area(&ring) > 0) != (r == 0) {
                    ring.reverse();
                }
                path(&mut geometry, &mut cursor, &ring);
                geometry.push(command(7, 1));
            }
        }
        self.push(id, 3, &geometry, properties); // POLYGON
    }

    fn push(
        &mut self,
        id: Option<u64>,
        kind: u64,
        geometry: &[u32],
        properties: &[(&str, PropertyValue)],
    ) {
        if geometry.is_empty() {
            return;
        }
        let mut tags = Vec::with_capacity(properties.len() * 2);
        for (key, value) in properties {
            tags.push(self.key(key));
            tags.push(self.value(value));
        }
        let mut feature = Vec::new();
        if let Some(id) = id {
            write_varint_field(&mut feature, 1, id);
        }
        write_packed(&mut feature, 2, &tags);
        write_varint_field(&mut feature, 3, kind);
        write_packed(&mut feature, 4, geometry);
        write_bytes_field(&mut self.features, 2, &feature);
        self.feature_count += 1;
    }

    fn key(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.key_index.get(key) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(key.to_string());
        self.key_index.insert(key.to_string(), i);
        i
    }

    fn value(&mut self, value: &PropertyValue) -> u32 {
        let key = match value {
            PropertyValue::Int(v) => ValueKey::Int(*v),
            PropertyValue::String(s) => ValueKey::String(s.clone()),
        };
        if let Some(&i) = self.value_index.get(&key) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(value.clone());
        self.value_index.insert(key, i);
        i
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut layer = Vec::with_capacity(self.features.len() + 256);
        write_varint_field(&mut layer, 15, 2); // version
        write_bytes_field(&mut layer, 1, self.name.as_bytes());
        layer.extend_from_slice(&self.features);
        for k in &self.keys {
            write_bytes_field(&mut layer, 3, k.as_bytes());
        }
        for v in &self.values {
            let mut value = Vec::new();
            match v {
                PropertyValue::String(s) => write_bytes_field(&mut value, 1, s.as_bytes()),
                // sint_value (field 6), zigzag encoded.
                PropertyValue::Int(i) => write_varint_field(&mut value, 6, zigzag64(*i)),
            }
            write_bytes_field(&mut layer, 4, &value);
        }
        write_varint_field(&mut layer, 5, u64::from(self.extent));
        write_bytes_field(out, 3, &layer);
    }
}

/// The tile holding `layers` (empty layers are left out).
pub fn encode_tile(layers: &[Layer]) -> Vec<u8> {
    let mut out = Vec::new();
    for layer in layers.iter().filter(|l| !l.is_empty()) {
        layer.encode(&mut out);
    }
    out
}

/// A MoveTo the first point then a LineTo the others (at least two points), each relative
/// to `cursor`.
fn path(geometry: &mut Vec<u32>, cursor: &mut [i32; 2], points: &[[i32; 2]]) {
    geometry.push(command(1, 1));
    step(geometry, cursor, points[0]);
    geometry.push(command(2, points.len() as u32 - 1));
    for &p in &points[1..] {
        step(geometry, cursor, p);
    }
}

/// One point, relative to `cursor` (then moved to it).
fn step(geometry: &mut Vec<u32>, cursor: &mut [i32; 2], p: [i32; 2]) {
    geometry.push(zigzag(p[0] - cursor[0]));
    geometry.push(zigzag(p[1] - cursor[1]));
    *cursor = p;
}

/// Twice the signed area of a ring (the surveyor's formula), in tile units.
fn twice_area(ring: &[[i32; 2]]) -> i64 {
    let mut sum = 0i64;
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        sum += i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1]);
    }
    sum
}

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn write_varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    write_varint(out, u64::from(field << 3));
    write_varint(out, v);
}

fn write_bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    write_varint(out, u64::from((field << 3) | 2));
    write_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn write_packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    let mut packed = Vec::with_capacity(values.len() * 2);
    for &v in values {
        write_varint(&mut packed, u64::from(v));
    }
    write_bytes_field(out, field, &packed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_maps_signs_alternately() {
        assert_eq!(
            [0, -1, 1, -2, 2].map(zigzag),
            [0u32, 1, 2, 3, 4],
            "protobuf sint32 zigzag"
        );
        assert_eq!(zigzag64(-3), 5);
    }

    #[test]
    fn varints_are_little_endian_groups_of_seven_bits() {
        let mut out = Vec::new();
        write_varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }
}
