// Passing the turn between threads through one shared word: spin briefly (the other side is
// usually about to answer), then sleep in Atomics.wait. Used by the turn gate and by the
// benchmark's raw ping-pong reference, so the two are measured with the same primitive.

export const SPIN = 2000;

/** Blocks until a[i] differs from `from`. */
export function awaitChange(a: Int32Array, i: number, from: number): void {
  for (let s = 0; s < SPIN; s++) if (Atomics.load(a, i) !== from) return;
  while (Atomics.load(a, i) === from) Atomics.wait(a, i, from);
}

/** Like awaitChange, but gives up after `ms` milliseconds; returns whether it changed. */
export function awaitChangeFor(a: Int32Array, i: number, from: number, ms: number): boolean {
  for (let s = 0; s < SPIN; s++) if (Atomics.load(a, i) !== from) return true;
  const deadline = performance.now() + ms;
  while (Atomics.load(a, i) === from) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(a, i, from, left);
  }
  return true;
}

export function post(a: Int32Array, i: number, v: number): void {
  Atomics.store(a, i, v);
  Atomics.notify(a, i);
}
