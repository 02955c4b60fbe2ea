// Coverage growth as a small SVG chart: distinct transitions covered against runs (log scale),
// one line per design, so one sees when more runs stop paying.
export interface GrowthLine {
  label: string;
  curve: [number, number][];
}

export const COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#9b2c2c', '#6b46c1', '#b7791f', '#285e61', '#97266d', '#4a5568'];

export function growthSvg(lines: GrowthLine[], title: string): string {
  const w = 640;
  const h = 260;
  const pad = { l: 44, r: 170, t: 24, b: 34 };
  const maxRuns = Math.max(2, ...lines.flatMap((l) => l.curve.map(([r]) => r)));
  const maxY = Math.max(1, ...lines.flatMap((l) => l.curve.map(([, c]) => c)));
  const x = (runs: number) => pad.l + ((w - pad.l - pad.r) * Math.log10(Math.max(1, runs))) / Math.log10(maxRuns);
  const y = (c: number) => h - pad.b - ((h - pad.t - pad.b) * c) / maxY;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [`<svg class="growth" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${pad.l}" y="16" font-size="12" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" stroke="#999"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" stroke="#999"/>`);
  for (let p = 1; p <= maxRuns; p *= 10) parts.push(`<text x="${x(p)}" y="${h - pad.b + 14}" font-size="10" text-anchor="middle">${p}</text>`);
  parts.push(`<text x="${(pad.l + w - pad.r) / 2}" y="${h - 4}" font-size="10" text-anchor="middle">runs (log scale)</text>`);
  parts.push(`<text x="${pad.l - 6}" y="${y(maxY) + 4}" font-size="10" text-anchor="end">${maxY}</text><text x="${pad.l - 6}" y="${y(0)}" font-size="10" text-anchor="end">0</text>`);
  parts.push(`<text transform="translate(12 ${(pad.t + h - pad.b) / 2}) rotate(-90)" font-size="10" text-anchor="middle">transitions covered</text>`);
  lines.forEach((l, i) => {
    const color = COLORS[i % COLORS.length];
    // A step line: the count holds until the next run that covers something new.
    let d = '';
    let prev = 0;
    for (const [runs, covered] of l.curve) {
      d += d ? ` L${x(runs).toFixed(1)},${y(prev).toFixed(1)} L${x(runs).toFixed(1)},${y(covered).toFixed(1)}` : `M${x(runs).toFixed(1)},${y(covered).toFixed(1)}`;
      prev = covered;
    }
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
    parts.push(`<text x="${w - pad.r + 8}" y="${pad.t + 12 + i * 14}" font-size="10" fill="${color}">${esc(l.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
