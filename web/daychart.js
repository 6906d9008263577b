// The day chart's pure parts: the times a planner may pick, the what-if's path at a time,
// the chart's lines and the hour under a click. No DOM, unit-tested in node
// (web/tests/daychart.test.mjs); `timeofday.js` draws with them.

/** `HH:MM` as minutes of the day. */
export function minuteOf(text) {
  const [hh, mm] = text.split(':').map(Number);
  return hh * 60 + mm;
}

/** The times a planner may pick: every hour and every start of a period of the speed file,
 * ascending, without repeats. */
export function timeChoices(periodStarts = []) {
  const hours = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, '0')}:00`);
  return [...new Set([...hours, ...periodStarts])].sort((a, b) => minuteOf(a) - minuteOf(b));
}

/** The what-if's path at time `at` (`HH:MM`; empty for free flow). */
export function whatifPath(at) {
  return at ? `/api/whatif?at=${encodeURIComponent(at)}` : '/api/whatif';
}

/** The chart's drawing in a `width` x `height` box: per tier its line's points over the 24
 * hours (x at each hour's start, a step held to the next hour), the top share of the scale,
 * and the x of minute `at` (null for none). */
export function dayChartGeometry(chart, width, height, at = null) {
  const x = (minute) => (minute / (24 * 60)) * width;
  const top = Math.max(0.01, ...chart.hours.flatMap((hour) => hour.tier_shares)) * 1.1;
  const y = (share) => 4 + (height - 4) * (1 - share / top);
  const lines = chart.tiers.map((_, k) => chart.hours.flatMap((hour, i) => {
    const share = hour.tier_shares[k];
    return [[x(i * 60), y(share)], [x((i + 1) * 60), y(share)]];
  }));
  return { top, lines, atX: at == null ? null : x(at) };
}

/** The hour (`HH:00`) under `fraction` (0 to 1) of the chart's width. */
export function hourAt(fraction) {
  const hour = Math.min(23, Math.max(0, Math.floor(fraction * 24)));
  return `${String(hour).padStart(2, '0')}:00`;
}

/** The start of the speed file's period `minute` falls in (as the server's
 * `SpeedTable::period_start`): the latest of `periodStarts` (`HH:MM`, ascending) not after
 * it, before the first the last of the day before; null without periods. */
export function periodOf(periodStarts, minute) {
  if (!periodStarts.length) return null;
  const before = periodStarts.filter((p) => minuteOf(p) <= minute);
  return before.length ? before[before.length - 1] : periodStarts[periodStarts.length - 1];
}

/** `date`'s local time of day as `HH:MM`. */
export function clockTime(date) {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}
