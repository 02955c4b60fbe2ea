// The scaling benchmark for a person: a table of every size and mode, and one SVG with two
// charts against the number of vCPUs: the cost of a step, and the time to the first violation
// of a caught design (inline solid, threads dashed). Written next to the check report.
import { lineChartSvg, type ChartLine } from '../report/line-chart-svg.ts';
import type { ScalingRow } from './scaling.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The lines of a chart: per scenario, one for two CPUs and one for as many CPUs as vCPUs. */
function lines(rows: ScalingRow[], value: (r: ScalingRow) => number): ChartLine[] {
  const out: ChartLine[] = [];
  for (const scenario of [...new Set(rows.map((r) => r.scenario))]) {
    const ofScenario = rows.filter((r) => r.scenario === scenario);
    const shapes = [
      { label: 'CPUs = vCPUs', keep: (r: ScalingRow) => r.cpus === r.vcpus },
      { label: '2 CPUs', keep: (r: ScalingRow) => r.cpus === 2 },
    ].filter((s) => ofScenario.some((r) => s.keep(r) && r.vcpus !== r.cpus) || s.label === 'CPUs = vCPUs');
    for (const shape of shapes) {
      for (const mode of ['inline', 'threads'] as const) {
        const pts = ofScenario.filter((r) => r.mode === mode && shape.keep(r)).map((r): [number, number] => [r.vcpus, value(r)]);
        if (pts.length) out.push({ label: `${scenario}, ${shapes.length > 1 ? `${shape.label}, ` : ''}${mode}`, points: pts, dashed: mode === 'threads' });
      }
    }
  }
  return out;
}

export function scalingSvg(rows: ScalingRow[]): string {
  const xs = [...new Set(rows.map((r) => r.vcpus))].sort((a, b) => a - b);
  const cost = lineChartSvg({ title: 'Cost of a step against size', xLabel: 'vCPUs', yLabel: 'microseconds per step', xs, lines: lines(rows, (r) => 1e6 / r.stepsPerSec) });
  const found = lineChartSvg({ title: 'Time to the first violation of a caught design (median)', xLabel: 'vCPUs', yLabel: 'milliseconds', xs, lines: lines(rows, (r) => r.medianMsToViolation) });
  const nest = (svg: string, y: number) => svg.replace('<svg ', `<svg y="${y}" `);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 600" width="720" height="600">${nest(cost, 0)}${nest(found, 300)}</svg>\n`;
}

export function scalingHtml(rows: ScalingRow[], note: string): string {
  const num = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
  const head = ['scenario', 'vCPUs', 'CPUs', 'actors', 'mode', 'strategy', 'steps/s', 'runs/s', 'steps/run', 'step-limit runs', 'state bytes', 'workers RSS (MB)', 'caught design', 'found', 'schedules to violation', 'ms to violation'];
  const body = rows
    .map((r) =>
      [r.scenario, r.vcpus, r.cpus, r.actors, r.mode, r.strategy, num(r.stepsPerSec), num(r.runsPerSec), r.stepsPerRun, r.stepLimitRuns, num(r.stateBytes), r.mode === 'threads' ? (r.workersRssBytes / 2 ** 20).toFixed(0) : '', r.caughtDesign, `${r.found}/${r.seeds}`, num(r.medianSchedulesToViolation), num(r.medianMsToViolation)]
        .map((c) => `<td>${esc(String(c))}</td>`)
        .join(''),
    )
    .map((tr) => `<tr>${tr}</tr>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>hyprace scaling</title><style>
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1200px; color: #1a202c; padding: 0 16px; }
table { border-collapse: collapse; } th { background: #edf2f7; } th, td { padding: 3px 8px; text-align: right; border-top: 1px solid #e2e8f0; }
.muted { color: #718096; }</style></head><body>
<h1>How search cost grows with size</h1><p class="muted">${esc(note)}</p>
<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>
<p><img src="scaling.svg" alt="cost of a step and time to the first violation against vCPUs"></p>
</body></html>
`;
}
