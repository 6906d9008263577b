// The three-way merge of a refused save, by feature id: what I changed since the version I
// started from (added, moved or edited, removed) applied onto the latest version; where both of
// us changed the same feature, mine is kept and counted. Pure: the versions in, the merge out.

const idOf = (f) => f.properties?.id;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const byId = (fc) => new Map(fc.features.filter((f) => idOf(f) != null).map((f) => [idOf(f), f]));

/**
 * `mine` (the scenario on my map, started from `base`) merged onto `theirs` (the latest saved):
 * `{ scenario, mine, clashes }`, `mine` how many features I changed, `clashes` how many of those
 * they changed too (mine kept). Features without an id cannot be matched: mine that are not in
 * `base` are added.
 *
 * ```js
 * const { scenario, mine, clashes } = mergeScenarios(base, myScenario, latest);
 * ```
 */
export function mergeScenarios(base, mine, theirs) {
  const [b, th] = [byId(base), byId(theirs)];
  const changed = new Map(); // id -> my feature, or null where I removed it
  for (const f of mine.features) {
    const id = idOf(f);
    if (id != null && (!b.has(id) || !same(b.get(id), f))) changed.set(id, f);
  }
  const kept = new Set(mine.features.map(idOf));
  for (const id of b.keys()) if (!kept.has(id)) changed.set(id, null);
  const clashes = [...changed.keys()].filter((id) => !same(b.get(id), th.get(id))).length;
  const mineWithoutId = mine.features.filter((f) => idOf(f) == null && !base.features.some((g) => same(f, g)));
  const features = theirs.features
    .filter((f) => idOf(f) == null || !changed.has(idOf(f)))
    .concat([...changed.values()].filter(Boolean), mineWithoutId);
  return { scenario: { ...theirs, features }, mine: changed.size, clashes };
}
