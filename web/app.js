// The command map: roads coloured by response time from the server's vector tiles, the
// police layers, a stats panel, and what-if editing (add, drag, delete units, change their
// mode or class, close roads) that the server re-evaluates on every change; patrol routes
// planned, replayed over the shift with its coverage, and rerouted by dragging; posts
// suggested and events planned (web/placement.js).
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t, translatePage, setLanguage, language } from '/i18n.js';
import { request, getJson, sendJson, workProgress, cancelWork } from '/api.js';
import { h, svg, show } from '/dom.js';
import { createStore } from '/store.js';
import { wirePlacement } from '/placement.js';
import { wireVersions } from '/versions.js';
import { ensureSession, showSession, wireAccess } from '/access.js';
import { isWall, renderWallTiers, wireWall } from '/wall.js';
import { duration, gapItems, gapLabel, leftOutOf, missedOf, pct, timetableSummary, workLabel, workShare } from '/format.js';
import { wireSearch } from '/search.js';
import { wireImport } from '/importer.js';
import { whatifPath, wireTimeOfDay } from '/timeofday.js';
import { wireProvince } from '/province.js';
import { wireLive } from '/live.js';
import { wireDrill } from '/drill.js';
import { labelField, LABEL_LAYERS } from '/basemap.js';
import { BEYOND_COLOUR, EMPTY, LAYER_SWATCH, TOGGLE_LAYERS, areaUrl, mapStyle, tierColour, tileUrl } from '/layers.js';

// One character on each marker: a post by its class, a patrol unit by its mode.
const MODE_LETTER = { 'zh-CN': { car: '车', ebike: '电', foot: '步' }, en: { car: 'C', ebike: 'E', foot: 'F' } };
const POST_LETTER = { 'zh-CN': { kiosk: '亭', station: '所', sub_bureau: '局', armed: '武' }, en: { kiosk: 'K', station: 'S', sub_bureau: 'B', armed: 'A' } };

// The scenario being edited lives in the store (web/store.js), changed by its named actions
// only; `state.scenario` reads it. The rest is what the page shows now.
const store = createStore({ type: 'FeatureCollection', features: [] });
const state = {
  store,
  get scenario() { return store.scenario; },
  info: null,
  summary: null,
  rev: 0,
  mode: 'inspect',
  selected: null, // index of the selected unit feature
  markers: [],
  inFlight: false,
  pending: false,
  added: 0,
  session: null, // {user, role}: what the page shows and lets the user do
};

/** Whether the signed-in role edits (planner, admin); viewers and the public view look. */
function canEdit() {
  return state.session?.role === 'planner' || state.session?.role === 'admin';
}

const $ = (id) => document.getElementById(id);

/** The status line's last message, when it can be said again in another language. */
let lastStatus = null;

/** Says `text` on the status line; given as `() => t(...)`, it is said again in the new
 * language when the language changes. */
function status(text) {
  lastStatus = typeof text === 'function' ? text : null;
  $('status').textContent = (lastStatus ? lastStatus() : text) ?? '';
}

/** Runs long work (`work(signal, progress)`: a plan, suggestions, an event) with `buttons`
 * disabled until it ends, its progress as the server reports it (`progress` is the query
 * parameter to add, `&progress=ID`; `GET /api/work/ID` is asked twice a second), and a cancel
 * button that stops it on the server and aborts its request. Resolves to the work's answer, or
 * null when cancelled. */
