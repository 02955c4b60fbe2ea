// The one place where modelled code reads and writes shared memory. Every Word, WordArray,
// BigWordArray, lock, TLB and IPI access goes through these functions, so that `verify` can see
// each step's footprint (which words it read and wrote: the dependence relation of partial-order
// reduction) and so that a memory model can later stand between a step and the buffer.
//
// Indices are those of the whole-buffer views (SharedMemory.i32 / .i64); a footprint names words
// in 32-bit units, a 64-bit element j being words 2j and 2j+1.

import { threadGlobal } from './thread-global.ts';

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

export function ld32(a: Int32Array, i: number): number {
  if (footprint.on) footprint.reads.push(i);
  return Atomics.load(a, i);
}

export function st32(a: Int32Array, i: number, v: number): void {
  if (footprint.on) footprint.writes.push(i);
  Atomics.store(a, i, v);
}

/** compare-and-swap; returns the old value. A failed one only reads. */
export function cas32(a: Int32Array, i: number, expected: number, v: number): number {
  const old = Atomics.compareExchange(a, i, expected, v);
  if (footprint.on) (old === expected ? footprint.writes : footprint.reads).push(i);
  return old;
}

export function xchg32(a: Int32Array, i: number, v: number): number {
  if (footprint.on) footprint.writes.push(i);
  return Atomics.exchange(a, i, v);
}

/** Returns the old value. */
export function add32(a: Int32Array, i: number, delta: number): number {
  if (footprint.on) footprint.writes.push(i);
  return Atomics.add(a, i, delta);
}

/** Returns the old value. */
export function or32(a: Int32Array, i: number, bits: number): number {
  if (footprint.on) footprint.writes.push(i);
  return Atomics.or(a, i, bits);
}

/** Returns the old value. */
export function and32(a: Int32Array, i: number, bits: number): number {
  if (footprint.on) footprint.writes.push(i);
  return Atomics.and(a, i, bits);
}

export function ld64(a: BigInt64Array, j: number): bigint {
  if (footprint.on) footprint.reads.push(2 * j, 2 * j + 1);
  return Atomics.load(a, j);
}

export function st64(a: BigInt64Array, j: number, v: bigint): void {
  if (footprint.on) footprint.writes.push(2 * j, 2 * j + 1);
  Atomics.store(a, j, v);
}

export function cas64(a: BigInt64Array, j: number, expected: bigint, v: bigint): bigint {
  const old = Atomics.compareExchange(a, j, expected, v);
  if (footprint.on) (old === expected ? footprint.writes : footprint.reads).push(2 * j, 2 * j + 1);
  return old;
}

/** Stores `v` into elements [start, end) (a zeroed table page, say). */
export function fill64(a: BigInt64Array, start: number, end: number, v: bigint): void {
  if (footprint.on) for (let j = start; j < end; j++) footprint.writes.push(2 * j, 2 * j + 1);
  a.fill(v, start, end);
}

/**
 * Bumps a statistic that no step, wait or invariant reads (TLB fills, lock acquisitions: figures
 * only). It is left out of every footprint, so counting does not make all steps dependent.
 */
export function count32(a: Int32Array, i: number, delta = 1): void {
  if (footprint.on) footprint.statistics.push(i);
  Atomics.add(a, i, delta);
}
