// Independent runs spread over worker threads, each job exploring every jobs-th run inline.
// The reported violation is the one found in the lowest-numbered run among those found.
import { Piscina } from 'piscina';
import type { ExploreOptions, ExploreProgress, ExploreResult } from './explore.ts';
import type { JobTask } from './job-worker.ts';
import type { ScenarioRef } from './scenario-loader.ts';
import { mergeCoverage } from './coverage.ts';

const JOB_ENTRY = new URL('./job-worker.mjs', import.meta.url).href;

export async function exploreParallel(
  scenario: ScenarioRef,
  design: string,
  options: Record<string, unknown> | undefined,
  o: ExploreOptions,
  jobs: number,
): Promise<ExploreResult> {
  const shared = new SharedArrayBuffer((1 + 2 * jobs) * 4);
  const flags = new Int32Array(shared);
  const pool = new Piscina({ filename: JOB_ENTRY, minThreads: jobs, maxThreads: jobs, concurrentTasksPerWorker: 1, atomics: 'disabled' });
  const start = performance.now();
  const progress = o.onProgress
    ? setInterval(() => {
        let iterations = 0;
        let steps = 0;
        for (let j = 0; j < jobs; j++) {
          iterations += Atomics.load(flags, 1 + j);
          steps += Atomics.load(flags, 1 + jobs + j);
        }
        o.onProgress!({ iterations, steps, elapsedMs: performance.now() - start } satisfies ExploreProgress);
      }, 250)
    : undefined;
  const stopper = o.shouldStop
    ? setInterval(() => {
        if (o.shouldStop!()) Atomics.store(flags, 0, 1);
      }, 100)
    : undefined;
  try {
    const { shouldStop: _s, onProgress: _p, only, ...plain } = o;
    const results = await Promise.all(
      Array.from({ length: jobs }, (_, job) => {
        const task: JobTask = { scenario, design, options, explore: { ...plain, iterations: Math.ceil(o.iterations / jobs), only: only ? [...only] : undefined }, shared, job, jobs };
        return pool.run(task) as Promise<ExploreResult>;
      }),
    );
    return merge(results, performance.now() - start);
  } finally {
    if (progress) clearInterval(progress);
    if (stopper) clearInterval(stopper);
    await pool.destroy();
  }
}

function merge(results: ExploreResult[], elapsedMs: number): ExploreResult {
  const found = results.filter((r) => r.violation).sort((a, b) => a.violation!.iteration - b.violation!.iteration);
  const sum = (f: (r: ExploreResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const addMaps = (f: (r: ExploreResult) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(f(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    ...results[0],
    iterations: sum((r) => r.iterations),
    steps: sum((r) => r.steps),
    elapsedMs: Math.round(elapsedMs),
    stepLimitRuns: sum((r) => r.stepLimitRuns),
    maxRunSteps: Math.max(...results.map((r) => r.maxRunSteps)),
    violation: found[0]?.violation ?? null,
    blockedSteps: addMaps((r) => r.blockedSteps),
    figures: addMaps((r) => r.figures),
    coverage: results.map((r) => r.coverage).reduce(mergeCoverage),
  };
}
