// The strategies by name, for the CLI and the explorer.
import type { StrategyName } from '../scenario.ts';
import { PctScheduler } from './pct.ts';
import { RandomScheduler } from './random.ts';
import { RoundRobinScheduler } from './round-robin.ts';
import type { Scheduler } from './scheduler.ts';

export const STRATEGIES: readonly StrategyName[] = ['random', 'pct', 'rr'];

export function createScheduler(strategy: StrategyName, depth: number): Scheduler {
  switch (strategy) {
    case 'random':
      return new RandomScheduler();
    case 'pct':
      return new PctScheduler(depth);
    case 'rr':
      return new RoundRobinScheduler();
  }
}

export type { Scheduler } from './scheduler.ts';
export { ReplayScheduler } from './replay.ts';
export { ReplayDivergence } from './scheduler.ts';
