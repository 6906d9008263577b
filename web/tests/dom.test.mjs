// Unit tests of the DOM builder (on a stand-in document: what `h` asks of it is recorded), and
// a check of the sources: no page script builds markup from strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Just enough of a document: elements record their attributes, styles, listeners and
 * children; text is kept as text nodes. */
function standIn() {
  const element = (tag, ns = null) => ({
    tag, ns, attributes: {}, style: { props: {}, setProperty(k, v) { this.props[k] = v; } }, dataset: {}, listeners: {}, children: [],
    setAttribute(k, v) { this.attributes[k] = v; },
    addEventListener(k, f) { this.listeners[k] = f; },
    append(...c) { this.children.push(...c.map((x) => (typeof x === 'string' ? { text: x } : x))); },
    replaceChildren(...c) { this.children = []; this.append(...c); },
  });
  return { createElement: (tag) => element(tag), createElementNS: (ns, tag) => element(tag, ns) };
}

test('text from data stays text: markup in a name is never parsed', async () => {
  globalThis.document = standIn();
  const { h, svg, show } = await import('../dom.js');
  const name = '<img src=x onerror="alert(1)">';
  const clicked = [];
  const li = h('li', { class: 'hit', dataset: { index: 3 }, style: { width: '2rem' }, on: { click: () => clicked.push(1) }, hidden: false, title: name },
    h('b', {}, name), ' · ', 42, null, false, [h('i'), 'x']);
  assert.equal(li.tag, 'li');
  assert.deepEqual(li.attributes, { class: 'hit', title: name });
  assert.deepEqual(li.dataset, { index: '3' });
  assert.deepEqual(li.style.props, { width: '2rem' });
  li.listeners.click();
  assert.deepEqual(clicked, [1]);
  assert.deepEqual(li.children.map((c) => c.tag ?? c.text), ['b', ' · ', '42', 'i', 'x']);
  assert.deepEqual(li.children[0].children, [{ text: name }]);
  const rect = svg('rect', { x: 0, width: 10.5 });
  assert.equal(rect.ns, 'http://www.w3.org/2000/svg');
  assert.deepEqual(rect.attributes, { x: '0', width: '10.5' });
  const list = h('ul', {}, h('li'));
  show(list, [h('li', {}, 'a'), h('li', {}, 'b')]);
  assert.equal(list.children.length, 2);
});

test('no page script builds markup from strings (innerHTML and the like)', () => {
  const scripts = readdirSync(web).filter((f) => f.endsWith('.js'));
  assert.ok(scripts.length >= 10, scripts.join(' '));
  const found = [];
  for (const file of scripts) {
    readFileSync(path.join(web, file), 'utf8').split('\n').forEach((line, i) => {
      if (/\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|\.setHTML\(|document\.write/.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test('sizes are in rem or em: no pixel sizes in the style sheet but hairlines and the root type', () => {
  const css = readFileSync(path.join(web, 'style.css'), 'utf8');
  const found = [];
  css.split('\n').forEach((line, i) => {
    // Borders, outlines and shadows of a pixel or few stay pixels (they are lines, not sizes);
    // the root type is set in px once, with the page's width, for everything else to follow.
    const sizes = line.replace(/(border|outline|box-shadow)[\w-]*:[^;]*;/g, '').replace(/^\s*(:root[^{]*)?\{?\s*font-size: clamp\([^;]*;/, '');
    if (/\d(\.\d+)?px/.test(sizes) && !/^\s*:root/.test(line)) found.push(`style.css:${i + 1}: ${line.trim()}`);
  });
  assert.deepEqual(found, []);
});
