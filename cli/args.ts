// Parsing of flag values into checked numbers and names; every failure is a UsageError.
import { UsageError } from './exit.ts';

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

/** `--set key=value` pairs against a scenario's option defaults; values are JSON or strings. */
export function optionOverrides(pairs: string[] | undefined, defaults: Record<string, unknown>, scenario: string): Record<string, unknown> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set takes key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (!(key in defaults)) throw new UsageError(`scenario ${scenario} has no option '${key}' (options: ${Object.keys(defaults).join(', ')})`);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    const want = typeof defaults[key];
    if (typeof value !== want && !(Array.isArray(defaults[key]) && Array.isArray(value))) {
      throw new UsageError(`option '${key}' of ${scenario} takes a ${Array.isArray(defaults[key]) ? 'JSON array' : want}, got '${raw}'`);
    }
    out[key] = value;
  }
  return out;
}
