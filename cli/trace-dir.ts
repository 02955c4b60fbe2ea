// Where traces go: checked before any search, so a finding is never lost to a folder that cannot
// take it; and what a command says when a found violation's trace could not be made.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FoundViolation } from '../actors/explore/index.ts';
import { UsageError } from './exit.ts';

export function checkTraceDir(dir: string, flag = '--trace-dir'): void {
  try {
    mkdirSync(dir, { recursive: true });
    rmSync(mkdtempSync(join(dir, '.hyprace-probe-')), { recursive: true });
  } catch (e) {
    throw new UsageError(`${flag} ${dir} is not a folder hyprace can write to (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The internal failure that goes with a found violation, if any (the violation itself stands): exit 3 after it is printed. */
export function traceProblem(v: FoundViolation): string | null {
  if (v.traceFailed) return `the violation of ${v.invariant} found in run ${v.iteration} has no trace: ${v.traceFailed}`;
  if (v.shrinkFailed) {
    return `hyprace could not shrink the violation of ${v.invariant} found in run ${v.iteration} (${v.shrinkFailed}: nondeterminism in the design, or a bug in hyprace); the schedule as found is in ${v.trace}`;
  }
  return null;
}
