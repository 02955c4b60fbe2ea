// A small SVG line chart, both axes on log scales (sizes that double, costs that multiply):
// cost against size (the scaling benchmark), one line per series, points marked, the legend on
// the right.
import { COLORS } from './growth-svg.ts';

export interface ChartLine {
  label: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** The x values to mark on the axis. */
  xs: number[];
  lines: ChartLine[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function lineChartSvg(c: LineChart): string {
  const w = 720;
  const h = 300;
  const pad = { l: 56, r: 250, t: 26, b: 38 };
  const ys = c.lines.flatMap((l) => l.points.map(([, y]) => y)).filter((y) => Number.isFinite(y) && y > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...ys, 1e9))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...ys, lo * 10))));
  const minX = Math.min(...c.xs);
  const maxX = Math.max(...c.xs);
  const x = (v: number) => pad.l + ((w - pad.l - pad.r) * Math.log2(v / minX)) / Math.max(1, Math.log2(maxX / minX));
  const y = (v: number) => h - pad.b - ((h - pad.t - pad.b) * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const parts = [`<svg class="line-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(c.title)}">`];
  parts.push(`<text x="${pad.l}" y="16" font-size="12" font-weight="bold">${esc(c.title)}</text>`);
  parts.push(`<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#999"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" stroke="#999"/>`);
  for (const v of c.xs) parts.push(`<text x="${x(v)}" y="${h - pad.b + 14}" font-size="10" text-anchor="middle">${v}</text>`);
  for (let v = lo; v <= hi * 1.001; v *= 10) {
    parts.push(`<line x1="${pad.l}" y1="${y(v).toFixed(1)}" x2="${w - pad.r}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="10" text-anchor="end">${v >= 1 ? v.toLocaleString('en-US') : v}</text>`);
  }
  parts.push(`<text x="${(pad.l + w - pad.r) / 2}" y="${h - 6}" font-size="10" text-anchor="middle">${esc(c.xLabel)} (log scale)</text>`);
  parts.push(`<text transform="translate(12 ${(pad.t + h - pad.b) / 2}) rotate(-90)" font-size="10" text-anchor="middle">${esc(c.yLabel)} (log scale)</text>`);
  c.lines.forEach((l, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = l.points.filter(([, v]) => Number.isFinite(v) && v > 0);
    const d = pts.map(([px, py], k) => `${k ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    for (const [px, py] of pts) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="2.5" fill="${color}"/>`);
    parts.push(`<text x="${w - pad.r + 8}" y="${pad.t + 12 + i * 14}" font-size="10" fill="${color}">${esc(l.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
