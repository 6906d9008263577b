//! Coverage over a shift: some units move (patrols along their routes) while the others stay;
//! the shift is sampled (every 30 s, say) and each sample measured tier by tier exactly as a
//! standing deployment is ([`assess`](super::assess)), giving each road edge the share of the
//! shift it is within each tier, and the city's share at every sample with its worst moment.
//!
//! Samples where no moving unit has moved since the one before (a patrol dwelling at a
//! checkpoint, everyone home) are measured once and counted again.

use rayon::prelude::*;

use super::assess::{measure_tiers, Roads};
use super::{reach, Placement, ResponseStandard};
use crate::network::{ProfileGraph, RoadNetwork};
use crate::scenario::{Scenario, Unit};
use crate::stop::{Stop, Stopped};

/// A unit that moves during the shift.
#[derive(Clone, Debug)]
pub struct MovingUnit {
    /// The unit as the tiers count it (its id, class and turnout; its position is not read).
    pub unit: Unit,
    /// Index of its mode in the roads' modes.
    pub mode_index: usize,
    /// Where it is at each sample: a road edge of its mode and the fraction along it.
    pub positions: Vec<(u32, f64)>,
}

/// One tier of the standard over the shift.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TierOverShift {
    /// The city's share of car road length within the tier, at each sample.
    pub share_by_sample: Vec<f64>,
    /// The mean of those shares: the share of road-time within the tier.
    pub mean_share: f64,
    /// The lowest share over the samples.
    pub worst_share: f64,
    /// When the worst share happens (the first such sample), in seconds.
    pub worst_time_s: f64,
    /// Per road edge, the share of the samples its length is within the tier (length-weighted
    /// over the edge; 0 for edges coverage is not measured on).
    #[serde(skip)]
    pub edge_share: Vec<f32>,
}

/// Coverage over a shift.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShiftCoverage {
    /// The sample times, in seconds from the start of the shift.
    pub times_s: Vec<f64>,
    /// The tiers of the standard, in its order.
    pub tiers: Vec<TierOverShift>,
    /// How many samples were measured (the others repeated one before them).
    pub distinct_samples: usize,
}

/// Sample times every `step_s` from 0 to `shift_s` inclusive of 0 (at most one past the end).
///
/// ```
/// use patrolmap_core::coverage::shift::sample_times;
/// assert_eq!(sample_times(90.0, 30.0), vec![0.0, 30.0, 60.0, 90.0]);
/// ```
pub fn sample_times(shift_s: f64, step_s: f64) -> Vec<f64> {
    let count = (shift_s / step_s).floor() as usize + 1;
    (0..count).map(|i| i as f64 * step_s).collect()
}

