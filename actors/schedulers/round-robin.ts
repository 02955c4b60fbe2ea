// Round-robin: the next runnable actor after the one that ran last, so every step switches
// actors when it can. Deterministic; runs differ only in the actors' own random choices.
import type { RunStart, Scheduler } from './scheduler.ts';

export class RoundRobinScheduler implements Scheduler {
  readonly name = 'rr';
  private last = -1;

  beginRun(_run: RunStart): void {
    this.last = -1;
  }

  pick(enabled: readonly number[]): number {
    const next = enabled.find((a) => a > this.last) ?? enabled[0];
    this.last = next;
    return next;
  }
}
