// --invariant NAME: which invariants a command checks, validated against the scenario's own
// and the built-in ones.
import type { AnyScenario } from '../actors/scenario.ts';
import { UsageError } from './exit.ts';

const BUILT_IN = ['deadlock', 'lock-discipline'];

export function invariantFilter(scenario: AnyScenario, names: string[] | undefined): ReadonlySet<string> | undefined {
  if (!names?.length) return undefined;
  const known = new Set(scenario.invariants.map((i) => i.name).concat(BUILT_IN));
  for (const inv of names) if (!known.has(inv)) throw new UsageError(`scenario ${scenario.name} has no invariant '${inv}' (invariants: ${[...known].join(', ')})`);
  return new Set(names);
}
