// Route cards for the field: for each unit of the shift timetable the command map stored in
// localStorage, one A4 page with its route on the map, its timetable by the clock (checkpoint
// stays, line passes, breaks) and the streets it drives in order. The browser prints them
// (to paper or PDF). Each map is drawn in turn and kept as a picture: one WebGL map at a
// time, however many units.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { language, t, translatePage } from '/i18n.js';
import { duration } from '/format.js';
import { h, show } from '/dom.js';
import { paperMapOptions, paperStyle } from '/layers.js';

const $ = (id) => document.getElementById(id);

/** The card of one unit (its map filled in later). */
function card(unit, report, city, printed) {
  const entry = (e) => (e.kind === 'break' ? t('entry_break') : t(`entry_${e.kind}`, { id: e.id }));
  const facts = [
    [t('cards_unit'), unit.unit], [t('cards_shift'), `${report.shift_start} · ${duration(report.shift_s)}`],
    [t('print_city'), city ?? ''], [t('print_printed'), new Date(printed).toLocaleString(language())],
    [t('cards_out'), `${unit.leaves}–${unit.back}`], [t('cards_working'), duration(unit.working_s)],
  ];
  const street = (s) => s.name ?? t('cards_unnamed', { class: s.class });
  // Lists flow in columns and on to the next page when a shift is long; each card starts a
  // page of its own.
  return h('section', { class: 'card' },
    h('h1', {}, `${t('cards_title')} · ${unit.unit}`),
    h('dl', {}, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('img', { class: 'card-map', alt: unit.unit }),
    h('h2', {}, t('cards_timetable')),
    h('ol', { class: 'card-timetable' }, unit.entries.map((e) => h('li', { class: e.kind === 'break' ? 'break' : '' },
      h('span', { class: 'num' }, `${e.start}–${e.end}`), ' ', entry(e)))),
    h('h2', {}, t('cards_streets')),
    h('ol', { class: 'card-streets' }, unit.streets.map((s) => h('li', {},
      h('span', { class: 'num' }, s.start), ' ', street(s), ' ', h('span', { class: 'muted' }, `${Math.round(s.length_m).toLocaleString()} m`)))),
    h('p', { class: 'small' }, t('attribution')));
}

/** The unit's route drawn on the city's roads, as a picture. */
async function drawRoute(route, rev) {
  const coords = route.geometry.coordinates;
  const style = paperStyle(location.origin, rev, {
    route: { type: 'geojson', data: route },
    ends: { type: 'geojson', data: { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: coords[0] } } },
  }, [
    { id: 'route', type: 'line', source: 'route', paint: { 'line-color': '#0b57d0', 'line-width': 3, 'line-opacity': 0.8 } },
    { id: 'post', type: 'circle', source: 'ends', paint: { 'circle-radius': 6, 'circle-color': '#000', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
  ], { 'line-color': '#999', 'line-width': 1 });
  const map = new maplibregl.Map(paperMapOptions('cards-map', coords, style));
  await new Promise((resolve) => map.once('idle', resolve));
  const picture = map.getCanvas().toDataURL('image/png');
  map.remove();
  return picture;
}

async function main() {
  translatePage();
  const stored = JSON.parse(localStorage.getItem('patrolmap.cards') ?? 'null');
  if (!stored?.report) {
    $('cards-note').textContent = t('cards_none');
    window.patrolmapCards = { ready: true, cards: 0 };
    return;
  }
  const { report, city, rev, printed } = stored;
  document.title = `${t('cards_title')} · ${report.shift_start}`;
  const units = report.timetables.filter((u) => u.entries.length);
  const cards = units.map((u) => card(u, report, city, printed));
  show($('cards'), cards);
  const routes = new Map(report.routes.features.map((f) => [f.properties.unit, f]));
  for (const [i, u] of units.entries()) {
    const route = routes.get(u.unit);
    if (!route) continue;
    cards[i].querySelector('.card-map').src = await drawRoute(route, rev);
  }
  window.patrolmapCards = { ready: true, cards: cards.length };
  $('cards-print').addEventListener('click', () => window.print());
}

main();
