// One exploration job in a worker: its own world and memory, inline, taking every jobs-th run.
// Jobs share one abort word so the first to find a violation stops the others.
import { explore, type ExploreOptions, type ExploreResult } from './explore.ts';
import { InlineBackend } from './inline-backend.ts';
import { loadScenario, type ScenarioRef } from './scenario-loader.ts';
import { buildWorld } from './world.ts';

export interface JobTask {
  scenario: ScenarioRef;
  design: string;
  options?: Record<string, unknown>;
  explore: Omit<ExploreOptions, 'shouldStop' | 'onProgress' | 'only'> & { only?: string[] };
  /** Int32Array over it: [0] abort flag, [1 + job] runs done, [1 + jobs + job] steps done. */
  shared: SharedArrayBuffer;
  job: number;
  jobs: number;
}

export default async function runJob(t: JobTask): Promise<ExploreResult> {
  const scenario = await loadScenario(t.scenario);
  const world = buildWorld(scenario, t.design, t.options);
  const flags = new Int32Array(t.shared);
  const result = await explore(new InlineBackend(world), {
    ...t.explore,
    only: t.explore.only ? new Set(t.explore.only) : undefined,
    firstIteration: t.job,
    iterationStride: t.jobs,
    shouldStop: () => Atomics.load(flags, 0) !== 0,
    onProgress: (p) => {
      Atomics.store(flags, 1 + t.job, p.iterations);
      Atomics.store(flags, 1 + t.jobs + t.job, Math.min(p.steps, 2 ** 31 - 1));
    },
  });
  if (result.violation) Atomics.store(flags, 0, 1);
  return result;
}
