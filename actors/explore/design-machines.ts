// The machines of one design as graphs, with their final states: what coverage is drawn on.
import { designGraphs } from './machine-graph.ts';
import type { AnyScenario } from '../engine/index.ts';
import { buildWorld } from '../engine/index.ts';

export function designMachines(scenario: AnyScenario, design: string, options?: Record<string, unknown>) {
  const world = buildWorld(scenario, design, options);
  const finals = new Map<string, Set<string>>();
  for (const p of world.programs) finals.set(p.machine.id, new Set(p.stateIds.filter((_, i) => p.final[i])));
  return { scenario: scenario.name, design, graphs: designGraphs(world), finals };
}
