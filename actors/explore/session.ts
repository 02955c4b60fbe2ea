// Explores one design in the chosen mode: threads (one worker per actor, scheduled from here),
// or inline in job workers (one or more, watched from here: see parallel.ts); always shuts down.
import type { Interpreter } from '../engine/index.ts';
import type { Mode } from '../engine/index.ts';
import { explore, type ExploreOptions, type ExploreResult } from './explore.ts';
import { JOB_LIMITS, exploreParallel, type JobPools } from './parallel.ts';
import type { AnyScenario } from '../engine/index.ts';
import type { ScenarioRef } from '../engine/index.ts';
import { THREADS_DEFAULTS, ThreadsBackend } from '../engine/index.ts';
import { buildWorld } from '../engine/index.ts';

export interface SessionOptions extends ExploreOptions {
  mode: Mode;
  jobs: number;
  options?: Record<string, unknown>;
  interpreter?: Interpreter;
  /** A step that takes longer than this is a hang (default 10 s). */
  stepTimeoutMs?: number;
  /** Inline: job workers to reuse (a command exploring many designs); none: started and ended here. */
  pools?: JobPools;
}

export async function exploreDesign(ref: ScenarioRef, scenario: AnyScenario, design: string, o: SessionOptions): Promise<ExploreResult> {
  const world = buildWorld(scenario, design, o.options, undefined, { memoryModel: o.memoryModel, promises: o.promises });
  const stepTimeoutMs = o.stepTimeoutMs ?? THREADS_DEFAULTS.stepTimeoutMs;
  if (o.mode === 'inline') return exploreParallel(ref, world, o, o.jobs, { ...JOB_LIMITS, stepTimeoutMs }, o.pools);
  if (o.jobs > 1) throw new Error('parallel jobs run inline; use mode inline with jobs > 1');
  // Promises are certified by running an actor alone, which needs every actor in this thread.
  if (world.memoryModel === 'arm64') throw new Error('the arm64 memory model runs inline only');
  const backend = await ThreadsBackend.start(world, ref, { interpreter: o.interpreter, stepTimeoutMs });
  try {
    return await explore(backend, o);
  } finally {
    await backend.close();
  }
}
