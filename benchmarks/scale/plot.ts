/** A small dependency-free SVG: recall@1 against p50 latency, one line per (size, storage, m/ef_construction) as ef_search grows. */
export interface Series {
  label: string;
  points: Array<{ latencyMs: number; recall: number; ef: number }>;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function recallLatencySvg(series: Series[], title: string): string {
  const W = 760;
  const H = 460;
  const L = 70;
  const R = 250;
  const T = 40;
  const B = 50;
  const all = series.flatMap((s) => s.points);
  const maxLat = Math.max(1, ...all.map((p) => p.latencyMs));
  const minRecall = Math.min(0.9, ...all.map((p) => p.recall));
  const lo = Math.floor(minRecall * 20) / 20;
  const x = (ms: number) => L + (Math.log10(Math.max(ms, 0.05)) - Math.log10(0.05)) / (Math.log10(maxLat * 1.3) - Math.log10(0.05)) * (W - L - R);
  const y = (r: number) => T + (1 - (r - lo) / (1 - lo)) * (H - T - B);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">p50 query latency, ms (log scale)</text>`,
    `<text x="18" y="${(T + H - B) / 2}" transform="rotate(-90 18 ${(T + H - B) / 2})" text-anchor="middle">recall@1 vs exact search</text>`,
  ];
  for (const ms of [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000]) {
    if (ms > maxLat * 1.3) break;
    out.push(`<line x1="${x(ms)}" y1="${H - B}" x2="${x(ms)}" y2="${H - B + 5}" stroke="black"/><text x="${x(ms)}" y="${H - B + 18}" text-anchor="middle">${ms}</text>`);
  }
  for (let r = lo; r <= 1.0001; r += (1 - lo) / 5) {
    out.push(`<line x1="${L - 5}" y1="${y(r)}" x2="${L}" y2="${y(r)}" stroke="black"/><text x="${L - 8}" y="${y(r) + 4}" text-anchor="end">${r.toFixed(3)}</text>`);
    out.push(`<line x1="${L}" y1="${y(r)}" x2="${W - R}" y2="${y(r)}" stroke="#eee"/>`);
  }
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    const pts = [...s.points].sort((a, b) => a.ef - b.ef);
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.map((p) => `${x(p.latencyMs).toFixed(1)},${y(p.recall).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p.latencyMs).toFixed(1)}" cy="${y(p.recall).toFixed(1)}" r="3" fill="${c}"><title>${esc(s.label)} ef_search=${p.ef}: ${p.recall} at ${p.latencyMs} ms</title></circle>`);
    out.push(`<rect x="${W - R + 15}" y="${T + i * 18 - 9}" width="10" height="10" fill="${c}"/><text x="${W - R + 30}" y="${T + i * 18}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
