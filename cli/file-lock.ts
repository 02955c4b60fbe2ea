// A lock between hyprace processes that update the same file (two `coverage` runs into one
// --out): a lock file created exclusively next to it, taken around read-merge-write.
import { closeSync, openSync, rmSync, statSync } from 'node:fs';

const WAIT_MS = 30_000;
/** A lock file older than this was left by a process that died holding it. */
const STALE_MS = 60_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (staleSince(lock) > STALE_MS) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} has been held by another hyprace for ${WAIT_MS / 1000} s`);
      else Atomics.wait(sleeper, 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function staleSince(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}
