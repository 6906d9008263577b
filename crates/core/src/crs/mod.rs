//! Coordinate systems a Chinese police GIS team's files come in, and their conversion to and
//! from the WGS 84 longitudes and latitudes patrolmap works in: WGS 84 and CGCS2000
//! geographic, CGCS2000 Gauss-Krüger 3° and 6° zones (EPSG:4491-4554), UTM on WGS 84, Web
//! Mercator, and the GCJ-02 and BD-09 offsets of Chinese web maps.
//!
//! CGCS2000 and WGS 84 positions are taken as equal, as PROJ does (its "ballpark" null
//! transformation: the two frames agree to a few centimetres, below what a patrol plan sees);
//! their ellipsoids differ in the eleventh digit and each projection uses its own.

mod china;
mod tmerc;
mod wkt;

pub use china::{bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02};
pub use tmerc::{Ellipsoid, TransverseMercator};

/// A coordinate system patrolmap reads and writes.
#[derive(Clone, Debug, PartialEq)]
pub enum Crs {
    /// WGS 84 longitude and latitude (EPSG:4326).
    Wgs84,
    /// CGCS2000 longitude and latitude (EPSG:4490).
    Cgcs2000,
    /// GCJ-02 longitude and latitude (Amap, Tencent; no EPSG code).
    Gcj02,
    /// BD-09 longitude and latitude (Baidu; no EPSG code).
    Bd09,
    /// Web Mercator metres (EPSG:3857).
    WebMercator,
    /// A transverse Mercator system: Gauss-Krüger, UTM, or one read from WKT.
    TransverseMercator {
        /// The projection.
        projection: TransverseMercator,
        /// Its EPSG code, when it has one.
        epsg: Option<u32>,
        /// Its name, as EPSG or the WKT gives it.
        name: String,
    },
}

/// Why a coordinate system was not understood.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// An EPSG code patrolmap does not convert.
    #[error("EPSG:{0} is not a coordinate system patrolmap converts (it reads 4326, 4490, 4491-4554, 3857 and 32601-32760; and gcj02, bd09)")]
    UnknownEpsg(u32),
    /// A name that is no coordinate system.
    #[error(
        "{0:?} is not a coordinate system (give EPSG:NNNN, wgs84, cgcs2000, gcj02, bd09 or WKT)"
    )]
    Unknown(String),
    /// A WKT text that could not be read or names an unsupported projection.
    #[error("cannot use the coordinate system {wkt:?}…: {reason}")]
    Wkt {
        /// What is wrong.
        reason: String,
        /// The start of the WKT.
        wkt: String,
    },
}

