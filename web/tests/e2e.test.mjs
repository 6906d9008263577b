// Browser end-to-end tests of the command map: the real server on the demo city, Debian's
// chromium driven by playwright-core (no browser download), the map's `idle` event awaited
// before every look at the screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const binary = process.env.PATROLMAP_BIN || path.join(root, 'target/debug/patrolmap');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'];
// The map's colours for 1, 3, 5 minutes and beyond (web/app.js).
const ROAD_COLOURS = [[0x2e, 0xcc, 0x71], [0xf1, 0xc4, 0x0f], [0xff, 0x8c, 0x1a], [0xb3, 0x26, 0x1e]];

let server;
let base;
let browser;
let adminToken; // printed by the server's first start
let wangToken; // a second planner, made over the API

/** A request to the server as `token`'s user, from the test (not the page). */
async function as(token, path, options = {}) {
  return fetch(`${base}${path}`, { ...options, headers: { ...(options.headers ?? {}), authorization: `Bearer ${token}` } });
}

/** `patrolmap serve` on a free loopback port with `more` arguments and the store `db` (a fresh
 * SQLite file unless given): its process, address and first admin's token. */
async function startServer(more = [], db = path.join(mkdtempSync(path.join(tmpdir(), 'patrolmap-e2e-')), 'scenarios.db')) {
  const child = spawn(binary, ['serve', '--addr', '127.0.0.1:0', '--exit-on-stdin-close', '--db', db, ...more], { stdio: ['pipe', 'pipe', 'pipe'] });
  // The request log stays out of the test report; it is shown if the server fails to start.
  let log = '';
  child.stderr.on('data', (chunk) => { log = (log + chunk).slice(-4000); });
  const [firstLine, signInLine] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`patrolmap serve exited with ${code}:\n${log}`)));
    const lines = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (lines.length === 2) resolve(lines);
    });
  });
  const address = firstLine.trim().split(' ').pop().replace(/\/$/, '');
  assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
  const token = signInLine.split('#token=')[1].trim();
  assert.match(token, /^pm_[0-9a-f]{48}$/);
  return { child, base: address, token };
}

before(async () => {
  // A fresh SQLite store, or the PostgreSQL one scripts/test names (the same tests on both).
  const started = await startServer([], process.env.PATROLMAP_E2E_DB || undefined);
  ({ child: server, base, token: adminToken } = started);
  const wang = await as(adminToken, '/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'wang', role: 'planner' }) });
  assert.equal(wang.status, 201);
  wangToken = (await wang.json()).token;
  browser = await chromium.launch({ executablePath: chromiumPath, args: ARGS });
});

after(async () => {
  await browser?.close();
  server?.stdin.end();
  server?.kill();
});

/** A page on the command map, signed in by the link the server prints (as the admin unless
 * another token is given), loaded and idle, with its console errors collected. */
async function openMap(viewport = { width: 1600, height: 900 }, token = adminToken, address = base) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  // A request the page itself gave up (a day chart of a revision already replaced) is not
  // a failure.
  page.on('requestfailed', (r) => { if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()}`); });
  // What asks before it destroys (an import replacing the map, a restore, a user removed) is
  // answered yes unless a test says otherwise.
  // Confirmations are accepted (or declined when a test says); a prompt gets `dialogAnswer`.
  page.on('dialog', (d) => (page.declineDialogs ? d.dismiss() : d.accept(page.dialogAnswer)));
  await page.goto(`${address}/#token=${token}`);
  await page.waitForFunction(() => window.patrolmap?.map?.loaded() && window.patrolmap.state.summary, null, { timeout: 60000 });
  await idle(page);
  return { page, errors, context };
}

/** Opens the panel's screen of `task` (situation, whatif, patrol, posts, events, versions,
 * admin), as a person clicks its tab. */
async function openTask(page, task) {
  await page.locator(`#tasks [data-task="${task}"]`).click();
}

/** Waits until the map has drawn everything it has asked for. */
async function idle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.patrolmap.map;
    map.once('idle', resolve);
    map.triggerRepaint();
  }));
}

/** How many pixels of the map's area have one of the road colours. */
async function roadPixels(page) {
  const png = PNG.sync.read(await page.locator('#map canvas').screenshot());
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (ROAD_COLOURS.some(([cr, cg, cb]) => Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) < 40)) count += 1;
  }
  return count;
}

test('the page loads with no console errors and draws the road tiles', async () => {
  const { page, errors, context } = await openMap();
  assert.deepEqual(errors, []);
  const pixels = await roadPixels(page);
  assert.ok(pixels > 5000, `road pixels: ${pixels}`);
  // Kept for the README (docs/command-map.png is a copy of it).
  await page.screenshot({ path: path.join(root, 'target/command-map.png') });
  // Units are on the map as markers, and the stats panel has the tiers.
  assert.ok(await page.locator('.unit-marker').count() >= 10);
  assert.match(await page.locator('#stats').innerText(), /%/);
  await context.close();
});

test('toggling the road layer hides the roads', async () => {
  const { page, context } = await openMap();
  const before = await roadPixels(page);
  await page.locator('#toggles input[data-layer="roads"]').uncheck();
  await idle(page);
  assert.equal(await page.evaluate(() => window.patrolmap.map.getLayoutProperty('roads', 'visibility')), 'none');
  const hidden = await roadPixels(page);
  assert.ok(hidden < before / 20, `road pixels ${before} -> ${hidden}`);
  await page.locator('#toggles input[data-layer="roads"]').check();
  await idle(page);
  assert.ok(await roadPixels(page) > before / 2);
  // Units hide with their toggle too.
  await page.locator('#toggles input[data-layer="units"]').uncheck();
  assert.equal(await page.locator('.unit-marker').count(), 0);
  await context.close();
});

test('dragging a unit changes the stats, and undo restores them', async () => {
  const { page, errors, context } = await openMap();
  const statsBefore = await page.locator('#stats').innerText();
  const revBefore = await page.evaluate(() => window.patrolmap.state.rev);
  const marker = page.locator('.unit-marker.car').first();
  const box = await marker.boundingBox();
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i += 1) await page.mouse.move(x + 25 * i, y + 18 * i);
  await page.mouse.up();
  await page.waitForFunction((rev) => window.patrolmap.state.rev !== rev && !window.patrolmap.state.inFlight, revBefore);
  await page.waitForFunction((text) => document.getElementById('stats').innerText !== text, statsBefore);
  assert.notEqual(await page.locator('#stats').innerText(), statsBefore);
  assert.equal(await page.locator('#undo').isEnabled(), true);
  await page.locator('#undo').click();
  await page.waitForFunction((text) => document.getElementById('stats').innerText === text && !window.patrolmap.state.inFlight, statsBefore);
  assert.deepEqual(errors, []);
  await context.close();
});

test('adding a unit by clicking, then deleting it', async () => {
  const { page, context } = await openMap();
  const count = await page.locator('.unit-marker').count();
  await openTask(page, 'whatif');
  await page.locator('.mode[data-mode="add"]').click();
  const map = await page.locator('#map').boundingBox();
  await page.mouse.click(map.x + map.width / 2, map.y + map.height / 2);
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length === n + 1, count);
  await page.waitForFunction(() => !window.patrolmap.state.inFlight && window.patrolmap.state.rev > 0);
  // Placed or refused (the click may be far from a car road): every unit is counted.
  const total = () => window.patrolmap.state.summary.units + window.patrolmap.state.summary.units_refused.length;
  const units = await page.evaluate(total);
  assert.equal(units, count + 1);
  // A second click on the same spot at once would be a double click (the map zooms in).
  await page.waitForTimeout(700);
  await page.locator('.unit-marker').last().click();
  await page.locator('#selection').waitFor();
  await page.locator('#sel-delete').click();
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length === n, count);
  await page.waitForFunction((u) => !window.patrolmap.state.inFlight
    && window.patrolmap.state.summary.units + window.patrolmap.state.summary.units_refused.length === u - 1, units);
  await context.close();
});

test('changing a unit\'s mode re-evaluates, and the export carries the change', async () => {
  const { page, errors, context } = await openMap();
  const revBefore = await page.evaluate(() => window.patrolmap.state.rev);
  const marker = page.locator('.unit-marker.car:not(.post)').first();
  const id = await marker.getAttribute('data-id');
  // Markers may overlap on the demo map: the click goes to this one's element itself.
  await marker.dispatchEvent('click');
  await page.locator('#selection').waitFor();
  await page.locator('#sel-mode').selectOption('foot');
  await page.waitForFunction((rev) => window.patrolmap.state.rev !== rev && !window.patrolmap.state.inFlight, revBefore);
  assert.equal(await page.locator(`.unit-marker[data-id="${id}"]`).getAttribute('class').then((c) => c.includes('foot')), true);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
  const text = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'));
  const exported = JSON.parse(text);
  assert.equal(exported.type, 'FeatureCollection');
  const unit = exported.features.find((f) => f.properties.id === id);
  assert.equal(unit.properties.mode, 'foot');
  assert.equal(exported.features.length, await page.evaluate(() => window.patrolmap.state.scenario.features.length));
  assert.deepEqual(errors, []);
  await context.close();
});

