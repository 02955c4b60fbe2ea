// From what the user typed (a catalogue name, or a path to their own scenario file) to a
// loaded scenario and the reference workers use to load it again.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadScenario, type ScenarioRef } from '../actors/scenario-loader.ts';
import type { AnyScenario } from '../actors/scenario.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import { UsageError } from './exit.ts';

export interface ResolvedScenario {
  ref: ScenarioRef;
  scenario: AnyScenario;
  /** The user's file, when not from the catalogue. */
  file?: string;
}

export function looksLikePath(arg: string): boolean {
  return arg.includes('/') || /\.(ts|mts|js|mjs)$/.test(arg);
}

export async function resolveScenario(arg: string): Promise<ResolvedScenario> {
  if (!looksLikePath(arg)) {
    const ref = CATALOGUE[arg];
    if (!ref) throw new UsageError(`unknown scenario '${arg}' (built in: ${Object.keys(CATALOGUE).join(', ')}; or give a path to a scenario file)`);
    return { ref, scenario: await loadScenario(ref) };
  }
  const file = resolve(arg);
  if (!existsSync(file)) throw new UsageError(`scenario file ${arg} does not exist`);
  const ref = { module: pathToFileURL(file).href };
  try {
    return { ref, scenario: await loadScenario(ref), file };
  } catch (e) {
    throw new UsageError(`cannot load scenario file ${arg}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

export async function allScenarios(): Promise<ResolvedScenario[]> {
  return Promise.all(Object.keys(CATALOGUE).map(resolveScenario));
}

export function checkDesign(s: AnyScenario, design: string | undefined): string {
  const names = Object.keys(s.designs);
  if (design === undefined) return names[0];
  if (!names.includes(design)) throw new UsageError(`scenario ${s.name} has no design '${design}' (designs: ${names.join(', ')})`);
  return design;
}
