// Saved scenarios on the command map: save the edited scenario as a new version (with a
// message), list a scenario's versions and open one; when someone saved since the version
// being edited, the server refuses (409) and the panel says what changed, to reload theirs
// or to save this one on top of it knowingly. Nothing is overwritten silently.
import { t } from '/i18n.js';
import { escapeHtml } from '/placement.js';

const $ = (id) => document.getElementById(id);

/** Wires the versions section. `app`: { state, api, edit(change) }. */
export function wireVersions(app) {
  const { state } = app;
  const local = { name: null, id: null, conflict: null };
  state.versions = local; // for the browser tests and the console

  const json = { 'content-type': 'application/json' };
  const showList = async () => {
    const name = $('save-name').value.trim();
    const list = $('version-list');
    list.replaceChildren();
    if (!name) return;
    // Asked only for a saved name (an unknown one is a 404).
    const saved = await (await app.api('/api/scenarios')).json();
    if (!saved.some((v) => v.scenario === name)) return;
    const versions = await (await app.api(`/api/scenarios/${encodeURIComponent(name)}`)).json();
    for (const v of versions.slice().reverse()) {
      const li = document.createElement('li');
      const open = document.createElement('button');
      open.textContent = t('open');
      open.addEventListener('click', () => load(name, v.id));
      const when = new Date(v.saved_at * 1000).toLocaleString();
      li.innerHTML = `<span>v${v.id} · ${escapeHtml(v.author)} · ${escapeHtml(v.message || '—')} · ${when}</span>`;
      li.append(open);
      list.append(li);
    }
  };
  const load = async (name, id) => {
    const r = await (await app.api(`/api/versions/${id}`)).json();
    app.edit(() => { state.scenario = r.scenario; });
    Object.assign(local, { name, id, conflict: null });
    $('version-conflict').hidden = true;
    $('version-status').textContent = t('opened_version', { id });
  };
  const save = async (base) => {
    const name = $('save-name').value.trim();
    if (!name) {
      $('version-status').textContent = t('name_needed');
      return;
    }
    const query = new URLSearchParams({ message: $('save-message').value, author: $('save-author').value || 'anonymous' });
    if (base != null) query.set('base', String(base));
    const response = await fetch(`/api/scenarios/${encodeURIComponent(name)}?${query}`, { method: 'POST', headers: json, body: JSON.stringify(state.scenario) });
    const body = await response.json();
    if (response.status === 201) {
      Object.assign(local, { name, id: body.id, conflict: null });
      $('version-conflict').hidden = true;
      $('version-status').textContent = t('saved_version', { id: body.id });
      await showList();
    } else if (response.status === 409) {
      local.conflict = body;
      const c = body.changes;
      $('conflict-text').textContent = t('conflict', {
        id: body.latest.id, author: body.latest.author,
        added: c.added.length, removed: c.removed.length, moved: c.moved.length,
      });
      $('version-conflict').hidden = false;
      $('version-status').textContent = '';
    } else {
      $('version-status').textContent = t('error', { msg: body.error });
    }
  };
  $('save').addEventListener('click', () => save(local.name === $('save-name').value.trim() ? local.id : null));
  $('conflict-reload').addEventListener('click', () => load(local.conflict.latest.scenario, local.conflict.latest.id));
  $('conflict-overwrite').addEventListener('click', () => save(local.conflict.latest.id));
  $('save-name').addEventListener('change', showList);
}
