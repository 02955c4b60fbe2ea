// Exploration: run a design again and again under a strategy until an invariant breaks or the
// budget (runs, seconds) is spent. The first violation's trace is written before anything else.
import type { Backend, Mode } from '../engine/index.ts';
import type { MemoryModel } from '../trace/index.ts';
import { DAEMON_ONLY_STEPS, runOnce, runRngs, type RunResult } from '../engine/index.ts';
import { createScheduler } from '../engine/index.ts';
import type { StrategyName } from '../engine/index.ts';
import { CoverageRecorder, type CoverageData } from './coverage.ts';
import { recordViolation, type FoundViolation } from '../trace/index.ts';
import { Infeasible } from '../engine/index.ts';

export interface ExploreOptions {
  /** The memory model steps run under (default: sequentially consistent). */
  memoryModel?: MemoryModel;
  /** arm64: promise steps per actor and run (default: the world's default). */
  promises?: number;
  strategy: StrategyName;
  depth: number;
  iterations: number;
  timeSeconds: number;
  seed: number;
  stepLimit: number;
  /** Steps only daemons may run while the others wait before it is a deadlock (default DAEMON_ONLY_STEPS). */
  daemonOnlySteps?: number;
  /** Where to write a found violation's trace; none is written if omitted. */
  traceDir?: string;
  only?: ReadonlySet<string>;
  /** First run index (parallel jobs take every jobs-th run from their own start). */
  firstIteration?: number;
  iterationStride?: number;
  /** Polled between runs: stop early (another job found a violation, or the user interrupted). */
  shouldStop?: () => boolean;
  onProgress?: (p: ExploreProgress) => void;
  /** Source file of a user's scenario, recorded in the trace. */
  scenarioFile?: string;
  /** Shrink a found violation's schedule for this long before writing its trace (0: keep it raw). */
  shrinkMs?: number;
}

export interface ExploreProgress {
  iterations: number;
  steps: number;
  elapsedMs: number;
}

export type { FoundViolation };

export interface ExploreResult {
  scenario: string;
  design: string;
  strategy: StrategyName;
  depth: number;
  mode: Mode;
  seed: number;
  iterations: number;
  steps: number;
  elapsedMs: number;
  /** Runs that hit the step bound before finishing. */
  stepLimitRuns: number;
  /** arm64: schedules dropped because an actor could no longer keep a promise it made. */
  infeasibleRuns: number;
  /** arm64: steps picked but not taken, as after them an actor (theirs or another) could not have kept its promises. */
  refusedSteps?: number;
  /** Of those, runs whose non-daemon actors were still stepping at the bound: a possible livelock. */
  livelock: { runs: number; actors: string[] } | null;
  maxRunSteps: number;
  violation: FoundViolation | null;
  blockedSteps: Record<string, number>;
  figures: Record<string, number>;
  /** The states and transitions these runs exercised. */
  coverage: CoverageData;
}

export async function explore(backend: Backend, o: ExploreOptions): Promise<ExploreResult> {
  const world = backend.world;
  const scheduler = createScheduler(o.strategy, o.depth);
  const coverage = new CoverageRecorder(world);
  const start = performance.now();
  const deadline = start + o.timeSeconds * 1000;
  const first = o.firstIteration ?? 0;
  const stride = o.iterationStride ?? 1;
  const blockedSteps: Record<string, number> = {};
  const figures: Record<string, number> = {};
  let runs = 0;
  let steps = 0;
  let stepLimitRuns = 0;
  let infeasibleRuns = 0;
  let refusedSteps = 0;
  let livelockRuns = 0;
  const stillStepping = new Set<string>();
  let maxRunSteps = 0;
  const daemonOnlySteps = o.daemonOnlySteps ?? DAEMON_ONLY_STEPS;
  let violation: FoundViolation | null = null;
  let lastProgress = start;

  for (let i = first; runs < o.iterations && performance.now() < deadline; i += stride) {
    if (o.shouldStop?.()) break;
    let r: RunResult;
    try {
      r = await runOnce(backend, scheduler, runRngs(o.seed, i), { stepLimit: o.stepLimit, daemonOnlySteps, only: o.only, coverage, refuseUnkeepable: true });
    } catch (e) {
      // arm64: a promise the schedule made could not be kept; that schedule is not an execution.
      if (!(e instanceof Infeasible)) throw e;
      infeasibleRuns++;
      runs++;
      continue;
    }
    runs++;
    steps += r.steps.length;
    refusedSteps += r.refusedSteps ?? 0;
    maxRunSteps = Math.max(maxRunSteps, r.steps.length);
    if (r.end === 'step-limit') stepLimitRuns++;
    if (r.stillStepping.length) {
      livelockRuns++;
      for (const a of r.stillStepping) stillStepping.add(world.actors[a].name);
    }
    for (const [k, v] of Object.entries(r.blockedSteps)) blockedSteps[k] = (blockedSteps[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.figures)) figures[k] = (figures[k] ?? 0) + v;
    if (r.violation) {
      violation = await recordViolation(world, r, {
        traceDir: o.traceDir,
        stem: `${world.scenario.name}-${world.design.name}-${o.strategy}-seed${o.seed}-run${i}`,
        stepLimit: o.stepLimit,
        daemonOnlySteps,
        only: o.only,
        shrinkMs: o.shrinkMs,
        mode: backend.mode,
        strategy: o.strategy,
        depth: o.strategy === 'pct' ? o.depth : undefined,
        seed: o.seed,
        iteration: i,
        scenarioFile: o.scenarioFile,
      }, backend);
      break;
    }
    const now = performance.now();
    if (o.onProgress && now - lastProgress > 200) {
      lastProgress = now;
      o.onProgress({ iterations: runs, steps, elapsedMs: now - start });
    }
  }
  return {
    scenario: world.scenario.name,
    design: world.design.name,
    strategy: o.strategy,
    depth: o.depth,
    mode: backend.mode,
    seed: o.seed,
    iterations: runs,
    steps,
    elapsedMs: Math.round(performance.now() - start),
    stepLimitRuns,
    infeasibleRuns,
    ...(refusedSteps ? { refusedSteps } : {}),
    livelock: livelockRuns ? { runs: livelockRuns, actors: [...stillStepping] } : null,
    maxRunSteps,
    violation,
    blockedSteps,
    figures,
    coverage: coverage.toData(),
  };
}