async function longWork(buttons, work) {
  const controller = new AbortController();
  const id = `work-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  for (const b of buttons) b.disabled = true;
  const cancel = $('cancel-work');
  const shown = $('work-progress');
  cancel.hidden = false;
  cancel.onclick = () => {
    cancelWork(id);
    controller.abort();
  };
  const poll = setInterval(async () => {
    const p = await workProgress(id); // none yet: the next poll tells
    if (!p || controller.signal.aborted) return;
    shown.hidden = false;
    shown.querySelector('span').textContent = workLabel(p);
    const bar = shown.querySelector('progress');
    const share = workShare(p);
    if (share == null) bar.removeAttribute('value'); else bar.value = share;
  }, 500);
  try {
    return await work(controller.signal, `&progress=${id}`);
  } catch (e) {
    if (e.name === 'AbortError') {
      status(() => t('work_cancelled'));
      return null;
    }
    throw e;
  } finally {
    clearInterval(poll);
    for (const b of buttons) b.disabled = false;
    cancel.hidden = true;
    cancel.onclick = null;
    shown.hidden = true;
  }
}

function isUnit(f) {
  const kind = f.properties.kind ?? 'unit';
  return kind === 'unit' || kind === 'post';
}

function layerOf(kind) {
  return { type: 'FeatureCollection', features: state.scenario.features.filter((f) => f.properties.kind === kind) };
}

// ---------------------------------------------------------------------------- the map

function makeMap(info, basemap) {
  const budgets = info.budgets_s;
  const [w, s, e, n] = info.bbox ?? [-180, -85, 180, 85];
  const map = new maplibregl.Map({
    container: 'map',
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
    // Chinese labels are drawn with the page's own font (served by patrolmap): nothing is fetched.
    localIdeographFontFamily: "'Noto Sans SC Variable', 'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif",
    style: mapStyle({
      budgets, basemap, origin: location.origin, attribution: t('attribution'), lang: language(),
      // Labels grow with the page's type (larger on a big screen, larger still on the wall).
      labelScale: Math.max(1, parseFloat(getComputedStyle(document.documentElement).fontSize) / 14),
    }),
  });
  // The compass shows when the map is turned (a right-drag turns it) and turns it back north.
  map.addControl(new maplibregl.NavigationControl({ showCompass: true, visualizePitch: true }), 'top-right');
  map.addControl(new maplibregl.FullscreenControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.addControl(new maplibregl.AttributionControl({ compact: false }), 'bottom-right');
  return map;
}

// ------------------------------------------------------------------------- the layers

function siteLayer() {
  // Checkpoints carry whether the first tier is met there (from the latest summary).
  const met = new Map();
  for (const p of state.summary?.points ?? []) met.set(`${p.kind}:${p.id}`, p.tiers_met?.[0] ?? false);
  const features = state.scenario.features
    .filter((f) => ['checkpoint', 'key_site', 'incident'].includes(f.properties.kind))
    .map((f) => ({ ...f, properties: { ...f.properties, met: met.get(`${f.properties.kind}:${f.properties.id}`) ?? false } }));
  return { type: 'FeatureCollection', features };
}

function refreshLayers(map) {
  map.getSource('sites').setData(siteLayer());
  map.getSource('patrol_lines').setData(layerOf('patrol_line'));
  drawMarkers(map);
}

function markerElement(f, index) {
  const el = document.createElement('div');
  const p = f.properties;
  const mode = p.mode ?? 'car';
  el.className = `unit-marker ${mode} ${p.kind === 'post' ? 'post' : ''}`;
  el.textContent = (p.kind === 'post' ? POST_LETTER[language()][p.class] : null) ?? MODE_LETTER[language()][mode] ?? '?';
  el.title = `${p.name ?? p.id} · ${t(p.kind === 'post' ? 'kind_post' : 'kind_unit')} · ${t(mode)}${p.class ? ' · ' + p.class : ''}`;
  el.dataset.index = String(index);
  el.dataset.id = p.id ?? '';
  if (index === state.selected) el.classList.add('selected');
  return el;
}

function drawMarkers(map) {
  for (const m of state.markers) m.remove();
  state.markers = [];
  if (!layerVisible.units) return;
  const refused = new Set((state.summary?.units_refused ?? []).map((u) => u.id));
  state.scenario.features.forEach((f, index) => {
    if (!isUnit(f) || f.geometry?.type !== 'Point') return;
    const el = markerElement(f, index);
    if (refused.has(f.properties.id)) el.classList.add('refused');
    const marker = new maplibregl.Marker({ element: el, draggable: canEdit() }).setLngLat(f.geometry.coordinates).addTo(map);
    // Each step of a drag is evaluated (latest wins: at most one request in flight); the drag
    // is one change for undo.
    marker.on('drag', () => {
      const { lng, lat } = marker.getLngLat();
      store.preview('moveFeature', index, [lng, lat]);
    });
    marker.on('dragend', () => {
      const { lng, lat } = marker.getLngLat();
      store.perform('moveFeature', index, [lng, lat]);
    });
    el.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (canEdit()) select(map, index);
    });
    state.markers.push(marker);
  });
}

// ---------------------------------------------------------------------- evaluation

async function evaluate(map) {
  if (state.inFlight) {
    state.pending = true;
    return;
  }
  state.inFlight = true;
  try {
    do {
      state.pending = false;
      applySummary(map, await sendJson(whatifPath(state.at), scenarioForEvaluation()));
    } while (state.pending);
    status('');
  } catch (e) {
    status(() => t('error', { msg: e.message }));
  } finally {
    state.inFlight = false;
  }
}

function applySummary(map, summary) {
  state.summary = summary;
  state.rev = summary.rev;
  map.getSource('roads').setTiles([tileUrl(location.origin, summary.rev)]);
  map.getSource('polygons').setTiles([areaUrl(location.origin, summary.rev)]);
  if (layerVisible.gaps) loadGaps(map).catch((e) => status(() => t('error', { msg: e.message })));
  map.getSource('sites').setData(siteLayer());
  renderStats();
  state.timeOfDay?.refresh();
  for (const m of state.markers) {
    const refused = new Set((summary.units_refused ?? []).map((u) => u.id));
    m.getElement().classList.toggle('refused', refused.has(m.getElement().dataset.id));
  }
}

// The gaps are asked for only while their layer shows: a what-if does not wait.
async function loadGaps(map) {
  const rev = state.rev;
  // The ten largest runs of road where the full-force tier (the last) is not met.
  const data = await getJson(`/api/coverage/gaps?rev=${rev}&limit=10&tier=${state.info.tiers.length - 1}`);
  if (rev !== state.rev) return;
  map.getSource('gaps').setData(data);
  renderGapList(map, data);
}

/** The gaps shown as a ranked list beside the stats: click one to fly to it. */
function renderGapList(map, data) {
  const last = state.info.tiers[state.info.tiers.length - 1];
  $('gap-title').textContent = t('gap_list', { tier: t('tier_row', { min: last.budget_s / 60, units: last.units }) });
  const items = gapItems(data).map((gap) => {
    const li = document.createElement('li');
    const go = document.createElement('button');
    go.className = 'link';
    go.textContent = gapLabel(gap);
    go.addEventListener('click', () => map.fitBounds([[gap.bbox[0], gap.bbox[1]], [gap.bbox[2], gap.bbox[3]]], { padding: 80, maxZoom: 17, duration: 600 }));
    li.append(go);
    return li;
  });
  $('gap-list').replaceChildren(...items);
  $('gaps').hidden = false;
}

// -------------------------------------------------------------------------- stats

function renderStats() {
  const s = state.summary;
  if (!s) return;
  const refused = s.units_refused.length;
  const moment = state.plan ? t('moment_note', { n: state.plan.routes.features.length, t: t('clock', { t: duration(Number($('patrol-time').value)) }) }) : null;
  // A province's figures below are the whole province's (each city's are in the table above).
  const province = state.info.cities?.length > 1 ? t('whole_province', { n: state.info.cities.length }) : null;
  $('stats-line').textContent = [province, t('units_count', { n: s.units }), moment,
    s.at ? t('at_time', { time: s.at }) : null, refused ? t('refused', { n: refused }) : null,
    s.closed_edges ? t('closed_n', { n: s.closed_edges }) : null, t('compute_ms', { ms: s.timings_ms.total.toFixed(1) })]
    .filter(Boolean).join(' · ');
  const heading = (...text) => h('tr', {}, h('td', { colspan: 2 }, ...text));
  const row = (label, value, data) => h('tr', {}, h('td', {}, label), h('td', { class: 'num', dataset: data }, value));
  show($('stats'),
    heading(h('b', {}, t('first_response')), ` (${t('road_share')})`),
    s.coverage.map((r) => row(t('within', { min: r.budget_s / 60 }), pct(r.share))),
    heading(h('b', {}, t('reinforcement'))),
    s.tiers.map((tr) => row(t('tier_row', { min: tr.budget_s / 60, units: tr.units }), pct(tr.share), { tier: tr.budget_s })),
    s.checkpoints.count > 0 && [
      heading(h('b', {}, t('checkpoints_met'))),
      s.tiers.map((tr, i) => row(t('tier', { min: tr.budget_s / 60, units: tr.units }), `${s.checkpoints.met[i]} / ${s.checkpoints.count}`)),
    ]);
  renderWallTiers(s);
  renderChart(s);
  state.province?.render();
  $('undo').disabled = store.undoCount === 0;
  $('reset').disabled = store.undoCount === 0;
  $('edits').textContent = store.undoCount ? t('edits', { n: store.undoCount }) : '';
}

function renderChart(s) {
  // Bars: share of road length meeting each tier of the standard, coloured like the map.
  const chart = $('chart');
  const bar = 22;
  const parts = s.tiers.map((tr, i) => {
    const y = 8 + i * (bar + 10);
    const w = Math.max(1, 190 * tr.share);
    return [
      chartText(0, y + bar * 0.7, `${tr.budget_s / 60}′ × ${tr.units}`),
      svg('rect', { x: 60, y, width: 190, height: bar, fill: '#22384c' }),
      svg('rect', { class: 'bar', x: 60, y, width: w.toFixed(1), height: bar, fill: tierColour(i, s.tiers.length) }),
      chartText(Math.min(255, 64 + w), y + bar * 0.7, pct(tr.share)),
    ];
  });
  chart.setAttribute('viewBox', `0 0 300 ${16 + s.tiers.length * (bar + 10)}`);
  show(chart, parts);
}

/** A label in a chart, in the chart's own units (it scales with the chart). */
function chartText(x, y, text, props = {}) {
  return svg('text', { x, y, 'font-size': 11, ...props }, text);
}

function renderLegend() {
  const budgets = state.info.budgets_s;
  const items = budgets.map((b, i) => [tierColour(i, budgets.length), t('within', { min: b / 60 })]);
  items.push([BEYOND_COLOUR, t('beyond', { min: budgets[budgets.length - 1] / 60 })]);
  items.push(['repeating-linear-gradient(90deg,#d0d0d0 0 4px,transparent 4px 8px)', t('closed')]);
  items.push(['#4b5d6e', t('other_roads')]);
  show($('legend'), items.map(([c, label]) => h('li', {}, h('i', { style: { background: c } }), label)));
}

// ------------------------------------------------------------------------- toggles

const layerVisible = { roads: true, polygons: false, units: true, checkpoints: true, key_sites: true, incidents: true, patrol_lines: true, routes: true, gaps: false, basemap: true, labels: true };
function renderToggles(map) {
  const toggled = (k, box) => {
    layerVisible[k] = box.checked;
    if (k === 'units') drawMarkers(map);
    for (const id of TOGGLE_LAYERS[k] ?? []) map.setLayoutProperty(id, 'visibility', box.checked ? 'visible' : 'none');
    if (k === 'gaps' && box.checked) loadGaps(map).catch((e) => status(() => t('error', { msg: e.message })));
    if (k === 'gaps' && !box.checked) $('gaps').hidden = true;
  };
  show($('toggles'), Object.keys(layerVisible).map((k) => h('label', {},
    h('input', { type: 'checkbox', dataset: { layer: k }, checked: layerVisible[k], on: { change: (e) => toggled(k, e.target) } }),
    ' ', h('i', { class: 'swatch', style: { background: LAYER_SWATCH[k] } }), t('layer_' + k))));
}

// ------------------------------------------------------------------------- editing

/** Every change of the scenario redrawn and evaluated: a drag's steps are only evaluated
 * (the marker is already where it is dragged), and what replaces features ends a selection. */
function followStore(map) {
  store.subscribe(({ action, preview }) => {
    if (['undo', 'redo', 'replaceAll', 'load'].includes(action)) select(map, null);
    if (!preview && action !== 'moveFeature') refreshLayers(map);
    evaluate(map);
    renderStats();
    renderSchedules();
  });
}

/** The lines' and checkpoints' `every` and `windows`, one row each, edited in place (each
 * change one undoable step of the scenario). Drawn when the list is opened, and again when
 * the scenario changes while it is open. */
function renderSchedules() {
  if (!$('patrol-schedules').open || state.editingSchedule) return;
  const rows = state.scenario.features
    .map((f, index) => ({ f, index }))
    .filter(({ f }) => f.properties.kind === 'patrol_line' || f.properties.kind === 'checkpoint');
  const cell = (index, key, value, placeholder) => {
    const kind = state.scenario.features[index].properties.kind;
    const input = h('input', { value: value ?? '', placeholder, 'data-index': index, 'data-key': key, 'data-kind': kind, size: 9 });
    // Not drawn again for its own change: the next field keeps the focus a Tab gave it.
    input.addEventListener('change', () => {
      state.editingSchedule = true;
      try { store.perform('setProperty', index, key, input.value.trim() || undefined); } finally { state.editingSchedule = false; }
    });
    return h('td', {}, input);
  };
  show($('schedule-rows'), h('tr', {}, h('th', {}, ''), h('th', {}, t('field_every')), h('th', {}, t('field_windows'))),
    rows.map(({ f, index }) => h('tr', {},
      h('td', {}, f.properties.name ?? t(f.properties.kind === 'patrol_line' ? 'entry_line' : 'entry_checkpoint', { id: f.properties.id })),
      cell(index, 'every', f.properties.every, '2h'),
      cell(index, 'windows', Array.isArray(f.properties.windows) ? f.properties.windows.join(', ') : f.properties.windows, '07:00-08:00'))));
}

function select(map, index) {
  state.selected = index;
  const f = index == null ? null : state.scenario.features[index];
  $('selection').hidden = !f;
  for (const m of state.markers) m.getElement().classList.toggle('selected', Number(m.getElement().dataset.index) === index);
  if (!f) return;
  const p = f.properties;
  $('selection-name').textContent = `${p.name ?? p.id} (${t(p.kind === 'post' ? 'kind_post' : 'kind_unit')})`;
  $('sel-mode').value = p.mode ?? 'car';
  $('sel-class').value = p.class ?? '';
  $('sel-shift').value = p.shift ?? '';
  $('sel-break').value = Array.isArray(p.break) ? p.break.join('; ') : (p.break ?? '');
  placeSelection(map);
}

/** Puts the selected unit's editor beside it on the map (inside the map's area). */
function placeSelection(map) {
  const card = $('selection');
  const f = state.selected == null ? null : state.scenario.features[state.selected];
  if (!f || card.hidden) return;
  const at = map.project(f.geometry.coordinates);
  const box = map.getContainer().getBoundingClientRect();
  const [w, h] = [card.offsetWidth, card.offsetHeight];
  const x = at.x + 24 + w > box.width ? at.x - 24 - w : at.x + 24;
  const y = Math.min(Math.max(8, at.y - h / 2), box.height - h - 8);
  card.style.left = `${Math.max(8, x)}px`;
  card.style.top = `${Math.max(8, y)}px`;
}

/** Shows the panel's sections of `task` (situation, whatif, patrol, posts, events, versions,
 * admin) and hides the others: one screen per task. */
function showTask(task) {
  state.task = task;
  for (const b of document.querySelectorAll('#tasks [data-task]')) {
    b.classList.toggle('active', b.dataset.task === task);
    b.setAttribute('aria-selected', String(b.dataset.task === task));
  }
  for (const section of document.querySelectorAll('#panel section[data-task]')) {
    section.hidden = !section.dataset.task.split(' ').includes(task);
  }
  // The drill panel offers the patrol plan made since it was last shown.
  if (task === 'live') state.drill?.render();
}

function setMode(mode) {
  state.mode = mode;
  document.body.className = `mode-${mode}`;
  // Placing units or closing roads takes clicks, quick ones too: a double click must not zoom.
  const map = window.patrolmap?.map;
  if (map) {
    if (mode === 'add' || mode === 'close') map.doubleClickZoom.disable();
    else map.doubleClickZoom.enable();
  }
  for (const b of document.querySelectorAll('.mode')) b.classList.toggle('active', b.dataset.mode === mode);
  $('hint').textContent = t('hint_' + mode);
}

async function inspect(map, lngLat) {
  try {
    const r = await getJson(`/api/isochrone?lon=${lngLat.lng}&lat=${lngLat.lat}&rev=${state.rev}`);
    const budgets = state.info.budgets_s;
    const last = budgets[budgets.length - 1];
    const time = r.nearest_s == null ? t('no_unit', { min: last / 60 }) : t('seconds', { s: Math.round(r.nearest_s) });
    const tiers = state.info.tiers.map((tr, i) => `${tr.budget_s / 60}′×${tr.units}: ${r.tiers_met[i] ? t('met') : t('not_met')}`).join(' · ');
    // Names come from scenario files: built as text, never as markup.
    const card = () => [
      h('div', {}, h('b', {}, t('road')), `: ${r.road.name ?? t('unnamed')}`),
      h('div', {}, h('b', {}, t('arrival')), `: ${time}`),
      h('div', {}, h('b', {}, t('tiers_met')), `: ${tiers}`),
      h('div', {}, h('b', {}, t('nearest_units'))),
      h('table', {}, r.units.map((u) => h('tr', {}, h('td', {}, u.rank), h('td', {}, u.name ?? u.id), h('td', {}, t(u.mode)),
        h('td', {}, t('seconds', { s: Math.round(u.time_s) })), h('td', {}, u.within_s ? `≤${u.within_s / 60}′` : '—')))),
    ];
    show($('info'), card());
    new maplibregl.Popup({ maxWidth: '24rem' }).setLngLat(r.position).setDOMContent(h('div', {}, card())).addTo(map);
  } catch (e) {
    $('info').textContent = t('error', { msg: e.message });
  }
}

async function toggleClosure(map, lngLat) {
  try {
    const road = await getJson(`/api/roads/at?lon=${lngLat.lng}&lat=${lngLat.lat}`);
    store.perform('toggleClosure', { type: 'Feature',
      properties: { kind: 'closure', id: `closure-edge-${road.properties.edge}`, name: road.properties.name }, geometry: road.geometry });
  } catch (e) {
    status(() => t('error', { msg: e.message }));
  }
}

function addUnit(map, lngLat) {
  state.added += 1;
  const mode = $('new-mode').value;
  store.perform('addFeature', { type: 'Feature',
    properties: { kind: 'unit', id: `new-${Date.now().toString(36)}-${state.added}`, name: t('new_unit', { n: state.added }), mode, class: 'patrol', turnout_s: 0 },
    geometry: { type: 'Point', coordinates: [lngLat.lng, lngLat.lat] } });
}

// ------------------------------------------------------------------------- patrols

// How often the server samples the coverage over the shift, in seconds.
const COVERAGE_EVERY_S = 60;

function shiftSeconds() {
  return Math.max(1, Math.min(24, Number($('patrol-shift').value) || 8)) * 3600;
}

async function planPatrols(map) {
  const units = Math.max(1, Math.min(100, Number($('patrol-units').value) || 1));
  const shift_s = shiftSeconds();
  try {
    status(() => t('computing'));
    const plan = await longWork([$('patrol-plan')], (signal, progress) => sendJson(
      `/api/patrol/plan?units=${units}&shift_s=${shift_s}&coverage_every_s=${COVERAGE_EVERY_S}${progress}`, state.scenario, { signal }));
    if (!plan) return;
    state.planHistory = state.plan ? [...(state.planHistory ?? []), state.plan] : [];
    applyPlan(map, plan, shift_s);
    status('');
  } catch (e) {
    status(() => t('error', { msg: e.message }));
  }
}

/** The whole shift as a timetable (every line and checkpoint as often and when its schedule
 * says, breaks at the posts): its routes replace the plan's on the map and in the replay. */
async function planTimetable(map) {
  const units = Math.max(1, Math.min(100, Number($('patrol-units').value) || 1));
  const shift_s = shiftSeconds();
  const start = $('patrol-start').value || '08:00';
  try {
    status(() => t('computing'));
    const report = await longWork([$('patrol-timetable'), $('patrol-plan')], (signal, progress) => sendJson(
      `/api/patrol/timetable?units=${units}&shift_s=${shift_s}&shift_start=${encodeURIComponent(start)}${progress}`, state.scenario, { signal }));
    if (!report) return;
    // The plan it replaces stays one undo away.
    state.planHistory = state.plan ? [...(state.planHistory ?? []), state.plan] : [];
    applyTimetable(map, report);
    status('');
  } catch (e) {
    status(() => t('error', { msg: e.message }));
  }
}

/** Shows a shift timetable: what it misses first, the summary, each unit's timetable, its
 * routes on the map and in the shift replay (by the clock). */
function applyTimetable(map, report) {
  report.routes.features.forEach((f, n) => { f.properties.n = n; });
  state.plan = { timetable: report, routes: report.routes, shift_s: report.shift_s, shift_start: report.shift_start };
  map.getSource('routes').setData(report.routes);
  renderTimetable();
  $('patrol-undo').disabled = !state.planHistory?.length;
  $('patrol-export').disabled = false;
  $('patrol-cards').disabled = false;
  const slider = $('patrol-time');
  slider.max = String(report.shift_s);
  slider.value = String(Math.min(Number(slider.value), report.shift_s));
  slider.disabled = false;
  showPatrolsAt(map, Number(slider.value));
  evaluate(map);
}

/** The timetable's text in the page's language (again when the language changes). */
function renderTimetable() {
  const report = state.plan?.timetable;
  if (!report) {
    show($('patrol-timetables'));
    return;
  }
  const missed = missedOf(report);
  const warning = missed.length
    ? [h('div', { id: 'patrol-missed', class: 'warning' }, t('timetable_missed', { n: missed.length }) + missed.map((m) => m.text).join(t('list_sep')))]
    : [];
  show($('patrol-summary'), warning, h('div', { id: 'timetable-summary' }, timetableSummary(report)));
  const entry = (e) => (e.kind === 'break' ? t('entry_break') : t(`entry_${e.kind}`, { id: e.id }));
  show($('patrol-timetables'), report.timetables.filter((u) => u.entries.length).map((u) => h('details', { class: 'timetable' },
    h('summary', {}, t('timetable_unit', { unit: u.unit, leaves: u.leaves, back: u.back, working: duration(u.working_s) })),
    h('table', {}, u.entries.map((e) => h('tr', {}, h('td', { class: 'num' }, `${e.start}–${e.end}`), h('td', {}, entry(e))))))));
}

/** A route dragged onto another street: the server reroutes it, checks the plan again and
 * measures its coverage over the shift again. */
async function editPlan(map, drag) {
  const shift_s = state.plan.shift_s;
  const routes = state.plan.routes.features.map((f) => ({ unit: f.properties.unit, depot: f.properties.depot, steps: f.properties.steps }));
  try {
    status(() => t('loading'));
    const plan = await sendJson(`/api/patrol/edit?shift_s=${shift_s}&coverage_every_s=${COVERAGE_EVERY_S}`, { scenario: state.scenario, routes, drag });
    state.planHistory.push(state.plan);
    applyPlan(map, plan, shift_s);
    status(() => t('route_edited'));
  } catch (e) {
    status(() => t('error', { msg: e.message }));
  }
}

/** The plan's routes as scenario features (`kind: patrol_route`), saved with a version. */
function planFeatures() {
  // A timetable is made again from the scenario's schedules; only a one-pass plan's routes
  // (with their road steps) are kept with a version.
  if (!state.plan || state.plan.timetable) return [];
  return state.plan.routes.features.map((f) => ({
    type: 'Feature',
    geometry: f.geometry,
    properties: { kind: 'patrol_route', id: `patrol-route-${f.properties.unit}`, unit: f.properties.unit, depot: f.properties.depot, steps: f.properties.steps, shift_s: state.plan.shift_s },
  }));
}

/** A saved version's patrol routes shown again: re-timed, checked and measured by the server
 * on the version's scenario; no routes, no plan. */
async function restorePlan(map, routeFeatures) {
  state.planHistory = [];
  if (!routeFeatures.length) {
    state.plan = null;
    for (const source of ['routes', 'route-positions']) map.getSource(source).setData(EMPTY);
    $('patrol-summary').textContent = '';
    $('patrol-time').disabled = true;
    $('patrol-undo').disabled = true;
    $('patrol-export').disabled = true;
    renderShift();
    return;
  }
  const shift_s = routeFeatures[0].properties.shift_s ?? shiftSeconds();
  const routes = routeFeatures.map((f) => ({ unit: f.properties.unit, depot: f.properties.depot, steps: f.properties.steps }));
  try {
    const plan = await sendJson(`/api/patrol/edit?shift_s=${shift_s}&coverage_every_s=${COVERAGE_EVERY_S}`, { scenario: state.scenario, routes });
    applyPlan(map, plan, shift_s);
  } catch (e) {
    // The routes as saved, unchecked, rather than nothing.
    map.getSource('routes').setData({ type: 'FeatureCollection', features: routeFeatures });
    $('patrol-summary').textContent = t('error', { msg: e.message });
  }
}

/** Shows a plan (planned or edited): routes, the check, the shift replay and its coverage. */
function applyPlan(map, plan, shift_s) {
  plan.routes.features.forEach((f, n) => { f.properties.n = n; });
  plan.shift_s = shift_s;
  state.plan = plan;
  map.getSource('routes').setData(plan.routes);
  // What no plan could cover is said first, each with its reason (never a quiet omission);
  // the check counts it as missed, and only the other findings are problems of the plan.
  const leftOut = leftOutOf(plan);
  const excused = new Set(leftOut.map((l) => l.id));
  const problems = plan.check.findings.filter((f) => !((f.kind === 'checkpoint_missed' || f.kind === 'line_missed') && excused.has(f.id))).length;
  const c = plan.check;
  const counts = { lines: c.lines_covered, lines_total: c.lines_total, cps: c.checkpoints_visited, cps_total: c.checkpoints_total };
  const check = problems ? t('check_failed', { n: problems, ...counts }) : t('check_ok', counts);
  const idle = plan.idle_units?.length ? t('idle_units', { n: plan.idle_units.length, ids: plan.idle_units.join(', ') }) : '';
  const summary = h('div', {}, t('patrol_summary', {
    n: plan.routes.features.length, longest: duration(plan.longest_s), total: duration(plan.total_s), check,
  }) + idle);
  const warning = leftOut.length
    ? [h('div', { id: 'patrol-left-out', class: 'warning' }, t('left_out', { n: leftOut.length, list: leftOut.map((l) => l.text).join(t('list_sep')) }))]
    : [];
  show($('patrol-summary'), warning, summary);
  show($('patrol-timetables'));
  $('patrol-cards').disabled = true;
  $('patrol-undo').disabled = !state.planHistory?.length;
  $('patrol-export').disabled = false;
  const slider = $('patrol-time');
  slider.max = String(shift_s);
  slider.value = String(Math.min(Number(slider.value), shift_s));
  slider.disabled = false;
  showPatrolsAt(map, Number(slider.value));
  evaluate(map);
}

/** Where each unit is `time_s` into its shift: interpolated along its route's timed vertices. */
function showPatrolsAt(map, time_s) {
  if (!state.plan) return;
  const points = state.plan.routes.features.map((f) => {
    const coords = f.geometry.coordinates;
    const times = f.properties.times_s;
    // After its route the unit is home: the route's last point.
    const i = times.findIndex((x) => x >= time_s);
    if (i < 0) return { type: 'Feature', properties: { n: f.properties.n, unit: f.properties.unit }, geometry: { type: 'Point', coordinates: coords[coords.length - 1] } };
    let p = coords[i];
    if (i > 0 && times[i] > times[i - 1]) {
      const k = (time_s - times[i - 1]) / (times[i] - times[i - 1]);
      p = [coords[i - 1][0] + k * (coords[i][0] - coords[i - 1][0]), coords[i - 1][1] + k * (coords[i][1] - coords[i - 1][1])];
    }
    return { type: 'Feature', properties: { n: f.properties.n, unit: f.properties.unit }, geometry: { type: 'Point', coordinates: p } };
  });
  state.patrolPoints = points;
  map.getSource('route-positions').setData({ type: 'FeatureCollection', features: points });
  $('patrol-clock').textContent = state.plan.shift_start
    ? t('clock', { t: clockAt(state.plan.shift_start, time_s) })
    : t('clock', { t: duration(time_s) });
  renderShift();
}

/** `HH:MM` of `time_s` seconds after the clock time `start`. */
function clockAt(start, time_s) {
  const [hh, mm] = start.split(':').map(Number);
  const m = Math.floor((hh * 60 + mm + time_s / 60) % 1440);
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** The scenario the what-if measures: the edited one, plus the patrols where the time
 * slider has them (so the roads show the coverage at that moment of the shift). */
function scenarioForEvaluation() {
  if (!state.plan || !state.patrolPoints) return state.scenario;
  const patrols = state.patrolPoints.map((p) => ({ type: 'Feature',
    properties: { kind: 'unit', id: `patrol-at-${p.properties.unit}`, name: p.properties.unit, mode: 'car', class: 'patrol', turnout_s: 0 },
    geometry: p.geometry }));
  return { ...state.scenario, features: [...state.scenario.features, ...patrols] };
}

/** The city's share of road within each tier at every sample of the shift, with the slider's
 * moment marked, and each tier's mean and worst moment. */
function renderShift() {
  const chart = $('shift-chart');
  const over = state.plan?.shift_coverage;
  if (!over) {
    chart.hidden = true;
    show($('shift-stats'));
    return;
  }
  chart.hidden = false;
  const [W, H] = [300, 90];
  const top = Math.max(0.01, ...over.tiers.flatMap((tier) => tier.share_by_sample)) * 1.1;
  const x = (i) => (i / Math.max(1, over.samples - 1)) * W;
  const y = (share) => 4 + (H - 4) * (1 - share / top);
  const lines = over.tiers.map((tier, k) => svg('polyline', { class: 'shift-line', fill: 'none', stroke: tierColour(k, over.tiers.length), 'stroke-width': 1.5,
    points: tier.share_by_sample.map((share, i) => `${x(i).toFixed(1)},${y(share).toFixed(1)}`).join(' ') }));
  const now = ((Number($('patrol-time').value) / state.plan.shift_s) * W).toFixed(1);
  show(chart, svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#14212e' }), lines,
    svg('line', { x1: now, y1: 0, x2: now, y2: H, stroke: '#fff', 'stroke-dasharray': '3 2' }),
    chartText(2, 12, pct(top / 1.1)), chartText(0, H + 14, '0'),
    chartText(W, H + 14, duration(state.plan.shift_s), { 'text-anchor': 'end' }));
  chart.setAttribute('viewBox', `0 0 ${W} ${H + 20}`);
  show($('shift-stats'), h('tr', {}, h('td', {}, h('b', {}, t('shift_title', { s: over.every_s })))),
    over.tiers.map((tier) => h('tr', {}, h('td', {}, t('shift_tier', { min: tier.budget_s / 60, units: tier.units, mean: pct(tier.mean_share), worst: pct(tier.worst_share), at: duration(tier.worst_time_s) })))));
}

/** Reroute mode: press on a route, drag onto another street, release. */
function wireReroute(map) {
  let drag = null;
  map.on('mousedown', (ev) => {
    if (state.mode !== 'reroute' || !state.plan || state.plan.timetable) return;
    // A route is thin: grab it within a few pixels.
    const { x, y } = ev.point;
    const hits = map.queryRenderedFeatures([[x - 6, y - 6], [x + 6, y + 6]], { layers: ['routes'] });
    if (!hits.length) return;
    ev.preventDefault(); // no panning while a route is dragged
    drag = { route: hits[0].properties.n, from: [ev.lngLat.lng, ev.lngLat.lat] };
  });
  map.on('mousemove', (ev) => {
    if (!drag) return;
    map.getSource('drag-line').setData({ type: 'Feature', properties: {},
      geometry: { type: 'LineString', coordinates: [drag.from, [ev.lngLat.lng, ev.lngLat.lat]] } });
  });
  map.on('mouseup', (ev) => {
    if (!drag) return;
    const d = { ...drag, to: [ev.lngLat.lng, ev.lngLat.lat] };
    drag = null;
    map.getSource('drag-line').setData(EMPTY);
    editPlan(map, d);
  });
}

function download(name, data, type = 'application/geo+json') {
  const url = URL.createObjectURL(data instanceof Blob ? data : new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function wire(map) {
  for (const b of document.querySelectorAll('#tasks [data-task]')) b.addEventListener('click', () => showTask(b.dataset.task));
  showTask('situation');
  map.on('move', () => placeSelection(map));
  for (const b of document.querySelectorAll('.mode')) b.addEventListener('click', () => setMode(b.dataset.mode));
  map.on('click', (ev) => {
    // A click on a unit selects it (its own handler), whatever the tool.
    if (ev.originalEvent.target.closest?.('.maplibregl-marker')) return;
    if (state.mode === 'reroute') return; // its own press-drag-release handlers
    if (state.isDrawingVenue?.()) return; // the event panel's venue outline takes the clicks
    if (state.mode === 'add') addUnit(map, ev.lngLat);
    else if (state.mode === 'close') toggleClosure(map, ev.lngLat);
    else if (state.mode === 'call') state.live?.call(ev.lngLat);
    else {
      select(map, null);
      inspect(map, ev.lngLat);
    }
  });
  $('undo').addEventListener('click', () => store.undo());
  const redo = () => store.redo();
  // The keys a person reaches for: Ctrl+Z undo, Ctrl+Shift+Z (or Ctrl+Y) redo, Esc ends a
  // drawing or a tool, Delete removes the selected unit. Not while typing in a field.
  document.addEventListener('keydown', (e) => {
    const typing = e.target.closest?.('input, select, textarea');
    if (e.key === 'Escape') {
      if (!state.cancelDrawing?.()) setMode('inspect');
      select(map, null);
      return;
    }
    if (typing || !canEdit()) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'z' && !e.shiftKey) { e.preventDefault(); $('undo').click(); }
    else if (mod && ((e.key.toLowerCase() === 'z' && e.shiftKey) || e.key.toLowerCase() === 'y')) { e.preventDefault(); redo(); }
    else if ((e.key === 'Delete' || e.key === 'Backspace') && state.selected != null) { e.preventDefault(); $('sel-delete').click(); }
  });
  $('reset').addEventListener('click', () => store.reset());
  $('sel-mode').addEventListener('change', () => {
    if (state.selected != null) store.perform('setProperty', state.selected, 'mode', $('sel-mode').value);
  });
  $('sel-class').addEventListener('change', () => {
    if (state.selected != null) store.perform('setProperty', state.selected, 'class', $('sel-class').value.trim());
  });
  // A unit's duty hours and breaks, for the shift timetable (empty: the plan's shift, no break).
  for (const [id, key] of [['sel-shift', 'shift'], ['sel-break', 'break']]) {
    $(id).addEventListener('change', () => {
      if (state.selected == null) return;
      const value = $(id).value.trim();
      store.perform('setProperty', state.selected, key, value === '' ? undefined : value);
    });
  }
  $('sel-delete').addEventListener('click', () => {
    const i = state.selected;
    if (i == null) return;
    select(map, null);
    store.perform('removeFeature', i);
  });
  $('export').addEventListener('click', async () => {
    try {
      const format = $('export-format').value;
      const crs = $('export-crs').value;
      const response = await request(`/api/scenario/export?format=${format}&crs=${encodeURIComponent(crs)}`, { method: 'POST', json: state.scenario });
      const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'scenario.geojson';
      download(name, await response.blob());
    } catch (e) {
      status(() => t('error', { msg: e.message }));
    }
  });
  $('patrol-plan').addEventListener('click', () => planPatrols(map));
  $('patrol-timetable').addEventListener('click', () => planTimetable(map));
  $('patrol-schedules').addEventListener('toggle', renderSchedules);
  // One A4 card per unit: its route on the map, the streets in order, its timetable.
  $('patrol-cards').addEventListener('click', () => {
    if (!state.plan?.timetable) return;
    localStorage.setItem('patrolmap.cards', JSON.stringify({ report: state.plan.timetable, city: state.info.name, rev: state.rev, printed: new Date().toISOString() }));
    window.open('/cards.html', '_blank');
  });
  // The routes for the in-car terminals and handhelds: GPX tracks, one per unit.
  $('patrol-export').addEventListener('click', async () => {
    if (!state.plan) return;
    try {
      // A timetable's checkpoint stays go with its tracks, as waypoints.
      const stops = state.plan.timetable?.stops.features ?? [];
      const json = { type: 'FeatureCollection', features: [...state.plan.routes.features, ...stops] };
      const response = await request('/api/convert?format=gpx&name=patrol-routes', { method: 'POST', json });
      download('patrol-routes.gpx', await response.blob());
    } catch (e) {
      status(() => t('error', { msg: e.message }));
    }
  });
  $('patrol-undo').addEventListener('click', () => {
    const previous = state.planHistory.pop();
    if (previous?.timetable) applyTimetable(map, previous.timetable);
    else if (previous) applyPlan(map, previous, previous.shift_s);
  });
  $('patrol-time').addEventListener('input', () => showPatrolsAt(map, Number($('patrol-time').value)));
  // Released: the roads show the coverage at that moment, patrols where they are.
  $('patrol-time').addEventListener('change', () => evaluate(map));
  wireReroute(map);
  $('lang').addEventListener('click', () => {
    setLanguage(language() === 'zh-CN' ? 'en' : 'zh-CN');
    translateAll(map);
  });
}

/** The export's Gauss-Krüger choice: the CGCS2000 3° zone of the city's centre (EPSG:4534-4554
 * cover 75°E-135°E, all of China); hidden for a city outside them. */
function labelZoneOption() {
  const option = $('export-crs-gk');
  const b = state.info?.bbox;
  const cm = b ? Math.round((b[0] + b[2]) / 2 / 3) * 3 : NaN;
  option.hidden = !(cm >= 75 && cm <= 135);
  option.value = option.hidden ? '' : `EPSG:${4534 + (cm - 75) / 3}`;
  option.textContent = option.hidden ? '' : t('crs_gk', { cm });
}

function translateAll(map) {
  translatePage();
  // The map's attribution was written in the language of the first load.
  for (const el of document.querySelectorAll('.maplibregl-ctrl-attrib-inner')) el.textContent = t('attribution');
  showSession(state.session);
  for (const id of LABEL_LAYERS) map.setLayoutProperty(id, 'text-field', labelField(language()));
  renderLegend();
  renderToggles(map);
  renderStats();
  setMode(state.mode);
  drawMarkers(map);
  renderShift();
  state.timeOfDay?.render();
  state.live?.render();
  state.drill?.render();
  if (lastStatus) status(lastStatus);
  if (state.plan?.timetable) renderTimetable();
  renderSchedules();
  document.title = `${t('title')} · ${state.info.name}`;
  labelZoneOption();
}

async function main() {
  translatePage();
  state.session = await ensureSession();
  showSession(state.session);
  status(() => t('loading'));
  const [info, scenario, summary, basemap] = await Promise.all([
    getJson('/api/info'), getJson('/api/scenario'), getJson('/api/coverage'), getJson('/api/basemap.json'),
  ]);
  state.info = info;
  store.load(scenario);
  state.summary = summary;
  $('city').textContent = `· ${info.name}`;
  $('city').title = info.name;
  const map = makeMap(info, basemap);
  window.patrolmap = { map, state }; // for the browser tests and the console
  wire(map);
  map.on('load', async () => {
    followStore(map);
    refreshLayers(map);
    wirePlacement({ map, state, status, longWork });
    const versions = wireVersions({
      state, planFeatures, restorePlan: (routes) => restorePlan(map, routes),
    });
    wireAccess({ state });
    wireSearch({ map, state, select: (index) => select(map, index) });
    wireImport({ state, status });
    state.timeOfDay = wireTimeOfDay({ state, evaluate: () => evaluate(map), status, follow: isWall() });
    state.province = wireProvince({ map, state });
    state.live = wireLive({ map, state, status, applySummary: (summary) => applySummary(map, summary), evaluate: () => evaluate(map), canEdit });
    state.drill = wireDrill({ map, state, status });
    if (isWall()) wireWall({ state, versions });
    translateAll(map);
    status('');
  });
}

main().catch((e) => status(() => t('error', { msg: e.message })));
