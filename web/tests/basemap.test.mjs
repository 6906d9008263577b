// Unit tests of the basemap's style (no browser): the names a label shows per language and
// the layers drawn from the OpenMapTiles schema the server's tiles use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basemapUnderLayers, basemapLabelLayers, labelField, LABEL_LAYERS, LABEL_FONT } from '../basemap.js';

// What the server's basemap tiles hold (crates/core/src/network/map_features.rs).
const SCHEMA = ['water', 'waterway', 'landcover', 'landuse', 'park', 'building', 'transportation', 'transportation_name', 'place'];

/** The value a `coalesce` of `get`s gives for a feature's properties. */
function evaluate(expr, properties) {
  assert.equal(expr[0], 'coalesce');
  for (const [op, key] of expr.slice(1)) {
    assert.equal(op, 'get');
    if (properties[key] != null) return properties[key];
  }
  return null;
}

test('a label shows the Chinese name in Chinese and the English one in English, else the local name', () => {
  const street = { name: 'Rua das Flores', 'name:zh': '花街', 'name:en': 'Flower Street' };
  assert.equal(evaluate(labelField('zh-CN'), street), '花街');
  assert.equal(evaluate(labelField('en'), street), 'Flower Street');
  assert.equal(evaluate(labelField('zh-CN'), { name: '解放路' }), '解放路');
  assert.equal(evaluate(labelField('en'), { name: '解放路', 'name:latin': 'Jiefang Lu' }), 'Jiefang Lu');
  assert.equal(evaluate(labelField('en'), { name: '解放路' }), '解放路');
});

test('every basemap layer reads a layer of the schema from the basemap source', () => {
  const layers = [...basemapUnderLayers(), ...basemapLabelLayers('zh-CN')];
  const ids = layers.map((l) => l.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const l of layers) {
    assert.equal(l.source, 'basemap', l.id);
    assert.ok(SCHEMA.includes(l['source-layer']), `${l.id}: ${l['source-layer']}`);
  }
  assert.deepEqual(LABEL_LAYERS, basemapLabelLayers('en').map((l) => l.id));
});

test('labels use the page\'s own font and grow with the wall display\'s scale', () => {
  const normal = basemapLabelLayers('zh-CN', 1);
  const wall = basemapLabelLayers('zh-CN', 2);
  for (const l of normal) assert.deepEqual(l.layout['text-font'], LABEL_FONT, l.id);
  const place = (layers) => layers.find((l) => l.id === 'label-place').layout['text-size'];
  // ['match', ['get', 'class'], classes, size, ...]: every size doubled.
  const sizes = (expr) => expr.filter((v) => typeof v === 'number');
  assert.deepEqual(sizes(place(wall)), sizes(place(normal)).map((s) => s * 2));
});