/// The coverage of `scenario`'s units (standing where they are, snapped within `max_snap_m`)
/// together with the `moving` units (at their position of each sample), at every time of
/// `times_s`, tier by tier of `standard`. `progress` is told each measured sample; `stop`
/// ends the work early (with [`Stopped`]: a part of a shift is no answer).
// Each argument is a separate input of the question; bundling them would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn shift_coverage(
    roads: Roads,
    scenario: &Scenario,
    standard: &ResponseStandard,
    max_snap_m: f64,
    times_s: &[f64],
    moving: &[MovingUnit],
    progress: &(dyn Fn() + Sync),
    stop: &Stop,
) -> Result<ShiftCoverage, Stopped> {
    let network = roads.network;
    let graphs: Vec<&ProfileGraph> = roads.modes.iter().map(|m| m.graph).collect();
    let (standing, _) = super::place_units(&scenario.units, roads.modes, max_snap_m);
    // The moving units join the scenario's, so a tier's classes count them.
    let mut everyone = scenario.clone();
    let first_moving = everyone.units.len();
    everyone.units.extend(moving.iter().map(|m| m.unit.clone()));
    let placements_at = |sample: usize| -> Vec<Placement> {
        let mut placements = standing.clone();
        placements.extend(moving.iter().enumerate().map(|(i, m)| {
            let (edge, fraction) = m.positions[sample];
            Placement {
                unit: (first_moving + i) as u32,
                mode_index: m.mode_index,
                edge,
                fraction,
                start_s: m.unit.turnout_s,
                dist_m: 0.0,
            }
        }));
        placements
    };
    // Runs of samples with the same positions: measured once.
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (first sample, count)
    for sample in 0..times_s.len() {
        let same = sample > 0
            && moving
                .iter()
                .all(|m| m.positions[sample] == m.positions[sample - 1]);
        match runs.last_mut() {
            Some(run) if same => run.1 += 1,
            _ => runs.push((sample, 1)),
        }
    }
    let total_m: f64 = (0..network.edges.len())
        .filter(|&e| graphs[0].is_usable(e))
        .map(|e| network.edges[e].length_m)
        .sum();
    let tiers = standard.tiers.len();
    // Per run: the covered fraction of each edge per tier, folded into sums per thread.
    type Sums = (Vec<Vec<f64>>, Vec<(usize, Vec<f64>)>);
    let (edge_sums, mut run_shares): Sums = runs
        .par_iter()
        .fold(
            || (vec![vec![0.0; network.edges.len()]; tiers], Vec::new()),
            |(mut sums, mut shares), &(first, count)| {
                if stop.should_stop() {
                    return (sums, shares);
                }
                let placements = placements_at(first);
                let results = measure_tiers(roads, &graphs, &everyone, standard, &placements);
                let mut share = Vec::with_capacity(tiers);
                for (t, (tier, result)) in standard.tiers.iter().zip(&results).enumerate() {
                    let intervals = reach::covered_intervals(
                        network,
                        graphs[0],
                        &reach::mode_reach(&graphs, &result.labels),
                        &result.eligible,
                        tier.budget_s,
                        tier.units,
                    );
                    let mut covered_m = 0.0;
                    for (e, list) in intervals.iter().enumerate() {
                        let part: f64 = list.iter().map(|(a, b)| b - a).sum();
                        sums[t][e] += part * count as f64;
                        covered_m += part * network.edges[e].length_m;
                    }
                    share.push(if total_m > 0.0 {
                        covered_m / total_m
                    } else {
                        0.0
                    });
                }
                shares.push((first, share));
                progress();
                (sums, shares)
            },
        )
        .reduce(
            || (vec![vec![0.0; network.edges.len()]; tiers], Vec::new()),
            |(mut a, mut sa), (b, sb)| {
                for (x, y) in a.iter_mut().zip(b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        *p += q;
                    }
                }
                sa.extend(sb);
                (a, sa)
            },
        );
    stop.check()?;
    run_shares.sort_by_key(|r| r.0);
    let samples = times_s.len().max(1) as f64;
    let tiers = (0..tiers)
        .map(|t| {
            let mut share_by_sample = Vec::with_capacity(times_s.len());
            for (&(_, count), (_, share)) in runs.iter().zip(&run_shares) {
                share_by_sample.extend(std::iter::repeat_n(share[t], count));
            }
            let (worst_index, worst_share) = share_by_sample.iter().copied().enumerate().fold(
                (0, f64::INFINITY),
                |best, (i, s)| if s < best.1 { (i, s) } else { best },
            );
            TierOverShift {
                mean_share: share_by_sample.iter().sum::<f64>() / samples,
                worst_share: if worst_share.is_finite() {
                    worst_share
                } else {
                    0.0
                },
                worst_time_s: times_s.get(worst_index).copied().unwrap_or(0.0),
                edge_share: edge_sums[t].iter().map(|&s| (s / samples) as f32).collect(),
                share_by_sample,
            }
        })
        .collect();
    Ok(ShiftCoverage {
        times_s: times_s.to_vec(),
        tiers,
        distinct_samples: runs.len(),
    })
}

/// Each road edge coverage is measured on (`measure`) with its share of `shift`'s samples
/// within each tier (`share_of_shift`, one number per tier, to 4 decimals), as a GeoJSON
/// FeatureCollection of LineStrings: the map of where the patrols hold the standard.
pub fn edge_shares_geojson(
    network: &RoadNetwork,
    measure: &ProfileGraph,
    shift: &ShiftCoverage,
) -> serde_json::Value {
    let features: Vec<_> = (0..network.edges.len())
        .filter(|&e| measure.is_usable(e))
        .map(|e| {
            let shares: Vec<f64> = shift
                .tiers
                .iter()
                .map(|t| (t.edge_share[e] as f64 * 1e4).round() / 1e4)
                .collect();
            serde_json::json!({"type": "Feature", "properties": {"edge": e, "share_of_shift": shares},
                "geometry": {"type": "LineString", "coordinates": network.geometry(e)}})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}
