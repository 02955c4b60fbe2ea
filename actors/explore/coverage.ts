// Which states and transitions of each machine the runs exercised. Recorded by the scheduling
// thread from each step it grants (it sees every step in both inline and threads mode), kept as
// plain counts, so records from several runs, jobs, workers or earlier invocations merge by
// adding them up; each transition also keeps the run that first took it, from which the growth
// curve (distinct transitions covered against runs) is rebuilt after any merge.
import type { StepRecord } from '../engine/index.ts';
import type { World } from '../engine/index.ts';

export const COVERAGE_FORMAT = 'hyprace-coverage';

export interface MachineCoverage {
  scenario: string;
  design: string;
  /** The xstate machine's id. */
  machine: string;
  /** Leaf state path -> visits (as a run's initial state, or arrived at by a step). */
  states: Record<string, number>;
  /** Transition key (see transitionKey) -> times taken. */
  transitions: Record<string, number>;
  /** Transition key -> the run (from 1, counted over this record's runs) that first took it. */
  firstRun: Record<string, number>;
}

export interface CoverageData {
  format: typeof COVERAGE_FORMAT;
  version: 1;
  /** Runs by `${scenario}/${design}`. */
  runs: Record<string, number>;
  steps: number;
  /** By machineKey(scenario, design, machine). */
  machines: Record<string, MachineCoverage>;
}

/** A transition as @xstate/graph draws it: the state declaring it and its index among its STEP transitions. */
export function transitionKey(owner: string, ownIndex: number): string {
  return `${owner}#${ownIndex}`;
}

export function machineKey(scenario: string, design: string, machine: string): string {
  return `${scenario}/${design}/${machine}`;
}

export function emptyCoverage(): CoverageData {
  return { format: COVERAGE_FORMAT, version: 1, runs: {}, steps: 0, machines: {} };
}

export class CoverageRecorder {
  private readonly keys: string[];
  /** Per actor, transitionKey of each transition (by source state) and each branch (by choice state), made once: a step records without building strings. */
  private readonly transitionKeys: string[][][];
  private readonly branchKeys: string[][][];
  /** Each actor's machine's record (actors of one machine share it). */
  private readonly machineOf: MachineCoverage[];
  private readonly data: CoverageData = emptyCoverage();
  private readonly design: string;
  private runs = 0;

  constructor(private readonly world: World) {
    const { scenario, design } = world;
    this.design = `${scenario.name}/${design.name}`;
    this.keys = world.programs.map((p) => machineKey(scenario.name, design.name, p.machine.id));
    this.transitionKeys = world.programs.map((p) => p.transitions.map((ts) => ts.map((t) => transitionKey(t.owner, t.ownIndex))));
    this.branchKeys = world.programs.map((p) => p.branches.map((bs) => bs.map((b) => transitionKey(b.owner, b.ownIndex))));
    this.machineOf = world.programs.map((p, i) => (this.data.machines[this.keys[i]] ??= { scenario: scenario.name, design: design.name, machine: p.machine.id, states: {}, transitions: {}, firstRun: {} }));
  }

  /** A run starts: every actor visits its initial state. */
  beginRun(states: readonly number[]): void {
    states.forEach((s, actor) => this.visit(actor, s));
  }

  private visit(actor: number, state: number): void {
    const m = this.machineOf[actor];
    const id = this.world.programs[actor].stateIds[state];
    m.states[id] = (m.states[id] ?? 0) + 1;
  }

  record(step: StepRecord): void {
    this.data.steps++;
    const program = this.world.programs[step.actor];
    const m = this.machineOf[step.actor];
    this.visit(step.actor, step.to);
    const t = program.transitions[step.from][step.transition];
    if (!t) return;
    this.take(m, this.transitionKeys[step.actor][step.from][step.transition]);
    // A step through a choice state passed it, and took one of its branches.
    const b = step.branch === undefined ? undefined : program.branches[t.target]?.[step.branch];
    if (!b) return;
    this.visit(step.actor, t.target);
    this.take(m, this.branchKeys[step.actor][t.target][step.branch!]);
  }

  private take(m: MachineCoverage, key: string): void {
    if (m.transitions[key] === undefined) {
      m.transitions[key] = 0;
      m.firstRun[key] = this.runs + 1;
    }
    m.transitions[key]++;
  }

  endRun(): void {
    this.runs++;
  }

  toData(): CoverageData {
    const d = structuredClone(this.data);
    d.runs[this.design] = this.runs;
    return d;
  }
}

/** Adds `b` to `a`: counts add up; `b`'s runs come after `a`'s in each design's run count. */
export function mergeCoverage(a: CoverageData, b: CoverageData): CoverageData {
  const out = structuredClone(a);
  out.steps += b.steps;
  for (const [k, m] of Object.entries(b.machines)) {
    const offset = out.runs[`${m.scenario}/${m.design}`] ?? 0;
    const into = (out.machines[k] ??= { scenario: m.scenario, design: m.design, machine: m.machine, states: {}, transitions: {}, firstRun: {} });
    for (const [s, n] of Object.entries(m.states)) into.states[s] = (into.states[s] ?? 0) + n;
    for (const [t, n] of Object.entries(m.transitions)) {
      if (into.transitions[t] === undefined) into.firstRun[t] = m.firstRun[t] + offset;
      into.transitions[t] = (into.transitions[t] ?? 0) + n;
    }
  }
  for (const [d, n] of Object.entries(b.runs)) out.runs[d] = (out.runs[d] ?? 0) + n;
  return out;
}

/** Distinct transitions covered against runs, for one design: [runs, covered] at each increase, then at the end. */
export function growthCurve(c: CoverageData, scenario: string, design: string): [number, number][] {
  const firsts = Object.values(c.machines)
    .filter((m) => m.scenario === scenario && m.design === design)
    .flatMap((m) => Object.values(m.firstRun))
    .sort((x, y) => x - y);
  const curve: [number, number][] = firsts.map((run, i) => [run, i + 1]);
  const runs = c.runs[`${scenario}/${design}`] ?? 0;
  if (runs) curve.push([runs, firsts.length]);
  return curve;
}
