// Unit tests of the message table (no browser): every label once per language, both
// languages with the same labels, and the placeholders each text fills the same in both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = readFileSync(path.join(here, '../i18n.js'), 'utf8');

/** The keys written in one language's block of the table, in order, repeats kept. */
function keysOf(language) {
  const start = source.indexOf(`${language}: {`);
  assert.ok(start >= 0, language);
  const end = source.indexOf('\n  },', start);
  return [...source.slice(start, end).matchAll(/^ {4}(\w+):/gm)].map((m) => m[1]);
}

async function table() {
  globalThis.localStorage ??= { getItem: () => null, setItem: () => {} };
  globalThis.document ??= { documentElement: {} };
  return import('../i18n.js');
}

test('no label is written twice in a language (a later one silently replaces the first)', () => {
  for (const language of ["'zh-CN'", 'en']) {
    const keys = keysOf(language);
    const repeated = keys.filter((k, i) => keys.indexOf(k) !== i);
    assert.deepEqual(repeated, [], `${language}: ${repeated.join(', ')}`);
  }
});

test('both languages have the same labels with the same placeholders', async () => {
  const { KEYS, t, setLanguage } = await table();
  assert.deepEqual([...KEYS.zh].sort(), [...KEYS.en].sort());
  // Each placeholder filled with its own name, to read back which a text has.
  const names = new Proxy({}, { get: (_, name) => `{${String(name)}}` });
  const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of KEYS.zh) {
    setLanguage('zh-CN');
    const zh = placeholders(t(key, names));
    setLanguage('en');
    const en = placeholders(t(key, names));
    assert.deepEqual(zh, en, key);
  }
});

test('a suggested post says what it adds in the unit of the question (checkpoints, not metres)', async () => {
  const { setLanguage } = await table();
  const { suggestionLabel } = await import('../format.js');
  setLanguage('zh-CN');
  const checkpoints = suggestionLabel({ rank: 2, gain: 3 }, 'checkpoints');
  assert.match(checkpoints, /必巡点 3 个/);
  assert.doesNotMatch(checkpoints, /米/);
  assert.match(suggestionLabel({ rank: 1, gain: 1234.4 }, 'roads'), /1,234 米/);
  setLanguage('en');
  assert.equal(suggestionLabel({ rank: 2, gain: 3 }, 'checkpoints'), '#2 adds 3 checkpoint(s) meeting it');
  assert.equal(suggestionLabel({ rank: 1, gain: 1234.4 }, 'roads'), '#1 adds 1,234 m');
});

test('audit actions are said in words, in both languages; an unknown one as written', async () => {
  const { setLanguage } = await table();
  const { auditAction } = await import('../format.js');
  setLanguage('zh-CN');
  assert.equal(auditAction('user_add'), '添加用户');
  setLanguage('en');
  assert.equal(auditAction('save'), 'Saved a version');
  assert.equal(auditAction('something_new'), 'something_new');
});

test('search finds the scenario\'s units and sites by name or id, case and accents aside, starts first', async () => {
  await table();
  const { findFeatures } = await import('../search.js');
  const point = (props, at = [1, 2]) => ({ type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: at } });
  const scenario = { type: 'FeatureCollection', features: [
    point({ kind: 'unit', id: 'car-3', name: '车3' }),
    point({ kind: 'post', id: 'kiosk-1', name: 'São José kiosk' }),
    point({ kind: 'checkpoint', id: 'cp-9', name: '学校门口' }),
    point({ kind: 'unit', id: 'bike-2', name: 'scar team' }),
    { type: 'Feature', properties: { kind: 'patrol_line', id: 'car-line' }, geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] } },
  ] };
  assert.deepEqual(findFeatures(scenario, '车3').map((h) => h.id), ['car-3']);
  assert.deepEqual(findFeatures(scenario, 'sao jose').map((h) => h.id), ['kiosk-1']);
  assert.deepEqual(findFeatures(scenario, '学校').map((h) => [h.kind, h.index]), [['checkpoint', 2]]);
  // "car" starts car-3 and is inside "scar team": the start first; lines are not points.
  assert.deepEqual(findFeatures(scenario, 'CAR').map((h) => h.id), ['car-3', 'bike-2']);
  assert.deepEqual(findFeatures(scenario, '  '), []);
});

