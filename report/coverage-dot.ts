// A machine's graph as Graphviz DOT with coverage drawn on it: states with their visit counts,
// transitions with how often they were taken, and what no run reached in red and dashed.
import type { MachineCoverage } from '../actors/explore/index.ts';
import type { MachineGraph } from '../actors/explore/index.ts';

const COVERED = '#2f855a';
const NEVER = '#c53030';

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const short = (s: string, n = 48) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

export function coverageDot(g: MachineGraph, c: MachineCoverage | undefined, finals: ReadonlySet<string> = new Set()): string {
  const lines = [
    `digraph ${q(g.machine)} {`,
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, compound=true, nodesep=0.3, ranksep=0.35];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, penwidth=1.2];',
    '  edge [fontname="Helvetica", fontsize=8, arrowsize=0.7];',
    '  "__start" [shape=point, width=0.12, label=""];',
    `  "__start" -> ${q(g.initial)};`,
  ];
  const visits = (s: string) => c?.states[s] ?? 0;
  const node = (s: string, indent: string) => {
    const n = visits(s);
    const label = `${s.split('.').pop()}\\n${n ? `${n} visits` : 'never reached'}`;
    const style = n ? `fillcolor="#e6f4ea", color="${COVERED}"` : `fillcolor="#fdecea", color="${NEVER}", fontcolor="${NEVER}", style="rounded,filled,dashed"`;
    // A choice state (a step's branch on what it read) is a diamond, as in a flowchart.
    lines.push(`${indent}${q(s)} [label="${label}", ${style}${finals.has(s) ? ', peripheries=2' : ''}${g.choices.includes(s) ? ', shape=diamond' : ''}];`);
  };
  // Compound states as clusters, leaves inside the innermost one.
  const inCluster = new Set<string>();
  for (const cs of g.compound) {
    lines.push(`  subgraph ${q(`cluster_${cs}`)} { label=${q(cs)}; style="rounded,dashed"; color="#888";`);
    for (const s of g.states.filter((x) => x.startsWith(`${cs}.`) && !g.compound.some((o) => o !== cs && o.startsWith(`${cs}.`) && x.startsWith(`${o}.`)))) {
      node(s, '    ');
      inCluster.add(s);
    }
    lines.push('  }');
  }
  for (const s of g.states) if (!inCluster.has(s)) node(s, '  ');
  for (const t of g.transitions) {
    const n = c?.transitions[t.key] ?? 0;
    const from = g.states.includes(t.source) ? t.source : (g.states.find((s) => s.startsWith(`${t.source}.`)) ?? t.source);
    const to = g.states.includes(t.target) ? t.target : (g.states.find((s) => s.startsWith(`${t.target}.`)) ?? t.target);
    const label = `${n ? `${n}×` : 'never'}${t.label ? ` ${short(t.label)}` : ''}`;
    const style = n ? `color="${COVERED}"` : `color="${NEVER}", fontcolor="${NEVER}", style=dashed`;
    const tail = from !== t.source ? `, ltail=${q(`cluster_${t.source}`)}` : '';
    lines.push(`  ${q(from)} -> ${q(to)} [label=${q(label)}, ${style}${tail}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