test('closing a road by clicking it, then reopening it', async () => {
  const { page, errors, context } = await openMap();
  // A road beside a unit, and where its middle is on the screen.
  const spot = await page.evaluate(async () => {
    const { map, state } = window.patrolmap;
    const unit = state.scenario.features.find((f) => f.properties.kind === 'unit' && f.properties.mode === 'car');
    const [lon, lat] = unit.geometry.coordinates;
    const road = await (await fetch(`/api/roads/at?lon=${lon}&lat=${lat}`)).json();
    map.jumpTo({ center: road.properties.middle, zoom: 17 });
    return { middle: road.properties.middle };
  });
  await idle(page);
  const box = await page.locator('#map').boundingBox();
  const point = await page.evaluate((m) => window.patrolmap.map.project(m), spot.middle);
  await openTask(page, 'whatif');
  await page.locator('.mode[data-mode="close"]').click();
  await page.mouse.click(box.x + point.x, box.y + point.y);
  await page.waitForFunction(() => !window.patrolmap.state.inFlight && window.patrolmap.state.summary.closed_edges >= 1);
  assert.ok(await page.evaluate(() => window.patrolmap.state.scenario.features.some((f) => f.properties.kind === 'closure')));
  await idle(page);
  const closedDrawn = await page.evaluate(() => window.patrolmap.map.queryRenderedFeatures({ layers: ['roads-closed'] }).length);
  assert.ok(closedDrawn > 0, 'the closed road is drawn as closed');
  await page.waitForTimeout(700); // not a double click
  await page.mouse.click(box.x + point.x, box.y + point.y);
  await page.waitForFunction(() => !window.patrolmap.state.inFlight && window.patrolmap.state.summary.closed_edges === 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('clicking the map tells the arrival time and the nearest units', async () => {
  const { page, context } = await openMap();
  const marker = page.locator('.unit-marker.car').first();
  const box = await marker.boundingBox();
  // Just beside a unit: someone arrives.
  await page.mouse.click(box.x + box.width / 2 + 25, box.y + box.height / 2);
  await page.locator('.maplibregl-popup').waitFor();
  const text = await page.locator('#info').innerText();
  assert.match(text, /到达时间/);
  assert.match(text, /\d+ 秒/);
  await context.close();
});

test('planning patrols draws routes and replays the shift', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'patrol');
  await page.locator('#patrol-units').fill('2');
  await page.locator('#patrol-plan').click();
  await page.waitForFunction(() => document.getElementById('patrol-summary').textContent.length > 0, null, { timeout: 60000 });
  assert.match(await page.locator('#patrol-summary').innerText(), /2 条路线/);
  // The demo's two checkpoints on road no patrol can leave are told apart; the rest passes.
  // What no patrol can reach is said first, with its reason; then the check, counting all.
  const summary = await page.locator('#patrol-summary').innerText();
  assert.match(summary, /^未纳入计划 2 项（计为未覆盖）：必巡点 checkpoint-\d+（所在道路巡逻警力无法往返）/);
  assert.match(summary, /校验通过：必巡线 6\/6 条、必巡点 22\/24 个已覆盖/);
  await idle(page);
  const drawn = await page.evaluate(() => window.patrolmap.map.queryRenderedFeatures({ layers: ['routes'] }).length);
  assert.ok(drawn > 0, 'routes are drawn');
  // Half way through the longest route: both units are somewhere on the map.
  const max = Number(await page.locator('#patrol-time').getAttribute('max'));
  assert.ok(max > 0);
  await page.locator('#patrol-time').fill(String(Math.round(max / 2)));
  await idle(page);
  const units = await page.evaluate(() => window.patrolmap.map.queryRenderedFeatures({ layers: ['route-positions'] }).length);
  assert.ok(units >= 1, `units drawn: ${units}`);
  assert.match(await page.locator('#patrol-clock').innerText(), /小时/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the shift coverage follows the time slider, and a route dragged onto another street is rerouted', async () => {
  const { page, errors, context } = await openMap();
  const scenarioUnits = await page.evaluate(() => window.patrolmap.state.summary.units);
  await openTask(page, 'patrol');
  await page.locator('#patrol-units').fill('2');
  const planned = page.waitForResponse((r) => r.url().includes('/api/patrol/plan'));
  await page.locator('#patrol-plan').click();
  assert.equal((await planned).status(), 200);
  // The chart of the shift: one line per tier; the tiers' means and worst moments.
  await page.waitForFunction(() => document.querySelectorAll('#shift-chart polyline').length === 3, null, { timeout: 60000 });
  assert.match(await page.locator('#shift-stats').innerText(), /平均.*最低/s);
  // The roads are measured with the patrols where the slider has them.
  await page.waitForFunction((n) => window.patrolmap.state.summary.units === n + 2, scenarioUnits, { timeout: 60000 });
  assert.match(await page.locator('#stats-line').innerText(), /2 支巡逻警力/);
  const revBefore = await page.evaluate(() => window.patrolmap.state.rev);
  const max = Number(await page.locator('#patrol-time').getAttribute('max'));
  const moved = page.waitForResponse((r) => r.url().includes('/api/whatif'));
  await page.locator('#patrol-time').fill(String(Math.round(max / 8)));
  assert.equal((await moved).status(), 200);
  await page.waitForFunction((rev) => window.patrolmap.state.rev !== rev, revBefore);

  // Reroute: press on route 0 (or a route beside it), drag to a point of route 1, release.
  await openTask(page, 'whatif');
  await page.locator('.mode[data-mode="reroute"]').click();
  await idle(page);
  const [from, to, stepsBefore] = await page.evaluate(() => {
    const { map, state } = window.patrolmap;
    const [r0, r1] = state.plan.routes.features;
    // A pixel where route 0 is drawn (the line is offset a little from its road).
    const onRoute0 = () => {
      for (const c of r0.geometry.coordinates.slice(Math.floor(r0.geometry.coordinates.length / 3))) {
        const p = map.project(c);
        for (let dx = -4; dx <= 4; dx++) for (let dy = -4; dy <= 4; dy++) {
          const hit = map.queryRenderedFeatures([p.x + dx, p.y + dy], { layers: ['routes'] });
          if (hit.length && hit[0].properties.n === 0) return [p.x + dx, p.y + dy];
        }
      }
      return null;
    };
    const target = map.project(r1.geometry.coordinates[Math.floor(r1.geometry.coordinates.length / 2)]);
    return [onRoute0(), [target.x, target.y], JSON.stringify(state.plan.routes.features.map((f) => f.properties.steps))];
  });
  assert.ok(from, 'route 0 is drawn somewhere on the screen');
  const box = await page.locator('#map').boundingBox();
  const edited = page.waitForResponse((r) => r.url().includes('/api/patrol/edit'));
  await page.mouse.move(box.x + from[0], box.y + from[1]);
  await page.mouse.down();
  await page.mouse.move(box.x + (from[0] + to[0]) / 2, box.y + (from[1] + to[1]) / 2, { steps: 5 });
  await page.mouse.move(box.x + to[0], box.y + to[1], { steps: 5 });
  await page.mouse.up();
  assert.equal((await edited).status(), 200);
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('路线已改道'), null, { timeout: 60000 });
  const stepsAfter = await page.evaluate(() => JSON.stringify(window.patrolmap.state.plan.routes.features.map((f) => f.properties.steps)));
  assert.notEqual(stepsAfter, stepsBefore, 'the dragged route now drives another street');
  assert.match(await page.locator('#patrol-summary').innerText(), /2 条路线/);
  // Undone: the routes as planned.
  await openTask(page, 'patrol');
  await page.locator('#patrol-undo').click();
  const stepsUndone = await page.evaluate(() => JSON.stringify(window.patrolmap.state.plan.routes.features.map((f) => f.properties.steps)));
  assert.equal(stepsUndone, stepsBefore);
  assert.ok(await page.locator('#patrol-undo').isDisabled());
  assert.deepEqual(errors, []);
  await context.close();
});

test('switching language changes every label', async () => {
  const { page, context } = await openMap();
  assert.equal(await page.locator('header strong').innerText(), '巡防指挥图');
  const zh = await page.locator('#panel').innerText();
  await page.locator('#lang').click();
  assert.equal(await page.locator('header strong').innerText(), 'Patrol command map');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  const en = await page.locator('#panel').innerText();
  assert.notEqual(en, zh);
  // No Chinese left in the English panel but the names of places and units from the data.
  const labels = await page.locator('#panel [data-i18n], #legend, #toggles, #stats, #tasks, .maplibregl-ctrl-attrib-inner').allInnerTexts();
  assert.ok(labels.every((t) => !/[\u4e00-\u9fff]/.test(t)), labels.join(' | '));
  // Both languages have every key.
  const keys = await page.evaluate(async () => (await import('/i18n.js')).KEYS);
  assert.deepEqual([...keys.en].sort(), [...keys.zh].sort());
  await page.locator('#lang').click();
  assert.equal(await page.locator('header strong').innerText(), '巡防指挥图');
  await context.close();
});

test('a laptop screen shows the whole panel and map', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  const map = await page.locator('#map').boundingBox();
  assert.ok(map.width > 900 && map.height > 600, JSON.stringify(map));
  assert.ok(await roadPixels(page) > 2000);
  assert.deepEqual(errors, []);
  await context.close();
});

test('suggested posts show their gains, and one accepted becomes a post that raises the coverage', async () => {
  const { page, errors, context } = await openMap();
  const share180 = () => window.patrolmap.state.summary.coverage.find((c) => c.budget_s === 180).share;
  const before = await page.evaluate(share180);
  const units = await page.locator('.unit-marker').count();
  await openTask(page, 'posts');
  await page.locator('#suggest-count').fill('3');
  await page.locator('#suggest').click();
  await page.locator('#suggestions li').nth(2).waitFor({ timeout: 60000 });
  assert.equal(await page.locator('.suggestion-marker').count(), 3);
  const answer = await page.evaluate(() => window.patrolmap.state.placement.answer);
  assert.ok(answer.share > answer.share_before && answer.share <= answer.upper_bound_share + 1e-12, JSON.stringify(answer));
  // Issue 17: the units already there are counted as the stats panel counts them (each on its
  // own mode: foot and e-bike units were counted as cars, 42.8 % against 39.8 %); whole road
  // segments, so at most the panel's share of road length, and the summary says so.
  assert.ok(answer.share_before <= before + 1e-9 && answer.share_before > 0.85 * before, `${answer.share_before} vs ${before}`);
  assert.match(await page.locator('#suggest-summary').innerText(), /整段/);
  // Each suggestion says what it adds, in metres.
  const first = await page.locator('#suggestions li').first().innerText();
  assert.match(first, new RegExp(Math.round(answer.added[0].gain).toLocaleString()));
  // Reject the last, accept the first: one more post on the map, the coverage rises.
  await page.locator('#suggestions li').last().locator('button.reject').click();
  assert.equal(await page.locator('#suggestions li').count(), 2);
  await page.locator('#suggestions li').first().locator('button.accept').click();
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length === n + 1, units);
  assert.equal(await page.locator('.suggestion-marker').count(), 1);
  await page.waitForFunction((b) => !window.patrolmap.state.inFlight && window.patrolmap.state.summary.coverage.find((c) => c.budget_s === 180).share > b, before, { timeout: 30000 });
  const posts = await page.evaluate(() => window.patrolmap.state.scenario.features.filter((f) => f.properties.kind === 'post' && f.properties.id.startsWith('suggested-')).length);
  assert.equal(posts, 1);
  // The fewest posts for every checkpoint within a minute: as many markers as posts, and the
  // summary says whether that is proven the fewest.
  await page.locator('#suggest-budget').selectOption('60');
  await page.locator('#cover-checkpoints').click();
  await page.waitForFunction(() => window.patrolmap.state.placement.answer?.lower_bound > 0, null, { timeout: 60000 });
  const cover = await page.evaluate(() => window.patrolmap.state.placement.answer);
  assert.ok(cover.added.length >= cover.lower_bound, JSON.stringify(cover));
  assert.equal(await page.locator('.suggestion-marker').count(), cover.added.length);
  assert.match(await page.locator('#suggest-summary').innerText(), new RegExp(`${cover.added.length}`));
  assert.deepEqual(errors, []);
  await context.close();
});

test('an event venue drawn on the map gets a security plan, and the plan prints', async () => {
  const { page, errors, context } = await openMap();
  // Zoom to the middle of the city, then draw a square venue with four clicks.
  await page.evaluate(() => window.patrolmap.map.jumpTo({ center: [-54.586, -20.459], zoom: 15 }));
  await idle(page);
  await openTask(page, 'events');
  await page.locator('#event-name').fill('体育场');
  await page.locator('#event-standard').fill('60:1,180:2');
  await page.locator('#venue-draw').click();
  const box = await page.locator('#map').boundingBox();
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  for (const [dx, dy] of [[-120, -120], [120, -120], [120, 120], [-120, 120]]) {
    await page.mouse.click(cx + dx, cy + dy);
    await page.waitForTimeout(400); // not a double click
  }
  await page.locator('#venue-finish').click();
  const venue = await page.evaluate(() => window.patrolmap.state.scenario.features.find((f) => f.properties.kind === 'event_area'));
  assert.equal(venue.geometry.coordinates[0].length, 5);
  await page.locator('#event-plan').click();
  await page.locator('#compliance tr').nth(2).waitFor({ timeout: 60000 });
  const plan = await page.evaluate(() => window.patrolmap.state.placement.plan);
  assert.equal(plan.standard, '60:1,180:2');
  assert.ok(plan.posts.length >= 1);
  assert.equal(await page.locator('.event-marker').count(), plan.posts.length);
  for (const c of plan.compliance) assert.ok(c.road_met_after_m >= c.road_met_before_m - 1e-6, JSON.stringify(c));
  // The printable page: the map, the post list and the compliance table; it prints to PDF.
  const [print] = await Promise.all([context.waitForEvent('page'), page.locator('#event-print').click()]);
  assert.match(print.url(), /\/print\.html$/);
  assert.deepEqual(errors, []);
  // Headless chromium draws WebGL in one page of the context only: the command map steps
  // aside and the plan is opened again (it comes from localStorage, as on a reload).
  await page.close();
  const printErrors = [];
  print.on('pageerror', (e) => printErrors.push(e.message));
  await print.reload();
  await print.waitForFunction(() => window.patrolmapPrint?.map?.loaded(), null, { timeout: 60000 });
  await print.evaluate(() => new Promise((resolve) => {
    const map = window.patrolmapPrint.map;
    map.once('idle', resolve);
    map.triggerRepaint();
  }));
  // The map is drawn: dark road lines on the white page.
  const png = PNG.sync.read(await print.locator('#print-map canvas').screenshot());
  let drawn = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 200 && png.data[i + 1] < 200) drawn += 1;
  assert.ok(drawn > 1000, `${drawn} drawn pixels`);
  assert.equal(await print.locator('#print-posts tr').count(), plan.posts.length + 1);
  assert.equal(await print.locator('#print-compliance tr').count(), plan.compliance.length + 1);
  assert.match(await print.locator('#print-facts').innerText(), /体育场/);
  assert.equal(await print.locator('.print-marker').count(), plan.posts.length);
  const pdf = await print.pdf({ format: 'A4', printBackground: true });
  assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
  assert.ok(pdf.length > 20000, `${pdf.length} bytes`);
  assert.deepEqual(printErrors, []);
  await context.close();
});