test('gaps are listed with their length in m or km, incidents when any, and bounds to fly to', async () => {
  const { setLanguage } = await table();
  const { gapItems, gapLabel } = await import('../format.js');
  const fc = { type: 'FeatureCollection', features: [
    { type: 'Feature', properties: { rank: 1, length_m: 2345, incident_weight: 3 }, geometry: { type: 'MultiLineString', coordinates: [[[1, 2], [3, 1]], [[0, 5], [2, 2]]] } },
    { type: 'Feature', properties: { rank: 2, length_m: 420.4, incident_weight: 0 }, geometry: { type: 'MultiLineString', coordinates: [[[1, 1], [1.5, 1.2]]] } },
  ] };
  const gaps = gapItems(fc);
  assert.deepEqual(gaps[0].bbox, [0, 1, 3, 5]);
  setLanguage('zh-CN');
  assert.equal(gapLabel(gaps[0]), '盲区 1：2.3 公里，附近警情权重 3');
  assert.equal(gapLabel(gaps[1]), '盲区 2：420 米');
  setLanguage('en');
  assert.equal(gapLabel(gaps[1]), 'gap 2: 420 m');
});

test('long work is said by its stage, its steps and its seconds, in both languages', async () => {
  const { setLanguage } = await table();
  const { workLabel, workShare } = await import('../format.js');
  setLanguage('zh-CN');
  assert.equal(workLabel({ stage: 'matrix', done: 340, total: 2000, elapsed_s: 2.4, time_left_s: 27.6 }), '计算可达范围 340 / 2000 · 已用 2 秒');
  assert.equal(workLabel({ stage: 'search', done: 0, total: 0, elapsed_s: 5.2, time_left_s: 24.1 }), '寻找最优方案 · 已用 5 秒 · 最多还需 25 秒');
  setLanguage('en');
  assert.equal(workLabel({ stage: 'routes', done: 3, total: 10, elapsed_s: 1, time_left_s: null }), 'Planning the routes 3 / 10 · 1 s');
  assert.equal(workShare({ done: 5, total: 10 }), 0.5);
  assert.equal(workShare({ done: 0, total: 0 }), null);
});

test('a server error is never shown in the server\'s English in the Chinese map', async () => {
  const { setLanguage, errorText, fieldName } = await table();
  const english = 'lon must be a number between -180 and 180 (lon)';
  setLanguage('zh-CN');
  for (const body of [
    { error: english, code: 'invalid_parameter', field: 'lon' },
    { error: english, code: 'a_code_from_a_newer_server', field: 'lon' },
    { error: english },
    null,
  ]) {
    const text = errorText(body, 400);
    assert.doesNotMatch(text, /must|between|\(lon\)|[A-Za-z]{4,}/, `${JSON.stringify(body)} → ${text}`);
    assert.ok(text.length > 2, text);
  }
  assert.equal(errorText({ error: english, code: 'invalid_parameter', field: 'lon' }), '参数有误：经度');
  assert.equal(errorText({ code: 'invalid_parameter', field: 'drag.to' }), '参数有误：拖到的位置');
  assert.match(errorText(null, 502), /502/);
  assert.equal(fieldName('something_new'), 'something_new');
  setLanguage('en');
  assert.equal(errorText({ error: english, code: 'invalid_parameter', field: 'lon' }), english);
  assert.equal(errorText({ code: 'not_found', field: 'scenario' }), 'Not found: scenario');
  assert.match(errorText(null, 502), /error \(502\)/);
});

test('the API client says a failure in the user\'s language: the server\'s code, or a lost connection', async () => {
  const { setLanguage } = await table();
  const { request, ApiError } = await import('../api.js');
  const answers = [];
  globalThis.fetch = async (path, options) => {
    answers.push([path, options]);
    if (path === '/down') throw new TypeError('Failed to fetch');
    if (path === '/abort') throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    return new Response(JSON.stringify({ error: 'no such scenario (name)', code: 'not_found', field: 'name' }), { status: 404 });
  };
  setLanguage('zh-CN');
  await assert.rejects(request('/api/scenarios/x'), (e) => e instanceof ApiError && e.status === 404 && e.code === 'not_found'
    && e.message === '未找到：名称' && e.body.field === 'name');
  await assert.rejects(request('/down'), (e) => e instanceof ApiError && e.status === 0 && /无法连接服务器/.test(e.message) && !/Failed/.test(e.message));
  await assert.rejects(request('/abort'), (e) => e.name === 'AbortError');
  globalThis.fetch = async (path, options) => { answers.push([path, options]); return new Response('{"ok":true}'); };
  const { sendJson } = await import('../api.js');
  assert.deepEqual(await sendJson('/api/whatif', { a: 1 }), { ok: true });
  const [, sent] = answers[answers.length - 1];
  assert.equal(sent.method, 'POST');
  assert.equal(sent.headers['content-type'], 'application/json');
  assert.equal(sent.body, '{"a":1}');
});

