// verify: every interleaving of a design's bounded configuration, with partial-order reduction,
// so "holds" becomes "verified" for that configuration. Iterative context bounding: preemption
// bounds 0, 1, 2, ... each explored completely, until a bound no longer cuts anything (then every
// execution within the step limit has been covered) or the budget is spent. The entry point of
// actors/verify/.
import { InlineBackend } from '../engine/index.ts';
import type { RunResult } from '../engine/index.ts';
import type { MemoryModel } from '../trace/index.ts';
import { budgetOf, type AnyScenario } from '../engine/index.ts';
import { recordViolation, type FoundViolation } from '../trace/index.ts';
import { buildWorld, type World } from '../engine/index.ts';
import { Dpor, type DporStats } from './dpor.ts';
import { VisibleWords } from './visible-words.ts';

export type VerifyVerdict = 'verified' | 'violation' | 'incomplete';

/** A preemption bound, or 'unbounded' for every execution within the step limit. */
export type PreemptionBound = number | 'unbounded';

export interface VerifyOptions {
  /** The memory model steps run under (default: sequentially consistent). */
  memoryModel?: MemoryModel;
  /** arm64: promise steps per actor and run. */
  promises?: number;
  /** Explore a state reached twice only once. */
  stateCache?: boolean;
  /** false: enumerate every schedule without partial-order reduction (a cross-check; slow). */
  reduction?: boolean;
  /** Explore bounds 0..K; 'unbounded' goes straight to the unbounded search (with sleep sets); omitted: 0, 1, 2, ... */
  preemptions?: PreemptionBound;
  maxExecutions: number;
  timeSeconds: number;
  stepLimit: number;
  only?: ReadonlySet<string>;
  options?: Record<string, unknown>;
  traceDir?: string;
  shrinkMs?: number;
  scenarioFile?: string;
  onProgress?: (p: VerifyProgress) => void;
  /** Polled between executions (the user interrupted, say). */
  shouldStop?: () => boolean;
  /** Told of every execution (tests compare the explored runs with plain enumeration). */
  onExecution?: (run: RunResult | undefined, bound: PreemptionBound, finalState: string | undefined) => void;
}

export interface VerifyProgress {
  bound: PreemptionBound;
  executions: number;
  elapsedMs: number;
  /** Rough share of the current bound's tree explored. */
  progress: number;
}

export interface VerifyResult {
  scenario: string;
  design: string;
  /** The options the design ran with (its configuration). */
  options: Record<string, unknown>;
  verdict: VerifyVerdict;
  /** verified: the bound the result holds for; otherwise the largest bound fully explored (null: none). */
  preemptionBound: PreemptionBound | null;
  executions: number;
  /** Steps executed, re-executed prefixes included. */
  steps: number;
  /** Steps that extended the exploration tree (the rest re-executed a known prefix). */
  newSteps: number;
  elapsedMs: number;
  stepLimit: number;
  /** Executions cut by the step limit: the result covers what happens within it. */
  stepLimitExecutions: number;
  /** Executions ended early because every runnable actor's order was already covered. */
  sleepBlocked: number;
  /** --state-cache: distinct states stored (summed over the bounds explored), the most memory one bound's cache took, and executions cut at a known state. */
  states?: number;
  stateBytes?: number;
  cacheHits?: number;
  /** Times the search began again because the invariants were found to read more memory. */
  restarts: number;
  /** The memory regions the invariants read: steps writing them are ordered against each other. */
  visibleRegions: string[];
  violation: FoundViolation | null;
  /** incomplete: the bound being explored when the budget ran out, and how far it got. */
  remaining?: { bound: PreemptionBound; progress: number; estimatedExecutions: number | null };
}

/** One bound explored to the end, or as far as the budget allowed. */
export interface BoundOutcome {
  status: 'complete' | 'violation' | 'stopped';
  stats: DporStats;
  violation?: RunResult;
  /** Share of this bound's tree explored when stopped. */
  progress: number;
  states: number;
  stateBytes: number;
  restarts: number;
}

/** Explores one preemption bound: in this thread (sequential) or split over jobs (parallel.ts). */
export type BoundExplorer = (bound: PreemptionBound, visible: VisibleWords, budget: Budget) => Promise<BoundOutcome>;

export interface Budget {
  start: number;
  deadline: number;
  /** Executions already spent by earlier bounds. */
  spent: number;
}

export function emptyStats(): DporStats {
  return { executions: 0, steps: 0, sleepBlocked: 0, stepLimitExecutions: 0, newSteps: 0, cacheHits: 0, infeasible: 0, boundReached: false, maxDepth: 0 };
}

export async function verifyDesign(scenario: AnyScenario, design: string, o: VerifyOptions): Promise<VerifyResult> {
  const world = buildWorld(scenario, design, o.options, undefined, { memoryModel: o.memoryModel, promises: o.promises });
  const backend = new InlineBackend(world, false);
  return verifyBounds(world, o, (bound, visible, budget) => exploreBound(backend, bound, visible, budget, o));
}

