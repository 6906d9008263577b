//! Travel profiles: which roads a mode may use, how fast, and whether one-ways bind it.
//!
//! The car profile's speeds are exactly those of `spec/coverage.md` §1, so that a GeoJSON road
//! file gives the spec's times. Every profile can be overridden from a TOML file:
//!
//! ```toml
//! [profiles.car]
//! speeds_kph = { primary = 55.0, residential = 25.0 }
//! [profiles.ebike]
//! max_speed_kph = 20.0
//! osm_classes = ["primary", "secondary", "tertiary", "residential", "cycleway"]
//! access = "public"   # general traffic's roads only; the default "police" also uses private,
//!                     # destination, delivery and emergency-only roads
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

use super::{Access, Direction, NetworkError, NetworkSource, RoadEdge, RoadNetwork};

/// How a unit travels; each mode has its own profile and graph.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TravelMode {
    /// Patrol car.
    Car,
    /// Electric bike or scooter patrol.
    Ebike,
    /// Foot patrol.
    Foot,
}

impl TravelMode {
    /// Every mode, in a fixed order.
    pub const ALL: [TravelMode; 3] = [TravelMode::Car, TravelMode::Ebike, TravelMode::Foot];

    /// The lower-case name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            TravelMode::Car => "car",
            TravelMode::Ebike => "ebike",
            TravelMode::Foot => "foot",
        }
    }
}

impl fmt::Display for TravelMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A travel mode's name that is none of them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown travel mode {0:?} (expected car, ebike or foot)")]
pub struct UnknownMode(pub String);

impl FromStr for TravelMode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Self, UnknownMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "car" => Ok(TravelMode::Car),
            "ebike" | "e-bike" | "bike" => Ok(TravelMode::Ebike),
            "foot" | "walk" => Ok(TravelMode::Foot),
            other => Err(UnknownMode(other.to_string())),
        }
    }
}

/// What is wrong with a profile configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML of the expected shape.
    #[error("invalid profile config")]
    Toml(#[source] toml::de::Error),
    /// A speed that is not a positive number.
    #[error("{field} must be a positive number of km/h, got {value}")]
    Speed {
        /// Where, as `profiles.car.speeds_kph.primary`.
        field: String,
        /// The value given.
        value: f64,
    },
}

/// A mode's speeds on one road edge, in km/h: along its drawing (first node to last) and
/// against it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeSpeeds {
    /// From the edge's first node to its last.
    pub forward_kph: f64,
    /// From the edge's last node to its first.
    pub backward_kph: f64,
}

/// The roads a mode may use and its speeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The mode this profile is for.
    pub mode: TravelMode,
    /// Default speed per `highway` class, when the road has no usable tagged speed.
    pub speeds_kph: BTreeMap<String, f64>,
    /// Speed of a class not in `speeds_kph` (GeoJSON roads only; OSM roads of such a class
    /// are not used).
    pub fallback_speed_kph: f64,
    /// The OSM `highway` classes this mode may use.
    pub osm_classes: BTreeSet<String>,
    /// A cap on any speed, tagged or default.
    pub max_speed_kph: Option<f64>,
    /// Whether tagged speeds (`maxspeed`, `speed_kph`) apply to this mode.
    pub uses_tagged_speed: bool,
    /// Whether one-way roads bind this mode.
    pub respects_oneway: bool,
    /// Which roads' [`Access`] this mode may use.
    pub access: AccessRule,
}

/// Which roads a profile may use by their [`Access`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessRule {
    /// A police vehicle's: every road kept, private, destination, delivery and
    /// emergency-only ones too (`access=no` without emergency or police allowed is not kept).
    /// The default for patrols and responses.
    #[default]
    Police,
    /// General traffic's: public and destination roads only.
    Public,
}

impl AccessRule {
    /// Whether a road of `access` may be used.
    ///
    /// ```
    /// use patrolmap_core::network::{profile::AccessRule, Access};
    /// assert!(AccessRule::Police.allows(Access::Restricted));
    /// assert!(!AccessRule::Public.allows(Access::Restricted));
    /// assert!(AccessRule::Public.allows(Access::Destination));
    /// ```
    pub fn allows(self, access: Access) -> bool {
        match self {
            AccessRule::Police => true,
            AccessRule::Public => matches!(access, Access::Public | Access::Destination),
        }
    }

    /// Its name in files and on screen (`police`, `public`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRule::Police => "police",
            AccessRule::Public => "public",
        }
    }
}