test('a scenario saved as versions: a save on top of someone else\'s is refused, theirs can be loaded', async () => {
  const { page, errors, context } = await openMap();
  const name = `e2e-${Date.now()}`;
  await openTask(page, 'versions');
  await page.locator('#save-name').fill(name);
  await page.locator('#save-message').fill('初稿');
  await page.locator('#save').click();
  await page.waitForFunction(() => window.patrolmap.state.versions.id != null);
  const v1 = await page.evaluate(() => window.patrolmap.state.versions.id);
  assert.match(await page.locator('#version-status').innerText(), new RegExp(String(v1)));
  // The name just saved is offered in the list of saved names at once.
  await page.waitForFunction((n) => [...document.querySelectorAll('#saved-names option')].some((o) => o.value === n), name);
  await page.waitForFunction(() => document.querySelectorAll('#version-list li').length === 1);
  // Another planner saves on v1, moving the first unit.
  const v2 = await page.evaluate(async ([n, base, token]) => {
    const s = structuredClone(window.patrolmap.state.scenario);
    s.features[0].geometry.coordinates[0] += 0.01;
    const r = await fetch(`/api/scenarios/${encodeURIComponent(n)}?base=${base}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(s) });
    return (await r.json()).id;
  }, [name, v1, wangToken]);
  // Our save (still on v1) is refused, and says what changed.
  await page.locator('#save').click();
  await page.locator('#version-conflict').waitFor();
  assert.match(await page.locator('#conflict-text').innerText(), /wang/);
  assert.equal(await page.evaluate(() => window.patrolmap.state.versions.conflict.changes.moved.length), 1);
  // Load theirs: the map has their unit where they moved it, and we are on their version.
  await page.locator('#conflict-reload').click();
  await page.waitForFunction((id) => window.patrolmap.state.versions.id === id, v2);
  assert.ok(await page.locator('#version-conflict').isHidden());
  // Saved again on top of theirs: a third version, all three listed.
  await page.locator('#save').click();
  await page.waitForFunction((id) => window.patrolmap.state.versions.id > id, v2);
  await page.waitForFunction(() => document.querySelectorAll('#version-list li').length === 3);
  // The oldest compared with the latest: what changed and the coverage of each, tier by tier.
  const oldest = page.locator('#version-list li').last();
  await oldest.getByRole('button', { name: '与最新比较' }).click();
  await page.locator('#compare-result').waitFor();
  assert.equal(await page.locator('#compare-table tr').count(), 3);
  assert.match(await page.locator('#compare-text').innerText(), new RegExp(`${v1} → `));
  const compared = await page.evaluate(() => window.patrolmap.state.versions.compared);
  assert.equal(compared.changes.moved.length, 1);
  // Restored: the oldest becomes the newest, a fourth version; the map has its scenario.
  await oldest.getByRole('button', { name: '恢复' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#version-list li').length === 4);
  assert.match(await page.locator('#version-status').innerText(), new RegExp(`${v1}`));
  const saved = await (await as(adminToken, `/api/versions/${v1}`)).json();
  const shown = await page.evaluate(() => window.patrolmap.state.scenario.features[0].geometry.coordinates);
  assert.deepEqual(shown, saved.scenario.features[0].geometry.coordinates);
  // The browser logs the refused save (409) as a failed resource: that one is by design.
  assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), []);
  assert.equal(errors.length, 1);
  await context.close();
});

test('signing in: a wrong token is refused, a viewer sees the map but no editing tools', async () => {
  const viewer = await as(adminToken, '/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'wall-display', role: 'viewer' }) });
  const viewerToken = (await viewer.json()).token;
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/`);
  await page.locator('#signin').waitFor();
  await page.locator('#signin-token').fill('pm_wrong');
  await page.locator('#signin button[type=submit]').click();
  await page.waitForFunction(() => document.getElementById('signin-error').textContent.length > 0);
  // The server's refusal in the user's language (by its code), not in the server's English.
  const refusal = await page.locator('#signin-error').innerText();
  assert.match(refusal, /登录失败/);
  assert.match(refusal, /令牌无效/);
  assert.doesNotMatch(refusal, /not recognised/);
  await page.locator('#signin-token').fill(viewerToken);
  await page.locator('#signin button[type=submit]').click();
  await page.waitForFunction(() => window.patrolmap?.map?.loaded() && window.patrolmap.state.summary, null, { timeout: 60000 });
  await idle(page);
  assert.ok(await page.locator('#signin').isHidden());
  assert.match(await page.locator('#who').innerText(), /wall-display/);
  assert.ok(await roadPixels(page) > 2000, 'the viewer sees the coloured roads');
  for (const id of ['#patrol-plan', '#save', '#suggest', '#user-add', '#import']) {
    assert.ok(await page.locator(id).isHidden(), `${id} is hidden from a viewer`);
  }
  await openTask(page, 'versions');
  assert.ok(await page.locator('#save-name').isVisible(), 'a viewer sees the saved versions');
  // The server agrees: the page's cookie does not let a viewer save.
  const refused = await page.evaluate(async () => (await fetch('/api/scenarios/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"FeatureCollection","features":[]}' })).status);
  assert.equal(refused, 403);
  // Signed out: back to the sign-in form.
  await page.locator('#sign-out').click();
  await page.locator('#signin').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('an admin adds a user from the panel, and it is in the audit log', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'admin');
  await page.locator('#user-name').fill('zhao');
  await page.locator('#user-role').selectOption('viewer');
  await page.locator('#user-add').click();
  await page.waitForFunction(() => /pm_[0-9a-f]{48}/.test(document.getElementById('new-token').textContent));
  const token = (await page.locator('#new-token').innerText()).match(/pm_[0-9a-f]{48}/)[0];
  const session = await (await as(token, '/api/session')).json();
  assert.deepEqual([session.user, session.role], ['zhao', 'viewer']);
  // The action in words (the page is in Chinese), not the server's code.
  await page.waitForFunction(() => [...document.querySelectorAll('#audit tr')].some((tr) => tr.textContent.includes('添加用户') && tr.textContent.includes('zhao')));
  assert.doesNotMatch(await page.locator('#audit').innerText(), /user_add/);
  assert.match(await page.locator('#user-list').innerText(), /zhao/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a refused save is merged: my changes on top of theirs, then saved', async () => {
  const { page, errors, context } = await openMap();
  const name = `merge-${Date.now()}`;
  await openTask(page, 'versions');
  await page.locator('#save-name').fill(name);
  await page.locator('#save').click();
  await page.waitForFunction(() => window.patrolmap.state.versions.id != null);
  const v1 = await page.evaluate(() => window.patrolmap.state.versions.id);
  // Wang moves the first unit and saves on v1.
  const theirs = await page.evaluate(async ([n, base, token]) => {
    const s = structuredClone(window.patrolmap.state.scenario);
    s.features[0].geometry.coordinates = [-54.601, -20.451];
    const r = await fetch(`/api/scenarios/${encodeURIComponent(n)}?base=${base}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(s) });
    return { id: (await r.json()).id, moved: s.features[0].properties.id };
  }, [name, v1, wangToken]);
  // Meanwhile I delete the last feature and move the second one.
  const mine = await page.evaluate(() => {
    const features = window.patrolmap.state.scenario.features;
    const removed = features.pop().properties.id;
    features[1].geometry.coordinates = [-54.602, -20.452];
    return { removed, moved: features[1].properties.id };
  });
  await page.locator('#save').click();
  await page.locator('#version-conflict').waitFor();
  await page.locator('#conflict-merge').click();
  await page.waitForFunction(() => window.patrolmap.state.versions.merged != null);
  const merged = await page.evaluate(() => window.patrolmap.state.scenario.features.map((f) => [f.properties.id, f.geometry.coordinates]));
  const at = (id) => merged.find(([i]) => i === id)?.[1];
  assert.deepEqual(at(theirs.moved), [-54.601, -20.451], 'their move is kept');
  assert.deepEqual(at(mine.moved), [-54.602, -20.452], 'my move is applied');
  assert.equal(at(mine.removed), undefined, 'my deletion is applied');
  assert.equal(await page.evaluate(() => window.patrolmap.state.versions.merged.clashes), 0);
  // Saved on top of theirs: accepted, and the stored version has all three changes.
  await page.locator('#save').click();
  await page.waitForFunction((id) => window.patrolmap.state.versions.id > id, theirs.id);
  const v3 = await page.evaluate(() => window.patrolmap.state.versions.id);
  const stored = (await (await as(adminToken, `/api/versions/${v3}`)).json()).scenario.features;
  const storedAt = (id) => stored.find((f) => f.properties.id === id)?.geometry.coordinates;
  assert.deepEqual(storedAt(theirs.moved), [-54.601, -20.451]);
  assert.deepEqual(storedAt(mine.moved), [-54.602, -20.452]);
  assert.equal(storedAt(mine.removed), undefined);
  assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), []);
  await context.close();
});

test('a saved version keeps its patrol plan: opened again, the routes are back and checked', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'patrol');
  await page.locator('#patrol-units').fill('2');
  await page.locator('#patrol-plan').click();
  await page.waitForFunction(() => window.patrolmap.state.plan?.routes.features.length === 2, null, { timeout: 60000 });
  const name = `plan-${Date.now()}`;
  await openTask(page, 'versions');
  await page.locator('#save-name').fill(name);
  await page.locator('#save').click();
  await page.waitForFunction(() => window.patrolmap.state.versions.id != null);
  const id = await page.evaluate(() => window.patrolmap.state.versions.id);
  const saved = (await (await as(adminToken, `/api/versions/${id}`)).json()).scenario.features;
  assert.equal(saved.filter((f) => f.properties.kind === 'patrol_route').length, 2);
  await context.close();
  // Another planner opens it on a fresh page: the plan is on the map again, re-checked.
  const other = await openMap(undefined, wangToken);
  await openTask(other.page, 'versions');
  await other.page.locator('#save-name').fill(name);
  await other.page.locator('#save-name').dispatchEvent('change');
  await other.page.locator('#version-list li button').first().click();
  await other.page.waitForFunction(() => window.patrolmap.state.plan?.routes.features.length === 2, null, { timeout: 60000 });
  assert.match(await other.page.locator('#patrol-summary').innerText(), /2 条路线/);
  assert.ok(await other.page.evaluate(() => !window.patrolmap.state.scenario.features.some((f) => f.properties.kind === 'patrol_route')));
  assert.deepEqual([...errors, ...other.errors], []);
  await other.context.close();
});

test('a CSV and a GeoJSON file are imported from the panel (sent as their bytes, the format told by the name)', async () => {
  const { page, errors, context } = await openMap();
  const csv = 'kind,id,lon,lat,mode\nunit,imported-1,-54.60,-20.46,car\nunit,imported-2,-54.59,-20.47,foot\ncheckpoint,gate,-54.61,-20.45,\n';
  const before = await page.evaluate(() => window.patrolmap.state.summary.units);
  await page.locator('#import').setInputFiles({ name: 'units.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('#import-replace').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'imported-2'));
  await page.waitForFunction((n) => window.patrolmap.state.summary.units !== n, before);
  assert.equal(await page.evaluate(() => window.patrolmap.state.summary.units), 2);
  const geojson = JSON.stringify({ type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { kind: 'post', id: 'kiosk-9', class: 'kiosk' }, geometry: { type: 'Point', coordinates: [-54.58, -20.46] } }] });
  await page.locator('#import').setInputFiles({ name: 'posts.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(geojson) });
  await page.locator('#import-replace').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'kiosk-9'));
  await page.waitForFunction(() => window.patrolmap.state.summary.units === 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: each tier is said in words where checkpoints are counted (not "梯次")', async () => {
  const { page, errors, context } = await openMap();
  const stats = await page.locator('#stats').innerText();
  assert.match(stats, /1 分钟 1 警力/);
  assert.doesNotMatch(stats, /梯次/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: a turned map comes back north by its compass; a quick double click in add mode adds, never zooms', async () => {
  const { page, errors, context } = await openMap();
  await page.evaluate(() => window.patrolmap.map.setBearing(75));
  await page.locator('.maplibregl-ctrl-compass').click();
  await page.waitForFunction(() => Math.abs(window.patrolmap.map.getBearing()) < 0.01);
  assert.ok(await page.locator('.maplibregl-ctrl-fullscreen').isVisible(), 'a full-screen button');
  await openTask(page, 'whatif');
  await page.locator('.mode[data-mode="add"]').click();
  const zoom = await page.evaluate(() => window.patrolmap.map.getZoom());
  const count = await page.locator('.unit-marker').count();
  const map = await page.locator('#map').boundingBox();
  await page.mouse.dblclick(map.x + map.width / 2 + 40, map.y + map.height / 2 + 30);
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length > n, count);
  await page.waitForFunction(() => !window.patrolmap.state.inFlight);
  await idle(page);
  assert.equal(await page.evaluate(() => window.patrolmap.map.getZoom()), zoom);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: forty patrol units on the demo city: the idle ones are said, and what-ifs still work', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'patrol');
  // More units than tasks (22 checkpoints and a few runs of line): some have nothing to do.
  await page.locator('#patrol-units').fill('40');
  await page.locator('#patrol-plan').click();
  await page.waitForFunction(() => window.patrolmap.state.plan, null, { timeout: 60000 });
  await page.waitForFunction(() => !window.patrolmap.state.inFlight);
  assert.match(await page.locator('#patrol-summary').innerText(), /留守待命/);
  const revBefore = await page.evaluate(() => window.patrolmap.state.rev);
  const statsBefore = await page.locator('#stats').innerText();
  const marker = page.locator('.unit-marker.car').first();
  const box = await marker.boundingBox();
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i += 1) await page.mouse.move(x + 25 * i, y + 18 * i);
  await page.mouse.up();
  await page.waitForFunction((rev) => window.patrolmap.state.rev !== rev && !window.patrolmap.state.inFlight, revBefore);
  assert.notEqual(await page.locator('#stats').innerText(), statsBefore);
  assert.equal(await page.locator('#undo').isEnabled(), true);
  assert.doesNotMatch(await page.locator('#status').innerText(), /GeoJSON|错误|error/i);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: a viewer opening a saved version with patrol routes sees them checked', async () => {
  const made = await as(adminToken, '/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `wall-${Date.now()}`, role: 'viewer' }) });
  const viewerToken = (await made.json()).token;
  const { page, context } = await openMap();
  await openTask(page, 'patrol');
  await page.locator('#patrol-units').fill('2');
  await page.locator('#patrol-plan').click();
  await page.waitForFunction(() => window.patrolmap.state.plan?.routes.features.length === 2, null, { timeout: 60000 });
  const name = `viewer-plan-${Date.now()}`;
  await openTask(page, 'versions');
  await page.locator('#save-name').fill(name);
  await page.locator('#save').click();
  await page.waitForFunction(() => window.patrolmap.state.versions.id != null);
  await context.close();
  const wall = await openMap(undefined, viewerToken);
  await openTask(wall.page, 'versions');
  await wall.page.locator('#save-name').fill(name);
  await wall.page.locator('#save-name').dispatchEvent('change');
  await wall.page.locator('#version-list li button').first().click();
  await wall.page.waitForFunction(() => window.patrolmap.state.plan?.routes.features.length === 2, null, { timeout: 60000 });
  assert.match(await wall.page.locator('#patrol-summary').innerText(), /2 条路线/);
  assert.deepEqual(wall.errors, []);
  await wall.context.close();
});

test('issue 17: the fewest posts for the checkpoints are counted in checkpoints, not metres', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'posts');
  await page.locator('#cover-checkpoints').click();
  await page.waitForFunction(() => document.querySelectorAll('#suggestions li').length > 0, null, { timeout: 90000 });
  const rows = await page.locator('#suggestions').innerText();
  assert.match(rows, /必巡点 \d+ 个/);
  assert.doesNotMatch(rows, /米/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: the wall display lists the saved scenarios and follows another user\'s save within 2 s', async () => {
  const json = { 'content-type': 'application/json' };
  const made = await as(adminToken, '/api/users', { method: 'POST', headers: json, body: JSON.stringify({ name: `wall-4k-${Date.now()}`, role: 'viewer' }) });
  const viewerToken = (await made.json()).token;
  const scenario = await (await as(adminToken, '/api/scenario')).json();
  const name = `duty-${Date.now()}`;
  const first = await (await as(wangToken, `/api/scenarios/${name}?message=first`, { method: 'POST', headers: json, body: JSON.stringify(scenario) })).json();
  const context = await browser.newContext({ viewport: { width: 3840, height: 2160 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/?wall#token=${viewerToken}`);
  await page.waitForFunction(() => window.patrolmap?.map?.loaded() && window.patrolmap.state.summary && window.patrolmap.state.wall, null, { timeout: 60000 });
  assert.ok(await page.locator('#panel').isHidden(), 'no panel on the wall');
  assert.ok(await page.locator('#wall-bar').isVisible());
  // The saved scenarios are listed: picked, not typed.
  await page.waitForFunction((n) => [...document.querySelectorAll('#wall-scenario option')].some((o) => o.value === n), name);
  await page.locator('#wall-scenario').selectOption(name);
  await page.waitForFunction((id) => window.patrolmap.state.wall.shown === id && !window.patrolmap.state.inFlight, first.id, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('#wall-tiers tr').length === 3);
  const unitsBefore = await page.evaluate(() => window.patrolmap.state.summary.units);
  // The wall at rest (the first version drawn), as it hangs between saves.
  await idle(page);
  // Another user saves a new version (one unit fewer): the wall shows it within 2 s.
  const fewer = structuredClone(scenario);
  fewer.features.splice(fewer.features.findIndex((f) => f.properties.kind === 'unit'), 1);
  const saved = Date.now();
  const second = await (await as(wangToken, `/api/scenarios/${name}?base=${first.id}&message=second`, { method: 'POST', headers: json, body: JSON.stringify(fewer) })).json();
  await page.waitForFunction((id) => window.patrolmap.state.wall.shown === id, second.id, { timeout: 2000 });
  const followedIn = Date.now() - saved;
  await page.waitForFunction((n) => window.patrolmap.state.summary.units === n - 1 && !window.patrolmap.state.inFlight, unitsBefore, { timeout: 10000 });
  assert.ok(followedIn < 2000, `followed in ${followedIn} ms`);
  // Type for a wall: the tiers are large at 3840x2160.
  const size = await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById('wall-tiers')).fontSize));
  assert.ok(size >= 48, `tier text ${size} px`);
  await idle(page);
  await page.screenshot({ path: path.join(root, 'target/wall-display.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: long work disables its buttons while it runs, and cancel stops it', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'posts');
  // A question that takes its whole time (30 s): three units at every checkpoint within a
  // minute has no proven answer on the demo city, so the search runs until it is stopped.
  await page.locator('#suggest-budget').selectOption('60');
  await page.locator('#suggest-units').selectOption('3');
  const asked = page.waitForRequest((r) => r.url().includes('/api/optimize'));
  await page.locator('#cover-checkpoints').click();
  assert.match((await asked).url(), /cover=checkpoints&budget_s=60&units=3/);
  // One click, one question: the buttons wait for the answer.
  assert.equal(await page.locator('#cover-checkpoints').isDisabled(), true);
  assert.equal(await page.locator('#suggest').isDisabled(), true);
  // The server's own progress: the stage in words, with its steps counted.
  await page.locator('#work-progress').waitFor({ timeout: 20000 });
  assert.match(await page.locator('#work-progress').innerText(), /计算可达范围 \d+ \/ \d+|寻找最优方案|排队等待/);
  const cancelled = page.waitForRequest((r) => r.method() === 'DELETE' && r.url().includes('/api/work/'));
  const aborted = page.waitForEvent('requestfailed', (r) => r.url().includes('/api/optimize'));
  await page.locator('#cancel-work').click();
  const [request] = await Promise.all([cancelled, aborted]);
  // The server's work ends too (not only the page's wait): /api/work says it is done.
  const work = new URL(request.url()).pathname;
  const stage = async () => {
    const r = await as(adminToken, work);
    return r.status === 404 ? 'gone' : (await r.json()).stage;
  };
  for (let tries = 0; !['done', 'gone'].includes(await stage()); tries++) {
    assert.ok(tries < 100, `${work} still running 10 s after cancel`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await page.waitForFunction(() => /已取消/.test(document.getElementById('suggest-summary').textContent));
  assert.equal(await page.locator('#cover-checkpoints').isEnabled(), true);
  assert.ok(await page.locator('#cancel-work').isHidden());
  assert.ok(await page.locator('#work-progress').isHidden());
  assert.deepEqual(errors.filter((e) => !e.includes('/api/optimize')), []);
  await context.close();
});

test('issue 17: search finds a unit and a street as you type; picking one flies there and selects it', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  const unit = await page.evaluate(() => {
    const i = window.patrolmap.state.scenario.features.findIndex((f) => f.properties.kind === 'unit');
    const f = window.patrolmap.state.scenario.features[i];
    return { index: i, id: f.properties.id, at: f.geometry.coordinates };
  });
  await page.locator('#search').fill(unit.id);
  await page.waitForFunction(() => !document.getElementById('search-results').hidden);
  await page.locator('#search-results li').first().click();
  await page.waitForFunction((i) => window.patrolmap.state.selected === i, unit.index);
  assert.ok(await page.locator('#selection').isVisible(), 'the unit is selected, its editor shown');
  await page.waitForFunction(() => !window.patrolmap.map.isMoving() && window.patrolmap.map.getZoom() >= 15);
  const seen = await page.evaluate(() => window.patrolmap.map.getBounds().toArray());
  assert.ok(seen[0][0] <= unit.at[0] && unit.at[0] <= seen[1][0] && seen[0][1] <= unit.at[1] && unit.at[1] <= seen[1][1], `${unit.at} in ${seen}`);
  // A street, as you type part of its name (no accents needed), picked with Enter.
  await page.locator('#search').fill('');
  await page.locator('#search').pressSequentially('afonso pen');
  await page.waitForFunction(() => [...document.querySelectorAll('#search-results li')].some((li) => /Afonso Pena/.test(li.textContent) && /道路/.test(li.textContent)));
  await page.locator('#search').press('Enter');
  await page.waitForFunction(() => window.patrolmap.state.searchPicked?.bbox && !window.patrolmap.map.isMoving());
  const bounds = await page.evaluate(() => window.patrolmap.map.getBounds().toArray());
  const [lon, lat] = await page.evaluate(() => window.patrolmap.state.searchPicked.position);
  assert.ok(bounds[0][0] <= lon && lon <= bounds[1][0] && bounds[0][1] <= lat && lat <= bounds[1][1], 'the street is in view');
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: the page brings its own Chinese font (no machine font needed), served by patrolmap', async () => {
  const { page, errors, context } = await openMap();
  const fontRequests = [];
  page.on('response', (r) => { if (r.url().includes('/vendor/noto-sans-sc/')) fontRequests.push(r.status()); });
  await page.evaluate(() => document.fonts.ready);
  const loaded = await page.evaluate(async () => {
    await document.fonts.load('16px "Noto Sans SC Variable"', '巡防指挥图');
    return document.fonts.check('16px "Noto Sans SC Variable"', '巡防指挥图');
  });
  assert.equal(loaded, true);
  const family = await page.evaluate(() => getComputedStyle(document.querySelector('header .brand strong')).fontFamily);
  assert.match(family, /^"Noto Sans SC Variable"/);
  assert.ok(fontRequests.every((s) => s === 200), `${fontRequests}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: a basemap made from the city\'s OSM file: street and place names in the page\'s language, water and parks, nothing fetched', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) outside.push(r.url()); });
  await page.evaluate(() => window.patrolmap.map.jumpTo({ zoom: 15, center: [-54.5625, -20.464] }));
  await idle(page);
  const drawn = await page.evaluate(() => {
    const map = window.patrolmap.map;
    const names = (layer) => map.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.name);
    return { streets: names('label-street'), places: names('label-place'), field: map.getLayoutProperty('label-street', 'text-field'), glyphs: map.getStyle().glyphs ?? null };
  });
  assert.ok(drawn.streets.length > 10, `${drawn.streets.length} street labels`);
  assert.ok(drawn.streets.some((n) => /^(Rua|Avenida) /.test(n)), drawn.streets.slice(0, 5).join());
  assert.ok(drawn.places.length > 0);
  // Chinese first in Chinese; no glyph server: MapLibre draws the labels with the page's font.
  assert.deepEqual(drawn.field.slice(0, 2), ['coalesce', ['get', 'name:zh']]);
  assert.equal(drawn.glyphs, null);
  await page.locator('#lang').click();
  assert.deepEqual(await page.evaluate(() => window.patrolmap.map.getLayoutProperty('label-street', 'text-field')[1]), ['get', 'name:en']);
  // Zoomed out over the centre: the lake and the parks are filled.
  await page.evaluate(() => window.patrolmap.map.jumpTo({ zoom: 13, center: [-54.5625, -20.464] }));
  await idle(page);
  const areas = await page.evaluate(() => ({
    water: window.patrolmap.map.queryRenderedFeatures({ layers: ['base-water'] }).length,
    park: window.patrolmap.map.queryRenderedFeatures({ layers: ['base-park', 'base-landcover'] }).length,
  }));
  assert.ok(areas.water > 0 && areas.park > 0, JSON.stringify(areas));
  // The basemap can be hidden like any layer.
  await page.locator('#toggles input[data-layer="labels"]').uncheck();
  assert.equal(await page.evaluate(() => window.patrolmap.map.getLayoutProperty('label-street', 'visibility')), 'none');
  await page.screenshot({ path: path.join(root, 'target/basemap-1366x768.png') });
  assert.deepEqual(outside, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: the coverage areas come as vector tiles of the current revision, asked for only while shown', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  const asked = [];
  page.on('request', (r) => { if (r.url().includes('/api/coverage/')) asked.push(new URL(r.url()).pathname.split('/').slice(0, 4).join('/')); });
  await idle(page);
  assert.deepEqual(asked.filter((p) => p.includes('areas')), [], 'hidden: not asked for');
  await page.locator('#toggles input[data-layer="polygons"]').check();
  await idle(page);
  const drawn = await page.evaluate(() => window.patrolmap.map.queryRenderedFeatures({ layers: ['polygons'] }).map((f) => f.properties.tier));
  assert.ok(drawn.length > 0, 'areas drawn');
  assert.deepEqual([...new Set(drawn)].sort(), [0, 1, 2, 3].filter((t) => drawn.includes(t)));
  assert.ok(asked.includes('/api/coverage/areas'), asked.join());
  assert.ok(!asked.includes('/api/coverage/polygons'), 'no whole-city GeoJSON');
  // A what-if: the areas follow the new revision.
  const rev = await page.evaluate(() => window.patrolmap.state.rev);
  await page.locator('.unit-marker').first().dragTo(page.locator('#map'), { targetPosition: { x: 700, y: 400 } });
  await page.waitForFunction((r) => window.patrolmap.state.rev !== r && !window.patrolmap.state.inFlight, rev, { timeout: 30000 });
  await idle(page);
  const tiles = await page.evaluate(() => window.patrolmap.map.getSource('polygons').tiles[0]);
  assert.match(tiles, new RegExp(`rev=${await page.evaluate(() => window.patrolmap.state.rev)}$`));
  assert.deepEqual(errors, []);
  await context.close();
});

/** The panel's controls of the open task lying below the first screen (lists of results,
 * which grow and scroll, aside). */
async function controlsBelowTheFold(page) {
  return page.evaluate(() => {
    const height = window.innerHeight;
    const skip = '#version-list, #suggestions, #user-list, #audit, #compare-result, #gap-list, #live-units';
    return [...document.querySelectorAll('#panel button, #panel input, #panel select, #panel a.button')]
      .filter((el) => el.offsetParent !== null && !el.closest(skip))
      .filter((el) => el.getBoundingClientRect().bottom > height)
      .map((el) => el.id || el.dataset.i18n || el.outerHTML.slice(0, 60));
  });
}

for (const viewport of [{ width: 1366, height: 768 }, { width: 3840, height: 2160 }]) {
  test(`issue 17: every task's controls are on the first screen at ${viewport.width}x${viewport.height}`, async () => {
    const { page, errors, context } = await openMap(viewport);
    const tasks = await page.locator('#tasks [data-task]').evaluateAll((tabs) => tabs.filter((b) => b.offsetParent !== null).map((b) => b.dataset.task));
    assert.deepEqual(tasks, ['situation', 'whatif', 'patrol', 'posts', 'events', 'live', 'versions', 'admin']);
    for (const task of tasks) {
      await openTask(page, task);
      assert.deepEqual(await controlsBelowTheFold(page), [], `${task} at ${viewport.width}x${viewport.height}`);
      await page.screenshot({ path: path.join(root, `target/task-${task}-${viewport.width}.png`) });
    }
    // The selected unit's editor is beside it on the map, not down the panel.
    await page.locator('.unit-marker').first().click();
    await page.locator('#selection').waitFor();
    const card = await page.locator('#selection').boundingBox();
    const map = await page.locator('#map').boundingBox();
    assert.ok(card.x >= map.x && card.y >= map.y && card.y + card.height <= viewport.height, JSON.stringify({ card, map }));
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('issue 17: the gaps come as a ranked list; one clicked is flown to', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  await page.locator('#toggles input[data-layer="gaps"]').check();
  await page.locator('#gap-list li').first().waitFor({ timeout: 30000 });
  const items = await page.locator('#gap-list li').allInnerTexts();
  assert.ok(items.length >= 3 && items.length <= 10, items.join(' | '));
  assert.match(items[0], /^盲区 1：[\d.]+ (米|公里)/);
  const before = await page.evaluate(() => window.patrolmap.map.getCenter().toArray().join());
  await page.locator('#gap-list li button').first().click();
  await page.waitForFunction((c) => !window.patrolmap.map.isMoving() && window.patrolmap.map.getCenter().toArray().join() !== c, before);
  const seen = await page.evaluate(() => window.patrolmap.map.getBounds().toArray());
  // The largest gap as the server ranks it (the map asked for the same: rev 0, the last tier).
  const gaps = await (await as(adminToken, '/api/coverage/gaps?limit=10&tier=2')).json();
  const first = gaps.features[0].geometry.coordinates[0][0];
  assert.ok(seen[0][0] <= first[0] && first[0] <= seen[1][0] && seen[0][1] <= first[1] && first[1] <= seen[1][1], `${first} in ${seen}`);
  assert.deepEqual(errors, []);
  await context.close();
});


test('issue 17: keys: Ctrl+Z undoes, Ctrl+Shift+Z redoes, Delete removes the selected unit, Esc leaves a tool', async () => {
  const { page, errors, context } = await openMap();
  const count = await page.locator('.unit-marker').count();
  await openTask(page, 'whatif');
  await page.locator('.mode[data-mode="add"]').click();
  const map = await page.locator('#map').boundingBox();
  await page.mouse.click(map.x + map.width / 2 + 60, map.y + map.height / 2 - 40);
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length === n + 1, count);
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => window.patrolmap.state.mode), 'inspect');
  await page.keyboard.press('Control+z');
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length === n, count);
  await page.keyboard.press('Control+Shift+z');
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length === n + 1, count);
  await page.locator('.unit-marker').last().click();
  await page.locator('#selection').waitFor();
  await page.keyboard.press('Delete');
  await page.waitForFunction((n) => document.querySelectorAll('.unit-marker').length === n, count);
  await page.waitForFunction(() => !window.patrolmap.state.inFlight);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: an import asks before it replaces the map; declined, nothing changes', async () => {
  const { page, errors, context } = await openMap();
  const before = await page.evaluate(() => window.patrolmap.state.scenario.features.length);
  page.declineDialogs = true;
  await page.locator('#import').setInputFiles({ name: 'two.csv', mimeType: 'text/csv', buffer: Buffer.from('lon,lat,kind,id\n-54.6,-20.46,unit,a\n-54.61,-20.47,post,b\n') });
  const asked = page.waitForEvent('dialog');
  await page.locator('#import-replace').click();
  const dialog = await asked;
  assert.match(dialog.message(), /two\.csv/);
  assert.equal(await page.evaluate(() => window.patrolmap.state.scenario.features.length), before);
  await page.locator('#import-cancel').click();
  await page.waitForFunction(() => /未导入/.test(document.getElementById('status').textContent));
  assert.ok(await page.locator('#import-preview').isHidden());
  assert.equal(await page.evaluate(() => window.patrolmap.state.scenario.features.length), before);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 17: server errors are said in Chinese, never in the server\'s English; a name with markup stays text', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  // Every error the server answers, as it wrote it.
  const said = [];
  page.on('response', async (r) => {
    if (r.status() >= 400 && r.url().includes('/api/')) said.push((await r.json().catch(() => ({}))).error);
  });
  // A file that is not a scenario, and a version name the store refuses.
  await page.locator('#import').setInputFiles({ name: 'broken.geojson', mimeType: 'application/geo+json', buffer: Buffer.from('{"type":"FeatureCollection","features":[{"type":"Feature"') });
  await page.waitForFunction(() => /错误|出错|无法|有误/.test(document.getElementById('status').textContent), null, { timeout: 20000 });
  const importSaid = await page.locator('#status').innerText();
  await openTask(page, 'versions');
  await page.locator('#save-name').fill('..');
  await page.locator('#save').click();
  await page.waitForFunction(() => document.getElementById('version-status').textContent.length > 0);
  const saveSaid = await page.locator('#version-status').innerText();
  assert.ok(said.filter(Boolean).length >= 2, JSON.stringify(said));
  const text = await page.evaluate(() => document.body.innerText);
  for (const message of said.filter(Boolean)) assert.ok(!text.includes(message), `shown raw: ${message}`);
  // Format names (GeoJSON, CSV) are words of both languages; no other Latin word is.
  // The file's own name is said too: it is the planner's, not the server's.
  for (const shown of [importSaid, saveSaid]) assert.doesNotMatch(shown.replace('broken.geojson', '').replace(/GeoJSON|JSON|CSV/g, ''), /[A-Za-z]{4,}/, shown);
  assert.match(importSaid, /broken\.geojson/, 'the error names the file');
  // A unit named with markup: the click card shows the name, nothing runs.
  const name = '<img src=x onerror="window.__ran=1">';
  const at = await page.evaluate((n) => {
    const { state, map } = window.patrolmap;
    const unit = state.scenario.features.find((f) => f.properties.kind === 'unit' && f.geometry?.type === 'Point');
    const i = state.scenario.features.indexOf(unit);
    state.store.perform('setProperty', i, 'name', n);
    const p = map.project(unit.geometry.coordinates);
    return [p.x, p.y];
  }, name);
  await openTask(page, 'situation');
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + at[0] + 25, box.y + at[1] + 25);
  await page.waitForFunction((n) => document.querySelector('.maplibregl-popup')?.textContent.includes(n), name, { timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__ran), undefined);
  assert.equal(await page.locator('.maplibregl-popup img').count(), 0);
  assert.deepEqual(errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e)), []);
  await context.close();
});

