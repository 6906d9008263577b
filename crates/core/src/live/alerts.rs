//! Alerts of the live coverage: a checkpoint or key site that the plan meets at a tier and the
//! units where they are now do not, and a tier whose share of the road falls below a set part
//! of the plan's. Each alert is raised once when it starts and cleared when it ends, with
//! both times; the recent ones are kept for the list on the map.

use std::collections::{BTreeMap, VecDeque};

use crate::coverage::assess::Assessment;
use crate::coverage::ResponseStandard;

/// Alerts ended that are kept for the list (the oldest go first).
pub const RECENT_KEPT: usize = 200;

/// What an alert is about.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Alert {
    /// Stable while it lasts: `site:KIND:ID:TIER` or `tier:TIER`.
    pub key: String,
    /// `site` (a checkpoint or key site below its tier) or `tier` (a tier's share below
    /// its level).
    pub kind: &'static str,
    /// The tier, by its index in the standard.
    pub tier: usize,
    /// The tier's budget, in seconds.
    pub budget_s: f64,
    /// The units the tier needs.
    pub units: usize,
    /// For a site: `checkpoint` or `key_site`.
    pub site_kind: Option<&'static str>,
    /// For a site: its id.
    pub site: Option<String>,
    /// For a site: its name.
    pub name: Option<String>,
    /// For a tier: its live share now (while in force; when cleared, the last one below).
    pub share: Option<f64>,
    /// For a tier: the level.
    pub level: Option<f64>,
    /// When it was raised, Unix seconds.
    pub raised_s: f64,
    /// When it was cleared, if it was.
    pub cleared_s: Option<f64>,
}

/// A change of the alerts: one raised or cleared.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AlertChange {
    /// `raised` or `cleared`.
    pub change: &'static str,
    /// The alert, as it is after the change.
    pub alert: Alert,
}

/// The alerts now and lately.
#[derive(Clone, Debug, Default)]
pub struct Alerts {
    active: BTreeMap<String, Alert>,
    recent: VecDeque<Alert>,
}

impl Alerts {
    /// The alerts in force, in key order.
    pub fn active(&self) -> impl Iterator<Item = &Alert> {
        self.active.values()
    }

    /// The alerts ended lately, the latest first.
    pub fn recent(&self) -> impl Iterator<Item = &Alert> {
        self.recent.iter()
    }

    /// Compares `live` (the units where they are now) with `plan` at `now_s`: every site the
    /// plan meets at a tier that live does not, and every tier whose live share is below
    /// `level` times the plan's, is an alert; those that start are raised, those that ended
    /// cleared. Both assessments are of the same sites and of `standard`.
    ///
    /// ```
    /// let alerts = patrolmap_core::live::alerts::Alerts::default();
    /// assert_eq!(alerts.active().count() + alerts.recent().count(), 0);
    /// ```
    pub fn update(
        &mut self,
        standard: &ResponseStandard,
        plan: &Assessment,
        live: &Assessment,
        level: f64,
        now_s: f64,
    ) -> Vec<AlertChange> {
        let mut now: BTreeMap<String, Alert> = BTreeMap::new();
        let tier = |k: usize| standard.tiers.get(k).map(|t| (t.budget_s, t.units));
        for (p, l) in plan.points.iter().zip(&live.points) {
            if p.kind == "incident" || p.id != l.id {
                continue;
            }
            let (Some(planned), Some(met)) = (&p.tiers_met, &l.tiers_met) else {
                continue;
            };
            for (k, (&was, &is)) in planned.iter().zip(met).enumerate() {
                let Some((budget_s, units)) = tier(k).filter(|_| was && !is) else {
                    continue;
                };
                let key = format!("site:{}:{}:{k}", p.kind, p.id);
                now.insert(
                    key.clone(),
                    Alert {
                        key,
                        kind: "site",
                        tier: k,
                        budget_s,
                        units,
                        site_kind: Some(p.kind),
                        site: Some(p.id.clone()),
                        name: p.name.clone(),
                        share: None,
                        level: None,
                        raised_s: now_s,
                        cleared_s: None,
                    },
                );
            }
        }
        for (k, ((p, l), t)) in plan
            .tiers
            .iter()
            .zip(&live.tiers)
            .zip(&standard.tiers)
            .enumerate()
        {
            let (planned, share) = (plan.share(p.covered_m), live.share(l.covered_m));
            if share < level * planned {
                let key = format!("tier:{k}");
                now.insert(
                    key.clone(),
                    Alert {
                        key,
                        kind: "tier",
                        tier: k,
                        budget_s: t.budget_s,
                        units: t.units,
                        site_kind: None,
                        site: None,
                        name: None,
                        share: Some(share),
                        level: Some(level * planned),
                        raised_s: now_s,
                        cleared_s: None,
                    },
                );
            }
        }
        let mut changes = Vec::new();
        let ended: Vec<String> = self
            .active
            .keys()
            .filter(|k| !now.contains_key(*k))
            .cloned()
            .collect();
        for key in ended {
            let mut alert = self.active.remove(&key).expect("listed");
            alert.cleared_s = Some(now_s);
            self.recent.push_front(alert.clone());
            self.recent.truncate(RECENT_KEPT);
            changes.push(AlertChange {
                change: "cleared",
                alert,
            });
        }
        for (key, alert) in now {
            match self.active.entry(key) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(alert.clone());
                    changes.push(AlertChange {
                        change: "raised",
                        alert,
                    });
                }
                // Still in force: raised when it was, the share as it is now.
                std::collections::btree_map::Entry::Occupied(mut slot) => {
                    slot.get_mut().share = alert.share;
                }
            }
        }
        changes
    }
}
