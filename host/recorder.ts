// What the current step touched, in the thread that runs it. Host primitives append short
// descriptions while `on`; the runner turns it on around each step it records.
import { threadGlobal } from './thread-global.ts';

export const recorder = threadGlobal('recorder', () => ({
  on: false,
  touches: [] as string[],
}));

/** Adds a line to the current step's touches (shown by replay --touches and the HTML timeline); nothing outside a recorded step. */
export function note(text: string): void {
  if (recorder.on) recorder.touches.push(text);
}

/** Runs `fn` with recording on and returns what it touched. */
export function recordTouches(fn: () => void): string[] {
  const saved = recorder.touches;
  const wasOn = recorder.on;
  recorder.touches = [];
  recorder.on = true;
  try {
    fn();
    return recorder.touches;
  } finally {
    recorder.touches = saved;
    recorder.on = wasOn;
  }
}
