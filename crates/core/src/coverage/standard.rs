//! The response standard: tiers of time budgets and how many distinct units each needs.

use std::fmt;
use std::str::FromStr;

/// One tier: within `budget_s`, at least `units` distinct units, optionally only of `classes`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Tier {
    /// The time budget, in seconds.
    pub budget_s: f64,
    /// Distinct units required within the budget.
    pub units: usize,
    /// Unit classes that count (all when empty).
    #[serde(default)]
    pub classes: Vec<String>,
}

/// A list of tiers, e.g. the "1-3-5 minute" standard.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponseStandard {
    /// The tiers, in the order given.
    pub tiers: Vec<Tier>,
}

impl Default for ResponseStandard {
    /// 60 s: 1 unit (initial response), 180 s: 2 units (reinforcement), 300 s: 3 units
    /// (full force), any class.
    fn default() -> Self {
        "60:1,180:2,300:3".parse().expect("valid default")
    }
}

impl FromStr for ResponseStandard {
    type Err = StandardError;

    /// Parses `BUDGET_S:UNITS[:CLASS|CLASS…],…`, e.g. `60:1:kiosk|station,180:2,300:3`.
    ///
    /// ```
    /// use patrolmap_core::coverage::ResponseStandard;
    /// let s: ResponseStandard = "60:1:kiosk|patrol,300:3".parse().unwrap();
    /// assert_eq!(s.tiers[0].classes, vec!["kiosk", "patrol"]);
    /// assert!("60:0".parse::<ResponseStandard>().is_err());
    /// assert!("abc".parse::<ResponseStandard>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, StandardError> {
        let tiers = s
            .split(',')
            .map(|part| {
                let mut fields = part.trim().split(':');
                let budget_s: f64 = fields
                    .next()
                    .and_then(|b| b.trim().parse().ok())
                    .filter(|b: &f64| b.is_finite() && *b > 0.0)
                    .ok_or_else(|| StandardError::Budget {
                        tier: part.to_string(),
                    })?;
                let units: usize = match fields.next() {
                    None => 1,
                    Some(u) => u
                        .trim()
                        .parse()
                        .ok()
                        .filter(|u| (1..=8).contains(u))
                        .ok_or_else(|| StandardError::Units {
                            tier: part.to_string(),
                        })?,
                };
                let classes = fields
                    .next()
                    .map(|c| {
                        c.split('|')
                            .map(|c| c.trim().to_string())
                            .filter(|c| !c.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Tier {
                    budget_s,
                    units,
                    classes,
                })
            })
            .collect::<Result<Vec<_>, StandardError>>()?;
        Ok(ResponseStandard { tiers })
    }
}

impl fmt::Display for ResponseStandard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.tiers.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{}", t.budget_s, t.units)?;
            if !t.classes.is_empty() {
                write!(f, ":{}", t.classes.join("|"))?;
            }
        }
        Ok(())
    }
}

impl ResponseStandard {
    /// The `standard = "…"` entry of a TOML config file, if it has one.
    ///
    /// ```
    /// use patrolmap_core::coverage::ResponseStandard;
    /// let s = ResponseStandard::from_config_toml("standard = \"60:2,300:4\"").unwrap().unwrap();
    /// assert_eq!(s.tiers[1].units, 4);
    /// assert!(ResponseStandard::from_config_toml("[profiles.car]").unwrap().is_none());
    /// ```
    pub fn from_config_toml(text: &str) -> Result<Option<ResponseStandard>, StandardError> {
        #[derive(serde::Deserialize)]
        struct Config {
            standard: Option<String>,
        }
        let config: Config = toml::from_str(text).map_err(StandardError::Config)?;
        config
            .standard
            .map(|s| s.parse().map_err(|e| StandardError::InConfig(Box::new(e))))
            .transpose()
    }
}

/// What is wrong with a response standard.
#[derive(Debug, thiserror::Error)]
pub enum StandardError {
    /// A tier's budget is not a positive number of seconds.
    #[error("tier {tier:?}: the budget must be a positive number of seconds")]
    Budget {
        /// The tier as written.
        tier: String,
    },
    /// A tier's units are not 1 to 8.
    #[error("tier {tier:?}: units must be a whole number from 1 to 8")]
    Units {
        /// The tier as written.
        tier: String,
    },
    /// The config file is not TOML.
    #[error("invalid config")]
    Config(#[source] toml::de::Error),
    /// The config file's `standard` is wrong.
    #[error("standard")]
    InConfig(#[source] Box<StandardError>),
}
