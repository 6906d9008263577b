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
