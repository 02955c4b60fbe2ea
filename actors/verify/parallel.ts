// verify --jobs J: the top of the exploration tree is enumerated here without reduction (every
// schedule prefix of a few steps, within the preemption bound), and the subtree below each prefix
// is explored with DPOR by a worker thread. Enumerating the top in full keeps the split sound:
// no race found below a prefix can ask for an order at the top that is not explored anyway.
import { Piscina } from 'piscina';
import { InlineBackend } from '../engine/index.ts';
import { budgetOf, type AnyScenario } from '../engine/index.ts';
import type { ScenarioRef } from '../engine/index.ts';
import { buildWorld } from '../engine/index.ts';
import { Dpor, type PathStep } from './dpor.ts';
import { addStats, emptyStats, verifyBounds, type BoundOutcome, type Budget, type PreemptionBound, type VerifyOptions, type VerifyResult } from './index.ts';
import type { VerifyJobResult, VerifyJobTask } from './job-worker.ts';
import type { VisibleWords } from './visible-words.ts';
import type { BoundRecord } from './shard.ts';

/**
 * How the top of the tree is split: into enough prefixes for `width` jobs; with a shard, this
 * process explores only the subtrees i with i mod count = index - 1 (index 1-based), and reports
 * each bound (what every shard enumerated at the top apart from its own subtrees) to onBound.
 */
export interface TreeSplit {
  width: number;
  shard?: { index: number; count: number };
  onBound?: (r: BoundRecord) => void;
}

const JOB_ENTRY = new URL('./job-worker.mjs', import.meta.url).href;

/** Prefixes per job to aim for, so that uneven subtrees still spread over the jobs. */
const PREFIXES_PER_JOB = 8;
const MAX_PREFIX_DEPTH = 12;

export async function verifyJobs(ref: ScenarioRef, scenario: AnyScenario, design: string, o: VerifyOptions, jobs: number, split: TreeSplit = { width: jobs }): Promise<VerifyResult> {
  const world = buildWorld(scenario, design, o.options, undefined, { memoryModel: o.memoryModel, promises: o.promises });
  const backend = new InlineBackend(world, false);
  const pool = new Piscina({ filename: JOB_ENTRY, minThreads: jobs, maxThreads: jobs, concurrentTasksPerWorker: 1, idleTimeout: 60_000, atomics: 'disabled' });
  try {
    return await verifyBounds(world, o, (bound, visible, budget) => exploreBoundInJobs(pool, backend, ref, design, bound, visible, budget, o, split));
  } finally {
    await pool.destroy();
  }
}

