// Engine throughput: steps per second of a holding design, inline and in threads mode (workers
// already started and warmed up, as in a long exploration: each worker's isolate compiles its
// own code, and the first second runs several times slower), under one strategy. Inline and
// threads samples alternate, so a change in the machine's load hits both, and the ratio is the
// median of the pairs' ratios.
import { explore } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import type { StrategyName } from '../actors/engine/index.ts';
import { ThreadsBackend, type ThreadsOptions } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import { JobBoard } from '../actors/engine/index.ts';
import { median } from './stats.ts';

export const ENGINE_DESIGN = 'v2018-lockless';
const DEPTH = 4;

export interface EngineFigures {
  strategy: StrategyName;
  inlineStepsPerSec: number;
  threadsStepsPerSec: number;
  /** Median over the pairs of threads / inline. */
  threadsVsInline: number;
  /** Threads: times the turn passed between threads (main thread included), per step; null if unknown. */
  turnPassesPerStep: number | null;
  /** Microseconds threads mode spends per pass of the turn over inline's cost of the same steps. */
  usPerPass: number | null;
}

const window = (strategy: StrategyName, seconds: number) => ({ strategy, depth: DEPTH, iterations: Number.MAX_SAFE_INTEGER, timeSeconds: seconds, seed: 1, stepLimit: 3000 });

/**
 * Inline steps per second without and with the heartbeat the job watchdog reads (how the
 * commands run inline), samples interleaved so that the machine's load falls on both alike.
 */
export async function inlineWatchedStepsPerSec(seconds: number, runs: number): Promise<{ plain: number; watched: number }> {
  const plain = new InlineBackend(buildWorld(rollover, ENGINE_DESIGN));
  const watched = new InlineBackend(buildWorld(rollover, ENGINE_DESIGN));
  watched.heartbeat = new JobBoard(1).heartbeat(0);
  const rate = async (b: InlineBackend) => {
    const r = await explore(b, window('random', seconds));
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

/**
 * The best threads / inline ratio the wakes allow: each step at inline's cost, plus the wake
 * latency of every pass of the turn.
 */
export function wakeBound(f: EngineFigures, wakeUs: number): number | null {
  if (f.turnPassesPerStep === null) return null;
  const inlineUs = 1e6 / f.inlineStepsPerSec;
  return Math.round((inlineUs / (inlineUs + f.turnPassesPerStep * wakeUs)) * 1000) / 1000;
}

/**
 * The same bound with the cheapest pass this machine has: half a round trip of the raw
 * ping-pong (two workers waking each other back to back, never long asleep). Threads mode
 * cannot beat it while each pass wakes a sleeping thread.
 */
export function pingPongBound(f: EngineFigures, roundTripsPerSec: number): number | null {
  return wakeBound(f, 1e6 / roundTripsPerSec / 2);
}

export async function engineFigures(strategy: StrategyName, seconds: number, samples: number, threads: Partial<ThreadsOptions> = {}): Promise<EngineFigures> {
  const inline = new InlineBackend(buildWorld(rollover, ENGINE_DESIGN));
  const workers = await ThreadsBackend.start(buildWorld(rollover, ENGINE_DESIGN), CATALOGUE['vmid-rollover'], threads);
  const i: number[] = [];
  const t: number[] = [];
  let passes = 0;
  let steps = 0;
  try {
    await explore(inline, window(strategy, seconds));
    await explore(workers, window(strategy, seconds));
    for (let k = 0; k < samples; k++) {
      const a = await explore(inline, window(strategy, seconds));
      i.push(a.steps / (a.elapsedMs / 1000));
      const before = workers.turnPasses;
      const wholeBefore = workers.wholeRuns;
      const b = await explore(workers, window(strategy, seconds));
      t.push(b.steps / (b.elapsedMs / 1000));
      passes += workers.turnPasses - before;
      if (workers.wholeRuns > wholeBefore) steps += b.steps;
    }
  } finally {
    await workers.close();
  }
  // Under central handoff every step goes from the main thread to its actor and back.
  const passesPerStep = threads.handoff === 'central' ? 2 : steps > 0 ? passes / steps : 0;
  const extraUsPerStep = 1e6 / median(t) - 1e6 / median(i);
  return {
    strategy,
    inlineStepsPerSec: Math.round(median(i)),
    threadsStepsPerSec: Math.round(median(t)),
    threadsVsInline: Math.round(median(t.map((x, k) => x / i[k])) * 1000) / 1000,
    turnPassesPerStep: passesPerStep > 0 ? Math.round(passesPerStep * 1000) / 1000 : null,
    usPerPass: passesPerStep > 0 ? Math.round(extraUsPerStep / passesPerStep) : null,
  };
}
