import type { RocPoint } from './roc.js';

export interface RocPlotOptions {
  title: string;
  /** A line under the title, e.g. the FAR resolution the impostor count allows. */
  note?: string;
  /** Marked on the curve: the operating threshold's FAR/TAR. */
  marker?: { far: number; tar: number; label: string };
}

const W = 640;
const H = 480;
const M = { left: 70, right: 20, top: 40, bottom: 60 };
const FAR_MIN = 1e-4;

/** ROC as an SVG, FAR on a log axis (the low-FAR end is where a verification system lives). */
export function rocSvg(points: readonly RocPoint[], opts: RocPlotOptions): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (far: number) => M.left + ((Math.log10(Math.max(far, FAR_MIN)) - Math.log10(FAR_MIN)) / -Math.log10(FAR_MIN)) * pw;
  const yMin = Math.min(0.9, ...points.filter((p) => p.far >= FAR_MIN).map((p) => p.tar));
  const y = (tar: number) => M.top + (1 - (tar - yMin) / (1 - yMin)) * ph;
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.far).toFixed(1)},${y(Math.max(p.tar, yMin)).toFixed(1)}`).join(' ');
  const grid: string[] = [];
  for (let e = -4; e <= 0; e++) {
    const gx = x(10 ** e);
    grid.push(`<line x1="${gx}" y1="${M.top}" x2="${gx}" y2="${M.top + ph}" stroke="#ddd"/>`);
    grid.push(`<text x="${gx}" y="${M.top + ph + 20}" text-anchor="middle" font-size="12">1e${e}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const tar = yMin + ((1 - yMin) * i) / 5;
    grid.push(`<line x1="${M.left}" y1="${y(tar)}" x2="${M.left + pw}" y2="${y(tar)}" stroke="#ddd"/>`);
    grid.push(`<text x="${M.left - 8}" y="${y(tar) + 4}" text-anchor="end" font-size="12">${tar.toFixed(3)}</text>`);
  }
  const marker = opts.marker
    ? `<circle cx="${x(opts.marker.far)}" cy="${y(opts.marker.tar)}" r="5" fill="#c0392b"/>` +
      `<text x="${x(opts.marker.far) + 8}" y="${y(opts.marker.tar) + 16}" font-size="12" fill="#c0392b">${escape(opts.marker.label)}</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${grid.join('\n')}
<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>
<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="2"/>
${marker}
<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${escape(opts.title)}</text>
${opts.note ? `<text x="${W / 2}" y="35" text-anchor="middle" font-size="11" fill="#555">${escape(opts.note)}</text>` : ''}
<text x="${M.left + pw / 2}" y="${H - 15}" text-anchor="middle" font-size="13">false accept rate (log scale)</text>
<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">true accept rate</text>
</svg>
`;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
