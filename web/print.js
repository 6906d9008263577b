// The printable event plan: the venue and its temporary posts on the map, the post list
// (position, class, what each covers) and the compliance table, from the plan the command
// map stored in localStorage. The browser prints it (to paper or PDF).
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { t, translatePage } from '/i18n.js';
import { pctOf } from '/format.js';
import { h, show } from '/dom.js';
import { paperMapOptions, paperStyle } from '/layers.js';

const $ = (id) => document.getElementById(id);

function main() {
  translatePage();
  const stored = JSON.parse(localStorage.getItem('patrolmap.print') ?? 'null');
  if (!stored?.plan) {
    $('print-facts').textContent = t('print_none');
    return;
  }
  const { plan, venue, city, rev, printed } = stored;
  document.title = `${t('print_title')} · ${plan.name ?? plan.area}`;
  const facts = [
    [t('event_name'), plan.name ?? plan.area],
    [t('print_city'), city],
    [t('print_window'), plan.window ? `${plan.window[0]} – ${plan.window[1]}` : '—'],
    [t('event_standard'), plan.standard],
    [t('event_posts', { n: plan.posts.length }), plan.minimal ? t('fewest') : ''],
    [t('print_printed'), new Date(printed).toLocaleString()],
  ];
  show($('print-facts'), facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')]));
  const header = (...names) => h('tr', {}, names.map((n) => h('th', {}, n)));
  show($('print-posts'), header('#', t('print_position'), t('print_class'), t('print_road'), t('hot_spots')),
    plan.posts.map((p) => h('tr', {}, h('td', {}, p.rank), h('td', {}, `${p.position[0].toFixed(6)}, ${p.position[1].toFixed(6)}`),
      h('td', {}, t('print_temporary')), h('td', { class: 'num' }, Math.round(p.road_m).toLocaleString()), h('td', {}, p.hot_spots.join(', ') || '—'))));
  show($('print-compliance'), header(t('tier_header'), t('venue_roads'), t('hot_spots'), t('still_failing')),
    plan.compliance.map((c) => h('tr', {}, h('td', {}, `${c.budget_s / 60}′ × ${c.units}`),
      h('td', { class: 'num' }, `${pctOf(c.road_met_before_m, c.road_m)} → ${pctOf(c.road_met_after_m, c.road_m)}`),
      h('td', { class: 'num' }, `${c.hot_spots_met_before}/${c.hot_spots} → ${c.hot_spots_met_after}/${c.hot_spots}`),
      h('td', { class: 'failing' }, c.failing_hot_spots.join(', ')))));
  const ring = venue?.coordinates?.[0] ?? plan.posts.map((p) => p.position);
  const style = paperStyle(location.origin, rev, {
    venue: { type: 'geojson', data: venue ? { type: 'Feature', properties: {}, geometry: venue } : { type: 'FeatureCollection', features: [] } },
  }, [
    { id: 'venue-fill', type: 'fill', source: 'venue', paint: { 'fill-color': '#ff9800', 'fill-opacity': 0.15 } },
    { id: 'venue-line', type: 'line', source: 'venue', paint: { 'line-color': '#000', 'line-width': 2, 'line-dasharray': [3, 2] } },
  ]);
  const options = paperMapOptions('print-map', [...ring, ...plan.posts.map((p) => p.position)], style);
  const map = new maplibregl.Map(options);
  for (const p of plan.posts) {
    const el = document.createElement('div');
    el.className = 'print-marker';
    el.textContent = String(p.rank);
    new maplibregl.Marker({ element: el }).setLngLat(p.position).addTo(map);
  }
  // A window opened by the command map may still be laying out when the map starts: fit
  // again once it has its size.
  map.once('load', () => {
    map.resize();
    map.fitBounds(options.bounds, { padding: 30, animate: false });
  });
  window.patrolmapPrint = { map, plan }; // for the browser test
  $('print-now').addEventListener('click', () => window.print());
}

main();
