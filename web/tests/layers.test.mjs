// Unit tests of the map's style (no browser): every layer on a source the style has, every
// toggle on layers that exist, the drawing order people rely on, and the tier colours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapStyle, roadColour, tierColour, TOGGLE_LAYERS, LAYER_SWATCH, BEYOND_COLOUR, TIER_COLOURS, tileUrl } from '../layers.js';

const style = mapStyle({
  budgets: [60, 180, 300], basemap: { minzoom: 0, maxzoom: 14, 'patrolmap:source': 'osm' },
  origin: 'http://pm.local', attribution: '© OpenStreetMap', lang: 'zh-CN', labelScale: 2,
});
const ids = style.layers.map((l) => l.id);

test('every layer draws from a source of the style, each layer once', () => {
  for (const layer of style.layers) {
    if (layer.type !== 'background') assert.ok(layer.source in style.sources, `${layer.id}: ${layer.source}`);
  }
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(style.sources.roads.tiles[0], tileUrl('http://pm.local', 0));
  assert.equal(style.sources.roads.attribution, '© OpenStreetMap');
  assert.equal(style.glyphs, undefined, 'no glyphs URL: labels are drawn with the page\'s own font, nothing fetched');
});

test('every toggle shows and hides layers that exist, and has its legend symbol', () => {
  for (const [toggle, layers] of Object.entries(TOGGLE_LAYERS)) {
    assert.ok(layers.length > 0, toggle);
    for (const id of layers) assert.ok(ids.includes(id), `${toggle}: ${id}`);
    assert.ok(LAYER_SWATCH[toggle], toggle);
  }
});

test('the basemap lies under the coverage, the names and the police layers over it', () => {
  const at = (id) => ids.indexOf(id);
  const base = TOGGLE_LAYERS.basemap.map(at);
  const labels = TOGGLE_LAYERS.labels.map(at);
  assert.ok(Math.max(...base) < at('polygons') && at('polygons') < at('roads'));
  assert.ok(at('gaps') < at('roads'), 'gaps as a halo under the roads');
  assert.ok(Math.min(...labels) > at('roads'));
  for (const id of ['routes', 'patrol_lines', 'checkpoints', 'key_sites']) assert.ok(at(id) > Math.max(...labels), id);
});

test('tiers are coloured in order, beyond the last in its own colour', () => {
  assert.deepEqual([0, 1, 2, 3].map((i) => tierColour(i, 3)), [...TIER_COLOURS, BEYOND_COLOUR]);
  assert.deepEqual(roadColour([60, 180]), ['match', ['get', 'tier'], 0, TIER_COLOURS[0], 1, TIER_COLOURS[1], BEYOND_COLOUR]);
  // More tiers than colours: the last colour repeats, never undefined.
  assert.equal(tierColour(5, 6), TIER_COLOURS[2]);
});
