// Exit codes, the same for every command, and the error that means "bad input" (exit 2).
export const EXIT = {
  /** As expected: no violation, or every verdict as expected. */
  OK: 0,
  /** A violation was found, or a verdict is not the expected one. */
  VIOLATION: 1,
  /** Bad input: unknown scenario or design, bad flag, unreadable trace or scenario file. */
  USAGE: 2,
  /** Internal failure: a worker crashed or hung, a replay diverged (nondeterminism). */
  INTERNAL: 3,
  /** verify ran out of budget before exploring its whole bounded configuration. */
  INCOMPLETE: 4,
} as const;

export class UsageError extends Error {}
