// Importing a scenario file from the map: the file is read by the server (GeoJSON, CSV, a
// zipped Shapefile, GeoPackage, KML or KMZ, in whatever encoding and coordinate system it was
// saved in: its bytes are sent as they are) and shown first, with what
// it holds, the features that could not be read and why, and what adding it would change. Only
// then, as the planner says: add it to the scenario by id (same ids replaced, the rest added),
// or replace the scenario (asked again), both undone by undo. Nothing changes on cancel.
import { t, problemText } from './i18n.js';
import { request } from './api.js';
import { h, show } from './dom.js';
import { importPlan } from './store.js';

const $ = (id) => document.getElementById(id);
/** What reading again fixes, for the warnings that have a fix: the query to add. */
const FIXES = { lon_lat_swapped: '&swap=true', likely_gcj02: '&crs=gcj02', likely_bd09: '&crs=bd09' };

/** At most this many unreadable features are listed (the count says the rest). */
const PROBLEMS_SHOWN = 50;

/** Wires the import button. `app`: { state (its `store` takes the file), status(text) }. */
export function wireImport(app) {
  const { state, status } = app;
  const { store } = state;
  const card = $('import-preview');
  let pending = null; // { file, answer }
  const close = () => {
    card.hidden = true;
    pending = null;
  };
  const preview = (name, answer) => {
    const c = answer.counts;
    const plan = importPlan(state.scenario, answer.scenario);
    const count = answer.scenario.features.length;
    $('import-title').textContent = t('import_title', { file: name });
    const crs = answer.file?.crs;
    const where = crs ? ` · ${t('import_crs', { name: crs.name, code: crs.code, converted: crs.converted ? t('import_converted') : '' })}` : '';
    $('import-counts').textContent = t('import_counts', { encoding: answer.encoding, ...c }) + where;
    const ids = plan.replaced.length ? ` (${plan.replaced.slice(0, 8).join(', ')}${plan.replaced.length > 8 ? ', …' : ''})` : '';
    $('import-plan').textContent = count ? t('import_plan', { added: plan.added, replaced: plan.replaced.length, ids }) : t('import_none');
    const metres = (m) => (m == null ? t('beyond_search') : t('metres_n', { n: Math.round(m).toLocaleString() }));
    show($('import-warnings'), (answer.warnings ?? []).map((w) => h('li', { class: 'warning', 'data-code': w.code },
      t(`warning_${w.code}`, { count: w.count, median: metres(w.median_m), fixed: metres(w.fixed_median_m), features: w.features.map((i) => i + 1).join(', ') }),
      FIXES[w.code] && h('button', { class: 'fix', on: { click: () => read(pending.file, FIXES[w.code]) } }, t(`import_fix_${w.code}`)))));
    const problems = answer.problems ?? [];
    show($('import-problems'),
      problems.length > 0 && h('li', { class: 'muted' }, t('import_problems', { n: problems.length })),
      problems.slice(0, PROBLEMS_SHOWN).map((p) => h('li', {}, t('import_problem', { n: p.feature + 1, reason: problemText(p) }))),
      problems.length > PROBLEMS_SHOWN && h('li', {}, t('import_more', { n: problems.length - PROBLEMS_SHOWN })));
    $('import-add').disabled = count === 0;
    $('import-replace').disabled = count === 0;
    card.hidden = false;
    $('import-cancel').focus();
  };
  // `extra`: what a warning's fix adds to the query (read again as GCJ-02, swapped…).
  const read = async (file, extra = '') => {
    try {
      status(() => t('loading'));
      // The server reads the format from the name (a Shapefile as its .zip).
      const answer = await (await request(`/api/scenario/import?name=${encodeURIComponent(file.name)}${extra}`, {
        method: 'POST', contentType: 'application/octet-stream', body: file,
      })).json();
      status('');
      pending = { name: file.name, file, answer };
      preview(file.name, answer);
    } catch (e) {
      // A file in metres naming no system: the planner says which, and it is read again.
      const crs = e.code === 'unknown_crs' ? prompt(t('ask_crs', { file: file.name }))?.trim() : null;
      if (crs) return read(file, `${extra}&crs=${encodeURIComponent(crs)}`);
      status(() => t('error', { msg: `${file.name}: ${e.message}` }));
    }
  };
  $('import').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    ev.target.value = ''; // the same file chosen again is read again
    if (file) await read(file);
  });
  $('import-add').addEventListener('click', () => {
    if (!pending) return;
    const { name, answer } = pending;
    const plan = importPlan(state.scenario, answer.scenario);
    store.perform('addById', answer.scenario);
    close();
    status(() => t('import_added', { file: name, added: plan.added, replaced: plan.replaced.length }));
  });
  $('import-replace').addEventListener('click', () => {
    if (!pending) return;
    const { name, answer } = pending;
    const now = state.scenario.features.length;
    if (now && !confirm(t('confirm_import', { file: name, n: answer.scenario.features.length, now }))) return;
    store.perform('replaceAll', answer.scenario);
    close();
    status(() => t('import_replaced', { file: name }));
  });
  $('import-cancel').addEventListener('click', () => {
    close();
    status(() => t('import_kept'));
  });
  // Esc closes the preview, as it ends a tool.
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !card.hidden) $('import-cancel').click();
  });
}