test('issue 18: an import is previewed with every bad feature and its reason; added by id, nothing lost; undo takes it back', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  const before = await page.evaluate(() => window.patrolmap.state.scenario);
  const unit = before.features.find((f) => f.properties.kind === 'unit');
  // 8 features, 6 bad: the file a tired planner sends. One good one has the id of a unit on the map.
  const good = [
    { type: 'Feature', properties: { kind: 'unit', id: unit.properties.id, mode: 'foot' }, geometry: { type: 'Point', coordinates: [-54.6, -20.46] } },
    { type: 'Feature', properties: { kind: 'post', id: 'file-kiosk', class: 'kiosk' }, geometry: { type: 'Point', coordinates: [-54.61, -20.47] } },
  ];
  const bad = [
    { type: 'Feature', properties: { kind: 'unit', id: 'b1' }, geometry: { type: 'Point', coordinates: [500, 20] } },
    { type: 'Feature', properties: { kind: 'unit', id: 'b2', mode: 'helicopter' }, geometry: { type: 'Point', coordinates: [-54.6, -20.46] } },
    { type: 'Feature', properties: { kind: 'unit', id: 'b3', turnout_s: -5 }, geometry: { type: 'Point', coordinates: [-54.6, -20.46] } },
    { type: 'Feature', properties: { kind: 'spaceship', id: 'b4' }, geometry: { type: 'Point', coordinates: [-54.6, -20.46] } },
    { type: 'Feature', properties: { kind: 'unit', id: 'b5' }, geometry: null },
    { type: 'Feature', properties: { kind: 'checkpoint', id: 'b6', weight: -1 }, geometry: { type: 'Point', coordinates: [-54.6, -20.46] } },
  ];
  const file = { type: 'FeatureCollection', features: [good[0], ...bad.slice(0, 3), good[1], ...bad.slice(3)] };
  await page.locator('#import').setInputFiles({ name: 'tired.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(file)) });
  await page.locator('#import-preview').waitFor({ state: 'visible' });
  // Nothing on the map has changed yet.
  assert.deepEqual(await page.evaluate(() => window.patrolmap.state.scenario), before);
  const problems = await page.locator('#import-problems li').allInnerTexts();
  assert.match(problems[0], /6 个要素未能读取/);
  assert.equal(problems.length, 7, problems.join('\n'));
  for (const n of [2, 3, 4, 6, 7, 8]) assert.ok(problems.some((p) => p.startsWith(`第 ${n} 个要素`)), `feature ${n}: ${problems.join(' | ')}`);
  // Each reason in Chinese, not the reader's English (the mode names are the values to type).
  for (const p of problems) assert.doesNotMatch(p.replace(/car|ebike|foot/g, ''), /[A-Za-z]{4,}/, p);
  assert.ok(problems.some((p) => /坐标无效/.test(p)) && problems.some((p) => /出行方式无法识别/.test(p)), problems.join(' | '));
  assert.match(await page.locator('#import-plan').innerText(), new RegExp(`新增 1 个.*替换 1 个.*${unit.properties.id}`));
  assert.match(await page.locator('#import-counts').innerText(), /utf-8/);
  // The preview is on the first screen at 1366x768.
  const box = await page.locator('#import-add').boundingBox();
  assert.ok(box && box.y + box.height <= 768, JSON.stringify(box));
  await page.locator('#import-add').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'file-kiosk'));
  const after = await page.evaluate(() => window.patrolmap.state.scenario.features);
  assert.equal(after.length, before.features.length + 1, 'nothing lost: one added, one replaced');
  assert.equal(after.find((f) => f.properties.id === unit.properties.id).properties.mode, 'foot');
  for (const f of before.features) if (f.properties.id !== unit.properties.id) assert.ok(after.some((g) => JSON.stringify(g) === JSON.stringify(f)), f.properties.id);
  await page.locator('#undo').click();
  await page.waitForFunction((n) => window.patrolmap.state.scenario.features.length === n, before.features.length);
  assert.deepEqual(await page.evaluate(() => window.patrolmap.state.scenario), before);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 18: a CSV saved by Chinese Excel (GBK) imports with its Chinese text intact', async () => {
  const { page, errors, context } = await openMap();
  // GBK bytes, written by Python's codec (an encoder independent of the server's decoder).
  const { execFileSync } = await import('node:child_process');
  const gbk = execFileSync('python3', ['-c', 'import sys; sys.stdout.buffer.write("类型,编号,名称,经度,纬度\\n岗亭,gbk-1,岳塘区一号岗亭,-54.6,-20.46\\n".encode("gbk"))']);
  assert.ok(!gbk.toString('utf8').includes('岗亭'), 'the file is GBK, not UTF-8');
  await page.locator('#import').setInputFiles({ name: '岗亭.csv', mimeType: 'text/csv', buffer: gbk });
  await page.locator('#import-preview').waitFor({ state: 'visible' });
  assert.match(await page.locator('#import-counts').innerText(), /gb18030/);
  await page.locator('#import-add').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'gbk-1'));
  const post = await page.evaluate(() => window.patrolmap.state.scenario.features.find((f) => f.properties.id === 'gbk-1'));
  assert.equal(post.properties.name, '岳塘区一号岗亭');
  assert.equal(post.properties.kind, 'post');
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 18: a GeoPackage in Gauss-Krüger imports with its system said; the scenario exports as a zipped Shapefile in CGCS2000', async () => {
  const { page, errors, context } = await openMap();
  // Written by GDAL from a WGS 84 point: the map must show it back at the same place.
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/patrolmap-e2e-gpkg-');
  writeFileSync(`${dir}/p.geojson`, JSON.stringify({ type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { 类型: '岗亭', 编号: 'gk-1', 名称: '测试岗亭' }, geometry: { type: 'Point', coordinates: [-54.6, -20.46] } }] }));
  try {
    execFileSync('ogr2ogr', ['-f', 'GPKG', '-t_srs', 'EPSG:32721', `${dir}/p.gpkg`, `${dir}/p.geojson`]);
  } catch {
    if (process.env.CI === 'true') throw new Error('ogr2ogr is missing on CI');
    await context.close();
    return; // no GDAL here
  }
  await page.locator('#import').setInputFiles({ name: '岗亭.gpkg', mimeType: 'application/octet-stream', buffer: readFileSync(`${dir}/p.gpkg`) });
  await page.locator('#import-preview').waitFor({ state: 'visible' });
  assert.match(await page.locator('#import-counts').innerText(), /EPSG:32721.*已转换为 WGS 84/);
  await page.locator('#import-add').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'gk-1'));
  const post = await page.evaluate(() => window.patrolmap.state.scenario.features.find((f) => f.properties.id === 'gk-1'));
  assert.equal(post.properties.name, '测试岗亭');
  assert.ok(Math.abs(post.geometry.coordinates[0] + 54.6) < 1e-7 && Math.abs(post.geometry.coordinates[1] + 20.46) < 1e-7, `${post.geometry.coordinates}`);
  await page.locator('#export-format').selectOption('shapefile');
  await page.locator('#export-crs').selectOption('EPSG:4490');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
  assert.equal(download.suggestedFilename(), 'scenario.zip');
  const bytes = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks));
  writeFileSync(`${dir}/out.zip`, bytes);
  const info = execFileSync('ogrinfo', ['-ro', '-so', `/vsizip/${dir}/out.zip/scenario_points.shp`, 'scenario_points']).toString();
  assert.match(info, /ID\["EPSG",4490\]/);
  assert.match(info, /Feature Count: \d+/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 18: points with longitude and latitude swapped are warned of in the preview, and read again swapped at a click', async () => {
  const { page, errors, context } = await openMap();
  const csv = 'lon,lat,kind,id\n-20.46395093462792,-54.56249193033872,post,sw-1\n-20.403918975505658,-54.59064966428649,post,sw-2\n';
  await page.locator('#import').setInputFiles({ name: 'swapped.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const warning = page.locator('#import-warnings li[data-code="lon_lat_swapped"]');
  await warning.waitFor();
  assert.match(await warning.innerText(), /经纬度似乎写反了/);
  await warning.locator('button.fix').click();
  await page.waitForFunction(() => !document.querySelector('#import-warnings li[data-code="lon_lat_swapped"]'));
  await page.locator('#import-add').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'sw-1'));
  const post = await page.evaluate(() => window.patrolmap.state.scenario.features.find((f) => f.properties.id === 'sw-1'));
  assert.deepEqual(post.geometry.coordinates, [-54.56249193033872, -20.46395093462792]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 18: a patrol plan\'s routes download as GPX tracks, one per unit, that GDAL reads', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'patrol');
  await page.locator('#patrol-units').fill('2');
  await page.locator('#patrol-plan').click();
  await page.waitForFunction(() => window.patrolmap.state.plan?.routes.features.length === 2, null, { timeout: 60000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#patrol-export').click()]);
  assert.equal(download.suggestedFilename(), 'patrol-routes.gpx');
  const text = await (await download.createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString('utf8'));
  assert.equal((text.match(/<trk>/g) ?? []).length, 2);
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/patrolmap-e2e-gpx-');
  writeFileSync(`${dir}/r.gpx`, text);
  try {
    const info = execFileSync('ogrinfo', ['-ro', '-so', `${dir}/r.gpx`, 'tracks']).toString();
    assert.match(info, /Feature Count: 2/);
  } catch (e) {
    if (e.code !== 'ENOENT' || process.env.CI === 'true') throw e;
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 19: a shift timetable with frequencies, hours and breaks: missed said first, replayed by the clock, printed as route cards', async () => {
  const { page, errors, context } = await openMap();
  await openTask(page, 'patrol');
  await page.locator('#patrol-units').fill('2');
  // A post's break typed on the map, first as nothing the planner can read: said, in Chinese.
  await page.locator('.unit-marker.post').first().click();
  await page.locator('#sel-break').fill('午饭');
  await page.locator('#sel-break').press('Tab');
  await page.locator('#patrol-timetable').click();
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('休息'), null, { timeout: 60000 });
  assert.ok(await page.evaluate(() => window.patrolmap.state.plan == null));
  await page.locator('#sel-break').fill('45m in 12:00-14:00');
  await page.locator('#sel-break').press('Tab');
  const typed = await page.evaluate(() => window.patrolmap.state.scenario.features.filter((f) => f.properties.break).map((f) => f.properties.break));
  assert.deepEqual(typed, ['45m in 12:00-14:00']);
  // A line's frequency set in the panel's list: one undoable change of the scenario.
  await page.locator('#patrol-schedules summary').click();
  const every = page.locator('#schedule-rows input[data-key="every"][data-kind="patrol_line"]').first();
  await every.fill('90m');
  await every.press('Tab');
  const line = async () => page.evaluate(() => window.patrolmap.state.scenario.features.find((f) => f.properties.kind === 'patrol_line').properties.every);
  assert.equal(await line(), '90m');
  await page.locator('#undo').click();
  assert.equal(await line(), undefined);
  assert.equal(await every.inputValue(), '');
  // The rest of the planner's schedules, as an imported file would carry them.
  await page.evaluate(() => {
    let i = 0;
    for (const f of window.patrolmap.state.scenario.features) {
      const p = f.properties;
      if (p.kind === 'patrol_line') p.every = '2h';
      if (p.kind === 'checkpoint') p.windows = (i++ % 2) ? '09:00-10:00' : '14:00-15:30';
      if (p.kind === 'post' && !p.break) p.break = '30m in 11:30-13:30';
    }
  });
  await page.locator('#patrol-timetable').click();
  await page.waitForFunction(() => window.patrolmap.state.plan?.timetable, null, { timeout: 60000 });
  const report = await page.evaluate(() => window.patrolmap.state.plan.timetable);
  assert.equal(report.timetables.length, 2);
  assert.equal(report.check.breaks_taken, 2);
  // What no unit can ever make is said first, with its reason; then the summary.
  const summary = await page.locator('#patrol-summary').innerText();
  assert.match(summary, /^未完成 \d+ 项：必巡点 checkpoint-\d+ \d\d:\d\d–\d\d:\d\d（巡组无法往返）/);
  assert.match(summary, new RegExp(`完成 ${report.check.passes_made}/${report.check.passes_required} 次巡逻，休息 2/2`));
  assert.equal(await page.locator('details.timetable').count(), 2);
  // Replayed by the clock: an hour and a half in is 09:30.
  await page.locator('#patrol-time').fill('5400');
  await idle(page);
  assert.match(await page.locator('#patrol-clock').innerText(), /09:30/);
  const units = await page.evaluate(() => window.patrolmap.map.queryRenderedFeatures({ layers: ['route-positions'] }).length);
  assert.ok(units >= 1, `units drawn: ${units}`);
  // In English too.
  await page.locator('#lang').click();
  assert.match(await page.locator('#patrol-summary').innerText(), /passes made, 2 of 2 breaks/);
  await page.locator('#lang').click();
  // The one error: the refused break above.
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
  // The route cards: one A4 page per unit, its route drawn, its timetable and streets.
  const [cards] = await Promise.all([context.waitForEvent('page'), page.locator('#patrol-cards').click()]);
  assert.match(cards.url(), /\/cards\.html$/);
  await page.close(); // headless chromium draws WebGL in one page of the context only
  const cardErrors = [];
  cards.on('pageerror', (e) => cardErrors.push(e.message));
  await cards.reload();
  await cards.waitForFunction(() => window.patrolmapCards?.ready, null, { timeout: 60000 });
  assert.equal(await cards.locator('.card').count(), 2);
  assert.equal(await cards.locator('.card').first().locator('.card-timetable li').count(), report.timetables[0].entries.length);
  assert.ok(await cards.locator('.card-streets li').count() > 4);
  assert.match(await cards.locator('.card').first().innerText(), /巡逻卡 · kiosk-1[\s\S]*时间表[\s\S]*行驶道路（按顺序）/);
  const png = PNG.sync.read(await cards.locator('.card-map').first().screenshot());
  let blue = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i + 2] > 150 && png.data[i] < 100) blue += 1;
  assert.ok(blue > 500, `${blue} route pixels`);
  // Printed to PDF; each card starts a page of its own: the pages of both together are those
  // of each alone, added.
  const pagesOf = async (shown) => {
    await cards.evaluate((shown) => document.querySelectorAll('.card').forEach((c, i) => { c.hidden = !shown.includes(i); }), shown);
    const pdf = await cards.pdf({ format: 'A4', printBackground: true });
    assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
    return (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length;
  };
  const [first, second, both] = [await pagesOf([0]), await pagesOf([1]), await pagesOf([0, 1])];
  assert.ok(first >= 1 && second >= 1, `${first} ${second}`);
  assert.equal(both, first + second);
  assert.deepEqual(cardErrors, []);
  await context.close();
});

