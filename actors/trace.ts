// The trace file: everything needed to re-execute a run step for step and to show it.
// Written the moment a violation is found, before anything is printed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Mode } from './backend.ts';

export const TRACE_FORMAT = 'hyprace-trace';
export const TRACE_VERSION = 1;

export interface TraceStep {
  /** Actor index into `actors`. */
  actor: number;
  /** The step's random seed, handed to the actor's STEP event. */
  seed: number;
  /** The values of the step's random draws, when they were chosen explicitly (verify): used instead of the seed. */
  choices?: number[];
  from: string;
  event: 'STEP';
  to: string;
  /** Which of the source state's STEP transitions was taken (-1 if not known). */
  transition: number;
  /** Where the step ran, e.g. "CPU1". */
  where?: string;
  touched: string[];
}

export interface TraceViolation {
  invariant: string;
  message: string;
  /** Index of the step after which it was seen; -1 if before any step. */
  step: number;
}

export interface Trace {
  format: typeof TRACE_FORMAT;
  version: number;
  tool: string;
  scenario: string;
  /** For a user's scenario file: its path. */
  scenarioFile?: string;
  design: string;
  options: Record<string, unknown>;
  mode: Mode;
  strategy: string;
  depth?: number;
  seed: number;
  iteration: number;
  actors: { name: string; daemon: boolean; states: string[] }[];
  steps: TraceStep[];
  violation: TraceViolation | null;
  /** Set when the schedule was shrunk: the length of the run as first found. */
  originalSteps?: number;
}

export class TraceFormatError extends Error {}

export function writeTrace(path: string, trace: Trace): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(trace, null, 1) + '\n');
}

export function readTrace(path: string): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TraceFormatError(`cannot read trace ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let t: unknown;
  try {
    t = JSON.parse(text);
  } catch (e) {
    throw new TraceFormatError(`${path} is not JSON: ${(e as Error).message}`);
  }
  return validateTrace(t, path);
}

function validateTrace(t: unknown, path: string): Trace {
  const bad = (what: string): never => {
    throw new TraceFormatError(`${path} is not a hyprace trace: ${what}`);
  };
  if (!t || typeof t !== 'object') bad('not an object');
  const o = t as Record<string, unknown>;
  if (o.format !== TRACE_FORMAT) bad(`format is ${JSON.stringify(o.format)}, expected "${TRACE_FORMAT}"`);
  if (o.version !== TRACE_VERSION) bad(`version ${JSON.stringify(o.version)} is not supported (this hyprace reads version ${TRACE_VERSION})`);
  for (const k of ['scenario', 'design', 'mode', 'strategy'] as const) if (typeof o[k] !== 'string') bad(`'${k}' is missing`);
  if (typeof o.seed !== 'number') bad(`'seed' is missing`);
  if (!Array.isArray(o.actors)) bad(`'actors' is missing`);
  if (!Array.isArray(o.steps)) bad(`'steps' is missing`);
  const actors = o.actors as unknown[];
  (o.steps as unknown[]).forEach((s, i) => {
    const st = s as Record<string, unknown>;
    if (!st || typeof st !== 'object') bad(`step ${i} is not an object`);
    if (!Number.isInteger(st.actor) || (st.actor as number) < 0 || (st.actor as number) >= actors.length) bad(`step ${i} names no actor`);
    if (typeof st.seed !== 'number') bad(`step ${i} has no seed`);
    if (st.choices !== undefined && (!Array.isArray(st.choices) || !st.choices.every((v) => Number.isInteger(v) && (v as number) >= 0))) bad(`step ${i} has malformed choices`);
    if (typeof st.to !== 'string' || typeof st.from !== 'string') bad(`step ${i} has no from/to state`);
  });
  if (o.options === undefined) o.options = {};
  return o as unknown as Trace;
}
