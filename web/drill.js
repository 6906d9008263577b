// A drill on the map (the Live task): a seeded day of 110 calls simulated on the server
// (`POST /api/live/drill`) for the plan on the map, with move-up policies side by side, then
// replayed with the time slider: units at their posts, moving up, busy at a call; the calls
// being worked; each tier's coverage then. The pure parts are in `drillreplay.js`.
import { t } from './i18n.js';
import { h, show } from './dom.js';
import { sendJson } from './api.js';
import { etaText } from './liveboard.js';
import { pct } from './format.js';
import { callFeatures, drillAt, drillClock, drillFeatures, drillRows } from './drillreplay.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
/** Unit colours by state: at a post, on patrol, moving up, busy at a call. */
const COLOURS = { post: '#00c853', patrol: '#40c4ff', moving: '#b388ff', busy: '#ff9100' };

/** Wires the drill panel. Returns `{ render() }` (again in the page's language). */
export function wireDrill({ map, state, status }) {
  const $ = (id) => document.getElementById(id);
  map.addSource('drill-units', { type: 'geojson', data: EMPTY });
  map.addSource('drill-calls', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'drill-calls', type: 'circle', source: 'drill-calls',
    paint: {
      // Larger than the plan's incident sites, ringed in yellow: a call of the drill.
      'circle-radius': 12,
      'circle-color': ['case', ['==', ['get', 'units'], 0], '#7f0000', '#ff1744'],
      'circle-stroke-color': '#ffd600', 'circle-stroke-width': 3,
    } });
  map.addLayer({ id: 'drill-units', type: 'circle', source: 'drill-units',
    paint: {
      'circle-radius': 8,
      'circle-color': ['match', ['get', 'state'], 'patrol', COLOURS.patrol, 'moving', COLOURS.moving, 'busy', COLOURS.busy, COLOURS.post],
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
    } });

  let run = null;
  let running = false;
  /** The plan's incidents with a time: a call history the drill replays. */
  const timedCalls = () => (state.scenario?.features ?? [])
    .filter((f) => f.properties?.kind === 'incident' && f.properties?.time != null).length;
  /** The patrol plan's routes on the map as the API takes them, or null with none. */
  const planRoutes = () => {
    const features = state.plan?.routes?.features ?? [];
    const routes = features.filter((f) => Array.isArray(f.properties.steps))
      .map((f) => ({ unit: f.properties.unit, depot: f.properties.depot, steps: f.properties.steps }));
    return routes.length ? routes : null;
  };
  /** The report replayed: its index in `run.reports`. */
  let shown = 0;
  /** The moment replayed, as drawn. */
  let moment = null;

  const policyShown = () => run?.reports[shown];

  const renderMoment = () => {
    const report = policyShown();
    if (!report) {
      moment = null;
      map.getSource('drill-units').setData(EMPTY);
      map.getSource('drill-calls').setData(EMPTY);
      return;
    }
    const time_s = Number($('drill-time').value);
    moment = drillAt(run, report, time_s);
    map.getSource('drill-units').setData(drillFeatures(moment));
    map.getSource('drill-calls').setData(callFeatures(moment));
    const count = (s) => moment.units.filter((u) => u.state === s).length;
    const tiers = state.info.tiers.map((tier, k) => `${tier.budget_s / 60}′×${tier.units} ${pct(moment.tier_shares[k] ?? 0)}`);
    $('drill-clock').textContent = t('drill_moment', {
      time: drillClock(time_s), post: count('post'), patrol: count('patrol'), moving: count('moving'), busy: count('busy'),
      calls: moment.calls.length, tiers: tiers.join(' · '),
    });
  };

  const render = () => {
    $('drill-run').disabled = running;
    // Patrols can drive only a plan with its road steps (a timetable is made again each time).
    $('drill-patrols').disabled = !planRoutes();
    const timed = timedCalls();
    $('drill-history-choice').hidden = timed === 0;
    $('drill-history-label').textContent = t('drill_history', { n: timed });
    $('drill-result').hidden = !run;
    if (!run) return;
    const rows = drillRows(run.reports, state.info.tiers, t, pct, etaText);
    show($('drill-table'), rows.map((row, i) => h('tr', { class: i === 0 ? 'head' : null },
      h('td', {}, row.label), row.cells.map((c) => h(i === 0 ? 'th' : 'td', { class: 'num' }, c)))));
    show($('drill-policy'), run.reports.map((r, i) => h('option', { value: String(i), selected: i === shown }, t(`moveup_policy_${r.policy}`))));
    const left = run.calls_left_out > 0 ? ` ${t('drill_left_out', { n: run.calls_left_out })}` : '';
    $('drill-legend').textContent = t('drill_legend', { calls: run.reports[0].calls, places: run.places.length }) + left;
    renderMoment();
  };

  $('drill-run').addEventListener('click', async () => {
    const move_up = [...document.querySelectorAll('#drill-policies input:checked')].map((el) => el.value);
    if (move_up.length === 0) {
      status(() => t('drill_no_policy'));
      return;
    }
    const hours = Number($('drill-hours').value);
    const rate = Number($('drill-rate').value);
    // The plan's own call history: its times and places, as long as it spans.
    const replay = timedCalls() > 0 && $('drill-history').checked;
    const asked = replay ? [] : [[rate, 'drill_calls_per_hour', 0.5, 1000], [hours, 'drill_hours', 1, 168]];
    for (const [value, label, min, max] of asked) {
      if (!(value >= min && value <= max)) {
        status(() => t('drill_bad_value', { field: t(label), min, max }));
        return;
      }
    }
    running = true;
    render();
    status(() => t('drill_running'));
    try {
      const routes = $('drill-patrols').checked ? planRoutes() : null;
      run = await sendJson('/api/live/drill', {
        rev: state.rev ?? 0, move_up, ...(replay ? {} : { calls_per_hour: rate, hours }), ...(routes ? { routes } : {}),
      });
      const span_s = Math.round(replay ? run.hours * 3600 : hours * 3600);
      $('drill-time').max = String(span_s);
      $('drill-time').value = String(Math.min(Number($('drill-time').value), span_s));
      shown = run.reports.length - 1;
      const ms = Math.round(run.compute_ms);
      status(() => t('drill_done', { ms }));
    } catch (e) {
      status(() => t('error', { msg: e.message }));
    } finally {
      running = false;
      render();
    }
  });
  $('drill-time').addEventListener('input', renderMoment);
  $('drill-policy').addEventListener('change', () => {
    shown = Number($('drill-policy').value);
    renderMoment();
  });
  $('drill-clear').addEventListener('click', () => {
    run = null;
    render();
    renderMoment();
  });

  return {
    render,
    /** The drill last run (for the console and the browser tests). */
    get run() { return run; },
    /** The moment the slider shows: `drillAt`'s units, calls and coverage. */
    get moment() { return moment; },
  };
}
