// The one event every machine receives: STEP. It carries the step's own random source, seeded
// by the scheduler, so actions and guards can make choices that replay exactly.
import { Rng } from './rng.ts';

export class StepEvent {
  readonly type = 'STEP' as const;
  private readonly rng = new Rng(0);
  seed = 0;

  reseed(seed: number): this {
    this.seed = seed >>> 0;
    this.rng.reseed(seed);
    return this;
  }

  /** Uniform integer in [0, n). */
  random(n: number): number {
    return this.rng.below(n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.rng.chance(p);
  }
}

export type Step = StepEvent;
