// Loads a scenario module by URL: the built-in catalogue's files and users' own files alike,
// in the main thread and in every worker.
import type { AnyScenario } from './scenario.ts';

export interface ScenarioRef {
  /** file: URL of the module. */
  module: string;
  /** The export holding the scenario; 'default' if omitted. */
  exportName?: string;
}

export class ScenarioLoadError extends Error {}

export async function loadScenario(ref: ScenarioRef): Promise<AnyScenario> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const name = ref.exportName ?? 'default';
  const s = mod[name] as AnyScenario | undefined;
  if (!s || typeof s !== 'object') throw new ScenarioLoadError(`${ref.module} has no '${name}' export holding a scenario`);
  return s;
}
