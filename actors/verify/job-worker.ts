// One verify job in a worker thread: the subtree of the exploration tree below a fixed prefix,
// explored with DPOR over the worker's own world. Jobs share a stop word and an execution count.
import { InlineBackend } from '../engine/index.ts';
import type { RunResult } from '../engine/index.ts';
import { loadScenario, type ScenarioRef } from '../engine/index.ts';
import type { MemoryModel } from '../trace/index.ts';
import { buildWorld, type World } from '../engine/index.ts';
import { Dpor, type DporStats, type PathStep } from './dpor.ts';
import { VisibleWords } from './visible-words.ts';

export interface VerifyJobTask {
  scenario: ScenarioRef;
  design: string;
  options?: Record<string, unknown>;
  memoryModel: MemoryModel;
  promises: number;
  root: PathStep[];
  preemptionBound: number | null;
  reduction: boolean;
  stateCache: boolean;
  stepLimit: number;
  daemonOnlySteps: number;
  only?: string[];
  /** Regions (by layout index) the invariants are known to read. */
  visibleRegions: number[];
  /** Int32Array over it: [0] stop, [1] executions done by all jobs. */
  shared: SharedArrayBuffer;
  maxExecutions: number;
  deadline: number;
}

export interface VerifyJobResult {
  status: 'complete' | 'violation' | 'stopped' | 'restart';
  stats: DporStats;
  violation?: RunResult;
  /** When the invariants read more than the regions given: all of them now. */
  visibleRegions: number[];
  progress: number;
  states: number;
  stateBytes: number;
}

const worlds = new Map<string, World>();

export default async function runVerifyJob(t: VerifyJobTask): Promise<VerifyJobResult> {
  const key = JSON.stringify([t.scenario, t.design, t.options, t.memoryModel, t.promises]);
  let world = worlds.get(key);
  if (!world) {
    world = buildWorld(await loadScenario(t.scenario), t.design, t.options, undefined, { memoryModel: t.memoryModel, promises: t.promises });
    worlds.set(key, world);
  }
  const flags = new Int32Array(t.shared);
  const visible = new VisibleWords(world.regions);
  visible.addRegions(t.visibleRegions);
  const version = visible.version;
  const dpor: Dpor = new Dpor(new InlineBackend(world, false), {
    preemptionBound: t.preemptionBound,
    reduction: t.reduction,
    stateCache: t.stateCache,
    stepLimit: t.stepLimit,
    daemonOnlySteps: t.daemonOnlySteps,
    only: t.only ? new Set(t.only) : undefined,
    visible,
    root: t.root,
    onExecution: () => Atomics.add(flags, 1, 1),
    shouldStop: () => Atomics.load(flags, 0) !== 0 || Atomics.load(flags, 1) >= t.maxExecutions || Date.now() > t.deadline || visible.version !== version,
  });
  const outcome = await dpor.run();
  if (outcome.status === 'violation') Atomics.store(flags, 0, 1);
  const grew = visible.version !== version;
  return {
    status: grew ? 'restart' : outcome.status,
    stats: outcome.stats,
    violation: outcome.violation && { ...outcome.violation, figures: {} },
    visibleRegions: visible.regionIndices(),
    progress: dpor.progress(),
    states: dpor.visited?.size ?? 0,
    stateBytes: dpor.visited?.bytes() ?? 0,
  };
}
