// The one place where modelled code reads and writes shared memory. Every Word, WordArray,
// BigWordArray, lock, TLB and IPI access goes through these functions, so that `verify` can see
// each step's footprint (which words it read and wrote: the dependence relation of partial-order
// reduction) and so that a memory model can later stand between a step and the buffer.
//
// Indices are those of the whole-buffer views (SharedMemory.i32 / .i64); a footprint names words
// in 32-bit units, a 64-bit element j being words 2j and 2j+1.

import { execution } from './execution.ts';
import type { Arm64Memory, Value } from './memory-model/arm64.ts';
import { memoryModel } from './memory-model/active.ts';
import { threadGlobal } from './thread-global.ts';
import { undoLog as undo } from './undo-log.ts';

/** What the running step (or wait, or invariant) touched, while `on`. */
export const footprint = threadGlobal('footprint', () => ({
  on: false,
  reads: [] as number[],
  writes: [] as number[],
  /** Statistics bumped (count32): written, but on purpose in no footprint. */
  statistics: [] as number[],
}));

/** Runs `fn` with footprint recording on; returns what it read and wrote (duplicates kept). */
export function withFootprint<T>(fn: () => T): { value: T; reads: number[]; writes: number[] } {
  const saved = { on: footprint.on, reads: footprint.reads, writes: footprint.writes, statistics: footprint.statistics };
  footprint.on = true;
  footprint.reads = [];
  footprint.writes = [];
  footprint.statistics = [];
  try {
    const value = fn();
    return { value, reads: footprint.reads, writes: footprint.writes };
  } finally {
    footprint.on = saved.on;
    footprint.reads = saved.reads;
    footprint.writes = saved.writes;
    footprint.statistics = saved.statistics;
  }
}

/** How a load orders: plain (READ_ONCE), or acquire (smp_load_acquire / LDAR). */
export type LoadKind = 'plain' | 'acquire';
/** How a store orders: plain (WRITE_ONCE), or release (smp_store_release / STLR). */
export type StoreKind = 'plain' | 'release';
/** A read-modify-write's ordering, as the kernel's atomics name it: full (no suffix), _relaxed, _acquire, _release. */
export type RmwOrder = 'full' | 'relaxed' | 'acquire' | 'release';

/**
 * The memory model in charge of `word` when a step of an actor accesses it (arm64 covers the
 * scenario's memory words, not ghost words, TLBs or lock words); undefined: sequentially consistent.
 */
function modelFor(word: number): Arm64Memory | undefined {
  const m = memoryModel.arm64;
  return m !== undefined && execution.actor >= 0 && m.covers(word) ? m : undefined;
}

function draw(n: number): number {
  if (!execution.draw) throw new Error('a modelled memory access outside a step');
  return execution.draw(n);
}

// The location a modelled access is on, for the model to read its initial value (lazily: only
// while the location has no write yet). Set before each call into the model, which reads it
// before returning and makes no modelled access meanwhile: one function each, not a closure per access.
let at32: Int32Array = new Int32Array(0);
let at32Index = 0;
let at64: BigInt64Array = new BigInt64Array(0);
let at64Index = 0;
const initial32 = (): Value => ({ lo: plainLoad32(at32, at32Index), hi: 0 });
const initial64 = (): Value => split(plainLoad64(at64, at64Index));
function lo32(a: Int32Array, i: number): () => Value {
  at32 = a;
  at32Index = i;
  return initial32;
}
function both64(a: BigInt64Array, j: number): () => Value {
  at64 = a;
  at64Index = j;
  return initial64;
}
const split = (v: bigint): Value => ({ lo: Number(BigInt.asIntN(32, v)), hi: Number(BigInt.asIntN(32, v >> 32n)) });
const join = (v: Value): bigint => (BigInt(v.hi) << 32n) | BigInt(v.lo >>> 0);

/** Before a write of 64-bit element `j`: its two words' old values, while the undo log is on. */
function keep64(j: number): void {
  if (!undo.on) return;
  undo.keep(2 * j);
  undo.keep(2 * j + 1);
}

/** The word as memory holds it now (the latest write), recorded, never through a model. */
function plainLoad32(a: Int32Array, i: number): number {
  if (footprint.on) footprint.reads.push(i);
  return Atomics.load(a, i);
}

function plainLoad64(a: BigInt64Array, j: number): bigint {
  if (footprint.on) footprint.reads.push(2 * j, 2 * j + 1);
  return Atomics.load(a, j);
}

/**
 * A word of a memory model's own state (views, write histories: never itself modelled), read by
 * the model. Recorded like any read; read plainly, as the model runs only inline (one thread).
 */
export function modelStateLoad(a: Int32Array, i: number): number {
  if (footprint.on) footprint.reads.push(i);
  return a[i];
}

/** A memory model writes a word of its own state (see modelStateLoad): recorded and undoable like any write. */
export function modelStateStore(a: Int32Array, i: number, v: number): void {
  if (footprint.on) footprint.writes.push(i);
  if (undo.on) undo.keep(i);
  a[i] = v;
}

/**
 * The latest executed write, never through a memory model: for a check that judges the global
 * state from inside a step (a ghost oracle, as an invariant raised there), not for the modelled
 * code's own loads. Recorded in the footprint like any read.
 */
export function latest32(a: Int32Array, i: number): number {
  return plainLoad32(a, i);
}

/** READ_ONCE (or smp_load_acquire); `dep`: the view of its address dependencies (arm64). */
export function ld32(a: Int32Array, i: number, kind: LoadKind = 'plain', dep = 0): number {
  const m = modelFor(i);
  if (m) return m.load(execution.actor, i, lo32(a, i), draw, kind, dep).lo;
  return plainLoad32(a, i);
}

