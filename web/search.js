// Search on the command map: the scenario's units, posts, checkpoints, key sites and
// incidents by name or id (found here), and streets by name (found by the server), as you
// type; picking one flies there and selects it.
import { t } from './i18n.js';
import { getJson } from './api.js';

const $ = (id) => document.getElementById(id);
const KINDS = ['unit', 'post', 'checkpoint', 'key_site', 'incident'];

/** Letter case and the accents of Latin letters aside (as the server's street search). */
export function fold(text) {
  return String(text ?? '').toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** At most `limit` point features of `scenario` whose name or id holds `query`, those
 * starting with it first: `{ index, kind, id, name, position }`. */
export function findFeatures(scenario, query, limit = 8) {
  const q = fold(query.trim());
  if (!q) return [];
  const hits = [];
  scenario.features.forEach((f, index) => {
    const p = f.properties ?? {};
    const kind = p.kind ?? 'unit';
    if (!KINDS.includes(kind) || f.geometry?.type !== 'Point') return;
    const texts = [p.name, p.id].filter((x) => x != null).map(fold);
    const rank = texts.some((x) => x.startsWith(q)) ? 0 : texts.some((x) => x.includes(q)) ? 1 : -1;
    if (rank >= 0) hits.push({ rank, index, kind, id: String(p.id ?? ''), name: p.name ?? String(p.id ?? ''), position: f.geometry.coordinates });
  });
  return hits.sort((a, b) => a.rank - b.rank).slice(0, limit);
}

/** Wires the search box. `app`: { map, state, select(index) }. */
export function wireSearch(app) {
  const { map, state } = app;
  const box = $('search');
  const list = $('search-results');
  let asked = 0;
  const close = () => { list.hidden = true; list.replaceChildren(); };
  const pick = (hit) => {
    close();
    if (hit.bbox) {
      map.fitBounds([[hit.bbox[0], hit.bbox[1]], [hit.bbox[2], hit.bbox[3]]], { padding: 80, maxZoom: 17, duration: 600 });
    } else {
      map.flyTo({ center: hit.position, zoom: Math.max(map.getZoom(), 15.5), duration: 600 });
      if (hit.kind === 'unit' || hit.kind === 'post') app.select(hit.index);
    }
    state.searchPicked = hit;
  };
  const show = (hits) => {
    const items = hits.map((hit) => {
      const li = document.createElement('li');
      const kind = document.createElement('span');
      kind.className = 'muted';
      kind.textContent = t(hit.bbox ? 'search_street' : `search_${hit.kind}`);
      const name = document.createElement('span');
      name.textContent = hit.bbox || hit.name === hit.id ? hit.name : `${hit.name} · ${hit.id}`;
      li.append(name, ' ', kind);
      li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(hit); });
      return li;
    });
    if (!items.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = t('search_none');
      items.push(li);
    }
    list.replaceChildren(...items);
    list.hidden = false;
    state.searchHits = hits;
  };
  let timer = null;
  box.addEventListener('input', () => {
    clearTimeout(timer);
    const query = box.value;
    if (!query.trim()) { close(); return; }
    timer = setTimeout(async () => {
      const ask = ++asked;
      const features = findFeatures(state.scenario, query);
      let streets = [];
      try {
        streets = (await getJson(`/api/search?q=${encodeURIComponent(query)}&limit=8`)).streets;
      } catch { /* the scenario's own finds are still shown */ }
      if (ask === asked) show([...features, ...streets]);
    }, 150);
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && state.searchHits?.length) pick(state.searchHits[0]);
    if (e.key === 'Escape') { close(); box.blur(); }
  });
  box.addEventListener('blur', () => setTimeout(close, 150));
}
