// Holding a lock for a while, as locktorture's torture_*_delay() do. Only free mode spends real
// time: under a scheduler a hold is the steps taken while holding, and time means nothing.
import { execution } from './execution.ts';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Busy-waits `us` microseconds (udelay: a short hold keeps the CPU, as a spinlock holder does). */
export function torture_udelay(us: number): void {
  if (execution.mode !== 'free' || us <= 0) return;
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    /* cpu_relax() */
  }
}

/** Sleeps `ms` milliseconds (msleep: a long hold, or a writer kept away on purpose); a stop cuts it short. */
export function torture_msleep(ms: number): void {
  if (execution.mode !== 'free' || ms <= 0) return;
  if (execution.sleep) execution.sleep(ms);
  else Atomics.wait(sleeper, 0, 0, ms);
}
