// Engine throughput: steps per second of a holding design, inline and in threads mode (workers
// already started, as in a long exploration).
import { explore } from '../actors/explore.ts';
import { InlineBackend } from '../actors/inline-backend.ts';
import { ThreadsBackend } from '../actors/threads-backend.ts';
import { buildWorld } from '../actors/world.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import { JobBoard } from '../actors/job-board.ts';
import { median, medianOf } from './stats.ts';

const DESIGN = 'v2018-lockless';
const run = (seconds: number) => ({ strategy: 'random' as const, depth: 3, iterations: Number.MAX_SAFE_INTEGER, timeSeconds: seconds, seed: 1, stepLimit: 3000 });

export async function inlineStepsPerSec(seconds: number, runs: number): Promise<number> {
  const backend = new InlineBackend(buildWorld(rollover, DESIGN));
  return medianOf(runs, async () => {
    const r = await explore(backend, run(seconds));
    return r.steps / (r.elapsedMs / 1000);
  });
}

/**
 * Inline steps per second without and with the heartbeat the job watchdog reads (how the
 * commands run inline), samples interleaved so that the machine's load falls on both alike.
 */
export async function inlineWatchedStepsPerSec(seconds: number, runs: number): Promise<{ plain: number; watched: number }> {
  const plain = new InlineBackend(buildWorld(rollover, DESIGN));
  const watched = new InlineBackend(buildWorld(rollover, DESIGN));
  watched.heartbeat = new JobBoard(1).heartbeat(0);
  const rate = async (b: InlineBackend) => {
    const r = await explore(b, run(seconds));
    return r.steps / (r.elapsedMs / 1000);
  };
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < runs; i++) {
    xs.push(await rate(plain));
    ys.push(await rate(watched));
  }
  return { plain: median(xs), watched: median(ys) };
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