test('shares, parts and lengths of time carry their units in both languages', async () => {
  const { setLanguage } = await table();
  const { pct, pctOf, duration } = await import('../format.js');
  assert.equal(pct(0.3981), '39.8%');
  assert.equal(pctOf(1, 4), '25.0%');
  assert.equal(pctOf(1, 0), '—');
  setLanguage('en');
  assert.equal(duration(5760), '1 h 36 min');
  assert.equal(duration(29), '0 h 0 min');
  setLanguage('zh-CN');
  assert.match(duration(5760), /^1\D+36\D+$/);
});

test('a feature an import refused is said in the user\'s language, by its code', async () => {
  const { setLanguage, problemText } = await table();
  const refused = { feature: 3, code: 'negative', field: 'turnout_s', reason: 'turnout_s must be a number ≥ 0, got -5' };
  setLanguage('zh-CN');
  assert.equal(problemText(refused), '出警准备时间 须为不小于 0 的数字');
  assert.equal(problemText({ code: 'from_a_newer_server', reason: 'something new' }), '无法读取此要素');
  setLanguage('en');
  assert.equal(problemText(refused), refused.reason);
});

test('what a plan left out is said first, with its reason in words, in both languages', async () => {
  const { setLanguage } = await table();
  const { leftOutOf } = await import('../format.js');
  const plan = {
    lines_not_matched: [{ id: 'line-9', code: 'line_far_from_roads', reason: 'no road within 30 m …' }],
    lines_cut_off: ['line-2'],
    checkpoints_not_placed: [{ id: 'cp-4', code: 'far_from_roads', reason: 'nearest road is 400 m away' }],
    checkpoints_cut_off: ['cp-7'],
  };
  setLanguage('zh-CN');
  const zh = leftOutOf(plan);
  assert.deepEqual(zh.map((l) => l.id), ['line-9', 'line-2', 'cp-4', 'cp-7']);
  assert.equal(zh[0].text, '巡逻线 line-9（有一段远离可通行道路）');
  assert.equal(zh[3].text, '必巡点 cp-7（所在道路巡逻警力无法往返）');
  setLanguage('en');
  assert.equal(leftOutOf(plan)[2].text, 'checkpoint cp-4 (too far from every usable road)');
  // Every reason the server gives has words in both languages (the codes of MatchError and
  // SnapRefusal), never its code shown raw.
  for (const code of ['line_too_short', 'line_far_from_roads', 'line_broken', 'line_on_excluded_road', 'line_against_one_way', 'far_from_roads', 'bad_position', 'no_roads']) {
    for (const lang of ['zh-CN', 'en']) {
      setLanguage(lang);
      const [l] = leftOutOf({ lines_not_matched: [{ id: 'x', code }] });
      assert.doesNotMatch(l.text, /left_|_/, `${lang} ${code}`);
    }
  }
  assert.deepEqual(leftOutOf({}), []);
});

test('what a shift timetable misses is said with when and why, and how many units would make it', async () => {
  const { setLanguage } = await table();
  const { missedOf, timetableSummary } = await import('../format.js');
  const report = {
    units: 2, shift_start: '08:00', longest_working_s: 5400, units_needed: 4,
    check: { passes_made: 10, passes_required: 12, breaks_taken: 2, breaks_required: 2 },
    missed: [
      { kind: 'line', id: 'line-3', from: '08:00', to: '10:00', reason: 'not_matched', late_by_s: null },
      { kind: 'checkpoint', id: 'gate', from: '16:30', to: '17:30', reason: 'no_unit_free', late_by_s: 420 },
    ],
  };
  setLanguage('zh-CN');
  const zh = missedOf(report);
  assert.deepEqual(zh.map((m) => m.id), ['line-3', 'gate']);
  assert.equal(zh[0].text, '巡逻线 line-3 08:00–10:00（线路未匹配到道路）');
  assert.equal(zh[1].text, '必巡点 gate 16:30–17:30（无空闲巡组，最少迟到 0 小时 7 分）');
  assert.match(timetableSummary(report), /完成 10\/12 次巡逻.*需 4 个巡组/);
  setLanguage('en');
  assert.equal(missedOf(report)[1].text, 'checkpoint gate 16:30–17:30 (no unit free, 0 h 7 min late at best)');
  assert.doesNotMatch(timetableSummary({ ...report, units_needed: null }), /would make/);
  // Every reason the planner gives has words in both languages.
  for (const reason of ['no_unit_free', 'slot_too_short', 'unreachable', 'not_matched', 'not_placed', 'outside_duty']) {
    for (const lang of ['zh-CN', 'en']) {
      setLanguage(lang);
      const [m] = missedOf({ missed: [{ kind: 'break', id: 'u1', from: '12:00', to: '13:00', reason }] });
      assert.doesNotMatch(m.text, /reason_|kind_/, `${lang} ${reason}`);
    }
  }
});
