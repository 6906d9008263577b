// The basemap's style: water, green areas, land use, railways and buildings under the
// coverage, and street and place names over it, from the server's basemap tiles
// (/api/basemap.json: made from the city's OSM file, or the operator's own OpenMapTiles
// archive). Pure functions: they build MapLibre layers and are unit-tested in node.

/** The font labels are drawn with: the page's own (served by patrolmap), so nothing is fetched
 * and Chinese is never a row of boxes. MapLibre draws every glyph in the browser when the style
 * has no `glyphs` URL. */
export const LABEL_FONT = ['Noto Sans SC Variable', 'Noto Sans CJK SC', 'Microsoft YaHei'];

/** The name a label shows in `lang` (`zh-CN` or `en`): the Chinese or English name where the
 * data has one, else the local name. */
export function labelField(lang) {
  const order = lang === 'zh-CN' ? ['name:zh', 'name', 'name:en'] : ['name:en', 'name_en', 'name:latin', 'name'];
  return ['coalesce', ...order.map((key) => ['get', key])];
}

const SOURCE = 'basemap';

function fill(id, layer, filter, colour, minzoom = 0) {
  return { id, type: 'fill', source: SOURCE, 'source-layer': layer, minzoom, ...(filter ? { filter } : {}), paint: { 'fill-color': colour } };
}

/** The layers drawn under the roads, bottom first (dark, quiet colours: the coverage is what
 * the eye should find). */
export function basemapUnderLayers() {
  return [
    fill('base-landuse', 'landuse', null, ['match', ['get', 'class'],
      ['commercial', 'retail'], '#1a1c2b',
      'industrial', '#1b1e22',
      ['school', 'university', 'hospital'], '#211a26',
      'cemetery', '#15221b',
      '#121c25'], 10),
    fill('base-landcover', 'landcover', null, ['match', ['get', 'class'], 'wood', '#0f2418', 'sand', '#26241a', '#12251b'], 9),
    fill('base-park', 'park', null, '#10291c', 9),
    fill('base-water', 'water', null, '#0e3450'),
    { id: 'base-waterway', type: 'line', source: SOURCE, 'source-layer': 'waterway', minzoom: 10,
      paint: { 'line-color': '#0e3450', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, ['match', ['get', 'class'], ['river', 'canal'], 8, 2]] } },
    { id: 'base-building', type: 'fill', source: SOURCE, 'source-layer': 'building', minzoom: 14,
      paint: { 'fill-color': '#1d2a36', 'fill-outline-color': '#283847' } },
    { id: 'base-railway', type: 'line', source: SOURCE, 'source-layer': 'transportation', minzoom: 10,
      filter: ['in', ['get', 'class'], ['literal', ['rail', 'transit']]],
      paint: { 'line-color': '#5d6b78', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 16, 2.5], 'line-dasharray': [3, 2] } },
  ];
}

/** The labels drawn over the roads: street names along them, then places. `scale` enlarges the
 * type (the wall display reads from 5 m). */
export function basemapLabelLayers(lang, scale = 1) {
  const text = labelField(lang);
  const halo = { 'text-halo-color': '#0d1620', 'text-halo-width': 1.6 * scale };
  return [
    { id: 'label-street', type: 'symbol', source: SOURCE, 'source-layer': 'transportation_name', minzoom: 13,
      layout: {
        'symbol-placement': 'line', 'text-field': text, 'text-font': LABEL_FONT,
        'text-size': ['interpolate', ['linear'], ['zoom'], 13, 10 * scale, 17, 14 * scale],
        'text-max-angle': 30, 'symbol-spacing': 300 * scale,
      },
      paint: { 'text-color': '#c9d4de', ...halo } },
    { id: 'label-water', type: 'symbol', source: SOURCE, 'source-layer': 'waterway', minzoom: 12,
      filter: ['in', ['get', 'class'], ['literal', ['river', 'canal']]],
      layout: { 'symbol-placement': 'line', 'text-field': text, 'text-font': LABEL_FONT, 'text-size': 12 * scale },
      paint: { 'text-color': '#6fa8d6', ...halo } },
    { id: 'label-place', type: 'symbol', source: SOURCE, 'source-layer': 'place',
      layout: {
        'text-field': text, 'text-font': LABEL_FONT,
        'text-size': ['match', ['get', 'class'], ['city', 'town'], 18 * scale, ['suburb', 'village'], 14 * scale, 12 * scale],
        'text-max-width': 8,
      },
      paint: { 'text-color': '#eef3f7', ...halo } },
  ];
}

/** The ids of the label layers, whose text follows the page's language. */
export const LABEL_LAYERS = basemapLabelLayers('en').map((l) => l.id);