test('issue 18: a CSV in UTM metres that names no system asks for it, then imports at the right place', async () => {
  const { page, errors, context } = await openMap();
  const { execFileSync } = await import('node:child_process');
  let xy;
  try {
    xy = execFileSync('gdaltransform', ['-s_srs', '+proj=longlat +datum=WGS84', '-t_srs', 'EPSG:32721', '-output_xy'], { input: '-54.6 -20.46\n' }).toString().trim().split(/\s+/);
  } catch (e) {
    if (e.code !== 'ENOENT' || process.env.CI === 'true') throw e;
    await context.close();
    return;
  }
  const asked = [];
  page.dialogAnswer = 'EPSG:32721';
  page.on('dialog', (d) => asked.push(d.message()));
  await page.locator('#import').setInputFiles({ name: 'utm.csv', mimeType: 'text/csv', buffer: Buffer.from(`x,y,kind,id\n${xy[0]},${xy[1]},post,utm-1\n`) });
  await page.locator('#import-preview').waitFor({ state: 'visible' });
  assert.equal(asked.length, 1);
  assert.match(asked[0], /未注明坐标系/);
  assert.match(await page.locator('#import-counts').innerText(), /EPSG:32721/);
  await page.locator('#import-add').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'utm-1'));
  const post = await page.evaluate(() => window.patrolmap.state.scenario.features.find((f) => f.properties.id === 'utm-1'));
  assert.ok(Math.abs(post.geometry.coordinates[0] + 54.6) < 1e-7 && Math.abs(post.geometry.coordinates[1] + 20.46) < 1e-7, `${post.geometry.coordinates}`);
  // The first reading's 400 (the system asked for) is logged by the browser; nothing else.
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
  await context.close();
});

