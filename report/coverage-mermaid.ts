// A machine's graph as a Mermaid state diagram with coverage: counts on transitions, what no run
// reached styled apart.
import type { MachineCoverage } from '../actors/explore/index.ts';
import type { MachineGraph } from '../actors/explore/index.ts';

const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
const text = (s: string) => s.replace(/[:;#"]/g, ' ').trim();

export function coverageMermaid(g: MachineGraph, c: MachineCoverage | undefined): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${id(g.initial)}`];
  for (const s of g.states) lines.push(`  state "${text(s)}" as ${id(s)}`);
  for (const t of g.transitions) {
    const n = c?.transitions[t.key] ?? 0;
    const to = g.states.find((s) => s === t.target || s.startsWith(`${t.target}.`)) ?? t.target;
    for (const from of g.states.filter((s) => s === t.source || s.startsWith(`${t.source}.`))) {
      lines.push(`  ${id(from)} --> ${id(to)} : ${n ? `${n}x` : 'never'}${t.label ? ` ${text(t.label).slice(0, 40)}` : ''}`);
    }
  }
  const never = g.states.filter((s) => !(c?.states[s] ?? 0));
  lines.push('  classDef never fill:#fdecea,stroke:#c53030,color:#c53030,stroke-dasharray:4');
  if (never.length) lines.push(`  class ${never.map(id).join(',')} never`);
  return lines.join('\n') + '\n';
}
