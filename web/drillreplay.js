// The pure parts of a drill's replay on the map (no DOM, no map): where each unit is at a
// moment of a drill run (`POST /api/live/drill`), the calls still being worked, the coverage
// then, and the reports side by side. Unit-tested in `tests/drillreplay.test.mjs`.

/** A drill's clock: seconds from its start as `D HH:MM` (the day from 1) or `HH:MM`. */
export function drillClock(s) {
  const minutes = Math.floor(s / 60);
  const hh = String(Math.floor(minutes / 60) % 24).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  const day = Math.floor(minutes / 1440);
  return day > 0 ? `+${day}d ${hh}:${mm}` : `${hh}:${mm}`;
}

const lerp = (a, b, f) => [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];

/** Where unit `i` of `run` is when free at `time_s`: at its post, or on its patrol route. */
function home(run, i, time_s) {
  const u = run.units[i];
  if (!u.route?.length) return { state: 'post', position: u.post, post: i };
  const step = Math.floor(Math.max(time_s, 0) / u.route_step_s) % u.route.length;
  return { state: 'patrol', position: u.route[step], post: i };
}

/**
 * The drill at `time_s` of `report` (one of `run.reports`): each unit's `{ unit, name,
 * state: 'post' | 'patrol' | 'moving' | 'busy', position, post }` (a patrol where its route
 * has it; a busy unit shown at its call; a moving one on the straight line between posts), the
 * calls not yet done `{ place, position, time_s, units }`, and each tier's coverage share then.
 */
export function drillAt(run, report, time_s) {
  const units = run.units.map((u, i) => ({ unit: u.unit, name: u.name, ...home(run, i, time_s) }));
  const calls = [];
  for (const e of report.events) {
    if (e.time_s > time_s) break;
    if (e.kind === 'call') {
      const open = e.units.length === 0 ? e.time_s + 600 : Math.max(...e.free_s);
      if (open > time_s) calls.push({ place: e.place, position: run.places[e.place], time_s: e.time_s, units: e.units.length });
      e.units.forEach((u, k) => {
        const unit = units[u];
        if (e.free_s[k] > time_s) {
          Object.assign(unit, { state: 'busy', position: run.places[e.place] });
        } else {
          // Back at its own post, or on its route, by now.
          Object.assign(unit, home(run, u, time_s));
        }
      });
    } else if (e.kind === 'move') {
      const unit = units[e.unit];
      const from = unit.position;
      const to = run.units[e.post].post;
      if (e.arrive_s > time_s && e.arrive_s > e.time_s) {
        const f = (time_s - e.time_s) / (e.arrive_s - e.time_s);
        Object.assign(unit, { state: 'moving', position: lerp(from, to, f), post: e.post });
      } else {
        Object.assign(unit, { state: 'post', position: to, post: e.post });
      }
    }
  }
  let shares = report.coverage[0]?.tier_shares ?? [];
  for (const c of report.coverage) {
    if (c.time_s > time_s) break;
    shares = c.tier_shares;
  }
  return { units, calls, tier_shares: shares };
}

/** The units of `drillAt` as GeoJSON points for the map (`state` and `label` properties). */
export function drillFeatures(moment) {
  return {
    type: 'FeatureCollection',
    features: moment.units.map((u) => ({
      type: 'Feature',
      properties: { unit: u.unit, label: u.name ?? u.unit, state: u.state },
      geometry: { type: 'Point', coordinates: u.position },
    })),
  };
}

/** The calls of `drillAt` as GeoJSON points (`units` sent, 0 when none was free). */
export function callFeatures(moment) {
  return {
    type: 'FeatureCollection',
    features: moment.calls.map((c) => ({
      type: 'Feature',
      properties: { place: c.place, units: c.units },
      geometry: { type: 'Point', coordinates: c.position },
    })),
  };
}

/**
 * The reports side by side: `[{ label, cells }]`, one row per measure and one cell per
 * report, in the words of `t`; `pct` writes a share, `eta` a time.
 */
export function drillRows(reports, tiers, t, pct, eta) {
  const tier = (k) => `${tiers[k].budget_s / 60}′×${tiers[k].units}`;
  const row = (label, f) => ({ label, cells: reports.map(f) });
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  return [
    row(t('drill_policy'), (r) => t(`moveup_policy_${r.policy}`)),
    ...tiers.map((_, k) => row(t('drill_calls_met', { tier: tier(k) }), (r) => pct(r.tier_shares[k]))),
    row(t('drill_lost'), (r) => String(r.lost)),
    row(t('drill_first_p50'), (r) => eta(r.first_unit_p50_s)),
    row(t('drill_first_p90'), (r) => eta(r.first_unit_p90_s)),
    row(t('drill_busy'), (r) => pct(mean(r.busy_share))),
    row(t('drill_moves'), (r) => String(r.moves)),
    ...tiers.map((_, k) => row(t('drill_below', { tier: tier(k) }), (r) => pct(r.below_share[k]))),
  ];
}
