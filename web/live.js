// Live operations on the map (the Live task): where the units are now (`/api/live/units`,
// asked every two seconds while the task shows or the live coverage is on), the coverage of
// the available units where they are (`/api/live/coverage`, asked again when the board
// changed), and the 110 call: a click gives each unit's arrival from its live position and
// the standard at the call (`/api/live/incident`); the units chosen are dispatched (their
// status set en route). The pure parts are in `liveboard.js`.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t } from './i18n.js';
import { h, show } from './dom.js';
import { getJson, sendJson } from './api.js';
import { STATUSES, alertText, alertWhen, etaText, routeFeatures, statusCounts, toAssign, unitFeatures } from './liveboard.js';
import { pct } from './format.js';

/** How often the board is asked for, in milliseconds. */
const POLL_MS = 2000;

/** Alerts listed at most: those in force, then those ended lately. */
const ALERTS_SHOWN = { active: 8, recent: 4, wall: 5 };

/** Units a call lists: the first to arrive, enough for the 1-3-5 standard's full force and a
 * few more to choose from, short enough for the panel's first screen. */
const CALL_UNITS = 6;

const EMPTY = { type: 'FeatureCollection', features: [] };

/**
 * Wires the Live task. `applySummary(summary)` shows a coverage summary on the map,
 * `evaluate()` measures the plan again (the live coverage turned off), `canEdit()` whether
 * the user may change statuses. Returns `{ call(lngLat), render() }`.
 */
