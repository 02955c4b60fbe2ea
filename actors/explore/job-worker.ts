// One exploration job in a worker: its own world and memory, inline, taking every jobs-th run.
// Jobs share a board (job-board.ts): the first to find a violation stops the others, and the
// starting thread watches each job's heartbeat. Errors come back as data, so that the starting
// thread can tell a fault in the scenario from hyprace's own.
import { ActorFailure, type FailureKind } from '../engine/index.ts';
import { MachineDefinitionError } from '../engine/index.ts';
import { explore, type ExploreOptions, type ExploreResult } from './explore.ts';
import { InlineBackend } from '../engine/index.ts';
import { JobBoard } from '../engine/index.ts';
import { InvariantError } from '../engine/index.ts';
import { loadScenario, type ScenarioRef } from '../engine/index.ts';
import { buildWorld } from '../engine/index.ts';
import type { Interpreter } from '../engine/index.ts';

export interface JobTask {
  scenario: ScenarioRef;
  design: string;
  options?: Record<string, unknown>;
  explore: Omit<ExploreOptions, 'shouldStop' | 'onProgress' | 'only'> & { only?: string[] };
  interpreter?: Interpreter;
  board: SharedArrayBuffer;
  job: number;
  jobs: number;
}

/** An error thrown in a job, as plain data (classes do not survive the trip between threads). */
export interface JobError {
  type: 'actor' | 'invariant' | 'machine' | 'other';
  message: string;
  kind?: FailureKind;
  actor?: string;
  stack?: string;
}

export type JobResult = { ok: true; result: ExploreResult } | { ok: false; error: JobError };

export default async function runJob(t: JobTask): Promise<JobResult> {
  const board = new JobBoard(t.jobs, t.board);
  try {
    const scenario = await loadScenario(t.scenario);
    const backend = new InlineBackend(buildWorld(scenario, t.design, t.options, undefined, { memoryModel: t.explore.memoryModel, promises: t.explore.promises }), true, t.interpreter);
    backend.heartbeat = board.heartbeat(t.job);
    const result = await explore(backend, {
      ...t.explore,
      only: t.explore.only ? new Set(t.explore.only) : undefined,
      // Within a shard's runs (first, first + stride, ...), job j takes every jobs-th of them.
      firstIteration: (t.explore.firstIteration ?? 0) + t.job * (t.explore.iterationStride ?? 1),
      iterationStride: t.jobs * (t.explore.iterationStride ?? 1),
      shouldStop: () => board.aborted(),
      onProgress: (p) => board.report(t.job, p.iterations, p.steps),
    });
    if (result.violation) board.abort();
    return { ok: true, result };
  } catch (e) {
    return { ok: false, error: asData(e) };
  }
}

function asData(e: unknown): JobError {
  const message = e instanceof Error ? e.message : String(e);
  const stack = e instanceof Error ? e.stack : undefined;
  if (e instanceof ActorFailure) return { type: 'actor', message, kind: e.kind, actor: e.actor, stack };
  if (e instanceof InvariantError) return { type: 'invariant', message, stack };
  if (e instanceof MachineDefinitionError) return { type: 'machine', message, stack };
  return { type: 'other', message, stack };
}

/** The error a job reported, as the class it was thrown as. */
export function rebuildError(e: JobError): Error {
  const err = e.type === 'actor' ? new ActorFailure(e.message, e.actor ?? '', e.kind ?? 'threw') : e.type === 'invariant' ? new InvariantError(e.message) : e.type === 'machine' ? new MachineDefinitionError(e.message) : new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}
