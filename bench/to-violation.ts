// How fast each strategy finds each caught design's violation: the median, over seeds, of runs
// (schedules) and milliseconds to the first violation, inline in one thread.
import { explore } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import type { AnyScenario, StrategyName } from '../actors/engine/index.ts';
import { budgetOf } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { median } from './stats.ts';

export interface ToViolation {
  scenario: string;
  design: string;
  strategy: StrategyName;
  depth?: number;
  seeds: number;
  found: number;
  medianSchedules: number;
  medianMs: number;
}

export async function toViolation(scenario: AnyScenario, design: string, strategy: StrategyName, seeds: number, capSeconds: number): Promise<ToViolation> {
  const budget = budgetOf(scenario);
  const backend = new InlineBackend(buildWorld(scenario, design), false);
  const schedules: number[] = [];
  const ms: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const r = await explore(backend, { strategy, depth: budget.depth, iterations: Number.MAX_SAFE_INTEGER, timeSeconds: capSeconds, seed, stepLimit: budget.stepLimit });
    schedules.push(r.violation ? r.violation.iteration + 1 : Infinity);
    ms.push(r.violation ? r.elapsedMs : Infinity);
  }
  return {
    scenario: scenario.name,
    design,
    strategy,
    ...(strategy === 'pct' ? { depth: budget.depth } : {}),
    seeds,
    found: schedules.filter(Number.isFinite).length,
    medianSchedules: median(schedules),
    medianMs: median(ms),
  };
}
