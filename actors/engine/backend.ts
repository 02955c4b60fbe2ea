// Where actors' steps execute: in this thread (inline) or each in its own worker (threads).
// The run loop (run.ts) is the same for both, so a seed gives the same trace either way.
import type { Wait } from '../../host/wait.ts';
import type { Rng } from './rng.ts';
import type { RunOptions, RunResult } from './run.ts';
import type { Scheduler } from './schedulers/scheduler.ts';
import type { World } from './world.ts';

export type Mode = 'threads' | 'inline';

export interface Backend {
  readonly mode: Mode;
  /** The scheduling thread's view of the world: waits and invariants are evaluated on it. */
  readonly world: World;
  /** Puts every actor back in its initial state (memory has been reset); returns the states. */
  resetActors(): number[] | Promise<number[]>;
  /**
   * Takes a whole run (run.ts's loop, where the steps execute) when it can; undefined leaves it
   * to run.ts, step by step.
   */
  runWhole?(scheduler: Scheduler, rngs: { schedule: Rng; steps: Rng }, opts: RunOptions): Promise<RunResult> | undefined;
  /**
   * Runs one step of `actor`; returns its new state index. Its random draws come from `seed`, or
   * are the values `choices` lists (verify's explicit choices).
   */
  step(actor: number, seed: number, choices?: readonly number[]): number | Promise<number>;
  /**
   * arm64 with promises, sampling: `step`, except that a step after which its actor could no
   * longer keep its promises is not taken (the model does not allow it there): the state is put
   * back as it was and null returned, so the scheduler can pick another step.
   */
  stepIfAllowed?(actor: number, seed: number): number | null;
  /** The values `actor`'s last step drew, when they were scripted. */
  lastChoices(actor: number): number[] | undefined;
  /** arm64 with promises: throws Infeasible if some actor can no longer keep its promises (checked before a violation is reported). */
  completable?(): void;
  /** arm64 with promises: some actor has promised a store it has not made yet. */
  promisesOutstanding?(): boolean;
  /** Index of the transition `actor`'s last step took (-1 if the interpreter cannot tell). */
  lastTransition(actor: number): number;
  /** The branch `actor`'s last step took out of a choice state (-1: none, or the interpreter cannot tell). */
  lastBranch(actor: number): number;
  /**
   * What `actor`'s current state waits for, evaluated in this (the scheduling) thread with the
   * actor's context; undefined if it does not wait. A wait only reads shared memory.
   */
  waitOf(actor: number): Wait | undefined;
  /** What each step of the current run touched, in step order (empty lists if not recorded). */
  touches(): Promise<string[][]>;
  close(): Promise<void>;
}

/**
 * An actor's step threw (the scenario's fault), or it called process.exit(), or its worker died
 * or hung: the last three are internal failures, never a verdict.
 */
export type FailureKind = 'threw' | 'exited' | 'crashed' | 'hung';

export class ActorFailure extends Error {
  constructor(message: string, readonly actor: string, readonly kind: FailureKind) {
    super(message);
  }
}
