// A horizontal bar chart of fallback rates in plain SVG: one bar per AWC, the district rate as a
// dashed line, flagged AWCs in a second colour AND with a ⚑ mark (colour is never the only cue).
// ~80 lines instead of a charting library: nothing to download, nothing to keep up to date.

import { formatPercent, t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';

/**
 * @param {string} name
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 */
function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * @param {{awc: string, fallbackRate: number | null, fallbacks: number, faceMatches: number, flagged: boolean}[]} awcs
 * @param {number | null} districtRate
 * @returns {SVGSVGElement}
 */
export function fallbackRateChart(awcs, districtRate) {
  const rowH = 26;
  const top = 28;
  const left = 118;
  const right = 64;
  const width = 640;
  const plotW = width - left - right;
  const bottom = top + awcs.length * rowH;
  const height = bottom + 22;
  const x = (/** @type {number} */ r) => left + r * plotW;

  const svg = /** @type {SVGSVGElement} */ (el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc', class: 'chart' }));
  svg.append(el('title', { id: 'chart-title' }, t('metrics.chart')), el('desc', { id: 'chart-desc' }, t('metrics.chartDesc')));

  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(
      el('line', { x1: x(tick), x2: x(tick), y1: top - 6, y2: bottom, class: 'grid' }),
      el('text', { x: x(tick), y: top - 12, 'text-anchor': 'middle', class: 'tick' }, formatPercent(tick)),
    );
  }

  awcs.forEach((a, i) => {
    const y = top + i * rowH;
    const rate = a.fallbackRate ?? 0;
    const g = el('g', { class: a.flagged ? 'bar flagged' : 'bar', 'data-awc': a.awc });
    g.append(
      el('title', {}, `${a.awc}: ${formatPercent(a.fallbackRate)} (${a.fallbacks}/${a.fallbacks + a.faceMatches})${a.flagged ? ` — ${t('metrics.flagged')}` : ''}`),
      el('text', { x: left - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'label' }, `${a.flagged ? '⚑ ' : ''}${a.awc}`),
      el('rect', { x: x(0), y: y + 4, width: Math.max(rate * plotW, 1), height: rowH - 8, rx: 2 }),
      el('text', { x: x(rate) + 6, y: y + rowH / 2 + 4, class: 'value' }, formatPercent(a.fallbackRate)),
    );
    svg.append(g);
  });

  if (districtRate !== null) {
    svg.append(
      el('line', { x1: x(districtRate), x2: x(districtRate), y1: top - 4, y2: bottom + 4, class: 'district' }),
      el('text', { x: x(districtRate), y: bottom + 17, 'text-anchor': 'middle', class: 'district-label' }, t('metrics.districtRate', { rate: formatPercent(districtRate) })),
    );
  }
  return svg;
}
