// The trace file: everything that decides a run (scenario, design, every option, the invariants
// checked, the memory model, the bounds, each step's actor and seed), so that it re-executes
// step for step, and what is needed to show it. Written the moment a violation is found, before
// anything is printed, under a name no other trace takes and in one piece (temp file + rename).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically } from './atomic-write.ts';
import type { Mode } from '../engine/index.ts';

export const TRACE_FORMAT = 'hyprace-trace';
/** 2: the invariant filter, memory model and bounds are recorded; replay compares transitions. */
export const TRACE_VERSION = 2;
/** Memory models this hyprace replays: sequential consistency (every access in step order), and arm64 (host/memory-model/arm64.ts). */
export const MEMORY_MODELS = ['sc', 'arm64'] as const;
export type MemoryModel = (typeof MEMORY_MODELS)[number];

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
  /** Which branch it took out of the choice state it entered, if it entered one. */
  branch?: number;
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
  /** Every option of the run, resolved: scenario defaults, the design's, then --set. */
  options: Record<string, unknown>;
  /** The invariants checked (--invariant); all of the design's and the built-in ones if absent. */
  only?: string[];
  memory: MemoryModel;
  /** arm64: promise steps each actor could take per run (the world's promise daemons depend on it). */
  promises?: number;
  /** The run's step bound, and how long only daemons may run before it is a deadlock. */
  stepLimit: number;
  daemonOnlySteps: number;
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

/**
 * Writes `trace` into `dir` as `<stem>-<hash>.trace.json`, the hash over its content: traces
 * that differ in anything (options, filter, shrinking, steps) never share a name, and a file
 * appears whole or not at all. Returns the path.
 */
export function writeTrace(dir: string, stem: string, trace: Trace): string {
  const text = JSON.stringify(trace, null, 1) + '\n';
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return writeAtomically(join(dir, `${stem}-${hash}.trace.json`), text);
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
  if (o.version !== TRACE_VERSION) {
    throw new TraceFormatError(`${path} is a trace of format version ${JSON.stringify(o.version)}, which this hyprace cannot replay (it replays version ${TRACE_VERSION}): explore again to record it anew`);
  }
  if (!(MEMORY_MODELS as readonly unknown[]).includes(o.memory)) {
    throw new TraceFormatError(`${path} was recorded under memory model ${JSON.stringify(o.memory)}, which this hyprace cannot replay (it replays: ${MEMORY_MODELS.join(', ')})`);
  }
  if (o.memory === 'arm64' && (!Number.isInteger(o.promises) || (o.promises as number) < 0 || (o.promises as number) > 16)) bad(`'promises' (arm64's promise steps per actor) is missing or not an integer from 0 to 16`);
  for (const k of ['stepLimit', 'daemonOnlySteps'] as const) if (!Number.isInteger(o[k]) || (o[k] as number) < 1) bad(`'${k}' is missing`);
  if (o.only !== undefined && (!Array.isArray(o.only) || o.only.some((x) => typeof x !== 'string'))) bad(`'only' is not a list of invariant names`);
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
    if (!Number.isInteger(st.transition)) bad(`step ${i} has no transition`);
    if (st.branch !== undefined && (!Number.isInteger(st.branch) || (st.branch as number) < 0)) bad(`step ${i} has a malformed branch`);
  });
  if (!o.options || typeof o.options !== 'object' || Array.isArray(o.options)) bad(`'options' is missing`);
  return o as unknown as Trace;
}
