//! Where the command map's basemap comes from: made from the city's own OSM file
//! ([`patrolmap_core::tiles::basemap`]), or read from the operator's offline basemap, an
//! MBTiles (SQLite) or PMTiles (v3) archive of vector tiles in the OpenMapTiles schema, as
//! planetiler, tilemaker, GDAL and tile servers such as Martin make and serve them.
//!
//! Every source answers the same question, "tile z/x/y", so the map and other clients (QGIS's
//! XYZ vector tiles) use one endpoint whatever the operator chose.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::tiles::basemap::Basemap;
use crate::tiles::TileId;

/// Why an offline basemap cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    /// The file cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The MBTiles database cannot be read.
    #[error("{}: not a readable MBTiles file: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The file is not what its name says, or holds raster tiles.
    #[error("{}: {detail}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

/// A tile's bytes and whether they are gzip-compressed (as MBTiles and PMTiles usually keep
/// vector tiles: served with `Content-Encoding: gzip` as they are).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileBytes {
    /// The tile.
    pub bytes: Vec<u8>,
    /// Whether `bytes` is gzip.
    pub gzip: bool,
}

/// What the map is drawn over.
pub enum BasemapSource {
    /// Made from the city's OSM file when the server started.
    Made(Basemap),
    /// An MBTiles file.
    MbTiles(MbTiles),
    /// A PMTiles file.
    PmTiles(PmTiles),
}

/// What the map needs to know of a basemap (TileJSON fields).
#[derive(Clone, Debug, PartialEq)]
pub struct BasemapInfo {
    /// Shallowest zoom with tiles.
    pub min_zoom: u8,
    /// Deepest zoom with tiles (the map overzooms beyond it).
    pub max_zoom: u8,
    /// Where it comes from: `osm` (made from the roads file), `mbtiles` or `pmtiles`.
    pub kind: &'static str,
    /// The file's own attribution, when it has one.
    pub attribution: Option<String>,
}

impl BasemapSource {
    /// No basemap: every tile empty (a road file that is not OSM, or one whose basemap could
    /// not be read).
    pub fn none() -> BasemapSource {
        BasemapSource::Made(Basemap::new(Vec::new()))
    }

    /// Opens an offline basemap by its extension (`.mbtiles` or `.pmtiles`).
    pub fn open(path: &Path) -> Result<BasemapSource, BasemapError> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("mbtiles") => Ok(BasemapSource::MbTiles(MbTiles::open(path)?)),
            Some("pmtiles") => Ok(BasemapSource::PmTiles(PmTiles::open(path)?)),
            _ => Err(BasemapError::Format {
                path: path.to_path_buf(),
                detail: "a basemap is an .mbtiles or .pmtiles file of vector tiles".into(),
            }),
        }
    }

    /// The tile `id`, or `None` when the basemap has none there.
    pub fn tile(&self, id: TileId) -> Result<Option<TileBytes>, BasemapError> {
        match self {
            BasemapSource::Made(b) => {
                let bytes = b.tile(id);
                Ok((!bytes.is_empty()).then_some(TileBytes { bytes, gzip: false }))
            }
            BasemapSource::MbTiles(m) => m.tile(id),
            BasemapSource::PmTiles(p) => p.tile(id),
        }
    }

    /// Its zoom range and origin.
    pub fn info(&self) -> BasemapInfo {
        match self {
            BasemapSource::Made(_) => BasemapInfo {
                min_zoom: 0,
                max_zoom: 16,
                kind: "osm",
                attribution: None,
            },
            BasemapSource::MbTiles(m) => m.info.clone(),
            BasemapSource::PmTiles(p) => p.info.clone(),
        }
    }
}

/// An MBTiles file (SQLite: `tiles` rows in the TMS scheme, `metadata` name/value pairs).
pub struct MbTiles {
    path: PathBuf,
    db: Mutex<rusqlite::Connection>,
    info: BasemapInfo,
}

