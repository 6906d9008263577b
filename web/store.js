// The scenario on the map and its history, changed only by named actions (the iD editor's
// model): each action is a pure function of a scenario giving the next one (nothing is
// changed in place, so an old scenario kept for undo stays as it was), and the store keeps
// the scenarios before and after for undo and redo. The page subscribes to redraw. Nothing
// here needs a browser (web/tests/store.test.mjs).

/** How many changes undo can take back. */
export const UNDO_LIMIT = 200;

const withFeatures = (scenario, features) => ({ ...scenario, features });

/** What a person does to a scenario: each `(scenario, ...args) => scenario`, pure. */
export const actions = {
  /** `feature` added at the end. */
  addFeature(scenario, feature) {
    return withFeatures(scenario, [...scenario.features, feature]);
  },
  /** The feature at `index` removed. */
  removeFeature(scenario, index) {
    return withFeatures(scenario, scenario.features.filter((_, i) => i !== index));
  },
  /** The point feature at `index` moved to `coordinates` ([lon, lat]). */
  moveFeature(scenario, index, coordinates) {
    return mapFeature(scenario, index, (f) => ({ ...f, geometry: { ...f.geometry, coordinates: [...coordinates] } }));
  },
  /** Property `key` of the feature at `index` set to `value`; removed when `value` is
   * null, undefined or ''. */
  setProperty(scenario, index, key, value) {
    return mapFeature(scenario, index, (f) => {
      const properties = { ...f.properties };
      if (value == null || value === '') delete properties[key];
      else properties[key] = value;
      return { ...f, properties };
    });
  },
  /** The feature with `feature`'s id replaced by it, or `feature` added when there is none
   * (a venue drawn again). */
  putFeature(scenario, feature) {
    const id = feature.properties?.id;
    return withFeatures(scenario, [...scenario.features.filter((f) => f.properties?.id !== id), feature]);
  },
  /** A closure (a `kind: closure` feature) removed when one with its id is there (the road
   * reopened), added otherwise. */
  toggleClosure(scenario, closure) {
    const same = (f) => f.properties?.kind === 'closure' && f.properties?.id === closure.properties.id;
    return scenario.features.some(same)
      ? withFeatures(scenario, scenario.features.filter((f) => !same(f)))
      : withFeatures(scenario, [...scenario.features, closure]);
  },
  /** `incoming`'s features added to the scenario by id: one with the id of a feature there
   * replaces it, in its place; the others (and those without an id) are added at the end. */
  addById(scenario, incoming) {
    const { replacing, adding } = splitById(scenario, incoming);
    const byId = new Map(replacing.map((f) => [f.properties.id, f]));
    return withFeatures(scenario, [...scenario.features.map((f) => byId.get(f.properties?.id) ?? f), ...adding]);
  },
  /** Everything replaced by `next` (an import, a version opened, a merge, a reset). */
  replaceAll(_scenario, next) {
    return next;
  },
};

function mapFeature(scenario, index, change) {
  if (!scenario.features[index]) throw new RangeError(`no feature ${index}`);
  return withFeatures(scenario, scenario.features.map((f, i) => (i === index ? change(f) : f)));
}

/**
 * A store of `scenario` (kept as the original, for reset). `perform(name, ...args)` applies
 * an action and records the scenario before it for undo; `preview(name, ...args)` applies one
 * without recording (a drag under way: the `perform` that ends it records the scenario from
 * before the first preview). Every change tells the subscribers `{ action, preview }`.
 *
 * ```js
 * const store = createStore({ type: 'FeatureCollection', features: [] });
 * store.perform('addFeature', unit);
 * store.undo(); // the empty scenario again; store.redo() brings the unit back
 * ```
 */
export function createStore(scenario) {
  let original = scenario;
  let present = scenario;
  let before = null; // the scenario before the previews under way
  let undo = [];
  let redo = [];
  const listeners = new Set();
  const tell = (action, preview = false) => { for (const f of listeners) f({ action, preview }); };
  // Previews under way become one change of their own (an undo in the middle of a drag).
  const settle = () => {
    if (before == null) return;
    undo.push(before);
    before = null;
    redo = [];
  };
  const apply = (name, args) => {
    const action = actions[name];
    if (!action) throw new Error(`no action ${name}`);
    return action(present, ...args);
  };
  return {
    /** The scenario as it stands (never changed in place: read it, do not edit it). */
    get scenario() { return present; },
    /** The scenario as first loaded. */
    get original() { return original; },
    /** How many changes undo can take back, and redo bring back. */
    get undoCount() { return undo.length; },
    get redoCount() { return redo.length; },
    perform(name, ...args) {
      const next = apply(name, args);
      undo.push(before ?? present);
      if (undo.length > UNDO_LIMIT) undo.shift();
      redo = []; // a new change: what was undone before it cannot come back
      before = null;
      present = next;
      tell(name);
      return present;
    },
    preview(name, ...args) {
      before ??= present;
      present = apply(name, args);
      tell(name, true);
      return present;
    },
    undo() {
      settle();
      if (!undo.length) return false;
      redo.push(present);
      present = undo.pop();
      tell('undo');
      return true;
    },
    redo() {
      settle();
      if (!redo.length) return false;
      undo.push(present);
      present = redo.pop();
      tell('redo');
      return true;
    },
    /** Back to the original, as a change undo takes back. */
    reset() {
      return this.perform('replaceAll', original);
    },
    /** A new scenario as the original, the history forgotten (the page's first load). */
    load(next) {
      original = present = next;
      undo = [];
      redo = [];
      before = null;
      tell('load');
    },
    /** `listener({ action, preview })` after every change; the function to stop it. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** `incoming`'s features split by whether `scenario` has a feature of their id: `replacing`
 * those it has, `adding` the others (and those without an id). */
function splitById(scenario, incoming) {
  const there = new Set(scenario.features.map((f) => f.properties?.id).filter((id) => id != null));
  const has = (f) => f.properties?.id != null && there.has(f.properties.id);
  return { replacing: incoming.features.filter(has), adding: incoming.features.filter((f) => !has(f)) };
}

/** What adding `incoming` by id ([`actions.addById`]) would do to `scenario`: the ids it adds
 * and those it replaces (features without an id are counted as added). */
export function importPlan(scenario, incoming) {
  const { replacing, adding } = splitById(scenario, incoming);
  return { added: adding.length, replaced: replacing.map((f) => String(f.properties.id)) };
}
