// Unit tests of the three-way merge of a refused save (no browser), and a brute-force check:
// on random edits by two planners, every feature ends as the rules say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeScenarios } from '../merge.js';

const unit = (id, at = [0, 0], extra = {}) => ({ type: 'Feature', properties: { kind: 'unit', id, ...extra }, geometry: { type: 'Point', coordinates: at } });
const fc = (...features) => ({ type: 'FeatureCollection', features });
const ids = (s) => s.features.map((f) => f.properties.id ?? '(no id)').sort();

test('mine on top of theirs: my additions, moves and removals kept, theirs kept where I did nothing', () => {
  const base = fc(unit('a'), unit('b'), unit('c'));
  const mine = fc(unit('a', [1, 1]), unit('c'), unit('mine-new'));
  const theirs = fc(unit('a'), unit('b'), unit('c', [2, 2]), unit('theirs-new'));
  const { scenario, mine: changed, clashes } = mergeScenarios(base, mine, theirs);
  assert.deepEqual(ids(scenario), ['a', 'c', 'mine-new', 'theirs-new']);
  assert.deepEqual(scenario.features.find((f) => f.properties.id === 'a').geometry.coordinates, [1, 1]);
  assert.deepEqual(scenario.features.find((f) => f.properties.id === 'c').geometry.coordinates, [2, 2]);
  assert.equal(changed, 3); // a moved, b removed, mine-new added
  assert.equal(clashes, 0);
});

test('where both changed a feature, mine is kept and counted; features without an id are added once', () => {
  const noId = { type: 'Feature', properties: { kind: 'closure' }, geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } };
  const base = fc(unit('a'), noId);
  const mine = fc(unit('a', [5, 5]), noId, { ...noId, geometry: { type: 'LineString', coordinates: [[2, 2], [3, 3]] } });
  const theirs = fc(unit('a', [9, 9]), noId);
  const { scenario, clashes } = mergeScenarios(base, mine, theirs);
  assert.equal(clashes, 1);
  assert.deepEqual(scenario.features.find((f) => f.properties.id === 'a').geometry.coordinates, [5, 5]);
  assert.equal(scenario.features.filter((f) => f.properties.id == null).length, 2);
});

test('random edits by two planners: each feature ends as mine if I touched it, else as theirs', () => {
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let round = 0; round < 300; round += 1) {
    const n = 1 + Math.floor(random() * 6);
    const base = fc(...Array.from({ length: n }, (_, i) => unit(`u${i}`, [i, 0])));
    const edit = (who) => {
      const out = [];
      for (const f of base.features) {
        const r = random();
        if (r < 0.2) continue; // removed
        out.push(r < 0.45 ? unit(f.properties.id, [Math.floor(random() * 9), 1], { by: who }) : f);
      }
      if (random() < 0.4) out.push(unit(`${who}-${round}`, [0, 2]));
      return fc(...out);
    };
    const [mine, theirs] = [edit('me'), edit('them')];
    const { scenario } = mergeScenarios(base, mine, theirs);
    const find = (s, id) => s.features.find((f) => f.properties.id === id);
    const every = new Set([...base.features, ...mine.features, ...theirs.features].map((f) => f.properties.id));
    for (const id of every) {
      const [b, m, th] = [find(base, id), find(mine, id), find(theirs, id)];
      const touched = JSON.stringify(b) !== JSON.stringify(m);
      const expected = touched ? m : th;
      assert.deepEqual(find(scenario, id), expected, `round ${round}, ${id}`);
    }
    assert.equal(new Set(ids(scenario)).size, scenario.features.length, `round ${round}: a feature twice`);
  }
});
