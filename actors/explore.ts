// Exploration: run a design again and again under a strategy until an invariant breaks or the
// budget (runs, seconds) is spent. The first violation's trace is written before anything else.
import type { Backend, Mode } from './backend.ts';
import { DAEMON_ONLY_STEPS, runOnce, runRngs, type RunResult, type RunViolation } from './run.ts';
import { createScheduler } from './schedulers/index.ts';
import type { StrategyName } from './scenario.ts';
import { buildTrace } from './trace-builder.ts';
import { writeTrace } from './trace.ts';
import { CoverageRecorder, type CoverageData } from './coverage.ts';
import { InlineBackend } from './inline-backend.ts';
import { ShrinkError, shrinkRun, switches } from './shrink.ts';
import { buildWorld } from './world.ts';

export interface ExploreOptions {
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

export interface FoundViolation extends RunViolation {
  iteration: number;
  /** Path of the trace file, if one was written. */
  trace: string | null;
  /** Steps of the schedule in the trace (after shrinking, if it was shrunk). */
  steps: number;
  /** When shrunk: the schedule as found, and what shrinking made of it. */
  shrunk?: { originalSteps: number; originalSwitches: number; switches: number; candidates: number; elapsedMs: number };
  /** Shrinking failed (hyprace's fault): why. The trace holds the schedule as found. */
  shrinkFailed?: string;
  /** Writing the trace failed: why (the violation stands; `trace` is null). */
  traceFailed?: string;
}

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
  let livelockRuns = 0;
  const stillStepping = new Set<string>();
  let maxRunSteps = 0;
  const daemonOnlySteps = o.daemonOnlySteps ?? DAEMON_ONLY_STEPS;
  let violation: FoundViolation | null = null;
  let lastProgress = start;

  for (let i = first; runs < o.iterations && performance.now() < deadline; i += stride) {
    if (o.shouldStop?.()) break;
    const r: RunResult = await runOnce(backend, scheduler, runRngs(o.seed, i), { stepLimit: o.stepLimit, daemonOnlySteps, only: o.only, coverage });
    runs++;
    steps += r.steps.length;
    maxRunSteps = Math.max(maxRunSteps, r.steps.length);
    if (r.end === 'step-limit') stepLimitRuns++;
    if (r.stillStepping.length) {
      livelockRuns++;
      for (const a of r.stillStepping) stillStepping.add(world.actors[a].name);
    }
    for (const [k, v] of Object.entries(r.blockedSteps)) blockedSteps[k] = (blockedSteps[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.figures)) figures[k] = (figures[k] ?? 0) + v;
    if (r.violation) {
      violation = await recordViolation(backend, r, i, { ...o, daemonOnlySteps });
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
    livelock: livelockRuns ? { runs: livelockRuns, actors: [...stillStepping] } : null,
    maxRunSteps,
    violation,
    blockedSteps,
    figures,
    coverage: coverage.toData(),
  };
}

/**
 * A found violation: shrunk (unless asked not to), then its trace written before anything is
 * printed. A shrinking failure is hyprace's, not the design's: the schedule as found is written
 * and the failure reported with it; a trace that cannot be written leaves the violation standing.
 */
async function recordViolation(backend: Backend, r: RunResult, iteration: number, o: ExploreOptions & { daemonOnlySteps: number }): Promise<FoundViolation> {
  const world = backend.world;
  let found = r;
  let touches = await backend.touches();
  let shrunk: FoundViolation['shrunk'];
  let shrinkFailed: string | undefined;
  if (o.traceDir && o.shrinkMs) {
    // Shrinking runs many candidate schedules: inline, over this world or a copy of it.
    const inline = backend.mode === 'inline' ? backend : new InlineBackend(buildWorld(world.scenario, world.design.name, world.design.options as Record<string, unknown>));
    try {
      const s = await shrinkRun(inline, r, { stepLimit: o.stepLimit, daemonOnlySteps: o.daemonOnlySteps, only: o.only, timeMs: o.shrinkMs });
      found = s.run;
      touches = s.touches;
      shrunk = { originalSteps: s.originalSteps, originalSwitches: s.originalSwitches, switches: switches(found.steps), candidates: s.candidates, elapsedMs: s.elapsedMs };
    } catch (e) {
      if (!(e instanceof ShrinkError)) throw e;
      shrinkFailed = e.message;
    }
  }
  let trace: string | null = null;
  let traceFailed: string | undefined;
  if (o.traceDir) {
    const t = buildTrace(world, found, touches, {
      mode: backend.mode,
      only: o.only,
      stepLimit: o.stepLimit,
      daemonOnlySteps: o.daemonOnlySteps,
      strategy: o.strategy,
      depth: o.strategy === 'pct' ? o.depth : undefined,
      seed: o.seed,
      iteration,
      scenarioFile: o.scenarioFile,
      originalSteps: shrunk?.originalSteps,
    });
    try {
      trace = writeTrace(o.traceDir, `${world.scenario.name}-${world.design.name}-${o.strategy}-seed${o.seed}-run${iteration}`, t);
    } catch (e) {
      traceFailed = `cannot write the trace into ${o.traceDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  return { ...found.violation!, iteration, trace, steps: found.steps.length, ...(shrunk ? { shrunk } : {}), ...(shrinkFailed ? { shrinkFailed } : {}), ...(traceFailed ? { traceFailed } : {}) };
}
