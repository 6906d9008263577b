// Saved scenarios on the command map: save the edited scenario as a new version (with a
// message; the server writes who), list a scenario's versions, open one, compare one with the
// latest (what moved, was added or removed, and the coverage difference tier by tier), restore
// an old one as the newest, download one as GeoJSON. When someone saved since the version
// being edited, the server refuses (409) and the panel says what changed, to reload theirs
// or to save this one on top of it knowingly. Nothing is overwritten silently.
import { t } from '/i18n.js';
import { request, getJson, sendJson } from '/api.js';
import { h } from '/dom.js';
import { mergeScenarios } from '/merge.js';

const $ = (id) => document.getElementById(id);
const isRoute = (f) => f.properties?.kind === 'patrol_route';

/** Wires the versions section. `app`: { state (its `store` takes the scenarios opened),
 * planFeatures(), restorePlan(routes) }. */
export function wireVersions(app) {
  const { state } = app;
  const { store } = state;
  const local = { name: null, id: null, conflict: null };
  state.versions = local; // for the browser tests and the console
  if (state.session.role === 'public') return null; // saved scenarios need a signed-in user

  const canEdit = () => state.session.role === 'planner' || state.session.role === 'admin';
  const button = (label, onClick) => {
    const b = document.createElement('button');
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  };
  const showCompare = (r) => {
    const c = r.changes;
    $('compare-text').textContent = t('compared', {
      from: r.from.version.id, to: r.to.version.id, added: c.added.length, removed: c.removed.length, moved: c.moved.length,
    });
    const table = $('compare-table');
    table.replaceChildren();
    r.difference.forEach((d, i) => {
      const pct = (x) => `${(100 * x).toFixed(1)}%`;
      const sign = d.share >= 0 ? '+' : '−';
      table.append(h('tr', {}, h('td', {}, t('tier_row', { min: d.budget_s / 60, units: d.units })),
        h('td', { class: 'num' }, pct(r.from.coverage.tiers[i].share)), h('td', { class: 'num' }, pct(r.to.coverage.tiers[i].share)),
        h('td', { class: 'num' }, `${sign}${pct(Math.abs(d.share))}`)));
    });
    $('compare-result').hidden = false;
  };
  const compare = async (from, to) => {
    const r = await getJson(`/api/compare?from=${from}&to=${to}`);
    local.compared = r;
    showCompare(r);
  };
  const showConflict = (body) => {
    local.conflict = body;
    const c = body.changes;
    $('conflict-text').textContent = t('conflict', {
      id: body.latest.id, author: body.latest.author,
      added: c.added.length, removed: c.removed.length, moved: c.moved.length,
    });
    $('version-conflict').hidden = false;
    $('version-status').textContent = '';
  };
  const restore = async (name, id, latest) => {
    if (!confirm(t('confirm_restore', { id, latest }))) return;
    let body;
    try {
      body = await (await request(`/api/versions/${id}/restore?base=${latest}`, { method: 'POST' })).json();
    } catch (e) {
      if (e.status === 409 && e.body?.latest) showConflict(e.body);
      else $('version-status').textContent = t('error', { msg: e.message });
      return;
    }
    await load(name, body.id);
    $('version-status').textContent = t('restored_version', { id, as: body.id });
    await showList();
  };
  // The saved scenarios' latest versions, their names offered to pick (typing one is not
  // needed); asked again with every listing, so a name just saved is there.
  const fillNames = async () => {
    const saved = await getJson('/api/scenarios');
    $('saved-names').replaceChildren(...saved.map((v) => Object.assign(document.createElement('option'), { value: v.scenario })));
    return saved;
  };
  let listed = 0; // the latest listing asked for; an older one finishing late is dropped
  const showList = async () => {
    const ask = ++listed;
    const name = $('save-name').value.trim();
    const items = [];
    const saved = await fillNames();
    // Versions asked only for a saved name (an unknown one is a 404).
    if (name && saved.some((v) => v.scenario === name)) {
      const versions = await getJson(`/api/scenarios/${encodeURIComponent(name)}`);
      const latest = versions[versions.length - 1].id;
      for (const v of versions.slice().reverse()) {
        const when = new Date(v.saved_at * 1000).toLocaleString();
        const li = h('li', {}, h('span', {}, `v${v.id} · ${v.author} · ${v.message || '—'} · ${when}`));
        li.append(button(t('open'), () => load(name, v.id)));
        if (v.id !== latest) {
          li.append(button(t('compare_latest'), () => compare(v.id, latest)));
          if (canEdit()) li.append(button(t('restore'), () => restore(name, v.id, latest)));
        }
        const download = document.createElement('a');
        download.className = 'button';
        download.href = `/api/versions/${v.id}/export`;
        download.textContent = t('download');
        li.append(download);
        items.push(li);
      }
    }
    if (ask === listed) $('version-list').replaceChildren(...items);
  };
  const load = async (name, id) => {
    const r = await getJson(`/api/versions/${id}`);
    // The saved patrol plan comes back as the plan on the map, not as scenario features.
    const routes = r.scenario.features.filter(isRoute);
    store.perform('replaceAll', { ...r.scenario, features: r.scenario.features.filter((f) => !isRoute(f)) });
    await app.restorePlan(routes);
    Object.assign(local, { name, id, conflict: null });
    $('version-conflict').hidden = true;
    $('version-status').textContent = t('opened_version', { id });
  };
  // Mine merged onto the latest version (web/merge.js), shown on the map to check before saving.
  const merge = async () => {
    const latest = local.conflict.latest;
    const version = async (id) => (await getJson(`/api/versions/${id}`)).scenario;
    const withoutRoutes = (fc) => ({ ...fc, features: fc.features.filter((f) => !isRoute(f)) });
    const [base, theirsSaved] = await Promise.all([
      local.id != null ? version(local.id).then(withoutRoutes) : { features: [] },
      version(latest.id),
    ]);
    const theirs = withoutRoutes(theirsSaved);
    const { scenario, mine, clashes } = mergeScenarios(base, state.scenario, theirs);
    store.perform('replaceAll', scenario);
    // Patrol plans are not merged: mine stays; with none of mine, theirs is shown.
    if (!app.planFeatures().length) await app.restorePlan(theirsSaved.features.filter(isRoute));
    Object.assign(local, { name: latest.scenario, id: latest.id, conflict: null });
    local.merged = { mine, clashes };
    $('version-conflict').hidden = true;
    $('version-status').textContent = t('merged', {
      mine, id: latest.id, clash: clashes ? t('merge_clash', { n: clashes }) : '',
    });
  };
  // What a version holds: the scenario and the patrol plan on the map (its routes as features).
  const withPlan = () => ({ ...state.scenario, features: [...state.scenario.features, ...app.planFeatures()] });
  const save = async (base) => {
    const name = $('save-name').value.trim();
    if (!name) {
      $('version-status').textContent = t('name_needed');
      return;
    }
    const query = new URLSearchParams({ message: $('save-message').value });
    if (base != null) query.set('base', String(base));
    let body;
    try {
      body = await sendJson(`/api/scenarios/${encodeURIComponent(name)}?${query}`, withPlan());
    } catch (e) {
      // Someone saved first: what changed is said, to merge, reload or overwrite knowingly.
      if (e.status === 409 && e.body?.latest) showConflict(e.body);
      else $('version-status').textContent = t('error', { msg: e.message });
      return;
    }
    Object.assign(local, { name, id: body.id, conflict: null });
    $('version-conflict').hidden = true;
    $('version-status').textContent = t('saved_version', { id: body.id });
    await showList();
  };
  $('save').addEventListener('click', () => save(local.name === $('save-name').value.trim() ? local.id : null));
  $('conflict-merge').addEventListener('click', merge);
  $('conflict-reload').addEventListener('click', () => load(local.conflict.latest.scenario, local.conflict.latest.id));
  $('conflict-overwrite').addEventListener('click', () => save(local.conflict.latest.id));
  $('save-name').addEventListener('change', showList);
  showList();
  return { load, fillNames };
}