test('issue 20: coverage at the morning rush from the demo city\'s speeds: lower than free flow, marked on the day chart; a click on the chart picks an hour', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  await page.waitForFunction(() => document.querySelectorAll('#day-chart polyline').length === 3);
  const free = await page.evaluate(() => window.patrolmap.state.summary);
  assert.equal(free.at, null);
  await page.selectOption('#at', '08:00');
  await page.waitForFunction(() => window.patrolmap.state.summary.at === '08:00' && !window.patrolmap.state.inFlight);
  const rush = await page.evaluate(() => window.patrolmap.state.summary);
  assert.ok(rush.tiers[2].share < free.tiers[2].share, `${rush.tiers[2].share} vs ${free.tiers[2].share}`);
  assert.match(await page.locator('#stats-line').innerText(), /08:00 路况/);
  // The chart marks 08:00, and its 08:00 is the what-if's coverage.
  await page.waitForFunction(() => Math.abs(Number(document.querySelector('#day-chart .day-at')?.getAttribute('x1')) - 100) < 0.1);
  const day = await (await as(adminToken, `/api/coverage/day?rev=${rush.rev}`)).json();
  assert.equal(day.hours.length, 24);
  rush.tiers.forEach((tier, k) => assert.ok(Math.abs(day.hours[8].tier_shares[k] - tier.share) < 1e-12, `tier ${k}`));
  // Kept for the README (docs/time-of-day-1366x768.png is a copy): the rush hour, marked.
  await idle(page);
  await page.screenshot({ path: path.join(root, 'target/time-of-day-1366.png') });
  // A click at 17:30 on the chart measures 17:00.
  const box = await page.locator('#day-chart rect').first().boundingBox();
  await page.mouse.click(box.x + box.width * (17.5 / 24), box.y + box.height / 2);
  await page.waitForFunction(() => window.patrolmap.state.summary.at === '17:00' && !window.patrolmap.state.inFlight);
  assert.equal(await page.locator('#at').inputValue(), '17:00');
  // Free flow again is the loaded coverage.
  await page.selectOption('#at', '');
  await page.waitForFunction(() => window.patrolmap.state.summary.at === null && !window.patrolmap.state.inFlight);
  const back = await page.evaluate(() => window.patrolmap.state.summary);
  assert.deepEqual(back.tiers.map((t) => t.share), free.tiers.map((t) => t.share));
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 20: two cities served as one province: the picker flies to a city, each city\'s tiers listed lowest first', async () => {
  const province = await startServer(['--roads', path.join(root, 'data/campo-grande.osm.pbf'),
    '--roads', path.join(root, '../shared/data/columbus.osm.pbf'), '--scenario', path.join(root, 'data/demo-scenario.geojson')]);
  try {
    const { page, errors, context } = await openMap({ width: 1366, height: 768 }, province.token, province.base);
    await page.waitForFunction(() => document.querySelectorAll('#city-table .city-row').length === 2);
    // The demo's units are all in Campo Grande: Columbus, at 0 %, comes first.
    const rows = await page.locator('#city-table .city-row').allInnerTexts();
    assert.match(rows[0], /^columbus\s+0\.0%\s+0\.0%\s+0\.0%$/);
    assert.match(rows[1], /^campo-grande/);
    const cities = await page.evaluate(() => window.patrolmap.state.info.cities);
    const centreIn = (name) => page.waitForFunction((bbox) => {
      const c = window.patrolmap.map.getCenter();
      return !window.patrolmap.map.isMoving() && c.lng >= bbox[0] && c.lng <= bbox[2] && c.lat >= bbox[1] && c.lat <= bbox[3];
    }, cities.find((c) => c.name === name).bbox, { timeout: 20000 });
    await page.selectOption('#city-pick', 'columbus');
    await centreIn('columbus');
    await page.locator('#city-table .city-row', { hasText: 'campo-grande' }).click();
    await centreIn('campo-grande');
    assert.equal(await page.locator('#city-pick').inputValue(), 'campo-grande');
    assert.match(await page.locator('#city-pick option').first().innerText(), /全省（2 个城市）/);
    // The figures under the table are the province's, and say so.
    assert.match(await page.locator('#stats-line').innerText(), /^全省（2 个城市） · 20 支警力上路/);
    await page.screenshot({ path: path.join(root, 'target/province-1366.png') });
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    province.child.stdin.end();
    province.child.kill();
  }
});

