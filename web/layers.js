// The command map's style and its colours: the sources (the server's vector tiles of the
// roads, the tier areas and the basemap; GeoJSON for the police layers), the layers in the order
// they are drawn, the layer toggles and their legend symbols. Pure: data in, MapLibre style out,
// unit-tested in node (web/tests/layers.test.mjs).
import { basemapUnderLayers, basemapLabelLayers, LABEL_LAYERS } from './basemap.js';

/** Road colours by tier (1, 3, 5 minutes), and beyond the last. */
export const TIER_COLOURS = ['#2ecc71', '#f1c40f', '#ff8c1a'];
export const BEYOND_COLOUR = '#b3261e';
/** One colour per patrol route, in turn. */
export const ROUTE_COLOURS = ['#00e5ff', '#ff4dd2', '#b2ff59', '#ffd740', '#7c4dff', '#ff6e40'];
export const EMPTY = { type: 'FeatureCollection', features: [] };

/** The colour of tier `i` of `count` (`i == count`: beyond the last). */
export function tierColour(i, count) {
  return i < count ? TIER_COLOURS[Math.min(i, TIER_COLOURS.length - 1)] : BEYOND_COLOUR;
}

/** The road tiles of what-if revision `rev`. */
export function tileUrl(origin, rev) {
  return `${origin}/api/tiles/{z}/{x}/{y}.mvt?rev=${rev}`;
}

/** The tier areas of revision `rev`, cut per tile by the server. */
export function areaUrl(origin, rev) {
  return `${origin}/api/coverage/areas/{z}/{x}/{y}.mvt?rev=${rev}`;
}

/** The style of a printed page's map: the roads of revision `rev` (painted `roads`, dark grey
 * by default) on white, under the page's own `sources` and `layers` (a venue, a route). */
export function paperStyle(origin, rev, sources, layers, roads = { 'line-color': '#666', 'line-width': 1.2 }) {
  return {
    version: 8,
    sources: { roads: { type: 'vector', tiles: [tileUrl(origin, rev ?? 0)], maxzoom: 16 }, ...sources },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#ffffff' } },
      { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads', paint: roads },
      ...layers,
    ],
  };
}

/** The options of a printed page's still map in `container`, fitted to `points` ([lon, lat]),
 * drawn in `style` ([`paperStyle`]); its drawing buffer kept so that the page prints it. */
