// Unit tests of the scenario store (no browser): every action pure, undo and redo through
// performs and drags, the history bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actions, createStore, importPlan, UNDO_LIMIT } from '../store.js';

const point = (id, at = [1, 2], props = {}) => ({ type: 'Feature', properties: { kind: 'unit', id, ...props }, geometry: { type: 'Point', coordinates: at } });
const scenarioOf = (...features) => ({ type: 'FeatureCollection', features });
const ids = (s) => s.features.map((f) => f.properties.id);

test('every action leaves the scenario it was given as it was', () => {
  const closure = { type: 'Feature', properties: { kind: 'closure', id: 'closure-edge-7' }, geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } };
  const calls = {
    addFeature: [point('b')],
    removeFeature: [0],
    moveFeature: [0, [5, 6]],
    setProperty: [0, 'mode', 'foot'],
    putFeature: [point('a', [9, 9])],
    toggleClosure: [closure],
    addById: [scenarioOf(point('a', [3, 3]), point('z'))],
    replaceAll: [scenarioOf()],
  };
  assert.deepEqual(Object.keys(calls).sort(), Object.keys(actions).sort(), 'a new action needs its case here');
  for (const [name, args] of Object.entries(calls)) {
    const start = scenarioOf(point('a', [1, 2], { mode: 'car' }));
    const copy = structuredClone(start);
    const next = actions[name](start, ...args);
    assert.deepEqual(start, copy, `${name} changed its input`);
    assert.notDeepEqual(next, start, `${name} changed nothing`);
  }
});

test('the actions do what they say', () => {
  const s = scenarioOf(point('a'), point('b'));
  assert.deepEqual(ids(actions.addFeature(s, point('c'))), ['a', 'b', 'c']);
  assert.deepEqual(ids(actions.removeFeature(s, 0)), ['b']);
  assert.deepEqual(actions.moveFeature(s, 1, [3, 4]).features[1].geometry.coordinates, [3, 4]);
  const set = actions.setProperty(s, 0, 'class', 'patrol');
  assert.equal(set.features[0].properties.class, 'patrol');
  assert.equal('class' in actions.setProperty(set, 0, 'class', '').features[0].properties, false);
  const put = actions.putFeature(s, point('a', [7, 7]));
  assert.deepEqual(ids(put), ['b', 'a']);
  const closure = { type: 'Feature', properties: { kind: 'closure', id: 'closure-edge-1' }, geometry: null };
  const closed = actions.toggleClosure(s, closure);
  assert.equal(closed.features.length, 3);
  assert.deepEqual(actions.toggleClosure(closed, closure), s);
  assert.throws(() => actions.moveFeature(s, 5, [0, 0]), RangeError);
});

test('undo and redo walk the history; a new change drops what was undone', () => {
  const store = createStore(scenarioOf(point('a')));
  const seen = [];
  store.subscribe((e) => seen.push(e.action));
  store.perform('addFeature', point('b'));
  store.perform('removeFeature', 0);
  assert.deepEqual(ids(store.scenario), ['b']);
  assert.equal(store.undo(), true);
  assert.deepEqual(ids(store.scenario), ['a', 'b']);
  assert.equal(store.undo(), true);
  assert.deepEqual(ids(store.scenario), ['a']);
  assert.equal(store.undo(), false);
  assert.equal(store.redo(), true);
  assert.deepEqual(ids(store.scenario), ['a', 'b']);
  store.perform('addFeature', point('c'));
  assert.equal(store.redoCount, 0);
  assert.equal(store.redo(), false);
  store.reset();
  assert.deepEqual(ids(store.scenario), ['a']);
  store.undo();
  assert.deepEqual(ids(store.scenario), ['a', 'b', 'c'], 'a reset is undone like any change');
  assert.deepEqual(seen, ['addFeature', 'removeFeature', 'undo', 'undo', 'redo', 'addFeature', 'replaceAll', 'undo']);
});

test('a drag is previewed step by step and undone in one step', () => {
  const store = createStore(scenarioOf(point('a', [0, 0])));
  for (let i = 1; i <= 5; i += 1) store.preview('moveFeature', 0, [i, i]);
  assert.equal(store.undoCount, 0);
  store.perform('moveFeature', 0, [6, 6]);
  assert.equal(store.undoCount, 1);
  store.undo();
  assert.deepEqual(store.scenario.features[0].geometry.coordinates, [0, 0]);
  // Undo in the middle of a drag: the drag so far is taken back, and can be brought back.
  store.preview('moveFeature', 0, [2, 2]);
  store.undo();
  assert.deepEqual(store.scenario.features[0].geometry.coordinates, [0, 0]);
  store.redo();
  assert.deepEqual(store.scenario.features[0].geometry.coordinates, [2, 2]);
});

test('the history keeps the last UNDO_LIMIT changes', () => {
  const store = createStore(scenarioOf());
  for (let i = 0; i < UNDO_LIMIT + 20; i += 1) store.perform('addFeature', point(`u${i}`));
  assert.equal(store.undoCount, UNDO_LIMIT);
  while (store.undo());
  assert.equal(store.scenario.features.length, 20);
});

test('a file added by id: same ids replaced in place, new ones added, nothing else lost', () => {
  const mine = scenarioOf(point('a'), point('b'), point('c'));
  const file = scenarioOf(point('b', [9, 9]), point('new'), { type: 'Feature', properties: { kind: 'closure' }, geometry: null });
  assert.deepEqual(importPlan(mine, file), { added: 2, replaced: ['b'] });
  const merged = actions.addById(mine, file);
  assert.deepEqual(merged.features.map((f) => f.properties.id ?? '-'), ['a', 'b', 'c', 'new', '-']);
  assert.deepEqual(merged.features[1].geometry.coordinates, [9, 9]);
  const store = createStore(mine);
  store.perform('addById', file);
  store.undo();
  assert.deepEqual(store.scenario, mine, 'undo takes the whole import back');
});
