// From what the user typed (a catalogue name, or a path to their own scenario file) to a
// loaded scenario and the reference workers use to load it again.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadScenario, type ScenarioRef } from '../actors/engine/index.ts';
import type { AnyScenario } from '../actors/engine/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import { UsageError } from './exit.ts';
import { firstSourceError } from './typecheck.ts';
import { ActorFailure } from '../actors/engine/index.ts';
import { MachineDefinitionError } from '../actors/engine/index.ts';
import { InvariantError } from '../actors/engine/index.ts';
import { ReplayDivergence } from '../actors/engine/index.ts';

export interface ResolvedScenario {
  ref: ScenarioRef;
  scenario: AnyScenario;
  /** The user's file, when not from the catalogue. */
  file?: string;
}

export function looksLikePath(arg: string): boolean {
  return arg.includes('/') || /\.(ts|mts|js|mjs)$/.test(arg);
}

export interface ResolveOptions {
  /** Type-check a user's file before running it (default true). */
  typecheck?: boolean;
}

export async function resolveScenario(arg: string, o: ResolveOptions = {}): Promise<ResolvedScenario> {
  if (!looksLikePath(arg)) {
    const ref = CATALOGUE[arg];
    if (!ref) throw new UsageError(`unknown scenario '${arg}' (built in: ${Object.keys(CATALOGUE).join(', ')}; or give a path to a scenario file)`);
    return { ref, scenario: await loadScenario(ref) };
  }
  const file = resolve(arg);
  if (!existsSync(file)) throw new UsageError(`scenario file ${arg} does not exist`);
  if (o.typecheck !== false) {
    const error = await firstSourceError(file);
    if (error) throw new UsageError(`scenario file has a ${error.kind} error: ${error.text}`);
  }
  const ref = { module: pathToFileURL(file).href };
  try {
    return { ref, scenario: await loadScenario(ref), file };
  } catch (e) {
    throw new UsageError(`cannot load scenario file ${arg}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

/**
 * Runs `fn`; a fault in a user's scenario file (an action or invariant that throws, a machine
 * hyprace cannot step) becomes bad input naming the file, not an internal failure. A step that
 * hangs, crashes its worker or calls process.exit() stays an internal failure (exit 3), with the
 * file named.
 */
export async function blamingUserFile<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ActorFailure && e.kind !== 'threw') throw file ? new ActorFailure(`${e.message} (scenario file ${file})`, e.actor, e.kind) : e;
    // A replay that diverged is the engine's to answer for.
    const engines = e instanceof ReplayDivergence || e instanceof UsageError;
    if (!file || engines || !(e instanceof Error)) throw e;
    const what = e instanceof InvariantError || e instanceof ActorFailure || e instanceof MachineDefinitionError ? '' : 'threw: ';
    throw new UsageError(`scenario file ${file}: ${what}${e.message.split('\n')[0]}`);
  }
}

export async function allScenarios(): Promise<ResolvedScenario[]> {
  return Promise.all(Object.keys(CATALOGUE).map((name) => resolveScenario(name)));
}

export function checkDesign(s: AnyScenario, design: string | undefined): string {
  const names = Object.keys(s.designs);
  if (design === undefined) return names[0];
  if (!names.includes(design)) throw new UsageError(`scenario ${s.name} has no design '${design}' (designs: ${names.join(', ')})`);
  return design;
}
