// A world is one scenario design laid out over shared memory, as seen from one thread: the host
// structures, the actors' definitions and compiled machines, and the engine's control words.
// Every thread that takes part in a run builds the same world over the same buffer.
import { Layout, type Region, type SharedMemory } from '../../host/layout.ts';
import { ViolationBox, setViolationBox } from '../../host/violations.ts';
import { execution } from '../../host/execution.ts';
import { Arm64Memory } from '../../host/memory-model/arm64.ts';
import { memoryModel as memoryModelOf } from '../../host/memory-model/active.ts';
import { dsbHooks } from '../../host/barriers.ts';
import type { MemoryModel } from '../trace/index.ts';
import { promiseActors } from './promises.ts';
import { compileMachine, type CompiledMachine } from './compile.ts';
import { ControlBlock } from './control.ts';
import { designContext, type ActorDefinition, type AnyScenario, type DesignContext, type InvariantDefinition } from './scenario.ts';
import { knownInvariants } from './built-in-invariants.ts';

export interface World {
  readonly scenario: AnyScenario;
  readonly design: DesignContext<Record<string, unknown>>;
  readonly host: unknown;
  readonly memory: SharedMemory;
  readonly actors: readonly ActorDefinition[];
  readonly programs: readonly CompiledMachine[];
  /** Per actor: declared a daemon, or a machine without a final state (it can never finish). */
  readonly daemon: readonly boolean[];
  readonly control: ControlBlock;
  readonly violations: ViolationBox;
  readonly invariants: readonly InvariantDefinition<unknown>[];
  /** The names a raised violation may carry: the scenario's invariants and the built-in ones. */
  readonly knownInvariants: ReadonlySet<string>;
  /** Bytes [0, hostBytes) are the scenario's; zeroed before every run. */
  readonly hostBytes: number;
  /** The named regions of the scenario's memory, in address order. */
  readonly regions: readonly Region[];
  /** The memory model steps run under: sequentially consistent, or arm64 (memory-model/arm64.ts). */
  readonly memoryModel: MemoryModel;
  readonly arm64?: Arm64Memory;
  /** Under arm64 with promises: the first this-many actors are the scenario's, each followed (at index n + i) by its promise daemon. */
  readonly promiseOwners?: number;
  /** Promise steps each actor may take in a run (arm64). */
  readonly promises: number;
  /** Run at every dsb(ish) by an actor (Layout.onDsb: pending TLBIs complete). */
  readonly dsbListeners: readonly ((actor: number) => void)[];
}

export interface WorldOptions {
  memoryModel?: MemoryModel;
  /** arm64: promise steps per actor and run (default 1; 0: stores never overtake). */
  promises?: number;
}

/** arm64's default promise steps per actor and run. */
export const DEFAULT_PROMISES = 1;

export function buildWorld(scenario: AnyScenario, designName: string, options?: Record<string, unknown>, sab?: SharedArrayBuffer, w: WorldOptions = {}): World {
  const design = designContext(scenario, designName, options);
  const layout = new Layout();
  const host = scenario.host(layout, design);
  const regions = [...layout.regions];
  const scenarioActors = scenario.actors(host, design);
  const memoryModel = w.memoryModel ?? 'sc';
  const promises = memoryModel === 'arm64' ? (w.promises ?? DEFAULT_PROMISES) : 0;
  let arm64: Arm64Memory | undefined;
  const actors = promises > 0 ? [...scenarioActors, ...promiseActors(scenarioActors, () => arm64!, promises)] : scenarioActors;
  // The arm64 model's state is part of the scenario's memory: reset with it, saved with it.
  if (memoryModel === 'arm64') arm64 = new Arm64Memory(layout, layout.modelled, Math.ceil(layout.byteLength / 4), actors.length);
  const hostBytes = layout.byteLength;
  const names = new Set<string>();
  for (const a of actors) {
    if (names.has(a.name)) throw new Error(`scenario ${scenario.name}: two actors are named '${a.name}'`);
    names.add(a.name);
  }
  const violations = new ViolationBox(layout);
  const control = new ControlBlock(layout, actors.length);
  const memory = layout.bind(sab);
  const programs = actors.map((a) => compileMachine(a.machine));
  const daemon = actors.map((a, i) => !!a.daemon || !programs[i].final.some(Boolean));
  const invariants = (scenario.invariants as InvariantDefinition<unknown>[]).filter((inv) => !inv.designs || inv.designs.includes(designName));
  const known = new Set(knownInvariants(scenario.invariants));
  const world = { scenario, design, host, memory, actors, programs, daemon, control, violations, invariants, knownInvariants: known, hostBytes, regions, memoryModel, arm64, promises, dsbListeners: layout.dsbListeners, ...(promises > 0 ? { promiseOwners: scenarioActors.length } : {}) };
  activateWorld(world);
  return world;
}

/** Makes `world` the one this thread's host code reports to (a thread may build several). */
export function activateWorld(world: World): void {
  setViolationBox(world.violations);
  memoryModelOf.arm64 = world.arm64;
  dsbHooks.onDsb = world.dsbListeners;
  execution.actorNames = world.actors.map((a) => a.name);
}

/** Free mode: raises the first checked invariant that does not hold now; true if one was raised. */
export function raiseFirstBroken(world: World): boolean {
  for (const inv of world.invariants) {
    const message = inv.check?.(world.host);
    if (message) {
      world.violations.raise(inv.name, message);
      return true;
    }
  }
  return false;
}

/** Zeroes the scenario's memory and writes its initial values: the start of every run. */
export function resetHost(world: World): void {
  activateWorld(world);
  world.memory.u8.fill(0, 0, world.hostBytes);
  world.violations.clear();
  world.scenario.init?.(world.host, world.design);
}
