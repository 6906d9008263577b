// Post placement on the command map: "suggest N posts" (each suggestion with what it adds, to
// accept as a post or reject one by one; reinforcement with 2 or 3 units; the fewest posts
// for every checkpoint) and the event panel (draw the venue, plan its
// temporary posts against its own standard, see the compliance, print the plan).
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t } from '/i18n.js';
import { suggestionLabel, pctOf } from '/format.js';
import { sendJson } from '/api.js';
import { h, show } from '/dom.js';

const $ = (id) => document.getElementById(id);
const EMPTY = { type: 'FeatureCollection', features: [] };
const VENUE_ID = 'venue-drawn';

/** Wires the placement and event sections. `app`: { map, state (its `store` takes the
 * edits), status(text), longWork }. */
export function wirePlacement(app) {
  const { map, state } = app;
  const { store } = state;
  const local = { suggestions: [], markers: [], venue: [], eventMarkers: [], plan: null };
  state.placement = local; // for the browser tests and the console

  map.addSource('venue', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'venue-fill', type: 'fill', source: 'venue', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ffeb3b', 'fill-opacity': 0.12 } });
  map.addLayer({ id: 'venue-line', type: 'line', source: 'venue', paint: { 'line-color': '#ffeb3b', 'line-width': 2, 'line-dasharray': [3, 2] } });

  // ------------------------------------------------------------ suggest N posts
  const clearSuggestions = () => {
    for (const m of local.markers) m.remove();
    local.markers = [];
    local.suggestions = [];
    renderSuggestions();
  };
  const renderSuggestions = () => {
    const list = $('suggestions');
    list.replaceChildren();
    local.suggestions.forEach((s, i) => {
      const row = document.createElement('li');
      row.dataset.rank = String(s.rank);
      const label = document.createElement('span');
      label.textContent = suggestionLabel(s, local.answer?.demand);
      const accept = document.createElement('button');
      accept.className = 'accept';
      accept.textContent = t('accept');
      accept.addEventListener('click', () => decide(i, true));
      const reject = document.createElement('button');
      reject.className = 'reject';
      reject.textContent = t('reject');
      reject.addEventListener('click', () => decide(i, false));
      row.append(label, accept, reject);
      list.append(row);
    });
  };
  const decide = (i, accepted) => {
    const s = local.suggestions[i];
    local.markers[i].remove();
    local.markers.splice(i, 1);
    local.suggestions.splice(i, 1);
    renderSuggestions();
    if (accepted) {
      store.perform('addFeature', { type: 'Feature',
        properties: { kind: 'post', id: `suggested-${Date.now().toString(36)}-${s.rank}`, name: t('suggested_post', { n: s.rank }), class: 'kiosk', mode: 'car', turnout_s: 0 },
        geometry: { type: 'Point', coordinates: s.position } });
    }
  };
  // Asks the server where posts go (`query`: add=N or cover=checkpoints) and shows the answer.
  const ask = async (query) => {
    clearSuggestions();
    const budget = Number($('suggest-budget').value);
    const units = Number($('suggest-units').value);
    $('suggest-summary').textContent = t('computing');
    try {
      const r = await app.longWork([$('suggest'), $('cover-checkpoints')], async (signal, progress) => sendJson(`/api/optimize?${query}&budget_s=${budget}&units=${units}&time_limit_s=30${progress}`, state.scenario, { signal }));
      if (!r) {
        $('suggest-summary').textContent = t('work_cancelled');
        return;
      }
      local.suggestions = r.added;
      local.answer = r;
      $('suggest-summary').textContent = query.startsWith('cover')
        ? t('cover_summary', { n: r.added.length, proof: r.proven ? t('fewest') : t('at_least', { n: r.lower_bound }), unmet: r.cannot_be_met.length })
        : t('suggest_summary', {
          before: (100 * r.share_before).toFixed(1), after: (100 * r.share).toFixed(1), bound: (100 * r.upper_bound_share).toFixed(1),
          proof: r.proven ? t('proven') : t('bound_gap', { gap: (100 * r.gap).toFixed(2) }),
        });
      local.markers = r.added.map((s) => {
        const el = document.createElement('div');
        el.className = 'suggestion-marker';
        el.textContent = String(s.rank);
        el.title = suggestionLabel(s, r.demand);
        return new maplibregl.Marker({ element: el }).setLngLat(s.position).addTo(map);
      });
      renderSuggestions();
    } catch (e) {
      $('suggest-summary').textContent = t('error', { msg: e.message });
    }
  };
  $('suggest').addEventListener('click', () => ask(`add=${Number($('suggest-count').value)}`));
  $('cover-checkpoints').addEventListener('click', () => ask('cover=checkpoints'));

  // ------------------------------------------------------------------- events
  const drawVenue = () => {
    const ring = local.venue;
    const features = ring.length >= 3
      ? [{ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...ring, ring[0]]] } }]
      : ring.length === 2 ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: ring } }] : [];
    map.getSource('venue').setData({ type: 'FeatureCollection', features });
    $('venue-finish').disabled = ring.length < 3;
  };
  $('venue-draw').addEventListener('click', () => {
    local.venue = [];
    local.drawing = true;
    document.body.classList.add('drawing-venue');
    $('venue-hint').textContent = t('hint_venue');
    drawVenue();
  });
  map.on('click', (ev) => {
    if (!local.drawing) return;
    local.venue.push([ev.lngLat.lng, ev.lngLat.lat]);
    drawVenue();
  });
  state.isDrawingVenue = () => Boolean(local.drawing);
  // Esc ends a drawing without keeping it.
  state.cancelDrawing = () => {
    if (!local.drawing) return false;
    local.drawing = false;
    local.venue = [];
    document.body.classList.remove('drawing-venue');
    $('venue-hint').textContent = '';
    drawVenue();
    return true;
  };
  $('venue-finish').addEventListener('click', () => {
    local.drawing = false;
    document.body.classList.remove('drawing-venue');
    $('venue-hint').textContent = '';
    const ring = [...local.venue, local.venue[0]];
    store.perform('putFeature', { type: 'Feature',
      properties: { kind: 'event_area', id: VENUE_ID, name: $('event-name').value || t('venue'), standard: $('event-standard').value },
      geometry: { type: 'Polygon', coordinates: [ring] } });
    $('event-plan').disabled = false;
  });
  $('event-plan').addEventListener('click', async () => {
    for (const m of local.eventMarkers) m.remove();
    local.eventMarkers = [];
    $('event-result').textContent = t('computing');
    try {
      // The drawn venue carries the standard as typed now.
      const scenario = structuredClone(state.scenario);
      const venue = scenario.features.find((f) => f.properties.id === VENUE_ID);
      if (venue) { venue.properties.standard = $('event-standard').value; venue.properties.name = $('event-name').value || t('venue'); }
      const plan = await app.longWork([$('event-plan')], async (signal, progress) => sendJson(`/api/event/plan?area=${VENUE_ID}&time_limit_s=30${progress}`, scenario, { signal }));
      if (!plan) {
        $('event-result').textContent = t('work_cancelled');
        return;
      }
      local.plan = plan;
      local.planVenue = venue?.geometry;
      renderPlan(plan);
      local.eventMarkers = plan.posts.map((p) => {
        const el = document.createElement('div');
        el.className = 'event-marker';
        el.textContent = String(p.rank);
        return new maplibregl.Marker({ element: el }).setLngLat(p.position).addTo(map);
      });
      $('event-print').disabled = false;
    } catch (e) {
      $('event-result').textContent = t('error', { msg: e.message });
    }
  });
  $('event-print').addEventListener('click', () => {
    localStorage.setItem('patrolmap.print', JSON.stringify({ plan: local.plan, venue: local.planVenue, city: state.info.name, rev: state.rev, printed: new Date().toISOString() }));
    window.open('/print.html', '_blank');
  });
}

/** The plan's compliance table and its post count in the event panel. */
function renderPlan(plan) {
  const failing = plan.compliance.flatMap((c) => c.failing_hot_spots.map((id) => `${c.budget_s / 60}′: ${id}`));
  show($('event-result'),
    h('div', {}, t('event_posts', { n: plan.posts.length }), plan.minimal && ` · ${t('fewest')}`),
    h('table', { id: 'compliance' },
      h('tr', {}, h('th', {}, t('tier_header')), h('th', {}, t('venue_roads')), h('th', {}, t('hot_spots'))),
      plan.compliance.map((c) => h('tr', {}, h('td', {}, `${c.budget_s / 60}′×${c.units}`),
        h('td', { class: 'num' }, `${pctOf(c.road_met_before_m, c.road_m)} → ${pctOf(c.road_met_after_m, c.road_m)}`),
        h('td', { class: 'num' }, `${c.hot_spots_met_before}/${c.hot_spots} → ${c.hot_spots_met_after}/${c.hot_spots}`)))),
    failing.length ? h('div', { class: 'failing' }, `${t('still_failing')}: ${failing.join(', ')}`) : h('div', {}, t('all_met')));
}
