// A violation's swim-lane timeline as an HTML table: one lane per CPU (or actor), one row per
// step naming the label whose code ran, what it touched on hover, and the violating step marked.
import type { Trace } from '../actors/trace/index.ts';
import { laneOf, orderLanes } from './timeline.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function timelineHtml(trace: Trace): string {
  const lanes = orderLanes([...new Set(trace.steps.map((s) => laneOf(trace, s)))]);
  const v = trace.violation;
  const rows = trace.steps.map((s, i) => {
    const lane = laneOf(trace, s);
    const cells = lanes.map((l) => {
      if (l !== lane) return '<td class="idle"></td>';
      // Every lock operation of the step, in order (a step may release one lock and take another).
      const locks = s.touched.filter((t) => /lock\(|unlock\(/.test(t));
      const flush = s.touched.find((t) => t.startsWith('TLBI'));
      const marks = `${locks.map((l) => ` <span class="lock">${esc(l)}</span>`).join('')}${flush ? ' <span class="flush">TLBI</span>' : ''}`;
      return `<td class="step" title="${esc(s.touched.join('\n'))}"><b>${esc(trace.actors[s.actor].name)}</b> ${esc(s.from)}${marks}</td>`;
    });
    const cls = v && v.step === i ? ' class="violating"' : '';
    return `<tr${cls}><th>${i}</th>${cells.join('')}</tr>${v && v.step === i ? `<tr class="violation"><td colspan="${lanes.length + 1}">✗ ${esc(v.invariant)}: ${esc(v.message)}</td></tr>` : ''}`;
  });
  return `<table class="timeline"><thead><tr><th>step</th>${lanes.map((l) => `<th>${esc(l)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
