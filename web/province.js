// A province served as one (`serve --roads` with several files): the city picker flies to a
// city or to the whole province, and the stats list each city's tiers, the lowest first
// (a click on a city flies there).
import { t } from './i18n.js';
import { h, show } from './dom.js';
import { pct } from './format.js';

/** Wires the picker; returns `render()`, for after each summary and a language switch. */
export function wireProvince({ map, state }) {
  const cities = state.info.cities ?? [];
  const box = document.getElementById('province');
  const pick = document.getElementById('city-pick');
  if (cities.length < 2) return { render() {} };
  box.hidden = false;
  document.getElementById('city').classList.add('province');
  const fly = (bbox) => map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 40, duration: 600 });
  pick.addEventListener('change', () => {
    const city = cities.find((c) => c.name === pick.value);
    fly(city ? city.bbox : state.info.bbox);
  });
  const render = () => {
    const value = pick.value;
    show(pick, h('option', { value: '' }, t('whole_province', { n: cities.length })),
      cities.map((c) => h('option', { value: c.name }, c.name)));
    pick.value = value;
    const rows = [...(state.summary?.cities ?? [])]
      .sort((a, b) => a.tier_shares[a.tier_shares.length - 1] - b.tier_shares[b.tier_shares.length - 1]);
    const tiers = state.summary?.tiers ?? [];
    show(document.getElementById('city-table'),
      h('tr', {}, h('th', {}, t('city_name')), tiers.map((tier) => h('th', { class: 'num' }, `${tier.budget_s / 60}′×${tier.units}`))),
      rows.map((row) => h('tr', {
        class: 'city-row',
        on: { click: () => { pick.value = row.name; fly(cities.find((c) => c.name === row.name).bbox); } },
      }, h('td', {}, row.name), row.tier_shares.map((share) => h('td', { class: 'num' }, pct(share))))));
  };
  render();
  return { render };
}
