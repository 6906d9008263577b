// The live board's pure parts (no DOM, no requests; tested in node): the units as map
// features coloured by status, the counts by status, a travel time as m:ss, the units a call
// needs sent, and their routes.

/** Each status's colour on the map; a stale unit is drawn hollow in its status's colour. */
export const STATUS_COLOUR = { available: '#2ecc71', en_route: '#f39c12', on_scene: '#e74c3c', off_duty: '#95a5a6' };

/** The statuses, in the order the panel lists them. */
export const STATUSES = ['available', 'en_route', 'on_scene', 'off_duty'];

/** The board's units that have a position, as GeoJSON points on their roads. */
export function unitFeatures(board) {
  return {
    type: 'FeatureCollection',
    features: (board?.units ?? []).filter((u) => u.position).map((u) => ({
      type: 'Feature',
      properties: {
        unit: u.unit, label: u.name ?? u.unit, status: u.status, stale: u.stale, counted: u.counted,
        colour: STATUS_COLOUR[u.status] ?? '#ffffff', heading_deg: u.heading_deg ?? 0, moving: u.heading_deg != null && (u.speed_kph ?? 0) >= 5,
      },
      geometry: { type: 'Point', coordinates: u.position },
    })),
  };
}

/** How many units have each status, and how many available ones are stale (not counted). */
export function statusCounts(board) {
  const counts = { available: 0, en_route: 0, on_scene: 0, off_duty: 0, stale: 0 };
  for (const u of board?.units ?? []) {
    counts[u.status] = (counts[u.status] ?? 0) + 1;
    if (u.status === 'available' && u.stale) counts.stale += 1;
  }
  return counts;
}

/** A travel time in seconds as m:ss (`null` as —). */
export function etaText(s) {
  if (s == null || !Number.isFinite(s)) return '—';
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** The units to send to a call by default: the first ones by arrival, as many as the
 * standard's largest tier needs (its full force). */
export function toAssign(pkg) {
  const needed = Math.max(0, ...(pkg?.tiers ?? []).map((t) => t.units));
  return (pkg?.units ?? []).slice(0, needed).map((u) => u.unit);
}

/** The routes of the `chosen` units of a call's package, as GeoJSON lines with their rank. */
export function routeFeatures(pkg, chosen) {
  return {
    type: 'FeatureCollection',
    features: (pkg?.units ?? []).filter((u) => chosen.has(u.unit) && u.route.length >= 2).map((u) => ({
      type: 'Feature',
      properties: { unit: u.unit, rank: u.rank, eta_s: u.eta_s },
      geometry: { type: 'LineString', coordinates: u.route },
    })),
  };
}

/** A Unix time as the wall clock shows it here, HH:MM:SS. */
export function clockOf(s) {
  const d = new Date(s * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** What an alert says, in the words of `t` (the page's language); `pct` writes a share. */
export function alertText(alert, t, pct) {
  const tier = `${alert.budget_s / 60}′×${alert.units}`;
  if (alert.kind === 'site') {
    return t('alert_site', { kind: t(`search_${alert.site_kind}`), name: alert.name ?? alert.site, tier });
  }
  return t('alert_tier', { tier, share: pct(alert.share), level: pct(alert.level) });
}

/** When an alert was in force: since when, or from when to when. */
export function alertWhen(alert, t) {
  return alert.cleared_s == null
    ? t('alert_since', { time: clockOf(alert.raised_s) })
    : t('alert_ended', { from: clockOf(alert.raised_s), to: clockOf(alert.cleared_s) });
}
