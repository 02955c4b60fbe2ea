// Parsing of flag values into checked numbers and names; every failure is a UsageError.
import { optionProblem, optionsProblem } from '../actors/engine/index.ts';
import { designContext, type AnyScenario } from '../actors/engine/index.ts';
import { UsageError } from './exit.ts';
import { MEMORY_MODELS, type MemoryModel } from '../actors/trace/index.ts';
import type { Mode } from '../actors/engine/index.ts';

export function integer(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` of at least ${min}`}, got '${value}'`);
  }
  return n;
}

export function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds, got '${value}'`);
  return n;
}

export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

/** `--set key=value` pairs against a scenario's options, their types and declared ranges; values are JSON or strings. */
export function optionOverrides(pairs: string[] | undefined, scenario: AnyScenario): Record<string, unknown> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    const problem = optionProblem(scenario, key, value);
    if (problem) throw new UsageError(problem.replace(/, got .*$/, `, got '${raw}'`));
    out[key] = value;
  }
  return out;
}

/** A design's options with `overrides` on top, refused (exit 2) if they do not fit together. */
export function checkedOptions(scenario: AnyScenario, design: string, overrides: Record<string, unknown> | undefined): Record<string, unknown> {
  const options = designContext(scenario, design, overrides).options as Record<string, unknown>;
  const problem = optionsProblem(scenario, options);
  if (problem) throw new UsageError(problem);
  return options;
}

/** --step-timeout SECONDS: how long a step may take before it counts as a hang, in ms (default 10 s). */
export function stepTimeout(value: string | undefined): number {
  return (seconds('--step-timeout', value) ?? 10) * 1000;
}

/** The memory model a command runs steps under, and arm64's promise steps per actor and run. */
export interface MemorySettings {
  memoryModel: MemoryModel;
  /** arm64 only (undefined: the default); never set under sc. */
  promises?: number;
}

/** --memory sc|arm64 and --promises N (arm64 only: refused with sc). */
export function memorySettings(f: { memory?: string; promises?: string }): MemorySettings {
  const memoryModel = oneOf<MemoryModel>('--memory', f.memory, MEMORY_MODELS) ?? 'sc';
  const promises = integer('--promises', f.promises, 0, 16);
  if (promises !== undefined && memoryModel !== 'arm64') throw new UsageError('--promises applies to --memory arm64 (promises are how arm64 stores overtake earlier accesses)');
  return { memoryModel, ...(promises !== undefined ? { promises } : {}) };
}

/**
 * The mode a command runs in: arm64 runs inline only (an actor's promises are certified by
 * running it alone, which needs every actor in one thread), so an explicit --mode threads is
 * refused there and the default becomes inline.
 */
export function modeFor(flag: string | undefined, fallback: Mode, memory: MemorySettings): Mode {
  const mode = oneOf<Mode>('--mode', flag, ['threads', 'inline']);
  if (memory.memoryModel === 'arm64') {
    if (mode === 'threads') throw new UsageError('--memory arm64 runs inline only (promises are certified by running an actor alone, which needs every actor in one thread): drop --mode threads');
    return 'inline';
  }
  return mode ?? fallback;
}
