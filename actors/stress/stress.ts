// hyprace stress, the engine side: one free-running worker thread per actor over the world's
// buffer, a monitor in this thread (invariants, stutter, a no-progress watchdog, the stat
// interval), and a stop that is always on time: the stop flag first, then termination.
import { Worker } from 'node:worker_threads';
import { raiseFirstBroken, resetHost, buildWorld, type World } from '../engine/index.ts';
import { findLocks, type FoundLock } from '../engine/index.ts';
import { bucketMs, BUCKETS, C, G, H, StressBlock, type RingEntry } from './stress-control.ts';
import type { StressMessage, StressTask } from './stress-worker.ts';
import type { AnyScenario, StressProfile } from '../engine/index.ts';
import type { ScenarioRef } from '../engine/index.ts';

const WORKER_ENTRY = new URL('./stress-worker.mjs', import.meta.url);

export interface StressRunOptions {
  durationS: number;
  statIntervalS: number;
  /** Run this long, pause every worker this long, and so on (0: no stutter). */
  stutterS: number;
  seed: number;
  /** No step by any actor for this long, while not paused, is reported as a deadlock. */
  deadlockMs: number;
  /**
   * After the stop flag, how long the workers may go without a step taken or a worker stopped
   * before those left are terminated (as long as they progress, they are waited for, up to stopCapMs).
   */
  graceMs: number;
  stopCapMs: number;
  /** How long the workers may go without one more of them ready (loading the scenario). */
  startTimeoutMs: number;
  onStats?: (s: StressSnapshot) => void;
}

export const STRESS_DEFAULTS = { deadlockMs: 3000, graceMs: 2000, stopCapMs: 30_000, startTimeoutMs: 60_000 };

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LockFigures {
  name: string;
  kind: string;
  /** Acquisitions of each actor that tried to take the lock for writing (or exclusively). */
  writes: { actor: string; n: number }[];
  reads: { actor: string; n: number }[];
  fails: number;
  /** Milliseconds. */
  writeLatency: Percentiles;
  readLatency: Percentiles;
  writeHold: Percentiles;
  readHold: Percentiles;
}

export interface StressSnapshot {
  elapsedMs: number;
  steps: number;
  locks: LockFigures[];
  figures: Record<string, number>;
  /** Per second over the whole run so far, for the profile's rate figures. */
  rates: Record<string, number>;
}

export interface StressViolation {
  invariant: string;
  message: string;
  /** The actor whose step (or check after it) saw it; 'monitor' or 'watchdog' otherwise. */
  seenBy: string;
  atMs: number;
}

export interface StressResult {
  world: World;
  locks: FoundLock[];
  final: StressSnapshot;
  violation: StressViolation | null;
  /** The recorded order of recent steps (merged rings), for the trace. */
  ordering: RingEntry[];
  /** An internal failure: a worker threw, crashed, or did not stop. */
  failure: string | null;
  stepsPerActor: number[];
  startupMs: number;
}

