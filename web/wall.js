// The wall display (`/?wall`): the map full screen with no editing tools, a saved scenario
// picked from a list and followed (the latest version opened within a second of any save,
// told by the server's events), its tiers large and always on screen, type sized for the
// wall (readable from 5 m at 3840x2160).
import { t } from '/i18n.js';

const $ = (id) => document.getElementById(id);

/** The picker's choice that follows the units where they are now (the live board). */
const LIVE = '__live__';

/** Whether the page was opened as a wall display. */
export function isWall() {
  return new URLSearchParams(location.search).has('wall');
}

/** Turns the page into the wall display. `app`: { state, versions: { load, fillNames } }. */
export function wireWall(app) {
  const { state, versions } = app;
  document.documentElement.classList.add('wall');
  $('wall-bar').hidden = false;
  const pick = $('wall-scenario');
  const local = { followed: localStorage.getItem('patrolmap.wall') ?? '', shown: null };
  state.wall = local; // for the browser tests and the console
  const refresh = async () => {
    if (!versions) return;
    const saved = await versions.fillNames();
    const names = saved.map((v) => v.scenario);
    const options = [Object.assign(document.createElement('option'), { value: '', textContent: t('wall_loaded') }),
      Object.assign(document.createElement('option'), { value: LIVE, textContent: t('wall_live') })]
      .concat(names.map((n) => Object.assign(document.createElement('option'), { value: n, textContent: n })));
    pick.replaceChildren(...options);
    pick.value = names.includes(local.followed) || local.followed === LIVE ? local.followed : '';
    // The units where they are now: the live coverage, their dots and the alerts in force.
    state.live?.showLive(local.followed === LIVE);
    $('wall-alerts').hidden = local.followed !== LIVE;
    if (local.followed === LIVE) {
      $('wall-version').textContent = '';
      return;
    }
    const latest = saved.find((v) => v.scenario === local.followed);
    if (latest && latest.id !== local.shown) {
      local.shown = latest.id;
      await versions.load(latest.scenario, latest.id);
      $('wall-version').textContent = t('wall_version', { id: latest.id, author: latest.author, at: new Date(latest.saved_at * 1000).toLocaleTimeString() });
    }
  };
  pick.addEventListener('change', () => {
    local.followed = pick.value;
    local.shown = null;
    localStorage.setItem('patrolmap.wall', local.followed);
    refresh();
  });
  // Every save, restore or deletion on any server: look again (EventSource reconnects itself).
  const events = new EventSource('/api/events');
  events.addEventListener('versions', () => { refresh().catch(() => {}); });
  local.events = events;
}

/** The followed scenario's tiers, large. */
export function renderWallTiers(summary) {
  const table = $('wall-tiers');
  if (!table || !summary) return;
  $('wall-at').textContent = summary.at ? t('at_time', { time: summary.at }) : '';
  const rows = summary.tiers.map((tr, i) => {
    const row = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = t('tier_row', { min: tr.budget_s / 60, units: tr.units });
    const share = document.createElement('td');
    share.className = 'num';
    share.textContent = `${(100 * tr.share).toFixed(1)}%`;
    row.append(name, share);
    if (summary.checkpoints.count > 0) {
      const met = document.createElement('td');
      met.className = 'num';
      met.textContent = t('wall_checkpoints', { met: summary.checkpoints.met[i], count: summary.checkpoints.count });
      row.append(met);
    }
    return row;
  });
  table.replaceChildren(...rows);
}
