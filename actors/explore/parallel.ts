// Inline exploration in worker threads: `jobs` jobs, each exploring every jobs-th run, so that
// exactly the runs asked for are made. The reported violation is the one found in the
// lowest-numbered run among those found. Inline runs always go through here, even as one job:
// this thread stays free to watch each job's heartbeat, and ends a job whose step (a guard or
// action that never returns) or run makes no progress, and reports a worker that crashed.
import { Piscina } from 'piscina';
import { ActorFailure } from '../engine/index.ts';
import type { ExploreOptions, ExploreProgress, ExploreResult } from './explore.ts';
import { JobBoard } from '../engine/index.ts';
import { rebuildError, type JobResult, type JobTask } from './job-worker.ts';
import type { ScenarioRef } from '../engine/index.ts';
import { mergeCoverage } from './coverage.ts';
import type { Interpreter } from '../engine/index.ts';
import type { World } from '../engine/index.ts';

const JOB_ENTRY = new URL('./job-worker.mjs', import.meta.url).href;

export interface JobLimits {
  /** A step, or the work between two steps, that takes longer than this means the job hung. */
  stepTimeoutMs: number;
  /** Time a job may take to load the scenario and take its first step. */
  startTimeoutMs: number;
}

export const JOB_LIMITS: JobLimits = { stepTimeoutMs: 10_000, startTimeoutMs: 60_000 };

/**
 * Job workers kept from one design to the next by a command that explores many (check, compare,
 * coverage): each worker builds its world per task, so a started worker serves any design, and
 * its start (loading hyprace and the scenario, about a second) is paid once, not per design. A
 * pool whose job hung or crashed is destroyed, never reused; close() ends the rest.
 */
export class JobPools {
  private readonly pools = new Map<number, Piscina>();

  take(threads: number): Piscina {
    let pool = this.pools.get(threads);
    if (!pool) {
      pool = newPool(threads);
      this.pools.set(threads, pool);
    }
    return pool;
  }

  async discard(pool: Piscina): Promise<void> {
    for (const [n, p] of this.pools) if (p === pool) this.pools.delete(n);
    await pool.destroy();
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.destroy()));
  }
}

/** Runs `f` with job pools that end when it does, whatever happens. */
export async function withJobPools<T>(f: (pools: JobPools) => Promise<T>): Promise<T> {
  const pools = new JobPools();
  try {
    return await f(pools);
  } finally {
    await pools.close();
  }
}

const newPool = (threads: number) => new Piscina({ filename: JOB_ENTRY, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: 1, atomics: 'disabled' });

/** Runs job `job` of `jobs` makes out of `iterations` (runs job, job + jobs, ...). */
export function runsOfJob(iterations: number, jobs: number, job: number): number {
  return iterations > job ? Math.ceil((iterations - job) / jobs) : 0;
}

