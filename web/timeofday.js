// Coverage by time of day, on a server started with measured car speeds (`serve --speeds`):
// the hour the what-ifs are measured at, and the day chart of each tier's share by hour
// (`/api/coverage/day`), the chosen hour marked; a click on the chart picks its hour (the
// geometry in `daychart.js`).
import { t } from './i18n.js';
import { h, svg, show } from './dom.js';
import { getJson } from './api.js';
import { tierColour } from './layers.js';
import { pct } from './format.js';
import { clockTime, dayChartGeometry, hourAt, minuteOf, periodOf, timeChoices } from './daychart.js';

export { whatifPath } from './daychart.js';

/** How often the wall looks at the clock, in milliseconds. */
const FOLLOW_MS = 10000;

/**
 * Shows the time of day control and the day chart when the server has speeds; `evaluate()`
 * measures the what-if again (at `state.at`). With `follow` (the wall display) the hour is
 * the clock's, looked at every `FOLLOW_MS` (`followClock()`). Returns `refresh()`, for after
 * each what-if, `render()` and `followClock()`.
 */
export function wireTimeOfDay({ state, evaluate, status, follow = false }) {
  const speeds = state.info.speeds;
  const box = document.getElementById('time-of-day');
  const select = document.getElementById('at');
  const chart = document.getElementById('day-chart');
  state.at = '';
  if (!speeds) return { refresh() {}, render() {}, followClock() {} };
  box.hidden = false;
  let data = null;
  let pending = null;

  const render = () => {
    show(select, h('option', { value: '' }, t('free_flow')),
      timeChoices(speeds.period_starts).map((time) => h('option', { value: time }, time)));
    select.value = state.at;
    document.getElementById('day-note').textContent = t('day_note', { rows: speeds.rows, edges: speeds.edges_named });
    if (!data) return;
    const [W, H] = [300, 90];
    const g = dayChartGeometry(data, W, H, state.at ? minuteOf(state.at) : null);
    const lines = g.lines.map((points, k) => svg('polyline', { class: 'day-line', fill: 'none', stroke: tierColour(k, g.lines.length), 'stroke-width': 1.5,
      points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ') }));
    const ticks = [0, 6, 12, 18, 24].map((hour) => svg('text', { x: (hour / 24) * W, y: H + 14, 'font-size': 11,
      'text-anchor': hour === 0 ? 'start' : hour === 24 ? 'end' : 'middle' }, `${hour}:00`));
    show(chart, svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#14212e' }), lines,
      g.atX == null ? null : svg('line', { class: 'day-at', x1: g.atX.toFixed(1), y1: 0, x2: g.atX.toFixed(1), y2: H, stroke: '#fff', 'stroke-dasharray': '3 2' }),
      svg('text', { x: 2, y: 12, 'font-size': 11 }, pct(g.top / 1.1)), ticks,
      svg('title', {}, t('day_chart')));
    chart.setAttribute('viewBox', `0 0 ${W} ${H + 20}`);
    const worst = data.tiers.map((tier, k) => {
      const hour = data.hours.reduce((a, b) => (b.tier_shares[k] < a.tier_shares[k] ? b : a));
      return h('li', {}, t('day_worst', { min: tier.budget_s / 60, units: tier.units, share: pct(hour.tier_shares[k]), time: hour.time }));
    });
    show(document.getElementById('day-worst'), worst);
  };

  // Asked once the what-ifs settle (a drag makes many), the last one asked cancelled: the
  // server stops its work when the page gives up.
  let timer = null;
  const load = async () => {
    pending?.abort();
    const ask = new AbortController();
    pending = ask;
    try {
      data = await getJson(`/api/coverage/day?rev=${state.rev}`, { signal: ask.signal });
      render();
    } catch (e) {
      if (e.name !== 'AbortError') status(() => t('error', { msg: e.message }));
    }
  };
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  };

  select.addEventListener('change', () => {
    state.at = select.value;
    render();
    evaluate();
  });
  chart.addEventListener('click', (ev) => {
    const box = chart.getBoundingClientRect();
    state.at = hourAt((ev.clientX - box.left) / box.width);
    render();
    evaluate();
  });
  // The clock's time, measured again only when the speed file's period has changed.
  const followClock = () => {
    const time = clockTime(new Date());
    const period = (at) => periodOf(speeds.period_starts, minuteOf(at));
    if (state.at && period(time) === period(state.at)) return;
    state.at = time;
    render();
    evaluate();
  };
  if (follow) {
    followClock();
    setInterval(followClock, FOLLOW_MS);
  }
  render();
  load();
  return { refresh, render, followClock };
}
