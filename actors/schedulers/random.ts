// Uniform random choice among the runnable actors at every step.
import type { Rng } from '../rng.ts';
import type { RunStart, Scheduler } from './scheduler.ts';

export class RandomScheduler implements Scheduler {
  readonly name = 'random';
  private rng!: Rng;

  beginRun(run: RunStart): void {
    this.rng = run.rng;
  }

  pick(enabled: readonly number[]): number {
    return enabled[this.rng.below(enabled.length)];
  }
}