const CAR_SPEEDS_KPH: [(&str, f64); 9] = [
    ("motorway", 100.0),
    ("trunk", 80.0),
    ("primary", 60.0),
    ("secondary", 50.0),
    ("tertiary", 40.0),
    ("unclassified", 30.0),
    ("residential", 30.0),
    ("service", 15.0),
    ("living_street", 15.0),
];

/// What the data README calls drivable: motorway .. residential, links, service,
/// living_street and road.
pub(crate) const DRIVABLE: [&str; 15] = [
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "service",
    "living_street",
    "road",
];

const NON_MOTORISED: [&str; 7] = [
    "cycleway",
    "path",
    "footway",
    "pedestrian",
    "steps",
    "bridleway",
    "corridor",
];

impl Profile {
    /// The built-in profile of `mode`.
    ///
    /// ```
    /// use patrolmap_core::network::{Profile, TravelMode};
    /// let car = Profile::default_for(TravelMode::Car);
    /// assert_eq!(car.speeds_kph["primary"], 60.0);
    /// assert!(Profile::default_for(TravelMode::Foot).osm_classes.contains("footway"));
    /// ```
    pub fn default_for(mode: TravelMode) -> Profile {
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        match mode {
            TravelMode::Car => Profile {
                mode,
                speeds_kph: CAR_SPEEDS_KPH
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
                fallback_speed_kph: 25.0,
                osm_classes: set(&DRIVABLE),
                max_speed_kph: None,
                uses_tagged_speed: true,
                respects_oneway: true,
                access: AccessRule::Police,
            },
            TravelMode::Ebike => {
                let mut classes = set(&DRIVABLE);
                for c in ["motorway", "motorway_link", "trunk", "trunk_link"] {
                    classes.remove(c);
                }
                classes.extend(set(&["cycleway", "path", "bridleway", "track"]));
                let speeds = [
                    ("primary", 22.0),
                    ("secondary", 22.0),
                    ("tertiary", 22.0),
                    ("unclassified", 20.0),
                    ("residential", 20.0),
                    ("cycleway", 20.0),
                    ("service", 15.0),
                    ("living_street", 12.0),
                    ("track", 12.0),
                    ("path", 12.0),
                    ("bridleway", 10.0),
                ];
                Profile {
                    mode,
                    speeds_kph: speeds.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                    fallback_speed_kph: 18.0,
                    osm_classes: classes,
                    max_speed_kph: Some(25.0),
                    uses_tagged_speed: true,
                    respects_oneway: true,
                    access: AccessRule::Police,
                }
            }
            TravelMode::Foot => {
                let mut classes = set(&DRIVABLE);
                classes.remove("motorway");
                classes.remove("motorway_link");
                classes.extend(set(&NON_MOTORISED));
                classes.insert("track".to_string());
                Profile {
                    mode,
                    speeds_kph: BTreeMap::from([("steps".to_string(), 2.5)]),
                    fallback_speed_kph: 5.0,
                    osm_classes: classes,
                    max_speed_kph: None,
                    uses_tagged_speed: false,
                    respects_oneway: false,
                    access: AccessRule::Police,
                }
            }
        }
    }

    /// Speeds on `edge` of `network` along its drawing and against it, or `None` when this
    /// mode may not use it. They differ only where the edge is tagged so
    /// (`maxspeed:forward`/`:backward`, `forward_speed_kph`/`backward_speed_kph`).
    ///
    /// ```
    /// use patrolmap_core::network::{road_geojson::read_str, Profile, TravelMode};
    /// let net = read_str(r#"{"type":"FeatureCollection","features":[{"type":"Feature",
    ///   "properties":{"speed_kph":50,"backward_speed_kph":30},
    ///   "geometry":{"type":"LineString","coordinates":[[0,0],[0,0.001]]}}]}"#, "r.geojson".as_ref()).unwrap();
    /// let car = Profile::default_for(TravelMode::Car);
    /// let speeds = car.speeds_kph(&net, &net.edges[0]).unwrap();
    /// assert_eq!((speeds.forward_kph, speeds.backward_kph), (50.0, 30.0));
    /// ```
    pub fn speeds_kph(&self, network: &RoadNetwork, edge: &RoadEdge) -> Option<EdgeSpeeds> {
        let class = network.class_name(edge.class);
        if network.source == Some(NetworkSource::Osm) && !self.osm_classes.contains(class) {
            return None;
        }
        if !self.access.allows(edge.access) {
            return None;
        }
        let default_kph = || {
            self.speeds_kph
                .get(class)
                .copied()
                .unwrap_or(self.fallback_speed_kph)
        };
        let speed = |tagged: Option<f64>| {
            let speed = match tagged {
                Some(v) if self.uses_tagged_speed => v,
                _ => default_kph(),
            };
            self.max_speed_kph.map_or(speed, |cap| speed.min(cap))
        };
        Some(EdgeSpeeds {
            forward_kph: speed(edge.tagged_speed_kph),
            backward_kph: speed(edge.tagged_backward_speed_kph),
        })
    }

