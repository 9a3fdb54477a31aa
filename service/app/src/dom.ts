import { t, type Key } from './i18n.js';

/** Builds elements from text only: API data never becomes HTML. */
type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | ((e: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, value);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const button = (key: Key, onclick: () => void, attrs: Attrs = {}) => h('button', { type: 'button', onclick, ...attrs }, t(key));

export function field(key: Key, input: HTMLInputElement | HTMLSelectElement): HTMLLabelElement {
  return h('label', { class: 'field' }, h('span', {}, t(key)), input);
}

const root = () => document.getElementById('app')!;

/** Replaces the screen; `name` is on <main data-screen> for tests and styling. */
export function show(name: string, ...children: Child[]): void {
  const main = root();
  main.dataset.screen = name;
  main.replaceChildren(...children.filter((c): c is Node | string => !!c));
  window.scrollTo(0, 0);
  main.querySelector<HTMLElement>('[autofocus]')?.focus();
}

/** A message area that screen readers announce. */
export const alertBox = () => h('p', { class: 'alert', role: 'alert', 'aria-live': 'assertive' });

export function say(box: HTMLElement, text: string, kind: 'error' | 'info' | 'ok' = 'error'): void {
  box.textContent = text;
  box.dataset.kind = kind;
}
