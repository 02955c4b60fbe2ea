// --invariant NAME: which invariants a command checks, validated against the scenario's own
// and the built-in ones.
import { knownInvariants } from '../actors/engine/index.ts';
import type { AnyScenario } from '../actors/engine/index.ts';
import { UsageError } from './exit.ts';

export function invariantFilter(scenario: AnyScenario, names: string[] | undefined): ReadonlySet<string> | undefined {
  if (!names?.length) return undefined;
  const known = knownInvariants(scenario.invariants);
  for (const inv of names) if (!known.includes(inv)) throw new UsageError(`scenario ${scenario.name} has no invariant '${inv}' (invariants: ${known.join(', ')})`);
  return new Set(names);
}
