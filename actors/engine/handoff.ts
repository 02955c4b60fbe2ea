// Passing the turn between threads through one shared word. The scheduling thread, which
// expects an answer within microseconds, spins briefly before it sleeps; actor workers sleep at
// once, because on a machine with few cores an idle spinning worker steals the core the
// stepping one needs (measured: spinning workers made threads mode 2-4x slower on 2 cores).
// While the workers carry a whole run, the main thread has nothing to do but wait for its end:
// it spins then too (by default), which keeps a core busy, so that a worker woken for the turn
// runs at once instead of waiting for an idle core to come out of its sleep state (measured on
// this project's 2-core virtual machine: threads mode about 2x faster; bench: 'main thread asleep').

/** Spins of the scheduling thread before it sleeps while an actor steps. */
export const SCHEDULER_SPIN = 5000;

/** Blocks until a[i] differs from `from` (actor side: sleep at once). */
export function awaitChange(a: Int32Array, i: number, from: number): void {
  while (Atomics.load(a, i) === from) Atomics.wait(a, i, from);
}

/** Scheduler side: spin, then sleep; gives up after `ms` milliseconds; returns whether it changed. */
export function awaitChangeFor(a: Int32Array, i: number, from: number, ms: number): boolean {
  for (let s = 0; s < SCHEDULER_SPIN; s++) if (Atomics.load(a, i) !== from) return true;
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

/** Busy-polls until a[i] differs from `from` or `ms` milliseconds have passed; returns whether it changed. */
export function spinWhile(a: Int32Array, i: number, from: number, ms: number): boolean {
  const deadline = performance.now() + ms;
  do {
    for (let s = 0; s < 256; s++) if (Atomics.load(a, i) !== from) return true;
  } while (performance.now() < deadline);
  return Atomics.load(a, i) !== from;
}