impl MbTiles {
    /// Opens `path` read-only and checks that it holds vector tiles.
    pub fn open(path: &Path) -> Result<MbTiles, BasemapError> {
        std::fs::metadata(path).map_err(|source| BasemapError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let sqlite = |source| BasemapError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let db = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        let meta = |name: &str| -> Result<Option<String>, BasemapError> {
            match db.query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| {
                r.get::<_, String>(0)
            }) {
                Ok(v) => Ok(Some(v)),
                Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
                Err(e) => Err(sqlite(e)),
            }
        };
        let format = meta("format")?;
        if !matches!(format.as_deref(), Some("pbf") | Some("mvt")) {
            return Err(BasemapError::Format {
                path: path.to_path_buf(),
                detail: format!(
                    "holds {} tiles; the command map draws vector tiles (format pbf)",
                    format.as_deref().unwrap_or("unnamed")
                ),
            });
        }
        let zoom = |name: &str, default: u8| -> Result<u8, BasemapError> {
            Ok(meta(name)?
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default))
        };
        let info = BasemapInfo {
            min_zoom: zoom("minzoom", 0)?,
            max_zoom: zoom("maxzoom", 14)?,
            kind: "mbtiles",
            attribution: meta("attribution")?,
        };
        Ok(MbTiles {
            path: path.to_path_buf(),
            db: Mutex::new(db),
            info,
        })
    }

    fn tile(&self, id: TileId) -> Result<Option<TileBytes>, BasemapError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let row = (1u32 << id.z) - 1 - id.y; // TMS rows count from the south
        let found = db.query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            [u32::from(id.z), id.x, row],
            |r| r.get::<_, Vec<u8>>(0),
        );
        match found {
            Ok(bytes) => Ok(Some(TileBytes {
                gzip: bytes.starts_with(&[0x1f, 0x8b]),
                bytes,
            })),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(source) => Err(BasemapError::Sqlite {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

/// A PMTiles v3 archive: a header, a root directory of tile-id runs, leaf directories and the
/// tile data, read by offset (<https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>).
pub struct PmTiles {
    path: PathBuf,
    file: Mutex<File>,
    header: PmHeader,
    root: Arc<Vec<PmEntry>>,
    /// Leaf directories read, by offset: a view's tiles share a few, each read and unzipped
    /// once rather than per tile.
    leaves: Mutex<HashMap<u64, Arc<Vec<PmEntry>>>>,
    info: BasemapInfo,
}

/// Leaf directories kept (each at most a few hundred kilobytes).
const LEAVES_KEPT: usize = 64;

#[derive(Clone, Copy, Debug)]
struct PmHeader {
    leaf_offset: u64,
    data_offset: u64,
    /// 1 none, 2 gzip (directories).
    internal_compression: u8,
    /// 1 none, 2 gzip (tiles).
    tile_compression: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PmEntry {
    tile_id: u64,
    offset: u64,
    length: u32,
    run_length: u32,
}

impl PmTiles {
    /// Opens `path` and reads its header and root directory.
    pub fn open(path: &Path) -> Result<PmTiles, BasemapError> {
        let io = |source| BasemapError::Io {
            path: path.to_path_buf(),
            source,
        };
        let format = |detail: String| BasemapError::Format {
            path: path.to_path_buf(),
            detail,
        };
        let mut file = File::open(path).map_err(io)?;
        let mut h = [0u8; 127];
        file.read_exact(&mut h)
            .map_err(|_| format("shorter than a PMTiles header (127 bytes)".into()))?;
        if &h[0..7] != b"PMTiles" || h[7] != 3 {
            return Err(format("not a PMTiles version 3 archive".into()));
        }
        let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().unwrap());
        let header = PmHeader {
            leaf_offset: u64_at(40),
            data_offset: u64_at(56),
            internal_compression: h[97],
            tile_compression: h[98],
        };
        if h[99] != 1 {
            return Err(format(format!(
                "holds tiles of type {}; the command map draws vector tiles (type 1, MVT)",
                h[99]
            )));
        }
        if !matches!(header.internal_compression, 1 | 2)
            || !matches!(header.tile_compression, 1 | 2)
        {
            return Err(format(
                "compressed other than with gzip (only none and gzip are read)".into(),
            ));
        }
        let info = BasemapInfo {
            min_zoom: h[100],
            max_zoom: h[101],
            kind: "pmtiles",
            attribution: None,
        };
        let mut archive = PmTiles {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            header,
            root: Arc::default(),
            leaves: Mutex::default(),
            info,
        };
        archive.root = Arc::new(archive.directory(u64_at(8), u64_at(16))?);
        Ok(archive)
    }

    fn read(&self, offset: u64, length: u64) -> Result<Vec<u8>, BasemapError> {
        let io = |source| BasemapError::Io {
            path: self.path.clone(),
            source,
        };
        if length > 64 << 20 {
            return Err(BasemapError::Format {
                path: self.path.clone(),
                detail: format!("a directory or tile of {length} bytes (over 64 MB)"),
            });
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut buf = vec![0u8; length as usize];
        file.read_exact(&mut buf).map_err(io)?;
        Ok(buf)
    }

    fn directory(&self, offset: u64, length: u64) -> Result<Vec<PmEntry>, BasemapError> {
        let raw = self.read(offset, length)?;
        let bytes = if self.header.internal_compression == 2 {
            gunzip(&raw).map_err(|source| BasemapError::Io {
                path: self.path.clone(),
                source,
            })?
        } else {
            raw
        };
        parse_directory(&bytes).ok_or_else(|| BasemapError::Format {
            path: self.path.clone(),
            detail: format!("a directory at byte {offset} cannot be read"),
        })
    }

    fn tile(&self, id: TileId) -> Result<Option<TileBytes>, BasemapError> {
        if id.z < self.info.min_zoom || id.z > self.info.max_zoom {
            return Ok(None);
        }
        let target = tile_id(id);
        let mut entries = self.root.clone();
        // At most a few levels of leaves, as the spec's writers make them.
        for _ in 0..4 {
            let Some(entry) = find(&entries, target) else {
                return Ok(None);
            };
            if entry.run_length > 0 {
                let bytes = self.read(
                    self.header.data_offset + entry.offset,
                    u64::from(entry.length),
                )?;
                return Ok(Some(TileBytes {
                    bytes,
                    gzip: self.header.tile_compression == 2,
                }));
            }
            entries = self.leaf(entry)?;
        }
        Ok(None)
    }

    /// The leaf directory `entry` points to, read once.
    fn leaf(&self, entry: PmEntry) -> Result<Arc<Vec<PmEntry>>, BasemapError> {
        let offset = self.header.leaf_offset + entry.offset;
        if let Some(kept) = self
            .leaves
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&offset)
        {
            return Ok(kept.clone());
        }
        let read = Arc::new(self.directory(offset, u64::from(entry.length))?);
        let mut leaves = self.leaves.lock().unwrap_or_else(|e| e.into_inner());
        if leaves.len() >= LEAVES_KEPT {
            leaves.clear();
        }
        leaves.insert(offset, read.clone());
        Ok(read)
    }
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(256 << 20)
        .read_to_end(&mut out)?;
    Ok(out)
}

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// A directory: the entry count, then the tile-id deltas, run lengths, lengths and offsets
/// (an offset of 0 after the first entry meaning "right after the previous tile").
fn parse_directory(bytes: &[u8]) -> Option<Vec<PmEntry>> {
    let mut at = 0;
    let n = varint(bytes, &mut at)? as usize;
    if n > bytes.len() {
        return None; // every entry takes at least a byte per column
    }
    let mut entries = vec![
        PmEntry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0
        };
        n
    ];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last.checked_add(varint(bytes, &mut at)?)?;
        e.tile_id = last;
    }
    for e in entries.iter_mut() {
        e.run_length = u32::try_from(varint(bytes, &mut at)?).ok()?;
    }
    for e in entries.iter_mut() {
        e.length = u32::try_from(varint(bytes, &mut at)?).ok()?;
    }
    for i in 0..n {
        let v = varint(bytes, &mut at)?;
        entries[i].offset = if v == 0 && i > 0 {
            entries[i - 1].offset + u64::from(entries[i - 1].length)
        } else {
            v.checked_sub(1)?
        };
    }
    Some(entries)
}

/// The entry holding `target`: the last with a tile id at or below it, if its run reaches it
/// (or it points to a leaf directory, run length 0).
fn find(entries: &[PmEntry], target: u64) -> Option<PmEntry> {
    let i = entries
        .partition_point(|e| e.tile_id <= target)
        .checked_sub(1)?;
    let e = entries[i];
    (e.run_length == 0 || target < e.tile_id + u64::from(e.run_length)).then_some(e)
}

/// The PMTiles tile id of `id`: the tiles of shallower zooms, then the position along the
/// Hilbert curve at its zoom.
///
/// ```
/// use patrolmap::basemap::tile_id;
/// use patrolmap::tiles::TileId;
/// assert_eq!(tile_id(TileId::new(0, 0, 0).unwrap()), 0);
/// assert_eq!(tile_id(TileId::new(1, 0, 0).unwrap()), 1);
/// assert_eq!(tile_id(TileId::new(1, 0, 1).unwrap()), 2);
/// assert_eq!(tile_id(TileId::new(1, 1, 1).unwrap()), 3);
/// assert_eq!(tile_id(TileId::new(1, 1, 0).unwrap()), 4);
/// assert_eq!(tile_id(TileId::new(2, 0, 0).unwrap()), 5);
/// ```
pub fn tile_id(id: TileId) -> u64 {
    let before: u64 = (0..id.z).map(|z| 1u64 << (2 * z)).sum();
    let n = 1u64 << id.z;
    let (mut x, mut y) = (u64::from(id.x), u64::from(id.y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        // Turn the quadrant so the curve's next level starts where this one ends.
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    before + d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_ids_walk_the_hilbert_curve() {
        // At each zoom the ids are a bijection onto their range, start at (0, 0) and each next
        // id is a neighbouring tile: what makes the curve a Hilbert curve.
        for z in 0..7u8 {
            let n = 1u32 << z;
            let before: u64 = (0..z).map(|k| 1u64 << (2 * k)).sum();
            let mut at = vec![None; (n * n) as usize];
            for x in 0..n {
                for y in 0..n {
                    let d = tile_id(TileId::new(z.into(), x, y).unwrap()) - before;
                    assert!(
                        at[d as usize].replace((x, y)).is_none(),
                        "{z}/{x}/{y} twice"
                    );
                }
            }
            assert_eq!(at[0], Some((0, 0)));
            for w in at.windows(2) {
                let ((x0, y0), (x1, y1)) = (w[0].unwrap(), w[1].unwrap());
                assert_eq!(x0.abs_diff(x1) + y0.abs_diff(y1), 1, "zoom {z}");
            }
        }
    }

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn directory_bytes(entries: &[PmEntry]) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, entries.len() as u64);
        let mut last = 0;
        for e in entries {
            put_varint(&mut out, e.tile_id - last);
            last = e.tile_id;
        }
        for e in entries {
            put_varint(&mut out, e.run_length.into());
        }
        for e in entries {
            put_varint(&mut out, e.length.into());
        }
        for e in entries {
            put_varint(&mut out, e.offset + 1);
        }
        out
    }

    #[test]
    fn tiles_are_found_through_a_leaf_directory() {
        // Root: one entry pointing at a leaf (run length 0); the leaf: tiles of zoom 2.
        let tiles: Vec<(TileId, Vec<u8>)> = (0..4u32)
            .map(|x| (TileId::new(2, x, 1).unwrap(), vec![x as u8; 3 + x as usize]))
            .collect();
        let mut sorted = tiles.clone();
        sorted.sort_by_key(|t| tile_id(t.0));
        let mut data = Vec::new();
        let mut leaf = Vec::new();
        for (id, bytes) in &sorted {
            leaf.push(PmEntry {
                tile_id: tile_id(*id),
                offset: data.len() as u64,
                length: bytes.len() as u32,
                run_length: 1,
            });
            data.extend_from_slice(bytes);
        }
        let leaf_bytes = directory_bytes(&leaf);
        let root = directory_bytes(&[PmEntry {
            tile_id: leaf[0].tile_id,
            offset: 0,
            length: leaf_bytes.len() as u32,
            run_length: 0,
        }]);
        let mut file = vec![0u8; 127];
        file[0..7].copy_from_slice(b"PMTiles");
        file[7] = 3;
        let root_at = 127u64;
        let leaf_at = root_at + root.len() as u64;
        let data_at = leaf_at + leaf_bytes.len() as u64;
        for (at, v) in [
            (8, root_at),
            (16, root.len() as u64),
            (40, leaf_at),
            (48, leaf_bytes.len() as u64),
            (56, data_at),
            (64, data.len() as u64),
        ] {
            file[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        (file[97], file[98], file[99], file[100], file[101]) = (1, 1, 1, 0, 5);
        file.extend_from_slice(&root);
        file.extend_from_slice(&leaf_bytes);
        file.extend_from_slice(&data);
        let path =
            std::env::temp_dir().join(format!("patrolmap-leaf-{}.pmtiles", std::process::id()));
        std::fs::write(&path, &file).unwrap();
        let archive = PmTiles::open(&path).unwrap();
        for (id, bytes) in &tiles {
            assert_eq!(
                archive.tile(*id).unwrap(),
                Some(TileBytes {
                    bytes: bytes.clone(),
                    gzip: false
                }),
                "{id:?}"
            );
        }
        assert_eq!(archive.tile(TileId::new(2, 0, 0).unwrap()).unwrap(), None);
        assert_eq!(archive.tile(TileId::new(1, 0, 0).unwrap()).unwrap(), None);
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn a_directory_reads_back_with_implicit_offsets() {
        // Two entries: tile 5 (run 2, 10 bytes at 0), tile 9 (run 1, 4 bytes right after).
        let bytes = [2u8, 5, 4, 2, 1, 10, 4, 1, 0];
        let entries = parse_directory(&bytes).unwrap();
        assert_eq!(
            entries[0],
            PmEntry {
                tile_id: 5,
                offset: 0,
                length: 10,
                run_length: 2
            }
        );
        assert_eq!(
            entries[1],
            PmEntry {
                tile_id: 9,
                offset: 10,
                length: 4,
                run_length: 1
            }
        );
        assert_eq!(find(&entries, 6).map(|e| e.tile_id), Some(5));
        assert_eq!(find(&entries, 7), None);
        assert_eq!(find(&entries, 4), None);
        assert!(parse_directory(&[200]).is_none());
    }
}