export function paperMapOptions(container, points, style) {
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  return {
    container,
    bounds: [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
    fitBoundsOptions: { padding: 30 },
    attributionControl: false,
    interactive: false,
    canvasContextAttributes: { preserveDrawingBuffer: true },
    style,
  };
}

/** A MapLibre expression: a road's colour by its `tier` property, for tiers of `budgets`. */
export function roadColour(budgets) {
  return ['match', ['get', 'tier'], ...budgets.flatMap((_, i) => [i, tierColour(i, budgets.length)]), BEYOND_COLOUR];
}

/**
 * The map's style: `budgets` (the tiers' seconds), the `basemap` TileJSON, the server's
 * `origin`, the road data's `attribution`, labels in `lang` grown by `labelScale`.
 */
export function mapStyle({ budgets, basemap, origin, attribution, lang, labelScale = 1 }) {
  return {
    version: 8,
    sources: {
      roads: { type: 'vector', tiles: [tileUrl(origin, 0)], maxzoom: 16, attribution },
      // The basemap's TileJSON gives its zoom range; its tiles are asked of this server.
      basemap: { type: 'vector', tiles: [`${origin}/api/basemap/{z}/{x}/{y}.mvt`], minzoom: basemap.minzoom, maxzoom: basemap.maxzoom, ...(basemap['patrolmap:source'] === 'osm' ? {} : { attribution: basemap.attribution }) },
      // Asked for only while the layer shows (its first tile traces the revision's areas).
      polygons: { type: 'vector', tiles: [areaUrl(origin, 0)], maxzoom: 16 },
      gaps: { type: 'geojson', data: EMPTY },
      patrol_lines: { type: 'geojson', data: EMPTY },
      sites: { type: 'geojson', data: EMPTY },
      routes: { type: 'geojson', data: EMPTY },
      'route-positions': { type: 'geojson', data: EMPTY },
      'drag-line': { type: 'geojson', data: EMPTY },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#0d1620' } },
      ...basemapUnderLayers(),
      { id: 'polygons', type: 'fill', source: 'polygons', 'source-layer': 'areas', layout: { visibility: 'none' },
        paint: { 'fill-color': roadColour(budgets), 'fill-opacity': 0.18 } },
      // Gaps as a wide halo under the roads, so their arrival colours stay readable.
      { id: 'gaps', type: 'line', source: 'gaps', layout: { visibility: 'none', 'line-join': 'round' },
        paint: { 'line-color': '#ff00aa', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 5, 16, 16], 'line-opacity': 0.35 } },
      { id: 'roads-other', type: 'line', source: 'roads', 'source-layer': 'roads', filter: ['==', ['get', 'kind'], 'other'],
        paint: { 'line-color': '#4b5d6e', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.5, 17, 2] } },
      { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads', filter: ['==', ['get', 'kind'], 'car'],
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': roadColour(budgets), 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 1, 14, 2.5, 18, 7] } },
      { id: 'roads-closed', type: 'line', source: 'roads', 'source-layer': 'roads', filter: ['==', ['get', 'kind'], 'closed'],
        paint: { 'line-color': '#d0d0d0', 'line-dasharray': [1, 1], 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 1.5, 18, 8] } },
      ...basemapLabelLayers(lang, labelScale),
      { id: 'routes', type: 'line', source: 'routes', layout: { 'line-join': 'round' },
        paint: { 'line-color': ['to-color', ['at', ['%', ['get', 'n'], 6], ['literal', ROUTE_COLOURS]]], 'line-width': 2.5, 'line-opacity': 0.8, 'line-offset': 2 } },
      { id: 'drag-line', type: 'line', source: 'drag-line',
        paint: { 'line-color': '#ffffff', 'line-width': 2, 'line-dasharray': [2, 2] } },
      { id: 'route-positions', type: 'circle', source: 'route-positions',
        paint: { 'circle-radius': 7, 'circle-color': ['to-color', ['at', ['%', ['get', 'n'], 6], ['literal', ROUTE_COLOURS]]], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
      { id: 'patrol_lines', type: 'line', source: 'patrol_lines',
        paint: { 'line-color': '#3ea6ff', 'line-width': 3, 'line-dasharray': [2, 1] } },
      { id: 'incidents', type: 'circle', source: 'sites', filter: ['==', ['get', 'kind'], 'incident'],
        paint: { 'circle-radius': 3, 'circle-color': '#ff7675' } },
      { id: 'key_sites', type: 'circle', source: 'sites', filter: ['==', ['get', 'kind'], 'key_site'],
        paint: { 'circle-radius': 6, 'circle-color': '#a29bfe', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
      { id: 'checkpoints', type: 'circle', source: 'sites', filter: ['==', ['get', 'kind'], 'checkpoint'],
        paint: { 'circle-radius': 5, 'circle-color': ['case', ['get', 'met'], '#2ecc71', '#e74c3c'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
    ],
  };
}

/** The map layers each toggle shows and hides. */
export const TOGGLE_LAYERS = {
  basemap: basemapUnderLayers().map((l) => l.id), labels: LABEL_LAYERS,
  roads: ['roads', 'roads-other', 'roads-closed'], polygons: ['polygons'], checkpoints: ['checkpoints'], key_sites: ['key_sites'], incidents: ['incidents'], patrol_lines: ['patrol_lines'], routes: ['routes', 'route-positions'], gaps: ['gaps'] };

/** Each toggle's symbol in the legend, as the map draws it. */
export const LAYER_SWATCH = {
  roads: `linear-gradient(90deg, ${TIER_COLOURS.join(', ')}, ${BEYOND_COLOUR})`,
  polygons: `linear-gradient(90deg, ${TIER_COLOURS.map((c) => `${c}88`).join(', ')})`,
  units: '#1f6fd1', checkpoints: 'linear-gradient(90deg, #2ecc71 50%, #e74c3c 50%)', key_sites: '#a29bfe',
  incidents: '#ff7675', patrol_lines: '#3ea6ff', routes: 'linear-gradient(90deg, #ffd166, #06d6a0, #ef476f)', gaps: '#ff00aa',
  basemap: 'linear-gradient(90deg, #0e3450 50%, #10291c 50%)', labels: 'linear-gradient(90deg, #c9d4de 30%, #0d1620 30%)',
};
