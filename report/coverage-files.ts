// Writes the coverage of every machine of a design as DOT, SVG, Mermaid and JSON files.
import { join } from 'node:path';
import { writeAtomically } from '../actors/trace/index.ts';
import type { CoverageData } from '../actors/explore/index.ts';
import { machineKey } from '../actors/explore/index.ts';
import { pathsToUncovered, summarize, type MachineGraph } from '../actors/explore/index.ts';
import { coverageDot } from './coverage-dot.ts';
import { coverageMermaid } from './coverage-mermaid.ts';
import { dotToSvg } from './svg.ts';

export interface DesignMachines {
  scenario: string;
  design: string;
  graphs: MachineGraph[];
  /** Final states by machine id. */
  finals: Map<string, Set<string>>;
}

export interface MachineReport {
  scenario: string;
  design: string;
  machine: string;
  states: { covered: number; total: number };
  transitions: { covered: number; total: number };
  /** For each state no run reached: a shortest path to it in the graph (guards ignored). */
  uncovered: Record<string, string[]>;
  neverTaken: string[];
  files: { dot: string; svg: string; mermaid: string; json: string };
  svg: string;
}

export async function writeCoverageFiles(out: string, d: DesignMachines, data: CoverageData): Promise<MachineReport[]> {
  const dir = join(out, d.scenario, d.design);
  const reports: MachineReport[] = [];
  for (const g of d.graphs) {
    const c = data.machines[machineKey(d.scenario, d.design, g.machine)];
    const dot = coverageDot(g, c, d.finals.get(g.machine));
    const svg = await dotToSvg(dot);
    const base = join(dir, g.machine);
    const files = { dot: `${base}.dot`, svg: `${base}.svg`, mermaid: `${base}.mmd`, json: `${base}.json` };
    const s = summarize(g, c);
    const uncovered = pathsToUncovered(g, c);
    const neverTaken = g.transitions.filter((t) => !(c?.transitions[t.key] ?? 0)).map((t) => `${t.source} -> ${t.target}${t.label ? ` [${t.label}]` : ''}`);
    writeAtomically(files.dot, dot);
    writeAtomically(files.svg, svg);
    writeAtomically(files.mermaid, coverageMermaid(g, c));
    writeAtomically(files.json, JSON.stringify({ ...s, scenario: d.scenario, design: d.design, graph: g, visits: c?.states ?? {}, taken: c?.transitions ?? {}, uncovered, neverTaken }, null, 1) + '\n');
    reports.push({ scenario: d.scenario, design: d.design, machine: g.machine, states: s.states, transitions: s.transitions, uncovered, neverTaken, files, svg });
  }
  return reports;
}
