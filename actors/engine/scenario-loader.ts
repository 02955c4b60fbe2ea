// Loads a scenario module by URL: the built-in catalogue's files and users' own files alike,
// in the main thread and in every worker, and checks that what it exports is a scenario.
import { optionProblem } from './options.ts';
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
  if (!(name in mod)) {
    const others = Object.keys(mod).filter((k) => k !== 'default');
    throw new ScenarioLoadError(`it has no ${name === 'default' ? 'default export' : `export '${name}'`}; export default defineScenario({...})${others.length ? ` (it exports: ${others.join(', ')})` : ''}`);
  }
  validateScenario(mod[name]);
  return mod[name] as AnyScenario;
}

/** Throws a ScenarioLoadError naming the first thing that makes `s` not a scenario. */
export function validateScenario(s: unknown): asserts s is AnyScenario {
  const bad = (what: string): never => {
    throw new ScenarioLoadError(`its scenario ${what}`);
  };
  if (!s || typeof s !== 'object') bad('export is not an object (use defineScenario({...}))');
  const o = s as Record<string, unknown>;
  for (const k of ['name', 'title']) if (typeof o[k] !== 'string' || !(o[k] as string).length) bad(`has no ${k} (a non-empty string)`);
  for (const k of ['host', 'actors']) if (typeof o[k] !== 'function') bad(`has no ${k}() function`);
  if (o.init !== undefined && typeof o.init !== 'function') bad('init is not a function');
  if (o.figures !== undefined && typeof o.figures !== 'function') bad('figures is not a function');
  if (!o.options || typeof o.options !== 'object') bad('has no options object (use {} for none)');
  if (o.checkOptions !== undefined && typeof o.checkOptions !== 'function') bad('checkOptions is not a function');
  if (o.optionSpecs !== undefined) {
    if (!o.optionSpecs || typeof o.optionSpecs !== 'object') bad('optionSpecs is not an object');
    for (const k of Object.keys(o.optionSpecs as object)) if (!(k in (o.options as object))) bad(`declares a range for option '${k}', which its options do not define`);
  }
  if (!o.designs || typeof o.designs !== 'object' || !Object.keys(o.designs).length) bad('has no designs');
  for (const [name, d] of Object.entries(o.designs as Record<string, Record<string, unknown>>)) {
    if (!d || typeof d !== 'object') bad(`design '${name}' is not an object`);
    if (typeof d.description !== 'string') bad(`design '${name}' has no description`);
    if (d.expect !== 'caught' && d.expect !== 'holds') bad(`design '${name}' expects ${JSON.stringify(d.expect)}; expect is 'caught' or 'holds'`);
    if (d.options !== undefined) {
      for (const [k, v] of Object.entries(d.options as object)) {
        if (!(k in (o.options as object))) bad(`design '${name}' sets option '${k}', which the scenario's options do not define`);
        const problem = optionProblem(o as unknown as AnyScenario, k, v);
        if (problem) bad(`design '${name}': ${problem}`);
      }
    }
  }
  if (!Array.isArray(o.invariants)) bad('has no invariants array');
  const names = new Set<string>();
  for (const [i, inv] of (o.invariants as Record<string, unknown>[]).entries()) {
    if (!inv || typeof inv.name !== 'string') bad(`invariant ${i} has no name`);
    if (names.has(inv.name as string)) bad(`has two invariants named '${inv.name}'`);
    names.add(inv.name as string);
    if (typeof inv.description !== 'string') bad(`invariant '${inv.name}' has no description`);
    if (inv.check !== undefined && typeof inv.check !== 'function') bad(`invariant '${inv.name}' has a check that is not a function`);
  }
}
