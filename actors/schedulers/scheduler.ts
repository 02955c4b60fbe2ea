// Who takes the next step. Every strategy sees only the actors that can run (their waits are
// ready) and draws any randomness from the run's seeded generator.
import type { Rng } from '../rng.ts';

export interface RunStart {
  rng: Rng;
  actors: number;
  /** The run's step bound, for strategies that place events along the run. */
  stepLimit: number;
}

export interface Scheduler {
  readonly name: string;
  beginRun(run: RunStart): void;
  /** Returns one of `enabled` (actor indexes, ascending, never empty). */
  pick(enabled: readonly number[], step: number): number;
  /** Told how long the run was, so strategies can adapt (PCT's estimate of k). */
  endRun?(steps: number): void;
}

export class ReplayDivergence extends Error {}