export async function exploreParallel(
  scenario: ScenarioRef,
  world: World,
  o: ExploreOptions & { interpreter?: Interpreter },
  jobs: number,
  limits: JobLimits = JOB_LIMITS,
  pools?: JobPools,
): Promise<ExploreResult> {
  const design = world.design.name;
  const counts = Array.from({ length: jobs }, (_, j) => runsOfJob(o.iterations, jobs, j));
  const active = counts.flatMap((c, j) => (c > 0 ? [j] : []));
  const board = new JobBoard(jobs);
  const pool = pools ? pools.take(active.length) : newPool(active.length);
  let healthy = true;
  const start = performance.now();
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const at = (job: number) => {
    const b = board.beat(job);
    const actor = world.actors[b.actor]?.name ?? 'an actor';
    return { b, actor, state: world.programs[b.actor]?.stateIds[b.state] ?? '?' };
  };
  const crashed = (e: unknown, job: number) => {
    const { b, actor, state } = at(job);
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    const why = code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : `crashed (${e instanceof Error ? e.message : String(e)})`;
    return new ActorFailure(`the worker running ${design} ${why}${b.beat ? ` ${b.inStep ? 'while' : 'after'} ${actor} stepped from state '${state}'` : ''}`, actor, 'crashed');
  };
  const onPoolError = (e: unknown) => {
    healthy = false;
    fail(crashed(e, active[0]));
  };
  pool.on('error', onPoolError);

  const done = new Set<number>();
  const last = active.map((j) => ({ job: j, beat: -1, at: performance.now() }));
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const l of last) {
      if (done.has(l.job)) continue;
      const { b, actor, state } = at(l.job);
      if (b.beat !== l.beat) {
        l.beat = b.beat;
        l.at = now;
        continue;
      }
      const limit = b.beat === 0 ? limits.startTimeoutMs : limits.stepTimeoutMs;
      if (now - l.at < limit) continue;
      board.abort();
      healthy = false;
      if (b.beat === 0) fail(new ActorFailure(`the worker running ${design} did not start its first step within ${limit} ms`, actor, 'hung'));
      else if (b.inStep) fail(new ActorFailure(`${actor} did not finish its step from state '${state}' within ${limit} ms: a guard or action that never returns?`, actor, 'hung'));
      else fail(new ActorFailure(`a run of ${design} made no progress for ${limit} ms after ${actor} stepped from state '${state}': an invariant or wait that never returns?`, actor, 'hung'));
    }
  }, Math.min(250, limits.stepTimeoutMs / 4));
  const progress = o.onProgress
    ? setInterval(() => {
        let iterations = 0;
        let steps = 0;
        for (const j of active) {
          iterations += board.runs(j);
          steps += board.steps(j);
        }
        o.onProgress!({ iterations, steps, elapsedMs: performance.now() - start } satisfies ExploreProgress);
      }, 250)
    : undefined;
  const stopper = o.shouldStop
    ? setInterval(() => {
        if (o.shouldStop!()) board.abort();
      }, 100)
    : undefined;
  try {
    const { shouldStop: _s, onProgress: _p, only, interpreter, pools: _pools, ...plain } = o as typeof o & { pools?: JobPools };
    const tasks = active.map(async (job) => {
      const task: JobTask = { scenario, design, options: world.design.options as Record<string, unknown>, explore: { ...plain, iterations: counts[job], only: only ? [...only] : undefined }, interpreter, board: board.sab, job, jobs };
      let r: JobResult;
      try {
        r = (await pool.run(task)) as JobResult;
      } catch (e) {
        healthy = false;
        throw crashed(e, job);
      } finally {
        done.add(job);
      }
      if (!r.ok) {
        board.abort();
        throw rebuildError(r.error);
      }
      return r.result;
    });
    const results = await Promise.race([Promise.all(tasks), failed]);
    return mergeExploreResults(results, performance.now() - start);
  } finally {
    clearInterval(watchdog);
    if (progress) clearInterval(progress);
    if (stopper) clearInterval(stopper);
    // A dying pool may still report errors (another worker, its termination): keep them handled.
    pool.off('error', onPoolError);
    if (!pools || !healthy) pool.on('error', () => undefined);
    if (!pools) await pool.destroy();
    else if (!healthy) await pools.discard(pool);
  }
}

const refused = (refusedSteps: number) => (refusedSteps ? { refusedSteps } : {});

/** Results of disjoint sets of runs as one: sums, and the violation of the lowest-numbered run. */
export function mergeExploreResults(results: ExploreResult[], elapsedMs: number): ExploreResult {
  const found = results.filter((r) => r.violation).sort((a, b) => a.violation!.iteration - b.violation!.iteration);
  const sum = (f: (r: ExploreResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const addMaps = (f: (r: ExploreResult) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(f(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const livelocks = results.flatMap((r) => (r.livelock ? [r.livelock] : []));
  return {
    ...results[0],
    iterations: sum((r) => r.iterations),
    steps: sum((r) => r.steps),
    elapsedMs: Math.round(elapsedMs),
    stepLimitRuns: sum((r) => r.stepLimitRuns),
    infeasibleRuns: sum((r) => r.infeasibleRuns ?? 0),
    ...refused(sum((r) => r.refusedSteps ?? 0)),
    livelock: livelocks.length ? { runs: livelocks.reduce((s, l) => s + l.runs, 0), actors: [...new Set(livelocks.flatMap((l) => l.actors))] } : null,
    maxRunSteps: Math.max(...results.map((r) => r.maxRunSteps)),
    violation: found[0]?.violation ?? null,
    blockedSteps: addMaps((r) => r.blockedSteps),
    figures: addMaps((r) => r.figures),
    coverage: results.map((r) => r.coverage).reduce(mergeCoverage),
  };
}
