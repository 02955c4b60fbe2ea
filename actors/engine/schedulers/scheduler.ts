// Who takes the next step. Every strategy sees only the actors that can run (their waits are
// ready) and draws any randomness from the run's seeded generator.
import type { Rng } from '../rng.ts';
import type { StrategyName } from '../scenario.ts';

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

/**
 * A strategy whose state between two picks fits in a few words, so that in threads mode the
 * thread holding the turn can take the next decision: it builds the same strategy
 * (createScheduler(strategy, depth)) and loads the state the previous holder saved.
 */
export interface PortableScheduler extends Scheduler {
  readonly strategy: StrategyName;
  readonly depth: number;
  /** Writes the state pick() depends on from out[at]; returns the words written. */
  saveState(out: Int32Array, at: number): number;
  loadState(from: Int32Array, at: number): void;
}

export function isPortable(s: Scheduler): s is PortableScheduler {
  return typeof (s as Partial<PortableScheduler>).saveState === 'function';
}

export class ReplayDivergence extends Error {}
