// Uniform random choice among the runnable actors at every step.
import { Rng } from '../rng.ts';
import type { PortableScheduler, RunStart } from './scheduler.ts';

export class RandomScheduler implements PortableScheduler {
  readonly name = 'random';
  readonly strategy = 'random';
  readonly depth = 0;
  private rng = new Rng(0);

  beginRun(run: RunStart): void {
    this.rng = run.rng;
  }

  pick(enabled: readonly number[]): number {
    return enabled[this.rng.below(enabled.length)];
  }

  saveState(out: Int32Array, at: number): number {
    out[at] = this.rng.state;
    return 1;
  }

  loadState(from: Int32Array, at: number): void {
    this.rng.state = from[at];
  }
}
