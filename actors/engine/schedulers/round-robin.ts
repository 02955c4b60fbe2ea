// Round-robin: the next runnable actor after the one that ran last, so every step switches
// actors when it can. Deterministic; runs differ only in the actors' own random choices.
import type { PortableScheduler, RunStart } from './scheduler.ts';

export class RoundRobinScheduler implements PortableScheduler {
  readonly name = 'rr';
  readonly strategy = 'rr';
  readonly depth = 0;
  private last = -1;

  beginRun(_run: RunStart): void {
    this.last = -1;
  }

  pick(enabled: readonly number[]): number {
    const next = enabled.find((a) => a > this.last) ?? enabled[0];
    this.last = next;
    return next;
  }

  saveState(out: Int32Array, at: number): number {
    out[at] = this.last;
    return 1;
  }

  loadState(from: Int32Array, at: number): void {
    this.last = from[at];
  }
}
