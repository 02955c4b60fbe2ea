// process.exit() called by a scenario's action or guard would end hyprace (or, in a worker, the
// worker) without a word. Inside a step it throws instead, so the step fails like any other,
// with the actor and state named; outside steps process.exit() is left as it is.
import { execution } from '../../host/execution.ts';

export class ProcessExitInStep extends Error {
  constructor(readonly code: string | number | null | undefined) {
    super(`process.exit(${code ?? ''}) called in a step`);
  }
}

let guarded = false;

/** Installs the guard in this thread (once). */
export function guardProcessExit(): void {
  if (guarded) return;
  guarded = true;
  const exit = process.exit;
  process.exit = function (this: NodeJS.Process, code?: string | number | null) {
    if (execution.actor >= 0) throw new ProcessExitInStep(code);
    return exit.call(this, code);
  } as typeof process.exit;
}