    /// The direction this mode may travel `edge`.
    pub fn direction(&self, edge: &RoadEdge) -> Direction {
        if self.respects_oneway {
            edge.oneway
        } else {
            Direction::Both
        }
    }
}

/// The profiles of all modes, built-in or overridden from a config file.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSet {
    profiles: BTreeMap<TravelMode, Profile>,
    /// How a Shapefile or GeoPackage road layer's fields are read (`[road_layer]`).
    pub road_layer: super::road_layer::RoadLayerFields,
}

impl Default for ProfileSet {
    fn default() -> Self {
        ProfileSet {
            profiles: TravelMode::ALL
                .iter()
                .map(|&m| (m, Profile::default_for(m)))
                .collect(),
            road_layer: Default::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<TravelMode, ProfileOverride>,
    /// The response standard, read by the coverage command (`coverage::ResponseStandard`).
    #[allow(dead_code)]
    standard: Option<String>,
    /// Which fields of a road layer hold speed, direction, class and name.
    road_layer: Option<super::road_layer::RoadLayerFields>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileOverride {
    speeds_kph: Option<BTreeMap<String, f64>>,
    fallback_speed_kph: Option<f64>,
    osm_classes: Option<BTreeSet<String>>,
    max_speed_kph: Option<f64>,
    uses_tagged_speed: Option<bool>,
    respects_oneway: Option<bool>,
    access: Option<AccessRule>,
}

impl ProfileSet {
    /// The profile of `mode`.
    pub fn get(&self, mode: TravelMode) -> &Profile {
        &self.profiles[&mode]
    }

    /// Reads overrides from a TOML file on top of the built-in profiles.
    pub fn from_toml_file(path: &Path) -> Result<ProfileSet, NetworkError> {
        let text = std::fs::read_to_string(path).map_err(|source| NetworkError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text).map_err(|source| NetworkError::Config {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads overrides from TOML text; `speeds_kph` entries are merged into the defaults.
    ///
    /// ```
    /// use patrolmap_core::network::{ProfileSet, TravelMode};
    /// let set = ProfileSet::from_toml_str("[profiles.car]\nspeeds_kph = { primary = 55 }").unwrap();
    /// assert_eq!(set.get(TravelMode::Car).speeds_kph["primary"], 55.0);
    /// assert!(ProfileSet::from_toml_str("[profiles.car]\nspeeds_kph = { primary = -1 }").is_err());
    /// ```
    pub fn from_toml_str(text: &str) -> Result<ProfileSet, ConfigError> {
        let config: ConfigFile = toml::from_str(text).map_err(ConfigError::Toml)?;
        let mut set = ProfileSet::default();
        if let Some(fields) = config.road_layer {
            set.road_layer = fields;
        }
        let valid = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(ConfigError::Speed {
                    field: what.to_string(),
                    value: v,
                })
            }
        };
        for (mode, o) in config.profiles {
            let p = set
                .profiles
                .get_mut(&mode)
                .expect("every mode has a profile");
            for (class, v) in o.speeds_kph.unwrap_or_default() {
                let v = valid(&format!("profiles.{mode}.speeds_kph.{class}"), v)?;
                p.speeds_kph.insert(class, v);
            }
            if let Some(v) = o.fallback_speed_kph {
                p.fallback_speed_kph = valid(&format!("profiles.{mode}.fallback_speed_kph"), v)?;
            }
            if let Some(v) = o.max_speed_kph {
                p.max_speed_kph = Some(valid(&format!("profiles.{mode}.max_speed_kph"), v)?);
            }
            if let Some(c) = o.osm_classes {
                p.osm_classes = c;
            }
            if let Some(v) = o.uses_tagged_speed {
                p.uses_tagged_speed = v;
            }
            if let Some(v) = o.respects_oneway {
                p.respects_oneway = v;
            }
            if let Some(v) = o.access {
                p.access = v;
            }
        }
        Ok(set)
    }
}