/** WRITE_ONCE (or smp_store_release); `dep`: the view of its address and data dependencies (arm64). */
export function st32(a: Int32Array, i: number, v: number, kind: StoreKind = 'plain', dep = 0): void {
  if (footprint.on) footprint.writes.push(i);
  const m = modelFor(i);
  if (m && !m.store(execution.actor, i, lo32(a, i), draw, { lo: v, hi: 0 }, kind, dep)) return;
  if (undo.on) undo.keep(i);
  Atomics.store(a, i, v);
}

/** A read-modify-write through the model: the new value from the old one, or null to only read. */
function rmw32(m: Arm64Memory, a: Int32Array, i: number, order: RmwOrder, f: (old: number) => number | null): number {
  if (footprint.on) footprint.writes.push(i);
  const r = m.rmw(execution.actor, i, lo32(a, i), order, (o) => {
    const next = f(o.lo);
    return next === null ? null : { lo: next | 0, hi: 0 };
  });
  const next = f(r.lo);
  // The plain word holds the latest write made so far: a promise fulfilled under a later write leaves it.
  if (next !== null && !r.hidden) {
    if (undo.on) undo.keep(i);
    Atomics.store(a, i, next);
  }
  return r.lo;
}

/** compare-and-swap; returns the old value. A failed one only reads. */
export function cas32(a: Int32Array, i: number, expected: number, v: number, order: RmwOrder = 'full'): number {
  const m = modelFor(i);
  if (m) return rmw32(m, a, i, order, (old) => (old === expected ? v : null));
  if (undo.on) undo.keep(i);
  const old = Atomics.compareExchange(a, i, expected, v);
  if (footprint.on) (old === expected ? footprint.writes : footprint.reads).push(i);
  return old;
}

export function xchg32(a: Int32Array, i: number, v: number, order: RmwOrder = 'full'): number {
  const m = modelFor(i);
  if (m) return rmw32(m, a, i, order, () => v);
  if (footprint.on) footprint.writes.push(i);
  if (undo.on) undo.keep(i);
  return Atomics.exchange(a, i, v);
}

/** Returns the old value. */
export function add32(a: Int32Array, i: number, delta: number, order: RmwOrder = 'full'): number {
  const m = modelFor(i);
  if (m) return rmw32(m, a, i, order, (old) => old + delta);
  if (footprint.on) footprint.writes.push(i);
  if (undo.on) undo.keep(i);
  return Atomics.add(a, i, delta);
}

/** Returns the old value. */
export function or32(a: Int32Array, i: number, bits: number, order: RmwOrder = 'full'): number {
  const m = modelFor(i);
  if (m) return rmw32(m, a, i, order, (old) => old | bits);
  if (footprint.on) footprint.writes.push(i);
  if (undo.on) undo.keep(i);
  return Atomics.or(a, i, bits);
}

/** Returns the old value. */
export function and32(a: Int32Array, i: number, bits: number, order: RmwOrder = 'full'): number {
  const m = modelFor(i);
  if (m) return rmw32(m, a, i, order, (old) => old & bits);
  if (footprint.on) footprint.writes.push(i);
  if (undo.on) undo.keep(i);
  return Atomics.and(a, i, bits);
}

export function ld64(a: BigInt64Array, j: number, kind: LoadKind = 'plain', dep = 0): bigint {
  const m = modelFor(2 * j);
  if (m) return join(m.load(execution.actor, 2 * j, both64(a, j), draw, kind, dep));
  return plainLoad64(a, j);
}

export function st64(a: BigInt64Array, j: number, v: bigint, kind: StoreKind = 'plain', dep = 0): void {
  if (footprint.on) footprint.writes.push(2 * j, 2 * j + 1);
  const m = modelFor(2 * j);
  if (m && !m.store(execution.actor, 2 * j, both64(a, j), draw, split(v), kind, dep)) return;
  keep64(j);
  Atomics.store(a, j, v);
}

export function cas64(a: BigInt64Array, j: number, expected: bigint, v: bigint, order: RmwOrder = 'full'): bigint {
  const m = modelFor(2 * j);
  if (m) {
    if (footprint.on) footprint.writes.push(2 * j, 2 * j + 1);
    const r = m.rmw(execution.actor, 2 * j, both64(a, j), order, (o) => (join(o) === BigInt.asIntN(64, expected) ? split(v) : null));
    const old = join(r);
    if (old === BigInt.asIntN(64, expected) && !r.hidden) {
      keep64(j);
      Atomics.store(a, j, v);
    }
    return old;
  }
  keep64(j);
  const old = Atomics.compareExchange(a, j, expected, v);
  if (footprint.on) (old === expected ? footprint.writes : footprint.reads).push(2 * j, 2 * j + 1);
  return old;
}

/** Stores `v` into elements [start, end) (a zeroed table page, say). */
export function fill64(a: BigInt64Array, start: number, end: number, v: bigint): void {
  if (modelFor(2 * start)) {
    for (let j = start; j < end; j++) st64(a, j, v);
    return;
  }
  if (footprint.on) for (let j = start; j < end; j++) footprint.writes.push(2 * j, 2 * j + 1);
  if (undo.on) for (let j = start; j < end; j++) keep64(j);
  a.fill(v, start, end);
}

/**
 * Bumps a statistic that no step, wait or invariant reads (TLB fills, lock acquisitions: figures
 * only). It is left out of every footprint, so counting does not make all steps dependent.
 */
export function count32(a: Int32Array, i: number, delta = 1): void {
  if (footprint.on) footprint.statistics.push(i);
  if (undo.on) undo.keep(i);
  Atomics.add(a, i, delta);
}
