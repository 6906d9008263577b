// Unit tests of a drill's replay (no browser): where the units are at a moment, the calls
// still worked, the coverage then, the reports side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callFeatures, drillAt, drillClock, drillFeatures, drillRows } from '../drillreplay.js';

// Two posts 0.01° apart; a call at place 0 takes unit A from 0 to 1000 s; B moves up to
// A's post from 0 to 100 s; a second call at 1200 s finds no unit free.
const run = {
  units: [{ unit: 'a', name: 'Car A', mode: 'car', post: [0, 0] }, { unit: 'b', name: null, mode: 'car', post: [0.01, 0] }],
  places: [[0, 0.001], [0.01, 0.001]],
  reports: [],
};
const report = {
  policy: 'greedy',
  events: [
    { kind: 'call', time_s: 0, place: 0, units: [0], response_s: [30], free_s: [1000] },
    { kind: 'move', time_s: 0, unit: 1, post: 0, arrive_s: 100 },
    { kind: 'call', time_s: 1200, place: 1, units: [], response_s: [], free_s: [] },
  ],
  coverage: [{ time_s: 0, tier_shares: [1] }, { time_s: 0, tier_shares: [0.25] }, { time_s: 100, tier_shares: [0.75] }],
};

test('a unit sent is at its call until it is free, then at its post', () => {
  assert.deepEqual(drillAt(run, report, 500).units[0], { unit: 'a', name: 'Car A', state: 'busy', position: [0, 0.001], post: 0 });
  assert.deepEqual(drillAt(run, report, 1000).units[0].state, 'post');
  assert.deepEqual(drillAt(run, report, 1000).units[0].position, [0, 0]);
});

test('a unit moving up is on its way, then at the post it went to', () => {
  const half = drillAt(run, report, 50).units[1];
  assert.equal(half.state, 'moving');
  assert.ok(Math.abs(half.position[0] - 0.005) < 1e-12, half.position);
  const there = drillAt(run, report, 100).units[1];
  assert.deepEqual([there.state, there.position, there.post], ['post', [0, 0], 0]);
});

test('the calls still worked, one no unit was free for shown a while', () => {
  assert.deepEqual(drillAt(run, report, 10).calls.map((c) => c.place), [0]);
  assert.deepEqual(drillAt(run, report, 1100).calls, []);
  const lost = drillAt(run, report, 1300).calls;
  assert.deepEqual(lost.map((c) => [c.place, c.units]), [[1, 0]]);
  assert.deepEqual(drillAt(run, report, 1900).calls, []);
  assert.equal(callFeatures(drillAt(run, report, 1300)).features[0].properties.units, 0);
});

test('the coverage then is the last change at or before the moment', () => {
  assert.deepEqual(drillAt(run, report, 0).tier_shares, [0.25]);
  assert.deepEqual(drillAt(run, report, 99).tier_shares, [0.25]);
  assert.deepEqual(drillAt(run, report, 5000).tier_shares, [0.75]);
});

test('units as map points with their state and label', () => {
  const fc = drillFeatures(drillAt(run, report, 50));
  assert.deepEqual(fc.features.map((f) => [f.properties.label, f.properties.state]), [['Car A', 'busy'], ['b', 'moving']]);
});

test('a patrol is where its route has it while free, at its call while busy, then on its route again', () => {
  const patrol = { unit: 'p', name: null, mode: 'car', post: [1, 1], route: [[1, 1], [1, 1.01], [1, 1.02]], route_step_s: 60 };
  const withPatrol = { ...run, units: [run.units[0], patrol] };
  const patrolReport = {
    policy: 'none',
    events: [{ kind: 'call', time_s: 130, place: 1, units: [1], response_s: [40], free_s: [400] }],
    coverage: [{ time_s: 0, tier_shares: [0.5] }],
  };
  const at = (t) => drillAt(withPatrol, patrolReport, t).units[1];
  assert.deepEqual([at(0).state, at(0).position], ['patrol', [1, 1]]);
  assert.deepEqual(at(65).position, [1, 1.01]);
  assert.deepEqual([at(200).state, at(200).position], ['busy', [0.01, 0.001]]);
  // Back at 400 s: the route's point of minute 6 (round again: 6 % 3 = 0), then minute 7.
  assert.deepEqual([at(400).state, at(400).position], ['patrol', [1, 1]]);
  assert.deepEqual(at(425).position, [1, 1.01]);
  assert.equal(drillAt(withPatrol, patrolReport, 0).units[0].state, 'post');
});

test('the clock of a drill and its reports side by side', () => {
  assert.equal(drillClock(3 * 3600 + 5 * 60 + 59), '03:05');
  assert.equal(drillClock(25 * 3600), '+1d 01:00');
  const t = (key, v) => (v ? `${key}:${Object.values(v).join(',')}` : key);
  const r = { policy: 'none', tier_shares: [0.5], lost: 2, first_unit_p50_s: 61, first_unit_p90_s: 300, busy_share: [0.2, 0.4], moves: 0, below_share: [0.1] };
  const rows = drillRows([r, { ...r, policy: 'greedy', moves: 7 }], [{ budget_s: 60, units: 1 }], t, (x) => `${Math.round(x * 100)}%`, (s) => `${s}s`);
  assert.deepEqual(rows[0].cells, ['moveup_policy_none', 'moveup_policy_greedy']);
  assert.equal(rows[1].label, 'drill_calls_met:1′×1');
  assert.deepEqual(rows.find((x) => x.label === 'drill_busy').cells, ['30%', '30%']);
  assert.deepEqual(rows.find((x) => x.label === 'drill_moves').cells, ['0', '7']);
});
