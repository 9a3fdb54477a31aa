// The district's fallback rate week by week, in plain SVG: one bar per week (Monday to Sunday), a
// week with a flagged AWC in a second colour AND with ⚑ and the AWC's name (colour is never the
// only cue). A camera that broke mid-month shows as a step that one period's totals would hide.

import { formatPercent, getLang, t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';

/** @param {string} name @param {Record<string, string | number>} attrs @param {string} [text] */
function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** "2 Nov" for the Monday a week starts on. @param {string} day YYYY-MM-DD */
const weekLabel = (day) => new Intl.DateTimeFormat(getLang() === 'hi' ? 'hi-IN' : 'en-IN', { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));

/**
 * @param {{weekStart: string, fallbackRate: number | null, fallbacks: number, faceMatches: number, flaggedAwcs: string[]}[]} weeks
 * @returns {SVGSVGElement}
 */
export function weeklyRateChart(weeks) {
  const width = 640;
  const left = 44;
  const right = 8;
  const top = 34;
  const plotH = 150;
  const bottom = top + plotH;
  const height = bottom + 34;
  const slot = (width - left - right) / Math.max(weeks.length, 1);
  const y = (/** @type {number} */ r) => bottom - r * plotH;

  const svg = /** @type {SVGSVGElement} */ (el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'weekly-title weekly-desc', class: 'chart weekly' }));
  svg.append(el('title', { id: 'weekly-title' }, t('metrics.weekly')), el('desc', { id: 'weekly-desc' }, t('metrics.weeklyDesc')));
  for (const tick of [0, 0.5, 1]) {
    svg.append(el('line', { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: 'grid' }), el('text', { x: left - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'tick' }, formatPercent(tick)));
  }
  weeks.forEach((w, i) => {
    const cx = left + slot * i + slot / 2;
    const flagged = w.flaggedAwcs.length > 0;
    const g = el('g', { class: flagged ? 'week flagged' : 'week', 'data-week': w.weekStart });
    const visits = w.fallbacks + w.faceMatches;
    const summary = w.fallbackRate === null ? t('metrics.weekNoVisits') : `${formatPercent(w.fallbackRate)} (${w.fallbacks}/${visits})`;
    g.append(el('title', {}, `${weekLabel(w.weekStart)}: ${summary}${flagged ? ` — ⚑ ${w.flaggedAwcs.join(', ')}` : ''}`));
    if (w.fallbackRate !== null) {
      const h = Math.max(w.fallbackRate * plotH, 1);
      g.append(el('rect', { x: cx - slot * 0.34, y: bottom - h, width: slot * 0.68, height: h, rx: 2 }));
      g.append(el('text', { x: cx, y: bottom - h - 4, 'text-anchor': 'middle', class: 'value' }, formatPercent(w.fallbackRate)));
    }
    if (flagged) g.append(el('text', { x: cx, y: top - 14, 'text-anchor': 'middle', class: 'flag-label' }, `⚑ ${w.flaggedAwcs.join(', ')}`));
    g.append(el('text', { x: cx, y: bottom + 16, 'text-anchor': 'middle', class: 'tick' }, weekLabel(w.weekStart)));
    svg.append(g);
  });
  return svg;
}
