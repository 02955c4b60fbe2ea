// The full set of states and transitions of a machine, from @xstate/graph's toDirectedGraph,
// keyed the way coverage records them, and how much of it a coverage record exercised.
import { toDirectedGraph } from '@xstate/graph';
import type { AnyStateMachine } from 'xstate';
import { transitionKey, type MachineCoverage } from './coverage.ts';

export interface GraphTransition {
  key: string;
  /** Leaf or compound state path that declares it. */
  source: string;
  target: string;
  /** The transition's description, or its guard's position when it has none. */
  label: string;
}

export interface MachineGraph {
  machine: string;
  initial: string;
  /** Leaf state paths (the states a step starts from). */
  states: string[];
  /** Compound state paths, for drawing clusters. */
  compound: string[];
  /** Choice states: left within the step that enters them, by the first branch that holds. */
  choices: string[];
  transitions: GraphTransition[];
}

interface DirectedNode {
  id: string;
  children: DirectedNode[];
  edges: { source: { id: string }; target: { id: string }; transition: unknown }[];
  stateNode: { path: string[]; transitions: Map<string, unknown[]>; always?: { target?: { id: string }[]; description?: string }[]; initial?: { target: { path: string[] }[] } };
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = toDirectedGraph(machine) as unknown as DirectedNode;
  const prefix = `${machine.id}.`;
  const path = (id: string) => (id.startsWith(prefix) ? id.slice(prefix.length) : id);
  const states: string[] = [];
  const compound: string[] = [];
  const transitions: GraphTransition[] = [];
  const choices: string[] = [];
  const visit = (n: DirectedNode) => {
    const own = n.stateNode.transitions.get('STEP') ?? [];
    for (const e of n.edges) {
      const i = own.indexOf(e.transition);
      const t = e.transition as { description?: string };
      transitions.push({ key: transitionKey(path(n.id), i), source: path(e.source.id), target: path(e.target.id), label: t.description ?? (own.length > 1 ? `#${i}` : '') });
    }
    // toDirectedGraph leaves out eventless transitions: a choice state's branches are drawn here.
    const always = n.stateNode.always ?? [];
    if (always.length) choices.push(path(n.id));
    always.forEach((t, i) => {
      for (const target of t.target ?? []) transitions.push({ key: transitionKey(path(n.id), i), source: path(n.id), target: path(target.id), label: t.description ?? (always.length > 1 ? `#${i}` : '') });
    });
    if (n.children.length) {
      if (n !== root) compound.push(path(n.id));
      n.children.forEach(visit);
    } else states.push(path(n.id));
  };
  visit(root);
  let initial = root.stateNode;
  while (initial.initial?.target?.length) initial = initial.initial.target[0] as typeof initial;
  return { machine: machine.id, initial: initial.path.join('.'), states, compound, choices, transitions };
}

export interface CoverageSummary {
  machine: string;
  states: { covered: number; total: number };
  transitions: { covered: number; total: number };
}

export function summarize(graph: MachineGraph, c: MachineCoverage | undefined): CoverageSummary {
  const statesCovered = graph.states.filter((s) => (c?.states[s] ?? 0) > 0).length;
  const transitionsCovered = graph.transitions.filter((t) => (c?.transitions[t.key] ?? 0) > 0).length;
  return {
    machine: graph.machine,
    states: { covered: statesCovered, total: graph.states.length },
    transitions: { covered: transitionsCovered, total: graph.transitions.length },
  };
}

/**
 * For each state no run reached, the shortest path of transitions to it from the initial state
 * in the machine's graph. The path ignores guards: in hyprace they read shared memory, which only
 * a run can set up (xstate's getShortestPaths would evaluate them against no host at all). It is
 * a hint for a scenario that would get there.
 */
export function pathsToUncovered(graph: MachineGraph, c: MachineCoverage | undefined): Record<string, string[]> {
  const leafOf = new Map<string, string[]>();
  for (const s of graph.states) {
    // A transition declared by a compound state leaves from each of its leaves.
    for (let p = s; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') leafOf.set(p, [...(leafOf.get(p) ?? []), s]);
  }
  const entry = (target: string) => graph.states.find((s) => s === target || s.startsWith(`${target}.`)) ?? target;
  const prev = new Map<string, { from: string; via: GraphTransition }>();
  const queue = [graph.initial];
  const seen = new Set(queue);
  while (queue.length) {
    const at = queue.shift()!;
    for (const t of graph.transitions) {
      if (!(leafOf.get(t.source) ?? []).includes(at)) continue;
      const to = entry(t.target);
      if (seen.has(to)) continue;
      seen.add(to);
      prev.set(to, { from: at, via: t });
      queue.push(to);
    }
  }
  const out: Record<string, string[]> = {};
  for (const s of graph.states) {
    if ((c?.states[s] ?? 0) > 0 || s === graph.initial) continue;
    const steps: string[] = [];
    for (let at = s; prev.has(at); at = prev.get(at)!.from) {
      const p = prev.get(at)!;
      steps.unshift(`${p.from} -> ${at}${p.via.label ? ` [${p.via.label}]` : ''}`);
    }
    out[s] = steps.length ? steps : ['(unreachable in the graph)'];
  }
  return out;
}

/** Each distinct machine of a design (by id), with its graph. */
export function designGraphs(world: { programs: readonly { machine: AnyStateMachine }[] }): MachineGraph[] {
  const byId = new Map<string, MachineGraph>();
  for (const p of world.programs) if (!byId.has(p.machine.id)) byId.set(p.machine.id, machineGraph(p.machine));
  return [...byId.values()];
}

export interface DesignCoverage {
  states: { covered: number; total: number };
  transitions: { covered: number; total: number };
  machines: CoverageSummary[];
}

/** A design's coverage, per machine and in all. */
export function designCoverage(graphs: MachineGraph[], machines: Record<string, MachineCoverage>, scenario: string, design: string): DesignCoverage {
  const per = graphs.map((g) => summarize(g, machines[`${scenario}/${design}/${g.machine}`]));
  const add = (f: (s: CoverageSummary) => { covered: number; total: number }) => per.reduce((a, s) => ({ covered: a.covered + f(s).covered, total: a.total + f(s).total }), { covered: 0, total: 0 });
  return { states: add((s) => s.states), transitions: add((s) => s.transitions), machines: per };
}
