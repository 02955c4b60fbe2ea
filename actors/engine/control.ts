// The engine's own words in the shared buffer: one slot per actor for turns (threads mode) and
// for the actor's current state, which the scheduling thread reads to know who can run.
import type { Layout } from '../../host/layout.ts';

export const CMD = 0;
export const SEED = 1;
export const STATE = 2;
export const TRANSITION = 3;
export const ERROR = 4;
export const READY = 5;
/** The run's step number of the step being handed out, for the worker's touch log. */
export const STEP_INDEX = 6;
/** The branch the last step took out of a choice state, -1 if none. */
export const BRANCH = 7;
const SLOT = 8;

export const enum Cmd {
  Idle = 0,
  Step = 1,
  Reset = 2,
  Stop = 3,
  Dump = 4,
  /** Threads mode, direct handoff: the turn is this actor's; see actors/engine/turn-loop.ts. */
  Continue = 5,
  /** Attach the run block the main thread sent on the actor's port. */
  Attach = 6,
}

export class ControlBlock {
  a: Int32Array = new Int32Array(0);
  private base = 0;
  /** Index of the shared abort word (parallel jobs stop when one finds a violation). */
  abortIndex = 0;

  constructor(layout: Layout, readonly actors: number) {
    const region = layout.reserve('control', (actors * SLOT + 2) * 4, (m) => {
      this.a = m.i32;
      this.base = region.byteOffset / 4;
      this.abortIndex = this.base + actors * SLOT;
    });
  }

  /** Index in the i32 view of field `field` of actor `actor`'s slot. */
  at(actor: number, field: number): number {
    return this.base + actor * SLOT + field;
  }

  get(actor: number, field: number): number {
    return Atomics.load(this.a, this.at(actor, field));
  }

  set(actor: number, field: number, v: number): void {
    Atomics.store(this.a, this.at(actor, field), v);
  }
}
