// Pure formatting of the numbers people act on, each with its unit in the current language.
import { t } from './i18n.js';

/** A suggested post's line: its rank and what it adds, in metres of road or in the sites of
 * the `demand` the question counted (`roads`, `checkpoints`, `key_sites`, `incidents`,
 * `sites`; sites count by weight, 1 each unless the scenario says otherwise). */
export function suggestionLabel(post, demand = 'roads') {
  const key = demand === 'roads' || !demand ? 'suggestion' : `suggestion_${demand}`;
  const gain = demand === 'roads' || !demand
    ? Math.round(post.gain).toLocaleString()
    : String(Math.round(post.gain * 10) / 10);
  return t(key, { n: post.rank, gain });
}

/** An audit log action (`save`, `user_add`, …) in words; an action the map has no text for
 * stays as the server wrote it. */
export function auditAction(action) {
  const key = `audit_${action}`;
  const text = t(key);
  return text === key ? action : text;
}

/** The gaps of a `/api/coverage/gaps` FeatureCollection, ranked as the server ranked them,
 * each with its length, incident weight and bounds (to fly to). */
export function gapItems(collection) {
  return (collection?.features ?? []).map((f) => {
    const points = (f.geometry?.coordinates ?? []).flat();
    const bbox = points.reduce((b, [x, y]) => [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)],
      [Infinity, Infinity, -Infinity, -Infinity]);
    return { rank: f.properties.rank, length_m: f.properties.length_m, weight: f.properties.incident_weight, bbox };
  });
}

/** A gap's line: its rank, its length (m or km) and the incidents near it when any. */
export function gapLabel(gap) {
  const length = gap.length_m >= 1000 ? t('km', { km: (gap.length_m / 1000).toFixed(1) }) : t('m', { m: Math.round(gap.length_m) });
  return t('gap_item', { rank: gap.rank, length }) + (gap.weight > 0 ? t('gap_incidents', { w: Math.round(gap.weight * 10) / 10 }) : '');
}

/** What long work is doing, from `GET /api/work/{id}`: its stage in words, its steps when it
 * counts them, and the seconds spent (and left, when it runs until its time). */
export function workLabel(progress) {
  const stage = t(`work_${progress.stage}`);
  const spent = Math.round(progress.elapsed_s);
  const steps = progress.total > 0 ? t('work_steps', { done: Math.min(progress.done, progress.total), total: progress.total }) : '';
  const left = progress.time_left_s != null && progress.total === 0 ? t('work_left', { s: Math.ceil(progress.time_left_s) }) : '';
  return t('work_line', { stage, steps, spent, left }).replace(/\s+/g, ' ').trim();
}

/** The share (0..1) of long work done, when it counts steps; null otherwise. */
export function workShare(progress) {
  return progress.total > 0 ? Math.min(1, progress.done / progress.total) : null;
}

/** `part` of `whole` as a percentage with one decimal; a dash when there is no whole. */
export function pctOf(part, whole) {
  return whole > 0 ? `${(100 * part / whole).toFixed(1)}%` : '—';
}

/** A share (0..1) as a percentage with one decimal: `0.398` is `39.8%`. */
export function pct(share) {
  return `${(100 * share).toFixed(1)}%`;
}

/** A length of time in hours and minutes, to the minute (`1 h 36 min`, `1 小时 36 分`). */
export function duration(seconds) {
  const m = Math.round(seconds / 60);
  return t('duration', { h: Math.floor(m / 60), m: m % 60 });
}

/** The lines and checkpoints a plan could not cover, each `{id, text}` with its reason in the
 * page's language: not matched to the roads, not on a road, or on road no patrol can reach. */
export function leftOutOf(plan) {
  const line = (id, why) => ({ id, text: t('left_line', { id, why }) });
  const checkpoint = (id, why) => ({ id, text: t('left_checkpoint', { id, why }) });
  return [
    ...(plan.lines_not_matched ?? []).map((l) => line(l.id, t(`left_${l.code}`))),
    ...(plan.lines_cut_off ?? []).map((id) => line(id, t('left_cut_off'))),
    ...(plan.checkpoints_not_placed ?? []).map((p) => checkpoint(p.id, t(`left_${p.code}`))),
    ...(plan.checkpoints_cut_off ?? []).map((id) => checkpoint(id, t('left_cut_off'))),
  ];
}

/** What a shift timetable misses, each `{kind, id, text}` in the page's language: what and
 * when it was due, and why (with how late at best when no unit was free); the lines and
 * checkpoints no unit can ever make first, as the server orders them. */
export function missedOf(report) {
  return (report.missed ?? []).map((m) => {
    const what = t(`kind_${m.kind}`, { id: m.id });
    const why = m.reason === 'no_unit_free' && m.late_by_s != null
      ? t('reason_no_unit_free_late', { late: duration(m.late_by_s) })
      : t(`reason_${m.reason}`);
    return { kind: m.kind, id: m.id, text: t('missed_item', { what, from: m.from, to: m.to, why }) };
  });
}

/** The one-line summary of a shift timetable: passes made of those due, breaks, the longest
 * working time; and how many units would make every pass when some are missed for want of
 * a free unit. */
export function timetableSummary(report) {
  const c = report.check;
  const line = t('timetable_summary', {
    units: report.units, start: report.shift_start, made: c.passes_made, due: c.passes_required,
    breaks: c.breaks_taken, breaks_due: c.breaks_required, longest: duration(report.longest_working_s),
  });
  return report.units_needed ? `${line}${t('units_needed', { n: report.units_needed })}` : line;
}
