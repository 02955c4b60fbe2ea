// Scenario options checked against their defaults' types and the scenario's declared ranges and
// choices: what `--set` gives, what a trace records, and what each design sets.
import type { AnyScenario, OptionSpec } from './scenario.ts';

/** Why `value` is not a value of `spec`, or null. */
export function specProblem(spec: OptionSpec | undefined, value: unknown): string | null {
  if (!spec) return null;
  if (spec.choices && !spec.choices.includes(value as string)) return `must be one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}`;
  const numeric = spec.min !== undefined || spec.max !== undefined || spec.integer;
  if (numeric && typeof value !== 'number') return 'must be a number';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'must be a finite number';
    if (spec.integer && !Number.isInteger(value)) return `must be ${range(spec)}`;
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) return `must be ${range(spec)}`;
  }
  if (Array.isArray(value)) {
    if ((spec.minItems !== undefined && value.length < spec.minItems) || (spec.maxItems !== undefined && value.length > spec.maxItems)) {
      return `must have ${spec.minItems ?? 0} to ${spec.maxItems ?? 'any number of'} elements`;
    }
    for (const [i, x] of value.entries()) {
      const p = specProblem(spec.items, x);
      if (p) return `element ${i} ${p}`;
    }
  }
  return null;
}

/** Why `value` cannot be option `key` of `scenario`, or null. */
export function optionProblem(scenario: AnyScenario, key: string, value: unknown): string | null {
  const defaults = scenario.options as Record<string, unknown>;
  if (!(key in defaults)) return `scenario ${scenario.name} has no option '${key}' (options: ${Object.keys(defaults).join(', ')})`;
  const want = defaults[key];
  if (Array.isArray(want) ? !Array.isArray(value) : typeof value !== typeof want) {
    return `option '${key}' of ${scenario.name} takes ${Array.isArray(want) ? 'a JSON array' : `a ${typeof want}`}, got ${JSON.stringify(value)}`;
  }
  const p = specProblem((scenario.optionSpecs as Record<string, OptionSpec> | undefined)?.[key], value);
  return p ? `option '${key}' of ${scenario.name} ${p}, got ${JSON.stringify(value)}` : null;
}

/** Why a complete set of options cannot run `scenario` (each value, then their combination), or null. */
export function optionsProblem(scenario: AnyScenario, options: Record<string, unknown>): string | null {
  for (const [k, v] of Object.entries(options)) {
    const p = optionProblem(scenario, k, v);
    if (p) return p;
  }
  const missing = Object.keys(scenario.options).find((k) => !(k in options));
  if (missing) return `option '${missing}' of ${scenario.name} is missing`;
  const c = scenario.checkOptions?.(options);
  return c ? `options of ${scenario.name}: ${c}` : null;
}

/** "an integer from 1 to 16", "a number from 0 to 1": a spec in words, for messages and listings. */
export function describeSpec(spec: OptionSpec | undefined): string {
  if (!spec) return '';
  if (spec.choices) return `one of ${spec.choices.join(', ')}`;
  if (spec.items || spec.minItems !== undefined || spec.maxItems !== undefined) {
    return `${spec.minItems ?? 0} to ${spec.maxItems ?? 'any number of'} elements${spec.items ? `, each ${describeSpec(spec.items)}` : ''}`;
  }
  return range(spec);
}

function range(spec: OptionSpec): string {
  const what = spec.integer ? 'an integer' : 'a number';
  if (spec.min !== undefined && spec.max !== undefined) return `${what} from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return `${what} of at least ${spec.min}`;
  if (spec.max !== undefined) return `${what} of at most ${spec.max}`;
  return what;
}