test('issue 20: the wall measures at the clock\'s hour and again when the speed file\'s period changes', async () => {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The demo speeds change at 07:00, 09:30, 17:00, 19:30 and 22:00.
  await page.clock.setFixedTime(new Date(2026, 11, 4, 8, 10));
  await page.goto(`${base}/?wall#token=${adminToken}`);
  await page.waitForFunction(() => window.patrolmap?.state?.summary?.at === '08:10' && !window.patrolmap.state.inFlight, null, { timeout: 60000 });
  assert.match(await page.locator('#wall-at').innerText(), /08:10 路况/);
  const rush = await page.evaluate(() => window.patrolmap.state.summary.tiers.map((t) => t.share));
  // 09:00 is the same period: nothing asked again. 23:00 is the night's: measured again,
  // at the wall's next look at the clock (every 10 s; asked for at once here).
  await page.clock.setFixedTime(new Date(2026, 11, 4, 9, 0));
  await page.evaluate(() => window.patrolmap.state.timeOfDay.followClock());
  assert.equal(await page.evaluate(() => [window.patrolmap.state.at, window.patrolmap.state.inFlight].join()), '08:10,false');
  await page.clock.setFixedTime(new Date(2026, 11, 4, 23, 0));
  await page.waitForFunction(() => window.patrolmap.state.summary.at === '23:00' && !window.patrolmap.state.inFlight, null, { timeout: 15000 });
  const night = await page.evaluate(() => window.patrolmap.state.summary.tiers.map((t) => t.share));
  assert.ok(night[2] > rush[2], `${night} vs ${rush}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 21: replayed tracks drive the live board: units move, the live coverage follows, a call ranks them, dispatch takes them off', async () => {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const made = await as(adminToken, '/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'gateway', role: 'feed' }) });
  assert.equal(made.status, 201);
  const feedToken = (await made.json()).token;
  // Each unit of the plan drives along the road it stands on: six fixes ten seconds apart.
  const scenario = await (await as(adminToken, '/api/scenario')).json();
  const units = scenario.features.filter((f) => f.properties.kind === 'unit');
  const along = (coords, f) => {
    const x = f * (coords.length - 1);
    const i = Math.min(Math.floor(x), coords.length - 2);
    const t = x - i;
    return [coords[i][0] + t * (coords[i + 1][0] - coords[i][0]), coords[i][1] + t * (coords[i + 1][1] - coords[i][1])];
  };
  const rows = [[], []];
  for (const u of units) {
    const [lon, lat] = u.geometry.coordinates;
    const road = await (await as(adminToken, `/api/roads/at?lon=${lon}&lat=${lat}`)).json();
    for (let k = 0; k < 6; k += 1) {
      const [x, y] = along(road.geometry.coordinates, k / 5);
      rows[k < 3 ? 0 : 1].push(`${u.properties.id},${1764806400 + 10 * k},${x.toFixed(7)},${y.toFixed(7)}`);
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'patrolmap-live-'));
  const replay = (part) => {
    const file = path.join(dir, `tracks-${part}.csv`);
    writeFileSync(file, ['unit,time,lon,lat', ...rows[part]].join('\n') + '\n');
    return execFileSync(binary, ['live', 'replay', file, '--server', base, '--token', feedToken, '--speed', '50x'], { stdio: 'pipe' }).toString();
  };

  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  await openTask(page, 'live');
  await page.waitForFunction(() => window.patrolmap.state.live.board != null);
  replay(0);
  await page.waitForFunction((n) => window.patrolmap.state.live.board?.counted === n, units.length, { timeout: 15000 });
  assert.match(await page.locator('#live-counts').innerText(), new RegExp(`^可调 ${units.length} · 出警 0`));
  const first = await page.evaluate(() => window.patrolmap.state.live.board.units.map((u) => u.position));

  // The live coverage: the map shows the revision the server made of the units where they are.
  await page.locator('#live-coverage').check();
  const liveRev = async () => (await (await as(adminToken, '/api/live/coverage')).json()).rev;
  const rev1 = await liveRev();
  await page.waitForFunction((rev) => window.patrolmap.state.rev === rev, rev1, { timeout: 15000 });
  assert.match(await page.locator('#live-coverage-note').innerText(), new RegExp(`${units.length} 个可调警力`));

  // They drive on: the dots move and the coverage follows.
  replay(1);
  await page.waitForFunction((before) => {
    const now = window.patrolmap.state.live.board.units.map((u) => u.position);
    return now.some((p, i) => p[0] !== before[i][0] || p[1] !== before[i][1]);
  }, first, { timeout: 15000 });
  const rev2 = await liveRev();
  assert.notEqual(rev2, rev1);
  await page.waitForFunction((rev) => window.patrolmap.state.rev === rev, rev2, { timeout: 15000 });
  await idle(page);

  // A call: the units by arrival from where they are, as the API ranks them; the full force
  // chosen; dispatched, they are en route and off the next call.
  await page.locator('.mode[data-mode="call"]').click();
  await page.locator('#toggles input[data-layer="units"]').uncheck();
  const [lon, lat] = units[0].geometry.coordinates;
  const at = await page.evaluate(([x, y]) => window.patrolmap.map.project([x + 0.006, y + 0.003]), [lon, lat]);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + at.x, box.y + at.y);
  await page.locator('#live-call').waitFor();
  const pkg = await page.evaluate(() => window.patrolmap.state.live.call_package);
  const again = await (await as(adminToken, '/api/live/incident', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lon: pkg.query[0], lat: pkg.query[1], limit: 6 }) })).json();
  assert.deepEqual(pkg.units.map((u) => [u.unit, u.eta_s]), again.units.map((u) => [u.unit, u.eta_s]));
  const listed = await page.locator('#call-units tr').allInnerTexts();
  assert.equal(listed.length, pkg.units.length);
  assert.ok(pkg.units.length >= 3);
  assert.match(listed[0], new RegExp(`^\\s*1\\s+${pkg.units[0].name}`));
  assert.equal(await page.locator('#call-units input:checked').count(), 3);
  assert.match(await page.locator('#call-assign').innerText(), /派警（3）/);
  await idle(page);
  await page.screenshot({ path: path.join(root, 'target/live-1366.png') });
  await page.locator('#call-assign').click();
  await page.waitForFunction(() => window.patrolmap.state.live.board.units.filter((u) => u.status === 'en_route').length === 3);
  assert.match(await page.locator('#live-counts').innerText(), new RegExp(`^可调 ${units.length} · 出警 3`.replace(`${units.length} ·`, `${units.length - 3} ·`)));
  await page.waitForFunction((rev) => window.patrolmap.state.rev !== rev, rev2, { timeout: 15000 });
  const sent = new Set(pkg.units.slice(0, 3).map((u) => u.unit));
  const next = await (await as(adminToken, '/api/live/incident', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lon: pkg.query[0], lat: pkg.query[1] }) })).json();
  assert.ok(next.units.every((u) => !sent.has(u.unit)));
  assert.equal(next.not_counted.busy, 3);

  // Move-up: the moves that restore the most with three units away, as the API proposes
  // them, drawn and listed with the tiers before and after; accepted, the units are told.
  await page.locator('#moveup').click();
  await page.locator('#moveup-result').waitFor();
  const proposal = await page.evaluate(() => window.patrolmap.state.live.proposal);
  assert.ok(proposal.moves.length >= 1 && proposal.moves.length <= 3, JSON.stringify(proposal));
  const asked = await (await as(adminToken, '/api/live/moveup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ max_moves: 3 }) })).json();
  assert.deepEqual(proposal.moves.map((m) => [m.unit, m.target]), asked.moves.map((m) => [m.unit, m.target]));
  assert.equal(await page.locator('#moveup-moves li').count(), proposal.moves.length);
  assert.match(await page.locator('#moveup-tiers').innerText(), /1′×1：\d+\.\d% → \d+\.\d%/);
  await idle(page);
  await page.screenshot({ path: path.join(root, 'target/live-moveup-1366.png') });
  await page.locator('#moveup-accept').click();
  await page.waitForFunction((n) => window.patrolmap.state.live.board.units.filter((u) => u.move_to).length === n, proposal.moves.length);
  assert.equal(await page.locator('#live-units', { hasText: '前往补位' }).count(), 1);

  await page.locator('#lang').click();
  assert.match(await page.locator('#live-counts').innerText(), new RegExp(`^available ${units.length - 3} · en route 3`));
  assert.match(await page.locator('#call-title').innerText(), /^Call: /);
  await page.screenshot({ path: path.join(root, 'target/live-1366-en.png') });
  await page.locator('#lang').click();

  // Every unit sent away: the server pushes the alerts (raised without a reload), and clears
  // them when the units are back; each said with its time.
  const setAll = (value) => as(adminToken, '/api/live/status', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ units: units.map((u) => u.properties.id), status: value }) });
  assert.equal((await setAll('en_route')).status, 200);
  const firstTier = page.locator('#live-alerts li.failing[data-key="tier:0"]');
  await firstTier.waitFor({ timeout: 15000 });
  assert.match(await firstTier.innerText(), /^1′×1 覆盖率 \d+\.\d%，低于 \d+\.\d% · \d\d:\d\d:\d\d 起$/);
  await page.waitForFunction(() => /^告警：/.test(document.getElementById('status').textContent));
  await page.screenshot({ path: path.join(root, 'target/live-alerts-1366.png') });
  // The wall following the units where they are: the live coverage and the alerts in force.
  const wall = await context.newPage();
  await wall.goto(`${base}/?wall`);
  await wall.waitForFunction(() => window.patrolmap?.state?.summary && window.patrolmap.map.loaded(), null, { timeout: 60000 });
  await wall.selectOption('#wall-scenario', '__live__');
  await wall.locator('#wall-alerts li[data-key="tier:0"]').waitFor({ timeout: 15000 });
  const wallRev = await liveRev();
  await wall.waitForFunction((rev) => window.patrolmap.state.rev === rev, wallRev, { timeout: 15000 });
  assert.match(await wall.locator('#wall-tiers').innerText(), /1 分钟内 1 支警力/);
  await wall.screenshot({ path: path.join(root, 'target/live-wall-1366.png') });
  await wall.close();
  // Back as they were for the other tests: available, the plan's coverage.
  assert.equal((await setAll('available')).status, 200);
  await page.locator('#live-alerts li.muted[data-key="tier:0"]').waitFor({ timeout: 15000 });
  assert.equal(await firstTier.count(), 0);
  assert.match(await page.locator('#live-alerts li.muted[data-key="tier:0"]').innerText(), /\d\d:\d\d:\d\d–\d\d:\d\d:\d\d 已解除$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 21: a drill on the map: policies side by side, replayed with the time slider, in Chinese and English', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  await openTask(page, 'live');
  await page.locator('#drill-rate').fill('4');
  await page.locator('#drill-hours').fill('12');
  await page.locator('#drill-run').click();
  await page.locator('#drill-result').waitFor();
  const run = await page.evaluate(() => window.patrolmap.state.drill.run);
  assert.deepEqual(run.reports.map((r) => r.policy), ['none', 'greedy']);
  // The table is the server's reports: a column per policy, the moves made by each.
  const head = await page.locator('#drill-table tr').first().innerText();
  assert.match(head, /不前移\s+智能前移/);
  const moves = page.locator('#drill-table tr', { hasText: '前移次数' });
  assert.match(await moves.innerText(), new RegExp(`0\\s+${run.reports[1].moves}$`));
  assert.ok(run.reports[1].moves > 0);
  // The slider to the first call: its units are out, the call is on the map.
  const first = run.reports[1].events.find((e) => e.kind === 'call' && e.units.length > 0);
  const at = Math.ceil((first.time_s + 60) / 60) * 60;
  assert.ok(Math.min(...first.free_s) > at, 'the first call still worked a minute on');
  await page.locator('#drill-time').evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }, at);
  const clock = await page.locator('#drill-clock').innerText();
  assert.match(clock, /出警 [1-9]/);
  assert.match(clock, /处置中警情 [1-9]/);
  const busy = await page.evaluate(() => window.patrolmap.state.drill.moment.units.filter((u) => u.state === 'busy').length);
  assert.ok(busy >= first.units.length, `${busy} busy`);
  await page.locator('#drill-clear').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(root, 'target/live-drill-1366.png') });
  // The other policy replayed; then in English.
  await page.selectOption('#drill-policy', '0');
  assert.match(await page.locator('#drill-clock').innerText(), /前移中 0/);
  assert.match(await page.locator('#status').innerText(), /^演练完成/);
  await page.locator('#lang').click();
  // The status line says its message again in the new language.
  assert.match(await page.locator('#status').innerText(), /^Drill done/);
  assert.match(await page.locator('#drill-table tr').first().innerText(), /No move-up\s+Greedy move-up/);
  assert.match(await page.locator('#drill-clock').innerText(), /at calls [1-9]/);
  await page.locator('#drill-clear').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(root, 'target/live-drill-1366-en.png') });
  await page.locator('#lang').click();
  // A bad ask is said in Chinese, and nothing is lost: the last drill stays.
  await page.locator('#drill-hours').fill('0');
  await page.locator('#drill-run').click();
  assert.equal(await page.locator('#status').innerText(), '「时长（小时）」须在 1 到 168 之间');
  assert.equal(await page.evaluate(() => window.patrolmap.state.drill.run.reports.length), 2);
  await page.locator('#drill-clear').click();
  assert.equal(await page.locator('#drill-result').isHidden(), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 21: a drill replays the plan\'s own call history: incidents imported with their times (a Chinese CSV)', async () => {
  const { page, errors, context } = await openMap({ width: 1366, height: 768 });
  await openTask(page, 'live');
  // The demo's incidents have no time: nothing to replay.
  assert.ok(await page.locator('#drill-history-choice').isHidden());
  // Three calls where the demo's incident sites are (on its roads).
  const sites = await page.evaluate(() => window.patrolmap.state.scenario.features
    .filter((f) => f.properties.kind === 'incident').slice(0, 3).map((f) => f.geometry.coordinates));
  const times = ['2026-12-04T08:05:00+08:00', '2026-12-04T08:40:00+08:00', '2026-12-04T09:10:00+08:00'];
  const csv = `类型,编号,经度,纬度,接警时间\n${sites.map((p, i) => `incident,call-${i + 1},${p[0]},${p[1]},${times[i]}`).join('\n')}\n`;
  const rev = await page.evaluate(() => window.patrolmap.state.rev);
  await page.locator('#import').setInputFiles({ name: '接警记录.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('#import-add').click();
  await page.waitForFunction(() => window.patrolmap.state.scenario.features.some((f) => f.properties.id === 'call-3'));
  await page.waitForFunction((r) => window.patrolmap.state.rev !== r, rev);
  await openTask(page, 'live');
  assert.match(await page.locator('#drill-history-choice').innerText(), /按方案中 3 起有时间的警情回放/);
  const asked = page.waitForRequest((r) => r.url().includes('/api/live/drill'));
  await page.locator('#drill-run').click();
  const body = JSON.parse((await asked).postData());
  assert.equal(body.calls_per_hour, undefined);
  await page.locator('#drill-result').waitFor();
  const run = await page.evaluate(() => window.patrolmap.state.drill.run);
  const calls = run.reports[0].events.filter((e) => e.kind === 'call').map((e) => e.time_s);
  // From 08:00 (the first call's hour): 08:05, 08:40, 09:10; the drill as long as they span.
  assert.deepEqual(calls, [300, 2400, 4200]);
  assert.equal(await page.locator('#drill-time').getAttribute('max'), '7200');
  await page.locator('#drill-time').evaluate((el) => { el.value = '2460'; el.dispatchEvent(new Event('input')); });
  await page.locator('#drill-clear').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(root, 'target/live-drill-history-1366.png') });
  await page.locator('#lang').click();
  assert.match(await page.locator('#drill-history-choice').innerText(), /Replay the plan's 3 incidents with a time/);
  await page.screenshot({ path: path.join(root, 'target/live-drill-history-1366-en.png') });
  await page.locator('#lang').click();
  // Unticked, the rate on the form is drilled instead.
  await page.locator('#drill-history').uncheck();
  await page.locator('#drill-rate').fill('2');
  await page.locator('#drill-hours').fill('6');
  await page.locator('#drill-run').click();
  await page.waitForFunction(() => window.patrolmap.state.drill.run?.places.length > 3);
  assert.equal(await page.locator('#drill-time').getAttribute('max'), '21600');
  assert.deepEqual(errors, []);
  await context.close();
});

test('issue 21: the drill panel on a big screen, with the patrol plan on the map driving its routes', async () => {
  const { page, errors, context } = await openMap({ width: 2560, height: 1440 });
  await openTask(page, 'live');
  // No plan yet: nothing for patrols to drive.
  assert.ok(await page.locator('#drill-patrols').isDisabled());
  await openTask(page, 'patrol');
  await page.locator('#patrol-units').fill('2');
  await page.locator('#patrol-plan').click();
  await page.waitForFunction(() => window.patrolmap.state.plan?.routes?.features.length === 2, null, { timeout: 60000 });
  await openTask(page, 'live');
  assert.ok(await page.locator('#drill-patrols').isEnabled());
  await page.locator('#drill-rate').fill('4');
  await page.locator('#drill-hours').fill('6');
  const asked = page.waitForRequest((r) => r.url().includes('/api/live/drill'));
  await page.locator('#drill-run').click();
  assert.equal(JSON.parse((await asked).postData()).routes.length, 2);
  await page.locator('#drill-result').waitFor();
  const run = await page.evaluate(() => window.patrolmap.state.drill.run);
  const patrols = run.units.filter((u) => u.route.length > 0);
  assert.equal(patrols.length, 2);
  // The patrols move: two moments a quarter-hour apart find one somewhere else.
  const where = async (t) => {
    await page.locator('#drill-time').evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }, t);
    return page.evaluate(() => window.patrolmap.state.drill.moment.units.filter((u) => u.state === 'patrol').map((u) => u.position));
  };
  const early = await where(600);
  const later = await where(1500);
  assert.ok(early.length > 0 && JSON.stringify(early) !== JSON.stringify(later), JSON.stringify([early, later]));
  assert.match(await page.locator('#drill-clock').innerText(), /巡逻 [1-2]/);
  await where(7200);
  await page.locator('#drill-clear').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(root, 'target/live-drill-2560.png') });
  assert.deepEqual(errors, []);
  await context.close();
});
