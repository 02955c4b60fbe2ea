// report/index.html: the page a KVM developer opens after `npm start`. Static, one file, no
// server: the verdict table, every machine's coverage graph, coverage growth, and the swim-lane
// timeline of each violation found.
import type { Trace } from '../actors/trace/index.ts';
import type { MachineReport } from './coverage-files.ts';
import { growthSvg, type GrowthLine } from './growth-svg.ts';
import { timelineHtml } from './timeline-html.ts';

export interface ReportRow {
  scenario: string;
  design: string;
  description: string;
  expected: string;
  got: string;
  ok: boolean;
  invariant: string | null;
  message: string | null;
  schedules: number;
  elapsedMs: number;
  trace: string | null;
  /** How the verdict was reached: verified (under which bound), found by verify, or sampled. */
  how?: string;
}

export interface ReportInput {
  title: string;
  subtitle: string;
  rows: ReportRow[];
  machines: MachineReport[];
  growth: { scenario: string; lines: GrowthLine[] }[];
  traces: { row: ReportRow; trace: Trace }[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (c: { covered: number; total: number }) => `${c.covered}/${c.total} (${c.total ? Math.round((100 * c.covered) / c.total) : 100}%)`;
const anchor = (...parts: string[]) => parts.join('--').replace(/[^A-Za-z0-9_-]/g, '_');

const STYLE = `
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1200px; color: #1a202c; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 0; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #e2e8f0; } h3 { font-size: 15px; }
.sub { color: #4a5568; margin-top: 4px; }
table { border-collapse: collapse; } th, td { padding: 3px 8px; text-align: left; vertical-align: top; }
table.verdicts th { background: #edf2f7; } table.verdicts td { border-top: 1px solid #e2e8f0; }
td.ok { color: #2f855a; font-weight: bold; } td.bad { color: #c53030; font-weight: bold; }
.graph svg { max-width: 100%; height: auto; } details { margin: 6px 0; } summary { cursor: pointer; }
table.timeline { font: 12px/1.3 ui-monospace, Menlo, Consolas, monospace; }
table.timeline th { background: #edf2f7; position: sticky; top: 0; } table.timeline td { border-left: 1px solid #e2e8f0; min-width: 170px; }
table.timeline td.step { background: #f7fafc; } .lock { color: #6b46c1; } .flush { color: #b7791f; font-weight: bold; }
tr.violating td.step { background: #fed7d7; } tr.violation td { color: #c53030; font-weight: bold; padding: 4px 8px; }
.muted { color: #718096; }`;

export function renderReport(r: ReportInput): string {
  const ok = r.rows.every((x) => x.ok);
  const verdicts = `<table class="verdicts"><thead><tr><th>scenario</th><th>design</th><th>expected</th><th>got</th><th></th><th>how</th><th>schedules</th><th>time</th><th>invariant</th></tr></thead><tbody>${r.rows
    .map(
      (x) =>
        `<tr><td>${esc(x.scenario)}</td><td title="${esc(x.description)}">${esc(x.design)}</td><td>${x.expected}</td><td>${x.got}</td><td class="${x.ok ? 'ok' : 'bad'}">${x.ok ? 'ok' : 'UNEXPECTED'}</td><td>${esc(x.how ?? 'sampled')}</td><td>${x.schedules}</td><td>${(x.elapsedMs / 1000).toFixed(1)} s</td><td>${x.invariant ? `<a href="#${anchor('violation', x.scenario, x.design)}">${esc(x.invariant)}</a>` : ''}</td></tr>`,
    )
    .join('')}</tbody></table>`;

  const scenarios = [...new Set(r.rows.map((x) => x.scenario))];
  const coverage = scenarios
    .map((s) => {
      const growth = r.growth.find((g) => g.scenario === s);
      const designs = [...new Set(r.machines.filter((m) => m.scenario === s).map((m) => m.design))];
      return `<h3>${esc(s)}</h3>${growth ? `<div class="growth-chart">${growthSvg(growth.lines, `${s}: transitions covered as runs go on`)}</div>` : ''}${designs
        .map((d) =>
          r.machines
            .filter((m) => m.scenario === s && m.design === d)
            .map((m) => {
              const never = Object.keys(m.uncovered);
              return `<details class="machine"><summary><b>${esc(d)}</b> · ${esc(m.machine)}: states ${pct(m.states)}, transitions ${pct(m.transitions)}</summary><div class="graph">${m.svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/<!DOCTYPE[^>]*>\s*/, '')}</div>${
                never.length ? `<p class="muted">Never reached: ${never.map((n) => `<b>${esc(n)}</b> (shortest way in the graph: ${esc(m.uncovered[n].join(', '))})`).join('; ')}</p>` : ''
              }</details>`;
            })
            .join(''),
        )
        .join('')}`;
    })
    .join('');

  const violations = r.traces.length
    ? r.traces
        .map(
          ({ row, trace }) =>
            `<h3 id="${anchor('violation', row.scenario, row.design)}">${esc(row.scenario)} / ${esc(row.design)}: ${esc(row.invariant ?? '')}</h3><p>${esc(row.message ?? '')}</p><p class="muted">${trace.steps.length} steps${
              trace.originalSteps ? ` (shrunk from ${trace.originalSteps})` : ''
            }; hover a step for what it read and wrote. Replay: <code>hyprace replay ${esc(row.trace ?? '')}</code></p>${timelineHtml(trace)}`,
        )
        .join('')
    : '<p>No violation was found.</p>';

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(r.title)}</h1><p class="sub">${esc(r.subtitle)}</p>
<h2>Verdicts</h2><p>${ok ? 'Every design reached its expected verdict.' : '<b class="bad">Some designs did not reach their expected verdict.</b>'}</p>${verdicts}
<h2>State-machine coverage</h2><p class="muted">Each machine's graph from xstate: states with their visits, transitions with how often runs took them; red and dashed is what no run reached.</p>${coverage}
<h2>Violations</h2>${violations}
</body></html>
`;
}