export async function runStress(ref: ScenarioRef, scenario: AnyScenario, design: string, options: Record<string, unknown>, o: StressRunOptions): Promise<StressResult> {
  const profile = scenario.stress as StressProfile<unknown, object>;
  const world = buildWorld(scenario, design, options);
  resetHost(world);
  const locks = findLocks(world.host);
  const n = world.actors.length;
  const block = new StressBlock(n, locks.length);
  const nonDaemons = world.daemon.filter((d) => !d).length;
  const t0 = performance.now();
  let failure: string | null = null;
  const stepsPerActor = new Array<number>(n).fill(0);
  const exited: Promise<void>[] = [];
  const workers: Worker[] = [];
  const alive = new Set<number>();
  /** Workers whose actor stopped (it said so, or its thread is gone): tearing a thread down can take a while. */
  const finished = new Set<number>();
  for (let i = 0; i < n; i++) {
    const task: StressTask = { scenario: ref, design, options: world.design.options as Record<string, unknown>, sab: world.memory.sab, blockSab: block.sab, maxSab: block.maxSab, locks: locks.map((l) => l.name), actor: i, atomic: profile.atomicSteps, nonDaemons, seed: o.seed };
    const w = new Worker(WORKER_ENTRY, { workerData: task });
    alive.add(i);
    w.on('message', (m: StressMessage) => {
      if (m.type === 'done') stepsPerActor[m.actor] = m.steps;
      else failure ??= m.message;
      finished.add(i);
    });
    w.on('error', (e) => {
      failure ??= `the worker of ${world.actors[i].name} crashed: ${e.message}`;
      block.set(G.STOP, 1);
    });
    exited.push(new Promise((resolve) => w.once('exit', () => (alive.delete(i), finished.add(i), resolve()))));
    workers.push(w);
  }

  const terminateAll = async () => {
    await Promise.all(workers.map((w, i) => (alive.has(i) ? w.terminate() : undefined)));
    await Promise.all(exited);
  };

  // Everybody loads the scenario first; the clock starts when all are ready. Many workers on
  // few cores load slowly: what counts is that one more gets ready every so often.
  let ready = 0;
  let readySince = performance.now();
  while (block.get(G.READY) < n && !failure) {
    if (block.get(G.READY) !== ready) {
      ready = block.get(G.READY);
      readySince = performance.now();
    } else if (performance.now() - readySince > o.startTimeoutMs) failure = `${n - ready} of ${n} workers did not start: none got ready for ${o.startTimeoutMs} ms`;
    else await sleep(5);
  }
  const startupMs = performance.now() - t0;
  const snapshot = (elapsedMs: number) => takeSnapshot(world, block, locks, profile, elapsedMs);
  if (failure) {
    await terminateAll();
    return { world, locks, final: snapshot(0), violation: null, ordering: [], failure, stepsPerActor, startupMs };
  }

  const start = performance.now();
  block.set(G.GO, 1);
  let violation: StressViolation | null = null;
  let nextStat = o.statIntervalS * 1000;
  let nextStutter = o.stutterS > 0 ? o.stutterS * 1000 : Infinity;
  let lastSteps = -1;
  let lastProgress = 0;
  for (;;) {
    await sleep(10);
    const now = performance.now() - start;
    if (block.get(G.STOP) || failure) break;
    // The monitor: invariants between steps (with the step lock, for whole-step models).
    if (!profile.atomicSteps || block.tryStepLock()) {
      try {
        if (raiseFirstBroken(world)) Atomics.compareExchange(block.i32, G.VIOLATOR, 0, n + 1);
      } finally {
        if (profile.atomicSteps) block.stepUnlock();
      }
    }
    if (world.violations.peek()) break;
    const steps = block.get(G.STEPS);
    const paused = block.get(G.PAUSE) === 1;
    if (steps !== lastSteps || paused) {
      lastSteps = steps;
      lastProgress = now;
    } else if (now - lastProgress > o.deadlockMs) {
      world.violations.raise('deadlock', `no actor took a step for ${(o.deadlockMs / 1000).toFixed(1)} s: ${stuck(world, block)}`);
      Atomics.compareExchange(block.i32, G.VIOLATOR, 0, n + 2);
      break;
    }
    if (now >= o.durationS * 1000) break;
    if (now >= nextStutter) {
      block.set(G.PAUSE, paused ? 0 : 1);
      nextStutter += o.stutterS * 1000;
    }
    if (now >= nextStat) {
      nextStat += o.statIntervalS * 1000;
      o.onStats?.(snapshot(now));
    }
  }
  block.set(G.PAUSE, 0);
  block.set(G.STOP, 1);
  const stoppedAt = performance.now() - start;
  const v = world.violations.peek();
  if (v) {
    const who = block.get(G.VIOLATOR);
    violation = { ...v, seenBy: who === 0 ? 'an actor' : who <= n ? world.actors[who - 1].name : who === n + 1 ? 'the monitor' : 'the watchdog', atMs: stoppedAt };
  }
  // Workers stop at their next step boundary holding no lock; while some step or stop they are
  // waited for (many workers on few cores take a while), and the ones that stall are ended.
  const stopped = await waitForStop(finished, n, block, o);
  if (stopped) await terminateAll();
  else {
    const names = [...alive].filter((i) => !finished.has(i)).map((i) => world.actors[i].name);
    // After a deadlock, workers stuck in a lock are expected; otherwise it is an engine fault.
    if (violation?.invariant !== 'deadlock') failure ??= `worker(s) of ${names.join(', ')} did not stop: no step or stop for ${o.graceMs} ms after the stop flag; terminated`;
    await terminateAll();
  }
  if (block.get(G.FAILED) && !failure) failure = 'a worker failed';
  return { world, locks, final: snapshot(stoppedAt), violation, ordering: block.ordering(), failure, stepsPerActor, startupMs };
}

