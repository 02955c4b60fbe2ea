// Temporary folders for tests. All of a test run's folders sit in one folder of the system's
// temp folder, named after the process, which the root hook (root-hooks.ts) removes when the run
// ends: `npm test` leaves nothing behind. The name is derived, not remembered, so every copy of
// this module (ESM or CommonJS) removes the same folder.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function runFolder(): string {
  return join(tmpdir(), `hyprace-test-${process.pid}`);
}

export function tempDir(prefix = 'hyprace-test-'): string {
  mkdirSync(runFolder(), { recursive: true });
  return mkdtempSync(join(runFolder(), prefix));
}

export function removeTempDirs(): void {
  rmSync(runFolder(), { recursive: true, force: true });
}