/** The sequential explorer: DPOR over this thread's world, started again when the invariants read more. */
async function exploreBound(backend: InlineBackend, bound: PreemptionBound, visible: VisibleWords, budget: Budget, o: VerifyOptions): Promise<BoundOutcome> {
  const stats = emptyStats();
  let restarts = 0;
  let lastProgress = performance.now();
  for (;;) {
    const before = budget.spent + stats.executions;
    const dpor: Dpor = new Dpor(backend, {
      preemptionBound: bound === 'unbounded' ? null : bound,
      reduction: o.reduction !== false,
      stateCache: !!o.stateCache,
      stepLimit: o.stepLimit,
      daemonOnlySteps: budgetOf(backend.world.scenario).daemonOnlySteps,
      only: o.only,
      visible,
      onExecution: o.onExecution && ((r, final) => o.onExecution!(r, bound, final)),
      shouldStop: () => {
        const now = performance.now();
        const done = before + dpor.stats.executions;
        if (o.onProgress && now - lastProgress > 250) {
          lastProgress = now;
          o.onProgress({ bound, executions: done, elapsedMs: now - budget.start, progress: dpor.progress() });
        }
        return done >= o.maxExecutions || now > budget.deadline || !!o.shouldStop?.();
      },
    });
    const outcome = await dpor.run();
    addStats(stats, outcome.stats);
    if (outcome.status === 'restart') {
      restarts++;
      continue;
    }
    return {
      status: outcome.status,
      stats,
      violation: outcome.violation,
      progress: dpor.progress(),
      states: dpor.visited?.size ?? 0,
      stateBytes: dpor.visited?.bytes() ?? 0,
      restarts,
    };
  }
}

/** Iterative context bounding over any explorer, and the verdict. */
export async function verifyBounds(world: World, o: VerifyOptions, explore: BoundExplorer): Promise<VerifyResult> {
  const start = performance.now();
  const budget: Budget = { start, deadline: start + o.timeSeconds * 1000, spent: 0 };
  const visible = new VisibleWords(world.regions);
  const total = emptyStats();
  let states = 0;
  let stateBytes = 0;
  let restarts = 0;
  let largestComplete: PreemptionBound | null = null;
  const scenario = world.scenario;
  const design = world.design.name;
  const base = () => ({
    scenario: scenario.name,
    design,
    options: world.design.options as Record<string, unknown>,
    executions: total.executions,
    steps: total.steps,
    newSteps: total.newSteps,
    elapsedMs: Math.round(performance.now() - start),
    stepLimit: o.stepLimit,
    stepLimitExecutions: total.stepLimitExecutions,
    sleepBlocked: total.sleepBlocked,
    restarts,
    visibleRegions: visible.regionNames(),
    ...(o.stateCache ? { states, stateBytes, cacheHits: total.cacheHits } : {}),
  });

  for (const bound of bounds(o.preemptions)) {
    const outcome = await explore(bound, visible, budget);
    addStats(total, outcome.stats);
    budget.spent = total.executions;
    states += outcome.states;
    stateBytes = Math.max(stateBytes, outcome.stateBytes);
    restarts += outcome.restarts;
    if (outcome.status === 'violation') {
      const found = await recordViolation(world, outcome.violation!, {
        traceDir: o.traceDir,
        stem: `${scenario.name}-${design}-verify-bound${bound === 'unbounded' ? 'none' : bound}-exec${total.executions - 1}`,
        stepLimit: o.stepLimit,
        daemonOnlySteps: budgetOf(world.scenario).daemonOnlySteps,
        only: o.only,
        shrinkMs: o.shrinkMs,
        mode: 'inline',
        strategy: 'verify',
        seed: 0,
        iteration: total.executions - 1,
        scenarioFile: o.scenarioFile,
      });
      return { ...base(), verdict: 'violation', preemptionBound: bound, violation: found };
    }
    if (outcome.status === 'stopped') {
      const p = outcome.progress;
      const estimate = p > 0 ? Math.round(outcome.stats.executions * (1 / p - 1)) : null;
      return { ...base(), verdict: 'incomplete', preemptionBound: largestComplete, violation: null, remaining: { bound, progress: p, estimatedExecutions: estimate } };
    }
    largestComplete = bound;
    // A bound that cut nothing explored every execution.
    if (bound === 'unbounded' || !outcome.stats.boundReached) return { ...base(), verdict: 'verified', preemptionBound: 'unbounded', violation: null };
    if (bound === o.preemptions) return { ...base(), verdict: 'verified', preemptionBound: bound, violation: null };
  }
  throw new Error('unreachable: the bounds never end without a verdict');
}

export function* bounds(p: PreemptionBound | undefined): Generator<PreemptionBound> {
  if (p === 'unbounded') {
    yield 'unbounded';
    return;
  }
  for (let k = 0; p === undefined || k <= p; k++) yield k;
}

export function addStats(total: DporStats, s: DporStats): void {
  total.executions += s.executions;
  total.steps += s.steps;
  total.sleepBlocked += s.sleepBlocked;
  total.stepLimitExecutions += s.stepLimitExecutions;
  total.cacheHits += s.cacheHits;
  total.newSteps += s.newSteps;
  total.infeasible += s.infeasible;
  total.boundReached ||= s.boundReached;
  total.maxDepth = Math.max(total.maxDepth, s.maxDepth);
}

// What the rest of hyprace imports from this concern (its entry point).
export { NondeterministicDesign, UnrecordedAccess } from './dpor.ts';
export { verifyJobs } from './parallel.ts';
export { type BoundRecord, mergeVerifyShards, type VerifyShardResult } from './shard.ts';
