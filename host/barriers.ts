// The kernel's barriers and one-shot accessors, under their own names. Under the sequentially
// consistent model they order nothing that is not already ordered; under arm64 they move the
// running actor's views (see memory-model/arm64.ts), and dsb() also completes the TLB
// maintenance the actor issued before it (see tlb.ts).
import { execution } from './execution.ts';
import type { Barrier } from './memory-model/arm64.ts';
import { memoryModel } from './memory-model/active.ts';
import { threadGlobal } from './thread-global.ts';
import { note } from './recorder.ts';
import { dependencyWord, type Dependency, type Word } from './layout.ts';

function barrier(kind: Barrier, text: string): void {
  const m = memoryModel.arm64;
  if (m && execution.actor >= 0) m.barrier(execution.actor, kind);
  note(text);
}

/** Told of every dsb(ish) by the actor that issues it (TLB invalidations complete there): the active world's Layout.dsbListeners. */
export const dsbHooks = threadGlobal('dsb-hooks', () => ({ onDsb: [] as readonly ((actor: number) => void)[] }));

/** smp_mb(): DMB ISH. Orders every earlier access before every later one. */
export function smp_mb(): void {
  barrier('sy', 'smp_mb()');
}

/** smp_rmb(): DMB ISHLD. Orders earlier loads before later loads and stores. */
export function smp_rmb(): void {
  barrier('ld', 'smp_rmb()');
}

/** smp_wmb(): DMB ISHST. Orders earlier stores before later stores. */
export function smp_wmb(): void {
  barrier('st', 'smp_wmb()');
}

/** dmb(ish|ishld|ishst). */
export function dmb(kind: 'ish' | 'ishld' | 'ishst'): void {
  barrier(kind === 'ish' ? 'sy' : kind === 'ishld' ? 'ld' : 'st', `dmb(${kind})`);
}

/**
 * dsb(ish|ishst): as the DMB, and it waits for the actor's earlier TLB maintenance (TLBI) to
 * complete on every CPU it broadcast to. dsb(ishst) waits for earlier stores only: a TLBI issued
 * after it sees them, but is itself complete only at a later dsb(ish).
 */
export function dsb(kind: 'ish' | 'ishst'): void {
  barrier(kind === 'ish' ? 'sy' : 'st', `dsb(${kind})`);
  if (kind === 'ish' && execution.actor >= 0) for (const h of dsbHooks.onDsb) h(execution.actor);
}

/**
 * An exception boundary of the running thread: ERET into a guest, or the exception that takes it
 * out. Under arm64 a store after it cannot have been promised before it (exceptions are precise);
 * promises stop here. Nothing under sc.
 */
export function exception_boundary(): void {
  const m = memoryModel.arm64;
  if (m && execution.actor >= 0) m.exceptionBoundary(execution.actor);
}

/** isb(): later loads wait for earlier control dependencies (a ctrl+isb orders loads). */
export function isb(): void {
  barrier('isb', 'isb()');
}

/** A control dependency: later stores (and, after isb(), loads) wait for these words' last loads. */
export function ctrl_dep(...on: Dependency[]): void {
  const m = memoryModel.arm64;
  if (!m || execution.actor < 0) return;
  m.controlDependency(execution.actor, on.map(dependencyWord));
}

/** READ_ONCE(x). */
export function READ_ONCE(w: Word): number {
  return w.load();
}

/** WRITE_ONCE(x, v). */
export function WRITE_ONCE(w: Word, v: number): void {
  w.store(v);
}

/** smp_load_acquire(&x). */
export function smp_load_acquire(w: Word): number {
  return w.load({ acquire: true });
}

/** smp_store_release(&x, v). */
export function smp_store_release(w: Word, v: number): void {
  w.store(v, { release: true });
}
