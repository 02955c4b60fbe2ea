// Steps per second under the arm64 memory model against sequential consistency, on the same
// design and schedules, samples interleaved so that the machine's load falls on both alike. Each
// sample draws other schedules (its own seed): sampling remembers the solo runs of promises it has
// met (actors/engine/solo-memo.ts), and a sample repeating the last one's runs would find them all.
// Steps of runs dropped as infeasible (a promise that could not be kept) do not count: they are
// work the model costs, not executions it explored. The ratios are medians of each round's own
// ratio (sc and arm64 measured one after the other), so that the load moving between rounds moves
// both; the same in CPU time of this process, which other processes on the machine do not inflate.
import { explore } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import { buildWorld, type WorldOptions } from '../actors/engine/index.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import { median } from './stats.ts';

const DESIGN = 'v2018-lockless';

export interface MemoryModelBench {
  design: string;
  scStepsPerSec: number;
  arm64StepsPerSec: number;
  /** arm64 without promises: loads reorder, stores never overtake. */
  arm64NoPromisesStepsPerSec: number;
  /** Median over rounds of arm64 steps/s over sc steps/s, both wall-clock. */
  arm64VsSc: number;
  arm64NoPromisesVsSc: number;
  /** The same in steps per CPU second of this process. */
  arm64VsScCpu: number;
  /** Share of arm64 runs dropped as infeasible. */
  arm64InfeasibleShare: number;
  /** arm64: promise steps taken and promises made per run (all runs), and steps run alone per counted step. */
  arm64PromiseStepsPerRun: number;
  arm64PromisesPerRun: number;
  arm64SoloStepsPerStep: number;
}

export async function memoryModelBench(seconds: number, runs: number): Promise<MemoryModelBench> {
  const backend = (w: WorldOptions) => new InlineBackend(buildWorld(rollover, DESIGN, undefined, undefined, w));
  const sc = backend({ memoryModel: 'sc' });
  const arm = backend({ memoryModel: 'arm64' });
  const armNoPromises = backend({ memoryModel: 'arm64', promises: 0 });
  const o = { strategy: 'random' as const, depth: 3, iterations: Number.MAX_SAFE_INTEGER, timeSeconds: seconds, seed: 1, stepLimit: 3000 };
  const xs: number[] = [];
  const ys: number[] = [];
  const zs: number[] = [];
  const cpu: number[] = [];
  const timed = async (backend: InlineBackend, seed: number) => {
    const before = process.cpuUsage();
    const r = await explore(backend, { ...o, seed });
    const used = process.cpuUsage(before);
    return { r, perSec: r.steps / (r.elapsedMs / 1000), perCpuSec: r.steps / ((used.user + used.system) / 1e6) };
  };
  let runsSeen = 0;
  let infeasible = 0;
  let counted = 0;
  const costBefore = arm.promiseStats()!;
  for (let i = 0; i < runs; i++) {
    const a = await timed(sc, i + 1);
    xs.push(a.perSec);
    const b = await timed(arm, i + 1);
    ys.push(b.perSec);
    cpu.push(b.perCpuSec / a.perCpuSec);
    runsSeen += b.r.iterations;
    counted += b.r.steps;
    infeasible += b.r.infeasibleRuns;
    const c = await timed(armNoPromises, i + 1);
    zs.push(c.perSec);
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  const cost = arm.promiseStats()!;
  const perRun = (x: number) => round(runsSeen ? x / runsSeen : 0);
  return {
    design: `vmid-rollover/${DESIGN}`,
    scStepsPerSec: Math.round(median(xs)),
    arm64StepsPerSec: Math.round(median(ys)),
    arm64NoPromisesStepsPerSec: Math.round(median(zs)),
    arm64VsSc: round(median(ys.map((y, i) => y / xs[i]))),
    arm64NoPromisesVsSc: round(median(zs.map((z, i) => z / xs[i]))),
    arm64VsScCpu: round(median(cpu)),
    arm64InfeasibleShare: round(runsSeen ? infeasible / runsSeen : 0),
    arm64PromiseStepsPerRun: perRun(cost.promiseSteps - costBefore.promiseSteps),
    arm64PromisesPerRun: perRun(cost.promisesMade - costBefore.promisesMade),
    arm64SoloStepsPerStep: round(counted ? (cost.soloSteps - costBefore.soloSteps) / counted : 0),
  };
}
