// Per-thread facts about the step being executed: which actor runs it and how actors interleave.
// Host primitives (locks above all) read this to know who is acting.

import { threadGlobal } from './thread-global.ts';

/** 'controlled': a scheduler grants one step at a time (explore, check, verify, replay); 'free': the OS interleaves real threads (stress). */
export type ExecutionMode = 'controlled' | 'free';

/** Per-thread facts about the step being run: which actor runs it (`actor`), its index in the run (`step`), the mode, the actors' names. */
export const execution = threadGlobal('execution', () => ({
  /** Index of the actor whose step is running in this thread, -1 outside steps. */
  actor: -1,
  /** controlled: a scheduler grants one step at a time; free: the OS interleaves real threads. */
  mode: 'controlled' as ExecutionMode,
  /** Index of the step being executed in the current run (measures durations in steps). Modelled code reads it through stepIndex(). */
  step: -1,
  /** Set when modelled code read the step index (stepIndex): it is not in memory (actors/engine/solo-memo.ts). */
  stepRead: false,
  /** Actor names by index, for messages. */
  actorNames: [] as readonly string[],
  /** Free mode only (stress statistics): told when this thread takes or releases a lock. */
  lockHook: undefined as LockHook | undefined,
  /** The running step's random draw (a value in [0, n)): a memory model's choices are the step's. */
  draw: undefined as ((n: number) => number) | undefined,
  /** Free mode only: sleeps `ms`, or less if the run is told to stop meanwhile. */
  sleep: undefined as ((ms: number) => void) | undefined,
}));

/** The running step's index, for modelled code (figures that measure durations in steps). */
export function stepIndex(): number {
  execution.stepRead = true;
  return execution.step;
}

export type LockHook = (lock: string, event: 'acquire' | 'release', read: boolean) => void;

/** Actor `index`'s name for messages ('nobody' for -1). */
export function actorName(index: number): string {
  if (index < 0) return 'nobody';
  return execution.actorNames[index] ?? `actor ${index}`;
}
