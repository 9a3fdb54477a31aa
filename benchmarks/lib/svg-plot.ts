/** Small dependency-free SVG charts for benchmarks/REPORT.md: an x–y plot and a bar chart with ranges. */

const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bc4c00', '#0550ae', '#57606a'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : String(+v.toPrecision(3)));

export interface XyPoint {
  x: number;
  y: number;
  /** Drawn hollow (e.g. a failed load step). */
  hollow?: boolean;
}
export interface XySeries {
  name: string;
  points: XyPoint[];
  line?: boolean;
  dashed?: boolean;
}
export interface XyPlot {
  title: string;
  note?: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  series: XySeries[];
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of [1, 2, 5]) out.push(m * 10 ** e);
    return out.filter((t) => t >= lo * 0.999 && t <= hi * 1.001);
  }
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const s = [1, 2, 5, 10].map((m) => m * step).find((x) => span / x <= 7) ?? step * 10;
  const out: number[] = [];
  for (let t = Math.ceil(lo / s) * s; t <= hi + 1e-9; t += s) out.push(+t.toPrecision(10));
  return out;
}

export function xyPlotSvg(p: XyPlot): string {
  const W = 740;
  const H = 440;
  const M = { left: 70, right: 230, top: p.note ? 48 : 36, bottom: 56 };
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const pts = p.series.flatMap((s) => s.points).filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y) && (!p.xLog || q.x > 0) && (!p.yLog || q.y > 0));
  if (pts.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60"><text x="10" y="30">${esc(p.title)}: no data</text></svg>\n`;
  let [x0, x1] = [Math.min(...pts.map((q) => q.x)), Math.max(...pts.map((q) => q.x))];
  let [y0, y1] = [Math.min(...pts.map((q) => q.y)), Math.max(...pts.map((q) => q.y))];
  if (!p.xLog) [x0, x1] = [Math.min(0, x0), x1 * 1.05 || 1];
  else [x0, x1] = [x0 / 1.3, x1 * 1.3];
  if (!p.yLog) [y0, y1] = [Math.min(0, y0), y1 * 1.08 || 1];
  else [y0, y1] = [y0 / 1.5, y1 * 1.5];
  const tx = (v: number) => (p.xLog ? (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (v - x0) / (x1 - x0 || 1));
  const ty = (v: number) => (p.yLog ? (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (v - y0) / (y1 - y0 || 1));
  const X = (v: number) => M.left + tx(v) * pw;
  const Y = (v: number) => M.top + ph - ty(v) * ph;
  const grid = [
    ...ticks(x0, x1, !!p.xLog).map((t) => `<line x1="${X(t)}" y1="${M.top}" x2="${X(t)}" y2="${M.top + ph}" stroke="#eee"/><text x="${X(t)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`),
    ...ticks(y0, y1, !!p.yLog).map((t) => `<line x1="${M.left}" y1="${Y(t)}" x2="${M.left + pw}" y2="${Y(t)}" stroke="#eee"/><text x="${M.left - 6}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`),
  ];
  const body = p.series.map((s, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    const ok = s.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y) && (!p.xLog || q.x > 0) && (!p.yLog || q.y > 0));
    const path = s.line && ok.length > 1 ? `<path d="${ok.map((q, k) => `${k ? 'L' : 'M'}${X(q.x).toFixed(1)} ${Y(q.y).toFixed(1)}`).join(' ')}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>` : '';
    const dots = ok.map((q) => `<circle cx="${X(q.x).toFixed(1)}" cy="${Y(q.y).toFixed(1)}" r="3.5" fill="${q.hollow ? 'white' : c}" stroke="${c}" stroke-width="1.5"/>`).join('');
    const legend = `<rect x="${M.left + pw + 12}" y="${M.top + 4 + i * 18}" width="12" height="12" fill="${c}"/><text x="${M.left + pw + 30}" y="${M.top + 14 + i * 18}" font-size="11">${esc(s.name)}</text>`;
    return path + dots + legend;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
${grid.join('\n')}
<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>
${body.join('\n')}
<text x="${(M.left + pw / 2).toFixed(0)}" y="20" text-anchor="middle" font-size="14">${esc(p.title)}</text>
${p.note ? `<text x="${(M.left + pw / 2).toFixed(0)}" y="36" text-anchor="middle" font-size="11" fill="#555">${esc(p.note)}</text>` : ''}
<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle" font-size="12">${esc(p.xLabel)}${p.xLog ? ' (log)' : ''}</text>
<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}${p.yLog ? ' (log)' : ''}</text>
</svg>
`;
}

export interface Bar {
  name: string;
  value: number;
  /** Range drawn as a whisker (min–max over runs, or p95 over samples). */
  lo?: number;
  hi?: number;
}
export interface BarGroup {
  label: string;
  bars: Bar[];
}

/** Horizontal grouped bars with whiskers; one colour per bar name. */
export function barPlotSvg(p: { title: string; note?: string; unit: string; groups: BarGroup[]; log?: boolean }): string {
  const names = [...new Set(p.groups.flatMap((g) => g.bars.map((b) => b.name)))];
  const rowH = 14;
  const groupH = names.length * rowH + 12;
  const W = 700;
  const M = { left: 210, right: 150, top: p.note ? 50 : 38, bottom: 40 };
  const H = M.top + M.bottom + p.groups.length * groupH;
  const pw = W - M.left - M.right;
  const vals = p.groups.flatMap((g) => g.bars.flatMap((b) => [b.value, b.hi ?? b.value])).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(...vals, 1e-9) * 1.08;
  const min = p.log ? Math.min(...vals) / 1.5 : 0;
  const X = (v: number) => M.left + (p.log ? (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : v / max) * pw;
  const out: string[] = [];
  for (const t of ticks(p.log ? min : 0, max, !!p.log)) out.push(`<line x1="${X(t)}" y1="${M.top}" x2="${X(t)}" y2="${H - M.bottom}" stroke="#eee"/><text x="${X(t)}" y="${H - M.bottom + 14}" text-anchor="middle" font-size="10">${fmt(t)}</text>`);
  p.groups.forEach((g, gi) => {
    const gy = M.top + gi * groupH;
    out.push(`<text x="${M.left - 8}" y="${gy + groupH / 2 + 2}" text-anchor="end" font-size="11">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const k = names.indexOf(b.name);
      const c = COLOURS[k % COLOURS.length]!;
      const y = gy + 4 + k * rowH;
      if (!Number.isFinite(b.value)) continue;
      out.push(`<rect x="${M.left}" y="${y}" width="${Math.max(0, X(b.value) - M.left).toFixed(1)}" height="${rowH - 3}" fill="${c}" opacity="0.8"/>`);
      if (b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
        const ym = y + (rowH - 3) / 2;
        out.push(`<path d="M${X(b.lo).toFixed(1)} ${ym} L${X(b.hi).toFixed(1)} ${ym} M${X(b.lo).toFixed(1)} ${ym - 4} L${X(b.lo).toFixed(1)} ${ym + 4} M${X(b.hi).toFixed(1)} ${ym - 4} L${X(b.hi).toFixed(1)} ${ym + 4}" stroke="#222" fill="none"/>`);
      }
    }
  });
  names.forEach((n, k) => out.push(`<rect x="${W - M.right + 12}" y="${M.top + k * 18}" width="12" height="12" fill="${COLOURS[k % COLOURS.length]}"/><text x="${W - M.right + 30}" y="${M.top + 10 + k * 18}" font-size="11">${esc(n)}</text>`));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(p.title)}</text>
${p.note ? `<text x="${W / 2}" y="36" text-anchor="middle" font-size="11" fill="#555">${esc(p.note)}</text>` : ''}
${out.join('\n')}
<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(p.unit)}${p.log ? ' (log)' : ''}</text>
</svg>
`;
}
