// Turns a run (the scheduler's decisions, the states each step went between, what each step
// touched) into the trace file's shape.
import type { Mode } from '../engine/index.ts';
import type { RunResult } from '../engine/index.ts';
import { TRACE_FORMAT, TRACE_VERSION, type Trace } from './trace.ts';
import type { World } from '../engine/index.ts';
import { TOOL_VERSION } from './version.ts';

export interface TraceContext {
  mode: Mode;
  only?: ReadonlySet<string>;
  stepLimit: number;
  daemonOnlySteps: number;
  strategy: string;
  depth?: number;
  seed: number;
  iteration: number;
  scenarioFile?: string;
  /** Length of the schedule as found, when the trace holds a shrunk one. */
  originalSteps?: number;
}

export function buildTrace(world: World, run: RunResult, touches: string[][], c: TraceContext): Trace {
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    tool: `hyprace ${TOOL_VERSION}`,
    scenario: world.scenario.name,
    ...(c.scenarioFile ? { scenarioFile: c.scenarioFile } : {}),
    design: world.design.name,
    options: world.design.options as Record<string, unknown>,
    ...(c.only ? { only: [...c.only] } : {}),
    memory: world.memoryModel,
    ...(world.memoryModel === 'arm64' ? { promises: world.promises } : {}),
    stepLimit: c.stepLimit,
    daemonOnlySteps: c.daemonOnlySteps,
    mode: c.mode,
    strategy: c.strategy,
    ...(c.depth !== undefined ? { depth: c.depth } : {}),
    seed: c.seed,
    iteration: c.iteration,
    actors: world.actors.map((a, i) => ({ name: a.name, daemon: world.daemon[i], states: [...world.programs[i].stateIds] })),
    steps: run.steps.map((s, i) => ({
      actor: s.actor,
      seed: s.seed,
      ...(s.choices ? { choices: s.choices } : {}),
      from: world.programs[s.actor].stateIds[s.from],
      event: 'STEP' as const,
      to: world.programs[s.actor].stateIds[s.to],
      transition: s.transition,
      ...(s.branch !== undefined ? { branch: s.branch } : {}),
      ...(s.where ? { where: s.where } : {}),
      touched: touches[i] ?? [],
    })),
    violation: run.violation,
    ...(c.originalSteps !== undefined ? { originalSteps: c.originalSteps } : {}),
  };
}