async function exploreBoundInJobs(
  pool: Piscina,
  backend: InlineBackend,
  ref: ScenarioRef,
  design: string,
  bound: PreemptionBound,
  visible: VisibleWords,
  budget: Budget,
  o: VerifyOptions,
  split: TreeSplit,
): Promise<BoundOutcome> {
  const stats = emptyStats();
  const topStats = emptyStats();
  const ownStats = emptyStats();
  let restarts = 0;
  let topRestarts = 0;
  let subtrees = 0;
  const preemptionBound = bound === 'unbounded' ? null : bound;
  // Every way out of this bound goes through here, so that a shard records each bound it explored.
  const outcome = (result: BoundOutcome): BoundOutcome => {
    const r = result;
    split.onBound?.({ bound, status: r.status, top: topStats, own: ownStats, progress: r.progress, subtrees, states: r.states, stateBytes: r.stateBytes, topRestarts, restarts: r.restarts - topRestarts });
    return result;
  };
  for (;;) {
    const top = await enumeratePrefixes(backend, preemptionBound, visible, budget, o, split.width);
    addStats(stats, top.dpor.stats);
    addStats(topStats, top.dpor.stats);
    if (top.status === 'restart') {
      restarts++;
      topRestarts++;
      continue;
    }
    if (top.status !== 'complete') return outcome({ status: top.status, stats, violation: top.violation, progress: 0, states: 0, stateBytes: 0, restarts });
    const shard = split.shard;
    const mine = shard ? top.prefixes.filter((_, i) => i % shard.count === shard.index - 1) : top.prefixes;
    subtrees = mine.length;

    const shared = new SharedArrayBuffer(8);
    const flags = new Int32Array(shared);
    Atomics.store(flags, 1, budget.spent + stats.executions);
    let finished = 0;
    const progress = o.onProgress
      ? setInterval(() => o.onProgress!({ bound, executions: Atomics.load(flags, 1), elapsedMs: performance.now() - budget.start, progress: finished / Math.max(1, mine.length) }), 250)
      : undefined;
    const stopper = setInterval(() => {
      if (o.shouldStop?.()) Atomics.store(flags, 0, 1);
    }, 100);
    const deadline = Date.now() + (budget.deadline - performance.now());
    let results: VerifyJobResult[];
    try {
      results = await Promise.all(
        mine.map(async (root) => {
          const task: VerifyJobTask = {
            scenario: ref,
            design,
            options: backend.world.design.options as Record<string, unknown>,
            memoryModel: backend.world.memoryModel,
            promises: backend.world.promises,
            root,
            preemptionBound,
            reduction: o.reduction !== false,
            stateCache: !!o.stateCache,
            stepLimit: o.stepLimit,
            daemonOnlySteps: budgetOf(backend.world.scenario).daemonOnlySteps,
            only: o.only ? [...o.only] : undefined,
            visibleRegions: visible.regionIndices(),
            shared,
            maxExecutions: o.maxExecutions,
            deadline,
          };
          const r = (await pool.run(task)) as VerifyJobResult;
          finished++;
          return r;
        }),
      );
    } finally {
      if (progress) clearInterval(progress);
      clearInterval(stopper);
    }
    let states = 0;
    let stateBytes = 0;
    for (const r of results) {
      addStats(stats, r.stats);
      addStats(ownStats, r.stats);
      states += r.states;
      stateBytes += r.stateBytes;
    }
    const grown = results.filter((r) => r.status === 'restart');
    if (grown.length) {
      for (const r of grown) visible.addRegions(r.visibleRegions);
      restarts++;
      continue;
    }
    const found = results.find((r) => r.status === 'violation');
    if (found) return outcome({ status: 'violation', stats, violation: found.violation, progress: 1, states, stateBytes, restarts });
    const done = results.filter((r) => r.status === 'complete').length;
    if (done < results.length) return outcome({ status: 'stopped', stats, progress: done / results.length, states, stateBytes, restarts });
    return outcome({ status: 'complete', stats, progress: 1, states, stateBytes, restarts });
  }
}

interface TopOfTree {
  status: 'complete' | 'violation' | 'stopped' | 'restart';
  prefixes: PathStep[][];
  dpor: Dpor;
  violation?: import('../engine/run.ts').RunResult;
}

/**
 * Every schedule prefix of the shallowest depth that gives enough of them for the jobs (executions
 * that end sooner are run to the end here, invariants and all).
 */
async function enumeratePrefixes(backend: InlineBackend, bound: number | null, visible: VisibleWords, budget: Budget, o: VerifyOptions, width: number): Promise<TopOfTree> {
  for (let depth = 1; ; depth++) {
    const prefixes: PathStep[][] = [];
    const version = visible.version;
    const dpor = new Dpor(backend, {
      preemptionBound: bound,
      reduction: false,
      stateCache: false,
      stepLimit: o.stepLimit,
      daemonOnlySteps: budgetOf(backend.world.scenario).daemonOnlySteps,
      only: o.only,
      visible,
      cutAt: depth,
      onCut: (path) => prefixes.push(path),
      shouldStop: () => performance.now() > budget.deadline || !!o.shouldStop?.(),
    });
    const outcome = await dpor.run();
    if (outcome.status === 'restart' || visible.version !== version) return { status: 'restart', prefixes, dpor };
    if (outcome.status !== 'complete') return { status: outcome.status, prefixes, dpor, violation: outcome.violation };
    if (prefixes.length >= PREFIXES_PER_JOB * width || depth >= MAX_PREFIX_DEPTH || prefixes.length === 0) return { status: 'complete', prefixes, dpor };
  }
}
