// The one way the map builds DOM from data: elements made with `h` (HTML) and `svg` (SVG),
// their text appended as text nodes and their attributes set one by one, so a name or id from
// a scenario file is never read as markup. No `innerHTML` anywhere (a test checks the sources).

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An HTML element: `h('td', { class: 'num', dataset: { tier: 60 } }, '42%')`. Props: `class`,
 * `style` (an object of CSS properties), `dataset`, `on` (event name to handler), anything
 * else as an attribute (`true` as present, `null`/`false` left out). Children: elements,
 * text (numbers too), arrays of them; `null` and `false` are skipped.
 */
export function h(tag, props = {}, ...children) {
  return fill(document.createElement(tag), props, children);
}

/** An SVG element, as [`h`] makes HTML ones: `svg('rect', { x: 0, width: 10 })`. */
export function svg(tag, props = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), props, children);
}

/** `parent`'s children replaced by `children` (as [`h`] takes them); `parent` back. */
export function show(parent, ...children) {
  parent.replaceChildren(...flat(children));
  return parent;
}

function fill(el, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'style') {
      for (const [name, v] of Object.entries(value)) el.style.setProperty(name, String(v));
    } else if (key === 'dataset') {
      for (const [name, v] of Object.entries(value)) el.dataset[name] = String(v);
    } else if (key === 'on') {
      for (const [name, handler] of Object.entries(value)) el.addEventListener(name, handler);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  el.append(...flat(children));
  return el;
}

function flat(children) {
  return children.flat(Infinity).filter((c) => c != null && c !== false)
    .map((c) => (typeof c === 'object' ? c : String(c)));
}
