// Engine throughput: steps per second of a holding design, inline and in threads mode (workers
// already started, as in a long exploration).
import { explore } from '../actors/explore.ts';
import { InlineBackend } from '../actors/inline-backend.ts';
import { ThreadsBackend } from '../actors/threads-backend.ts';
import { buildWorld } from '../actors/world.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import { medianOf } from './stats.ts';

const DESIGN = 'v2018-lockless';
const run = (seconds: number) => ({ strategy: 'random' as const, depth: 3, iterations: Number.MAX_SAFE_INTEGER, timeSeconds: seconds, seed: 1, stepLimit: 3000 });

export async function inlineStepsPerSec(seconds: number, runs: number): Promise<number> {
  const backend = new InlineBackend(buildWorld(rollover, DESIGN));
  return medianOf(runs, async () => {
    const r = await explore(backend, run(seconds));
    return r.steps / (r.elapsedMs / 1000);
  });
}

export async function threadsStepsPerSec(seconds: number, runs: number): Promise<number> {
  const backend = await ThreadsBackend.start(buildWorld(rollover, DESIGN), CATALOGUE['vmid-rollover']);
  try {
    return await medianOf(runs, async () => {
      const r = await explore(backend, run(seconds));
      return r.steps / (r.elapsedMs / 1000);
    });
  } finally {
    await backend.close();
  }
}
