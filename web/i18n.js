// Every label of the command map in Chinese (the default) and English.
export const LANGUAGES = { 'zh-CN': '中文', en: 'English' };

const TEXT = {
  'zh-CN': {
    title: '巡防指挥图',
    subtitle: '1-3-5 分钟快速反应',
    stats: '覆盖统计',
    layers: '图层',
    legend: '到达时间',
    tools: '推演',
    info: '信息',
    within: '{min} 分钟内',
    beyond: '超出 {min} 分钟',
    closed: '封闭道路',
    other_roads: '非机动车道路',
    layer_roads: '道路覆盖',
    layer_polygons: '覆盖范围面',
    layer_units: '警力与岗亭',
    layer_checkpoints: '必巡点',
    layer_key_sites: '重点部位',
    layer_incidents: '警情',
    layer_patrol_lines: '必巡线',
    layer_gaps: '覆盖盲区',
    road_share: '道路长度占比',
    tier: '{min} 分钟 {units} 警力',
    tier_row: '{min} 分钟内 {units} 支警力',
    reinforcement: '增援达标',
    checkpoints_met: '必巡点达标',
    first_response: '首支警力到达',
    units_count: '{n} 支警力上路',
    refused: '{n} 支无法上路',
    compute_ms: '计算 {ms} 毫秒',
    mode_inspect: '查询',
    mode_add: '添加警力',
    mode_close: '封闭/开放道路',
    hint_inspect: '点击地图任意位置：到达时间与最近警力。',
    hint_add: '点击地图添加一支警力（交通方式见下）。',
    hint_close: '点击道路封闭它；再点一次重新开放。',
    undo: '撤销',
    export: '导出 GeoJSON',
    import: '导入',
    reset: '恢复原方案',
    mode: '交通方式',
    class: '类别',
    delete: '删除',
    car: '汽车',
    ebike: '电动车',
    foot: '步行',
    kind_unit: '巡逻警力',
    kind_post: '岗亭/站点',
    arrival: '到达时间',
    nearest_units: '最近警力',
    no_unit: '{min} 分钟内无警力到达',
    seconds: '{s} 秒',
    tiers_met: '达标',
    met: '达标',
    not_met: '未达标',
    road: '道路',
    unnamed: '无名道路',
    selected: '已选择',
    loading: '加载中…',
    error: '错误：{msg}',
    edits: '已修改 {n} 处',
    attribution: '地图数据 © OpenStreetMap 贡献者 (ODbL)',
    language: 'English',
    gap: '盲区 {rank}：{m} 米',
    new_unit: '新增警力 {n}',
    closed_n: '封闭 {n} 段道路',
    patrols: '巡逻路线',
    patrol_units: '巡逻警力数',
    patrol_plan: '规划巡逻路线',
    patrol_summary: '{n} 条路线：最长 {longest}，合计 {total}；{check}',
    check_ok: '校验通过：必巡线与可达必巡点全部覆盖',
    check_failed: '校验发现 {n} 个问题',
    shift_time: '班次时间',
    clock: '第 {t}',
    layer_routes: '巡逻路线',
    duration: '{h} 小时 {m} 分',
    unreachable_note: '（{n} 个必巡点所在道路无法往返，未计入）',
    mode_reroute: '改道巡逻路线',
    hint_reroute: '按住一条巡逻路线，拖到另一条街道上松开：路线改走该街道，并重新校验、重新计算班次覆盖。',
    shift_hours: '班次时长（小时）',
    shift_title: '班次内覆盖率（每 {s} 秒采样）',
    shift_tier: '{min} 分钟 {units} 警：平均 {mean}，最低 {worst}（{at}）',
    moment_note: '含 {n} 支巡逻警力在{t}的位置',
    route_edited: '路线已改道',
    patrol_undo: '撤销改道',
  },
  en: {
    title: 'Patrol command map',
    subtitle: '1-3-5 minute rapid response',
    stats: 'Coverage',
    layers: 'Layers',
    legend: 'Arrival time',
    tools: 'What-if',
    info: 'Details',
    within: 'within {min} min',
    beyond: 'beyond {min} min',
    closed: 'closed road',
    other_roads: 'paths without cars',
    layer_roads: 'road coverage',
    layer_polygons: 'coverage areas',
    layer_units: 'units and posts',
    layer_checkpoints: 'checkpoints',
    layer_key_sites: 'key sites',
    layer_incidents: 'incidents',
    layer_patrol_lines: 'patrol lines',
    layer_gaps: 'coverage gaps',
    road_share: 'share of road length',
    tier: '{min} min, {units} unit(s)',
    tier_row: '{units} unit(s) within {min} min',
    reinforcement: 'Reinforcement met',
    checkpoints_met: 'Checkpoints met',
    first_response: 'First unit on scene',
    units_count: '{n} units on the road',
    refused: '{n} could not be placed',
    compute_ms: 'computed in {ms} ms',
    mode_inspect: 'Inspect',
    mode_add: 'Add unit',
    mode_close: 'Close/reopen road',
    hint_inspect: 'Click anywhere: arrival time and the nearest units.',
    hint_add: 'Click the map to add a unit (mode below).',
    hint_close: 'Click a road to close it; click again to reopen.',
    undo: 'Undo',
    export: 'Export GeoJSON',
    import: 'Import',
    reset: 'Back to the original',
    mode: 'Mode',
    class: 'Class',
    delete: 'Delete',
    car: 'car',
    ebike: 'e-bike',
    foot: 'foot',
    kind_unit: 'patrol unit',
    kind_post: 'post',
    arrival: 'Arrival time',
    nearest_units: 'Nearest units',
    no_unit: 'no unit within {min} min',
    seconds: '{s} s',
    tiers_met: 'Tiers met',
    met: 'met',
    not_met: 'not met',
    road: 'Road',
    unnamed: 'unnamed road',
    selected: 'Selected',
    loading: 'Loading…',
    error: 'Error: {msg}',
    edits: '{n} edit(s)',
    attribution: 'Map data © OpenStreetMap contributors (ODbL)',
    language: '中文',
    gap: 'gap {rank}: {m} m',
    new_unit: 'new unit {n}',
    closed_n: '{n} road edges closed',
    patrols: 'Patrol routes',
    patrol_units: 'Patrol units',
    patrol_plan: 'Plan patrol routes',
    patrol_summary: '{n} routes: longest {longest}, total {total}; {check}',
    check_ok: 'check passed: every line and reachable checkpoint covered',
    check_failed: 'the check found {n} problem(s)',
    shift_time: 'Shift time',
    clock: 'at {t}',
    layer_routes: 'patrol routes',
    duration: '{h} h {m} min',
    unreachable_note: ' ({n} checkpoint(s) on road no patrol can reach and leave, left out)',
    mode_reroute: 'Reroute a patrol',
    hint_reroute: 'Press on a patrol route, drag it onto another street and release: the route takes that street, and is checked and its shift coverage measured again.',
    shift_hours: 'Shift (hours)',
    shift_title: 'Coverage over the shift (sampled every {s} s)',
    shift_tier: '{min} min, {units} unit(s): mean {mean}, worst {worst} ({at})',
    moment_note: 'with {n} patrol(s) where they are {t}',
    route_edited: 'route rerouted',
    patrol_undo: 'Undo reroute',
  },
};

let current = localStorage.getItem('patrolmap.lang') in TEXT ? localStorage.getItem('patrolmap.lang') : 'zh-CN';

/** The current language. */
export function language() {
  return current;
}

/** Switches language and remembers it. */
export function setLanguage(lang) {
  if (!(lang in TEXT)) return;
  current = lang;
  localStorage.setItem('patrolmap.lang', lang);
  document.documentElement.lang = lang;
}

/** The label `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = TEXT[current][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Fills every element with a `data-i18n` attribute. */
export function translatePage() {
  document.documentElement.lang = current;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of document.querySelectorAll('[data-i18n-title]')) {
    el.title = t(el.dataset.i18nTitle);
  }
}

/** The keys of both languages, for the test that every label is translated. */
export const KEYS = { zh: Object.keys(TEXT['zh-CN']), en: Object.keys(TEXT.en) };