impl Crs {
    /// The system of an EPSG code.
    ///
    /// ```
    /// use patrolmap_core::crs::Crs;
    /// let gk = Crs::from_epsg(4547).unwrap();
    /// assert_eq!(gk.name(), "CGCS2000 / 3-degree Gauss-Kruger CM 114E");
    /// assert!(Crs::from_epsg(2000).is_err());
    /// ```
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        let tm = |projection, name: String| Crs::TransverseMercator {
            projection,
            epsg: Some(code),
            name,
        };
        Ok(match code {
            4326 => Crs::Wgs84,
            4490 => Crs::Cgcs2000,
            3857 | 900_913 | 102_100 | 102_113 => Crs::WebMercator,
            4491..=4501 => {
                let zone = 13 + code - 4491;
                tm(
                    TransverseMercator::gauss_kruger_6(zone, true),
                    format!("CGCS2000 / Gauss-Kruger zone {zone}"),
                )
            }
            4502..=4512 => {
                let zone = 13 + code - 4502;
                tm(
                    TransverseMercator::gauss_kruger_6(zone, false),
                    format!("CGCS2000 / Gauss-Kruger CM {}E", 6 * zone - 3),
                )
            }
            4513..=4533 => {
                let zone = 25 + code - 4513;
                tm(
                    TransverseMercator::gauss_kruger_3(zone, true),
                    format!("CGCS2000 / 3-degree Gauss-Kruger zone {zone}"),
                )
            }
            4534..=4554 => {
                let zone = 25 + code - 4534;
                tm(
                    TransverseMercator::gauss_kruger_3(zone, false),
                    format!("CGCS2000 / 3-degree Gauss-Kruger CM {}E", 3 * zone),
                )
            }
            32601..=32660 => {
                let zone = code - 32600;
                tm(
                    TransverseMercator::utm(zone, true),
                    format!("WGS 84 / UTM zone {zone}N"),
                )
            }
            32701..=32760 => {
                let zone = code - 32700;
                tm(
                    TransverseMercator::utm(zone, false),
                    format!("WGS 84 / UTM zone {zone}S"),
                )
            }
            _ => return Err(CrsError::UnknownEpsg(code)),
        })
    }

    /// The system a planner names (`EPSG:4547`, `4547`, an OGC URN, `wgs84`, `cgcs2000`,
    /// `gcj02`, `bd09`) or a WKT text.
    ///
    /// ```
    /// use patrolmap_core::crs::Crs;
    /// assert_eq!(Crs::parse("EPSG:4490").unwrap(), Crs::Cgcs2000);
    /// assert_eq!(Crs::parse("GCJ-02").unwrap(), Crs::Gcj02);
    /// assert_eq!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap(), Crs::Wgs84);
    /// assert!(Crs::parse("EPSG:9999").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Crs, CrsError> {
        let t = text.trim();
        if t.contains('[') || t.contains('(') {
            return wkt::parse(t);
        }
        let lower = t.to_ascii_lowercase().replace(['-', '_', ' '], "");
        match lower.as_str() {
            "wgs84" | "crs84" | "urn:ogc:def:crs:ogc:1.3:crs84" | "urn:ogc:def:crs:ogc::crs84" => {
                return Ok(Crs::Wgs84)
            }
            "cgcs2000" => return Ok(Crs::Cgcs2000),
            "gcj02" | "gcj" | "mars" => return Ok(Crs::Gcj02),
            "bd09" | "bd09ll" | "baidu" => return Ok(Crs::Bd09),
            "webmercator" | "pseudomercator" => return Ok(Crs::WebMercator),
            _ => {}
        }
        let code = lower
            .strip_prefix("epsg:")
            .or_else(|| lower.strip_prefix("urn:ogc:def:crs:epsg::"))
            .or_else(|| lower.rsplit_once("/epsg/0/").map(|(_, c)| c))
            .unwrap_or(&lower);
        match code.parse::<u32>() {
            Ok(code) => Crs::from_epsg(code),
            Err(_) => Err(CrsError::Unknown(t.to_string())),
        }
    }

    /// The EPSG system with the same projection, when there is one (a `.prj` in Esri's
    /// dialect names no code: `CGCS2000_3_Degree_GK_CM_114E` is EPSG:4547); else itself.
    ///
    /// ```
    /// use patrolmap_core::crs::Crs;
    /// let prj = r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    /// assert_eq!(Crs::parse(prj).unwrap().code(), "EPSG:4547");
    /// ```
    pub fn identified(self) -> Crs {
        let Crs::TransverseMercator {
            projection: p,
            epsg: None,
            ..
        } = &self
        else {
            return self;
        };
        let candidates = (4491..=4554).chain(32601..=32660).chain(32701..=32760);
        let same = |q: &TransverseMercator| {
            (q.lon0_deg - p.lon0_deg).abs() < 1e-9
                && q.lat0_deg == p.lat0_deg
                && (q.k0 - p.k0).abs() < 1e-12
                && (q.false_easting_m - p.false_easting_m).abs() < 1e-6
                && (q.false_northing_m - p.false_northing_m).abs() < 1e-6
                && (q.ellipsoid.a_m - p.ellipsoid.a_m).abs() < 1e-6
                && (q.ellipsoid.inverse_flattening - p.ellipsoid.inverse_flattening).abs() < 1e-6
        };
        candidates
            .filter_map(|code| Crs::from_epsg(code).ok())
            .find(|c| matches!(c, Crs::TransverseMercator { projection: q, .. } if same(q)))
            .unwrap_or(self)
    }

    /// Its EPSG code, when it has one.
    ///
    /// ```
    /// assert_eq!(patrolmap_core::crs::Crs::WebMercator.epsg(), Some(3857));
    /// ```
    pub fn epsg(&self) -> Option<u32> {
        match self {
            Crs::Wgs84 => Some(4326),
            Crs::Cgcs2000 => Some(4490),
            Crs::WebMercator => Some(3857),
            Crs::TransverseMercator { epsg, .. } => *epsg,
            Crs::Gcj02 | Crs::Bd09 => None,
        }
    }

    /// How reports and `--crs` name it: `EPSG:NNNN`, `gcj02`, `bd09`, or its WKT name.
    ///
    /// ```
    /// use patrolmap_core::crs::Crs;
    /// assert_eq!(Crs::from_epsg(4547).unwrap().code(), "EPSG:4547");
    /// assert_eq!(Crs::Gcj02.code(), "gcj02");
    /// ```
    pub fn code(&self) -> String {
        match (self, self.epsg()) {
            (_, Some(code)) => format!("EPSG:{code}"),
            (Crs::Gcj02, _) => "gcj02".into(),
            (Crs::Bd09, _) => "bd09".into(),
            (_, None) => self.name(),
        }
    }

    /// Its name.
    ///
    /// ```
    /// assert_eq!(patrolmap_core::crs::Crs::Cgcs2000.name(), "CGCS2000");
    /// ```
    pub fn name(&self) -> String {
        match self {
            Crs::Wgs84 => "WGS 84".into(),
            Crs::Cgcs2000 => "CGCS2000".into(),
            Crs::Gcj02 => "GCJ-02".into(),
            Crs::Bd09 => "BD-09".into(),
            Crs::WebMercator => "WGS 84 / Pseudo-Mercator".into(),
            Crs::TransverseMercator { name, .. } => name.clone(),
        }
    }

    /// Whether its coordinates are longitudes and latitudes (else metres).
    ///
    /// ```
    /// assert!(patrolmap_core::crs::Crs::Gcj02.is_geographic());
    /// ```
    pub fn is_geographic(&self) -> bool {
        matches!(self, Crs::Wgs84 | Crs::Cgcs2000 | Crs::Gcj02 | Crs::Bd09)
    }

    /// WGS 84 `[lon, lat]` of a position in this system.
    ///
    /// ```
    /// use patrolmap_core::crs::Crs;
    /// let gk = Crs::from_epsg(4547).unwrap();
    /// let p = gk.to_wgs84(gk.from_wgs84([112.94, 27.83]));
    /// assert!((p[0] - 112.94).abs() < 1e-10 && (p[1] - 27.83).abs() < 1e-10);
    /// ```
    pub fn to_wgs84(&self, p: [f64; 2]) -> [f64; 2] {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => p,
            Crs::Gcj02 => gcj02_to_wgs84(p),
            Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
            Crs::WebMercator => {
                let r = tmerc::Ellipsoid::WGS84.a_m;
                [
                    (p[0] / r).to_degrees(),
                    (2.0 * (p[1] / r).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
                ]
            }
            Crs::TransverseMercator { projection, .. } => projection.inverse(p),
        }
    }

    /// A WGS 84 `[lon, lat]` in this system.
    ///
    /// ```
    /// use patrolmap_core::crs::Crs;
    /// let [x, y] = Crs::WebMercator.from_wgs84([180.0, 0.0]);
    /// assert!((x - 20_037_508.342789244).abs() < 1e-6 && y.abs() < 1e-9);
    /// ```
    pub fn from_wgs84(&self, p: [f64; 2]) -> [f64; 2] {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => p,
            Crs::Gcj02 => wgs84_to_gcj02(p),
            Crs::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(p)),
            Crs::WebMercator => {
                let r = tmerc::Ellipsoid::WGS84.a_m;
                let lat = p[1]
                    .clamp(-85.051_128_779_806_6, 85.051_128_779_806_6)
                    .to_radians();
                [
                    r * p[0].to_radians(),
                    r * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
                ]
            }
            Crs::TransverseMercator { projection, .. } => projection.forward(p),
        }
    }

    /// Its WKT 1 in Esri's dialect, as a Shapefile's `.prj` holds it (GDAL, QGIS and ArcGIS
    /// read it); for GCJ-02 and BD-09, which have no WKT, WGS 84's.
    ///
    /// ```
    /// use patrolmap_core::crs::Crs;
    /// let prj = Crs::from_epsg(4547).unwrap().to_wkt();
    /// assert_eq!(Crs::parse(&prj).unwrap().to_wgs84([500_000.0, 0.0]), [114.0, 0.0]);
    /// ```
    pub fn to_wkt(&self) -> String {
        let wgs84 = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        let cgcs = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        match self {
            Crs::Wgs84 | Crs::Gcj02 | Crs::Bd09 => wgs84.into(),
            Crs::Cgcs2000 => cgcs.into(),
            Crs::WebMercator => format!(
                r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",{wgs84},PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#
            ),
            Crs::TransverseMercator {
                projection: p,
                name,
                ..
            } => {
                let geog = if p.ellipsoid == Ellipsoid::WGS84 {
                    wgs84
                } else {
                    cgcs
                };
                format!(
                    r#"PROJCS["{}",{geog},PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",{:?}],PARAMETER["False_Northing",{:?}],PARAMETER["Central_Meridian",{:?}],PARAMETER["Scale_Factor",{:?}],PARAMETER["Latitude_Of_Origin",{:?}],UNIT["Meter",1.0]]"#,
                    name.replace([' ', '/', '-'], "_").replace("__", "_"),
                    p.false_easting_m,
                    p.false_northing_m,
                    p.lon0_deg,
                    p.k0,
                    p.lat0_deg
                )
            }
        }
    }
}

/// The Gauss-Krüger system the eastings say when they carry a zone number in front
/// (`38 500 000` is 3° zone 38; 13-23 are 6° zones, 25-45 3° zones), for files in metres that
/// name no system.
///
/// ```
/// use patrolmap_core::crs::{zone_from_eastings, Crs};
/// assert_eq!(zone_from_eastings(&[38_401_544.6]), Some(Crs::from_epsg(4526).unwrap()));
/// assert_eq!(zone_from_eastings(&[401_544.6]), None);
/// ```
pub fn zone_from_eastings(eastings: &[f64]) -> Option<Crs> {
    let zone = (*eastings.first()? / 1e6).floor();
    if !eastings.iter().all(|e| (e / 1e6).floor() == zone) {
        return None;
    }
    let zone = zone as u32;
    match zone {
        13..=23 => Crs::from_epsg(4491 + zone - 13).ok(),
        25..=45 => Crs::from_epsg(4513 + zone - 25).ok(),
        _ => None,
    }
}