/** Waits for every actor to stop, as long as they progress (a step, or one more stopped); false if they stall. */
async function waitForStop(finished: ReadonlySet<number>, n: number, block: StressBlock, o: StressRunOptions): Promise<boolean> {
  const start = performance.now();
  let seen = { steps: block.get(G.STEPS), finished: finished.size, at: start };
  while (finished.size < n) {
    await sleep(10);
    const now = performance.now();
    const steps = block.get(G.STEPS);
    if (steps !== seen.steps || finished.size !== seen.finished) seen = { steps, finished: finished.size, at: now };
    if (now - seen.at > o.graceMs || now - start > o.stopCapMs) return false;
  }
  return true;
}

function stuck(world: World, block: StressBlock): string {
  const last = new Map<number, RingEntry>();
  for (const e of block.ordering()) last.set(e.actor, e);
  return world.actors
    .flatMap((a, i) => (world.daemon[i] ? [] : [`${a.name} in ${world.programs[i].stateIds[last.has(i) ? last.get(i)!.to : world.programs[i].initial]}`]))
    .join(', ');
}

function takeSnapshot(world: World, block: StressBlock, locks: FoundLock[], profile: StressProfile<unknown, object>, elapsedMs: number): StressSnapshot {
  const fails = profile.failures?.(world.host) ?? {};
  const per = (l: number, acq: C, att: C) =>
    world.actors.flatMap((a, i) => (block.count(l, i, att) > 0 || block.count(l, i, acq) > 0 ? [{ actor: a.name, n: block.count(l, i, acq) }] : []));
  const figs = world.scenario.figures?.(world.host, world.design) ?? {};
  const rates: Record<string, number> = {};
  for (const k of profile.rates ?? []) if (k in figs && elapsedMs > 0) rates[k] = figs[k] / (elapsedMs / 1000);
  return {
    elapsedMs,
    steps: block.get(G.STEPS),
    figures: figs,
    rates,
    locks: locks.map((lock, l) => ({
      name: lock.name,
      kind: lock.kind,
      writes: per(l, C.W_ACQ, C.W_ATT),
      reads: per(l, C.R_ACQ, C.R_ATT),
      fails: fails[lock.name] ?? 0,
      writeLatency: percentiles(block.histogram(l, H.W_LAT)),
      readLatency: percentiles(block.histogram(l, H.R_LAT)),
      writeHold: percentiles(block.histogram(l, H.W_HOLD)),
      readHold: percentiles(block.histogram(l, H.R_HOLD)),
    })),
  };
}

function percentiles(h: { buckets: number[]; maxMs: number }): Percentiles {
  const count = h.buckets.reduce((a, b) => a + b, 0);
  const at = (q: number) => {
    if (!count) return 0;
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += h.buckets[b];
      if (seen >= q * count) return Math.min(bucketMs(b), h.maxMs);
    }
    return h.maxMs;
  };
  return { count, p50: at(0.5), p99: at(0.99), max: h.maxMs };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