export function wireLive({ map, state, status, applySummary, evaluate, canEdit }) {
  const $ = (id) => document.getElementById(id);
  map.addSource('live-routes', { type: 'geojson', data: EMPTY });
  map.addSource('live-units', { type: 'geojson', data: EMPTY });
  map.addSource('live-call', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'live-routes', type: 'line', source: 'live-routes',
    paint: { 'line-color': '#00e5ff', 'line-width': 4, 'line-opacity': 0.85 }, layout: { 'line-cap': 'round', 'line-join': 'round' } });
  map.addSource('live-moves', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'live-moves', type: 'line', source: 'live-moves',
    paint: { 'line-color': '#b388ff', 'line-width': 3, 'line-dasharray': [2, 1.5] } });
  map.addLayer({ id: 'live-units', type: 'circle', source: 'live-units',
    paint: {
      'circle-radius': 7,
      'circle-color': ['case', ['get', 'stale'], 'rgba(0,0,0,0.35)', ['get', 'colour']],
      'circle-stroke-color': ['case', ['get', 'stale'], ['get', 'colour'], '#0b1620'],
      'circle-stroke-width': ['case', ['get', 'stale'], 2.5, 1.5],
    } });
  map.addLayer({ id: 'live-call', type: 'circle', source: 'live-call',
    paint: { 'circle-radius': 9, 'circle-color': '#ff1744', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });

  let board = null;
  let lastChange = null;
  let liveRev = null;
  let pkg = null;
  let chosen = new Set();
  let busy = false;
  let popup = null;

  const popupContent = () => h('div', {}, h('b', {}, t('call_title', { road: pkg.road.name ?? t('unnamed') })),
    pkg.units.slice(0, 3).map((u) => h('div', {}, `${u.rank}. ${u.name ?? u.unit} · ${etaText(u.eta_s)}`)));

  const wanted = () => state.task === 'live' || $('live-coverage').checked;

  const renderBoard = () => {
    const counts = statusCounts(board);
    $('live-counts').textContent = board?.units.some((u) => u.position) ? t('live_counts', counts) : t('live_none');
    $('live-coverage-note').textContent = $('live-coverage').checked && board ? t('live_coverage_note', { n: board.counted }) : '';
    const rows = (board?.units ?? []).map((u) => {
      const age = u.position == null ? t('live_no_fix') : u.stale ? t('live_stale') : t('live_age', { s: Math.round(u.age_s) });
      const moving = u.move_to ? h('div', { class: 'muted' }, t('live_moving_to')) : null;
      const choice = canEdit()
        ? h('select', { class: 'live-status', dataset: { unit: u.unit }, on: { change: (e) => setStatus([u.unit], e.target.value) } },
          STATUSES.map((s) => h('option', { value: s, selected: s === u.status }, t(`status_${s}`))))
        : t(`status_${u.status}`);
      return h('tr', { class: u.stale ? 'stale' : null, dataset: { unit: u.unit } },
        h('td', {}, h('span', { class: `dot status-${u.status}` })), h('td', {}, u.name ?? u.unit, moving), h('td', {}, choice), h('td', { class: 'num' }, age));
    });
    show($('live-units'), rows);
    map.getSource('live-units').setData(unitFeatures(board));
  };

  const renderCall = () => {
    $('live-call').hidden = !pkg;
    if (!pkg) return;
    $('call-title').textContent = t('call_title', { road: pkg.road.name ?? t('unnamed') });
    show($('call-tiers'), pkg.tiers.map((tier) => h('tr', { class: tier.met ? 'met' : 'failing' },
      h('td', {}, `${tier.budget_s / 60}′×${tier.units}`), h('td', {}, tier.met ? t('met') : t('not_met')),
      h('td', { class: 'num' }, t('call_arriving', { n: tier.arriving })))));
    show($('call-units'), pkg.units.length === 0 ? h('tr', {}, h('td', {}, t('call_none', { min: pkg.searched_s / 60 }))) : pkg.units.map((u) => h('tr', {},
      h('td', {}, h('input', { type: 'checkbox', checked: chosen.has(u.unit), dataset: { unit: u.unit },
        on: { change: (e) => { if (e.target.checked) chosen.add(u.unit); else chosen.delete(u.unit); renderCall(); } } })),
      h('td', {}, u.rank), h('td', {}, u.name ?? u.unit), h('td', {}, t(u.mode)),
      h('td', { class: 'num' }, etaText(u.eta_s)), h('td', {}, u.within_s ? `≤${u.within_s / 60}′` : '—'))));
    const nc = pkg.not_counted;
    $('call-note').textContent = nc.busy + nc.off_duty + nc.stale > 0 ? t('call_not_counted', nc) : '';
    $('call-assign').textContent = t('call_assign', { n: chosen.size });
    $('call-assign').disabled = chosen.size === 0;
    map.getSource('live-routes').setData(routeFeatures(pkg, chosen));
    map.getSource('live-call').setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: pkg.position } }] });
  };

  let proposal = null;
  const renderMoveUp = () => {
    $('moveup-result').hidden = !proposal;
    if (!proposal) return;
    const km = (m) => (m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`);
    show($('moveup-moves'), proposal.moves.length === 0 ? h('li', { class: 'muted' }, t('moveup_none')) : proposal.moves.map((m) => h('li', {},
      t('moveup_move', { unit: m.name ?? m.unit, target: m.target_name ?? m.target ?? '—', eta: etaText(m.travel_s), gain: km(m.gain_m.reduce((a, b) => a + b, 0)) }))));
    show($('moveup-tiers'), proposal.tier_shares_before.map((before, k) => {
      const tier = state.info.tiers[k];
      return h('tr', {}, h('td', {}, t('moveup_tier', { tier: `${tier.budget_s / 60}′×${tier.units}`, before: pct(before), after: pct(proposal.tier_shares_after[k]) })));
    }));
    $('moveup-accept').disabled = proposal.moves.length === 0;
    map.getSource('live-moves').setData({ type: 'FeatureCollection', features: proposal.moves.map((m) => ({
      type: 'Feature', properties: { unit: m.unit }, geometry: { type: 'LineString', coordinates: [m.from, m.to] } })) });
  };
  $('moveup').addEventListener('click', async () => {
    try {
      proposal = await sendJson('/api/live/moveup', { max_moves: 3 });
      renderMoveUp();
    } catch (e) {
      status(() => t('error', { msg: e.message }));
    }
  });
  $('moveup-accept').addEventListener('click', async () => {
    if (!proposal?.moves.length) return;
    try {
      board = await sendJson('/api/live/moveup/accept', { moves: proposal.moves.map((m) => ({ unit: m.unit, to: m.to })) });
      const n = proposal.moves.length;
      status(() => t('moveup_sent', { n }));
      proposal = null;
      map.getSource('live-moves').setData(EMPTY);
      renderMoveUp();
      renderBoard();
    } catch (e) {
      status(() => t('error', { msg: e.message }));
    }
  });

  let alerts = null;
  const renderAlerts = () => {
    // A tier's share first (the whole city), then sites, the latest first.
    const active = [...(alerts?.active ?? [])].sort((a, b) => (a.kind === b.kind ? b.raised_s - a.raised_s : a.kind === 'tier' ? -1 : 1));
    const recent = alerts?.recent ?? [];
    const item = (a, cls) => h('li', { class: cls, dataset: { key: a.key } }, alertText(a, t, pct), ' · ', h('span', { class: 'muted' }, alertWhen(a, t)));
    const more = active.length - ALERTS_SHOWN.active;
    // On the wall following the live board: the alerts in force, the latest first.
    show($('wall-alerts'), active.slice(0, ALERTS_SHOWN.wall).map((a) => h('li', { class: 'failing', dataset: { key: a.key } }, alertText(a, t, pct), ' · ', alertWhen(a, t))),
      active.length > ALERTS_SHOWN.wall ? h('li', { class: 'failing' }, `… +${active.length - ALERTS_SHOWN.wall}`) : null);
    show($('live-alerts'), active.length + recent.length === 0 ? h('li', { class: 'muted' }, t('alerts_none')) : [
      active.slice(0, ALERTS_SHOWN.active).map((a) => item(a, 'failing')),
      more > 0 ? h('li', { class: 'failing' }, `… +${more}`) : null,
      recent.slice(0, ALERTS_SHOWN.recent).map((a) => item(a, 'muted')),
    ]);
  };
  const loadAlerts = async () => {
    alerts = await getJson('/api/live/alerts');
    renderAlerts();
  };
  // Pushed by the server as they happen: the board moved, an alert raised or cleared.
  const follow = () => {
    const source = new EventSource('/api/live/events');
    source.addEventListener('board', () => tick());
    source.addEventListener('alert', (e) => {
      const change = JSON.parse(e.data);
      if (change.change === 'raised') status(() => t('alert_raised', { text: alertText(change.alert, t, pct) }));
      loadAlerts().catch(() => {});
    });
  };

  const refreshCoverage = async () => {
    if (!$('live-coverage').checked) return;
    const summary = await getJson('/api/live/coverage');
    if (!$('live-coverage').checked) return;
    liveRev = summary.rev;
    applySummary(summary);
  };

  const tick = async () => {
    if (busy || !wanted() || document.visibilityState === 'hidden') return;
    busy = true;
    try {
      board = await getJson('/api/live/units');
      renderBoard();
      if (board.change !== lastChange || (liveRev != null && state.rev !== liveRev)) {
        lastChange = board.change;
        await refreshCoverage();
      }
    } catch (e) {
      status(() => t('error', { msg: e.message }));
    } finally {
      busy = false;
    }
  };

  const setStatus = async (units, value) => {
    try {
      board = await sendJson('/api/live/status', { units, status: value });
      renderBoard();
      lastChange = board.change;
      await refreshCoverage();
    } catch (e) {
      status(() => t('error', { msg: e.message }));
    }
  };

  const showLive = async (on) => {
    if ($('live-coverage').checked === on) return;
    $('live-coverage').checked = on;
    $('live-coverage').dispatchEvent(new Event('change'));
  };
  $('live-coverage').addEventListener('change', async () => {
    if ($('live-coverage').checked) {
      lastChange = null;
      await tick();
    } else {
      liveRev = null;
      renderBoard();
      evaluate();
    }
  });
  $('call-clear').addEventListener('click', () => {
    pkg = null;
    chosen = new Set();
    popup?.remove();
    map.getSource('live-routes').setData(EMPTY);
    map.getSource('live-call').setData(EMPTY);
    renderCall();
  });
  $('call-assign').addEventListener('click', async () => {
    const units = [...chosen];
    await setStatus(units, 'en_route');
    status(() => t('call_sent', { n: units.length }));
  });
  setInterval(tick, POLL_MS);
  follow();
  loadAlerts().catch(() => {});
  document.querySelector('#tasks [data-task="live"]')?.addEventListener('click', () => setTimeout(tick, 0));

  return {
    async call(lngLat) {
      try {
        pkg = await sendJson('/api/live/incident', { lon: lngLat.lng, lat: lngLat.lat, limit: CALL_UNITS });
        chosen = new Set(toAssign(pkg));
        renderCall();
        // The call and the routes of the units it needs, in view.
        const points = [pkg.position, ...pkg.units.filter((u) => chosen.has(u.unit)).flatMap((u) => u.route)];
        const bounds = points.reduce((b, p) => b.extend(p), new maplibregl.LngLatBounds(pkg.position, pkg.position));
        map.fitBounds(bounds, { padding: 80, maxZoom: 15, duration: 600 });
        popup?.remove();
        popup = new maplibregl.Popup({ maxWidth: '20rem' }).setLngLat(pkg.position).setDOMContent(popupContent()).addTo(map);
      } catch (e) {
        status(() => t('error', { msg: e.message }));
      }
    },
    render() {
      renderBoard();
      renderCall();
      renderAlerts();
      renderMoveUp();
      if (pkg && popup?.isOpen()) popup.setDOMContent(popupContent());
    },
    tick,
    showLive,
    /** The board last asked for (for the console and the browser tests). */
    get board() { return board; },
    get call_package() { return pkg; },
    get alerts() { return alerts; },
    get proposal() { return proposal; },
  };
}
