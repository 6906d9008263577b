// Time from ticking "coverage areas" to the map idle, on the real page (release server).
// Usage: node bench/areas_draw.mjs http://127.0.0.1:8080 TOKEN [runs], against a release `patrolmap serve` on Porto
// with `patrolmap scenario random --units 200 --checkpoints 50` (see BENCHMARKS.md).
import { chromium } from '../web/node_modules/playwright-core/index.mjs';
const [base, token, runs = '3'] = process.argv.slice(2);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader'];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const times = [];
for (let i = 0; i < +runs; i++) {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  await page.goto(`${base}/#token=${token}`);
  await page.waitForFunction(() => window.patrolmap?.map?.loaded() && window.patrolmap.state.summary, null, { timeout: 60000 });
  await page.evaluate(() => new Promise((r) => { window.patrolmap.map.once('idle', r); window.patrolmap.map.triggerRepaint(); }));
  const ms = await page.evaluate(async () => {
    const map = window.patrolmap.map;
    const t0 = performance.now();
    const done = new Promise((r) => map.once('idle', r));
    document.querySelector('#toggles input[data-layer="polygons"]').click();
    await done;
    return performance.now() - t0;
  });
  const n = await page.evaluate(() => window.patrolmap.map.queryRenderedFeatures({ layers: ['polygons'] }).length);
  times.push(ms);
  if (i === 0) await page.screenshot({ path: 'target/areas-draw.png' });
  console.log(`run ${i}: ${ms.toFixed(0)} ms, ${n} features drawn`);
  await page.context().close();
}
times.sort((a, b) => a - b);
console.log(`median ${times[Math.floor(times.length / 2)].toFixed(0)} ms`);
await browser.close();
