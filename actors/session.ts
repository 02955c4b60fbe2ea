// Explores one design in the chosen mode: builds the world, starts the backend (workers for
// threads mode, a pool of jobs for parallel inline runs), explores, and always shuts down.
import type { Interpreter } from './actor-runtime.ts';
import type { Mode } from './backend.ts';
import { explore, type ExploreOptions, type ExploreResult } from './explore.ts';
import { InlineBackend } from './inline-backend.ts';
import { exploreParallel } from './parallel.ts';
import type { AnyScenario } from './scenario.ts';
import type { ScenarioRef } from './scenario-loader.ts';
import { ThreadsBackend } from './threads-backend.ts';
import { buildWorld } from './world.ts';

export interface SessionOptions extends ExploreOptions {
  mode: Mode;
  jobs: number;
  options?: Record<string, unknown>;
  interpreter?: Interpreter;
}

export async function exploreDesign(ref: ScenarioRef, scenario: AnyScenario, design: string, o: SessionOptions): Promise<ExploreResult> {
  if (o.jobs > 1) {
    if (o.mode !== 'inline') throw new Error('parallel jobs run inline; use mode inline with jobs > 1');
    return exploreParallel(ref, design, o.options, o, o.jobs);
  }
  const world = buildWorld(scenario, design, o.options);
  const backend = o.mode === 'threads' ? await ThreadsBackend.start(world, ref, { interpreter: o.interpreter }) : new InlineBackend(world, true, o.interpreter);
  try {
    return await explore(backend, o);
  } finally {
    await backend.close();
  }
}
