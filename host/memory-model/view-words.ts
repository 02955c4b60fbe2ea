// Publishing the running actor's arm64 view into a shared word, and acquiring it back: how a
// lock's release and acquire, an IPI's call and acknowledgement, and a CPU's runqueue hand-over
// carry ordering from one thread to another. Nothing under sc, or outside an actor's step.
import { ld32, st32 } from '../access.ts';
import { execution } from '../execution.ts';
import { memoryModel } from './active.ts';

/**
 * Publishes what the running actor did (its release view) into word `i` of `a`: joined with what
 * the word holds ('join': every publisher so far), or replacing it ('replace': the last one only).
 */
export function publishView(a: Int32Array, i: number, how: 'join' | 'replace' = 'join'): void {
  const m = memoryModel.arm64;
  if (!m || execution.actor < 0) return;
  m.noteViewWord(a, i);
  const v = m.releaseView(execution.actor);
  st32(a, i, how === 'join' ? Math.max(ld32(a, i), v) : v);
}

/** The running actor acquires the view published in word `i` of `a`: what its publishers did is visible from here on. */
export function acquireView(a: Int32Array, i: number): void {
  const m = memoryModel.arm64;
  if (!m || execution.actor < 0) return;
  m.noteViewWord(a, i);
  m.acquireView(execution.actor, ld32(a, i));
}

/**
 * Whether the running actor has observed what the view in word `i` of `a` covers: its later
 * loads cannot read anything older (happens-before, through the locks, IPIs and hand-overs that
 * carried it). Always, under sc: the global order of steps is what every thread sees.
 */
export function hasObserved(a: Int32Array, i: number): boolean {
  const m = memoryModel.arm64;
  if (!m || execution.actor < 0) return true;
  m.noteViewWord(a, i);
  return m.readFloor(execution.actor) >= ld32(a, i);
}

/** Whether a store to word `i` is promised and not yet made (arm64): its thread is, as far as memory shows, already past it. */
export function storePromised(i: number): boolean {
  return memoryModel.arm64?.promisedByAnyone(i) ?? false;
}

/**
 * `body` inside a lock whose every holder takes and drops it within one step, so it never makes
 * anyone wait: only its ordering shows (under arm64: acquire what the last holder published in
 * word `i` of `a`, publish on the way out). Nothing under sc.
 */
export function inOneStepLock<T>(a: Int32Array, i: number, body: () => T): T {
  acquireView(a, i);
  const r = body();
  publishView(a, i);
  return r;
}
