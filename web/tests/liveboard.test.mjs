// Unit tests of the live board's pure parts (no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertText, alertWhen, clockOf, etaText, routeFeatures, statusCounts, toAssign, unitFeatures } from '../liveboard.js';

const board = {
  units: [
    { unit: 'a', name: 'Car A', status: 'available', stale: false, counted: true, position: [1, 2], heading_deg: 90, speed_kph: 30 },
    { unit: 'b', status: 'available', stale: true, counted: false, position: [3, 4] },
    { unit: 'c', status: 'en_route', stale: false, counted: false, position: null },
    { unit: 'd', status: 'off_duty', stale: true, counted: false, position: [5, 6] },
  ],
};

test('units with a position are drawn, coloured by status, moving ones with their heading', () => {
  const fc = unitFeatures(board);
  assert.deepEqual(fc.features.map((f) => f.properties.unit), ['a', 'b', 'd']);
  assert.equal(fc.features[0].properties.label, 'Car A');
  assert.equal(fc.features[0].properties.moving, true);
  assert.equal(fc.features[1].properties.moving, false);
  assert.equal(fc.features[1].properties.label, 'b');
  assert.notEqual(fc.features[0].properties.colour, fc.features[2].properties.colour);
  assert.deepEqual(fc.features[2].geometry.coordinates, [5, 6]);
});

test('counts by status, the stale available ones apart', () => {
  assert.deepEqual(statusCounts(board), { available: 2, en_route: 1, on_scene: 0, off_duty: 1, stale: 1 });
  assert.deepEqual(statusCounts(null), { available: 0, en_route: 0, on_scene: 0, off_duty: 0, stale: 0 });
});

test('travel times read as m:ss', () => {
  assert.equal(etaText(0), '0:00');
  assert.equal(etaText(59.6), '1:00');
  assert.equal(etaText(185), '3:05');
  assert.equal(etaText(null), '—');
});

test('a call sends as many units as the largest tier needs, first arriving first', () => {
  const pkg = {
    tiers: [{ units: 1 }, { units: 2 }, { units: 3 }],
    units: ['x', 'y', 'z', 'w'].map((unit, i) => ({ unit, rank: i + 1, eta_s: 30 * i, route: [[0, 0], [1, i]] })),
  };
  assert.deepEqual(toAssign(pkg), ['x', 'y', 'z']);
  assert.deepEqual(toAssign({ tiers: [{ units: 2 }], units: [{ unit: 'only' }] }), ['only']);
  const routes = routeFeatures(pkg, new Set(['y', 'w']));
  assert.deepEqual(routes.features.map((f) => f.properties.rank), [2, 4]);
});

test('an alert says what dropped, its tier, and when', () => {
  const t = (key, vars = {}) => `${key}(${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(',')})`;
  const pct = (x) => `${Math.round(100 * x)}%`;
  const site = { kind: 'site', site_kind: 'checkpoint', site: 'cp-1', name: null, budget_s: 180, units: 2, raised_s: 3600 };
  assert.equal(alertText(site, t, pct), 'alert_site(kind=search_checkpoint(),name=cp-1,tier=3′×2)');
  const tier = { kind: 'tier', budget_s: 60, units: 1, share: 0.25, level: 0.5 };
  assert.equal(alertText(tier, t, pct), 'alert_tier(tier=1′×1,share=25%,level=50%)');
  const raised = Date.UTC(2026, 11, 4, 8, 5, 9) / 1000;
  const local = new Date(raised * 1000);
  assert.equal(clockOf(raised), [local.getHours(), 5, 9].map((n) => String(n).padStart(2, '0')).join(':'));
  assert.match(alertWhen({ raised_s: raised, cleared_s: null }, t), /^alert_since\(time=\d\d:05:09\)$/);
  assert.match(alertWhen({ raised_s: raised, cleared_s: raised + 61 }, t), /^alert_ended\(from=\d\d:05:09,to=\d\d:06:10\)$/);
});
