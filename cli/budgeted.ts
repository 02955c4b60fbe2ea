// One design explored under its scenario's budget (strategy, depth, step limit), with the run
// count or time a command chooses: what check and compare both do for every design.
import type { Mode } from '../actors/engine/index.ts';
import type { ExploreResult } from '../actors/explore/index.ts';
import { budgetOf } from '../actors/engine/index.ts';
import { exploreDesign, type JobPools } from '../actors/explore/index.ts';
import { Progress } from './progress.ts';
import type { ResolvedScenario } from './resolve.ts';
import type { MemorySettings } from './args.ts';

export interface BudgetedRun {
  mode: Mode;
  jobs: number;
  seed: number;
  traceDir: string;
  iterations: number;
  timeSeconds: number;
  progress: Progress;
  shrinkMs: number;
  /** Check only these invariants. */
  only?: ReadonlySet<string>;
  stepTimeoutMs?: number;
  /** A shard's share of the runs (cli/shard.ts sampledShare): runs first, first + stride, ... */
  firstIteration?: number;
  iterationStride?: number;
  /** The memory model, and arm64's promises (default: sc). */
  memory?: MemorySettings;
  /** Inline job workers kept for the command's next design (its caller closes them). */
  pools?: JobPools;
}

export async function exploreUnderBudget(r: ResolvedScenario, design: string, o: BudgetedRun): Promise<ExploreResult> {
  const budget = budgetOf(r.scenario);
  try {
    return await exploreDesign(r.ref, r.scenario, design, {
      ...o.memory,
      mode: o.mode,
      jobs: o.mode === 'inline' ? o.jobs : 1,
      strategy: budget.strategy,
      depth: budget.depth,
      iterations: o.iterations,
      firstIteration: o.firstIteration,
      iterationStride: o.iterationStride,
      timeSeconds: o.timeSeconds,
      seed: o.seed,
      stepLimit: budget.stepLimit,
      daemonOnlySteps: budget.daemonOnlySteps,
      stepTimeoutMs: o.stepTimeoutMs,
      traceDir: o.traceDir,
      scenarioFile: r.file,
      shrinkMs: o.shrinkMs,
      only: o.only,
      onProgress: (p) => o.progress.update(`${r.scenario.name}/${design}`, p),
      pools: o.pools,
    });
  } finally {
    o.progress.done();
  }
}
