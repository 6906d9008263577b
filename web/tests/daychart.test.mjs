// Unit tests of the time of day's pure parts (no browser): the times offered, the what-if's
// path, the day chart's lines and the hour under a click.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dayChartGeometry, hourAt, minuteOf, timeChoices, whatifPath } from '../daychart.js';

test('every hour and every period start is offered once, in order', () => {
  const times = timeChoices(['07:00', '09:30', '17:00', '19:30']);
  assert.equal(times.length, 26);
  assert.deepEqual(times.slice(7, 11), ['07:00', '08:00', '09:00', '09:30']);
  assert.deepEqual(times.slice(-1), ['23:00']);
  assert.equal(minuteOf('09:30'), 570);
});

test('the what-if is asked at the chosen time, or at free flow', () => {
  assert.equal(whatifPath(''), '/api/whatif');
  assert.equal(whatifPath('08:00'), '/api/whatif?at=08%3A00');
});

test('the day chart holds each hour\'s share to the next hour, higher shares higher', () => {
  const hours = Array.from({ length: 24 }, (_, i) => ({ time: `${i}:00`, tier_shares: [i === 8 ? 0.1 : 0.5, 0.2] }));
  const g = dayChartGeometry({ tiers: [{}, {}], hours }, 240, 100, 8 * 60 + 30);
  assert.equal(g.lines.length, 2);
  assert.equal(g.lines[0].length, 48);
  const [[x0, y0], [x1, y1]] = g.lines[0].slice(16, 18);
  assert.deepEqual([x0, x1], [80, 90]);
  assert.equal(y0, y1);
  assert.ok(y0 > g.lines[0][0][1], 'a lower share is drawn lower');
  assert.equal(g.atX, 85);
  assert.ok(Math.abs(g.top - 0.55) < 1e-12);
  assert.equal(dayChartGeometry({ tiers: [{}], hours }, 240, 100).atX, null);
});

test('a click picks the hour under it, the edges included', () => {
  assert.equal(hourAt(0), '00:00');
  assert.equal(hourAt(8.5 / 24), '08:00');
  assert.equal(hourAt(1), '23:00');
  assert.equal(hourAt(-0.1), '00:00');
});

test('the period of a minute is the server\'s: the latest start not after it, round midnight', async () => {
  const { periodOf, clockTime } = await import('../daychart.js');
  const starts = ['07:00', '09:30', '22:00'];
  assert.equal(periodOf(starts, 8 * 60), '07:00');
  assert.equal(periodOf(starts, 9 * 60 + 30), '09:30');
  assert.equal(periodOf(starts, 3 * 60), '22:00');
  assert.equal(periodOf([], 3 * 60), null);
  assert.equal(clockTime(new Date(2026, 11, 4, 8, 5)), '08:05');
});
