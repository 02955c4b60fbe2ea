// How search cost grows with the size of the modelled machine: vmid-rollover and stage2-coalesce
// at 2, 4 and 8 vCPUs (and, for the VMIDs, 2, 4 and 8 physical CPUs), in both modes. Per size:
// steps and runs per second of a holding design, the shared memory a run works on, the resident
// memory threads mode's workers add, and the schedules and time to the first violation of a
// caught design (from a fresh start: workers started but cold). Sizes are set through the
// scenarios' own options (what --set sets).
import { explore, type ExploreResult } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import type { Backend, Mode } from '../actors/engine/index.ts';
import { budgetOf, type AnyScenario, type StrategyName } from '../actors/engine/index.ts';
import type { ScenarioRef } from '../actors/engine/index.ts';
import { ThreadsBackend } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import stage2 from '../scenarios/stage2-coalesce.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import { median } from './stats.ts';

export interface ScalingConfig {
  scenario: AnyScenario;
  ref: ScenarioRef;
  vcpus: number;
  cpus: number;
  /** Scenario options setting the size (as --set would). */
  options: Record<string, unknown>;
  /** Measured for throughput. */
  holds: string;
  /** Measured for the time to its first violation. */
  caught: string;
}

/** VM 0 with two vCPUs (the races need two vCPUs of one VM), the rest one VM each. */
const vcpusPerVm = (n: number) => [2, ...Array<number>(n - 2).fill(1)];

export const SCALING_CONFIGS: readonly ScalingConfig[] = [
  ...(
    [
      [2, 2],
      [4, 2],
      [4, 4],
      [8, 2],
      [8, 4],
      [8, 8],
    ] as const
  ).map(([vcpus, cpus]) => ({ scenario: rollover, ref: CATALOGUE['vmid-rollover'], vcpus, cpus, options: { vcpusPerVm: vcpusPerVm(vcpus), cpus }, holds: 'v2018-lockless', caught: 'v2012-merged' })),
  // One vCPU per CPU, as the scenario places them.
  ...[2, 4, 8].map((vcpus) => ({ scenario: stage2, ref: CATALOGUE['stage2-coalesce'], vcpus, cpus: vcpus, options: { vcpus }, holds: 'bbm-locked', caught: 'bbm-no-tlbi' })),
];

export interface ScalingRow {
  scenario: string;
  vcpus: number;
  cpus: number;
  mode: Mode;
  strategy: StrategyName;
  actors: number;
  stepsPerSec: number;
  runsPerSec: number;
  stepsPerRun: number;
  /** Runs of the throughput samples that hit the step limit (must be 0). */
  stepLimitRuns: number;
  /** The shared memory a run resets and works on. */
  stateBytes: number;
  /** Threads mode: resident memory the started workers added to the process. */
  workersRssBytes: number;
  caughtDesign: string;
  /** Seeds whose search found the caught design's violation within the cap. */
  found: number;
  seeds: number;
  medianSchedulesToViolation: number;
  medianMsToViolation: number;
}

export interface ScalingOptions {
  seconds: number;
  samples: number;
  seeds: number;
  capSeconds: number;
  log: (s: string) => void;
}

/** The design's options with the size applied. */
function options(c: ScalingConfig, design: string): Record<string, unknown> {
  return { ...(c.scenario.designs[design].options ?? {}), ...c.options };
}

async function backendFor(mode: Mode, c: ScalingConfig, design: string): Promise<Backend> {
  const world = buildWorld(c.scenario, design, options(c, design));
  return mode === 'inline' ? new InlineBackend(world, false) : ThreadsBackend.start(world, c.ref);
}

export async function scalingRows(o: ScalingOptions): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const c of SCALING_CONFIGS) {
    const budget = budgetOf(c.scenario);
    const search = (seconds: number, seed: number) => ({ strategy: budget.strategy, depth: budget.depth, iterations: Number.MAX_SAFE_INTEGER, timeSeconds: seconds, seed, stepLimit: budget.stepLimit });
    for (const mode of ['inline', 'threads'] as const) {
      o.log(`scaling: ${c.scenario.name} ${c.vcpus} vCPUs ${c.cpus} CPUs, ${mode}…`);
      const backend = await backendFor(mode, c, c.holds);
      const samples: ExploreResult[] = [];
      let rssWithWorkers = 0;
      try {
        // Warmed up first, as in a long exploration (each thread compiles its own code).
        await explore(backend, search(o.seconds, 0));
        for (let k = 0; k < o.samples; k++) samples.push(await explore(backend, search(o.seconds, k + 1)));
        rssWithWorkers = process.memoryUsage().rss;
      } finally {
        await backend.close();
      }
      // What the workers held: the process's resident memory with them, less without them.
      const workersRssBytes = mode === 'threads' ? Math.max(0, rssWithWorkers - process.memoryUsage().rss) : 0;
      const caught = await backendFor(mode, c, c.caught);
      const schedules: number[] = [];
      const ms: number[] = [];
      try {
        for (let seed = 1; seed <= o.seeds; seed++) {
          const r = await explore(caught, search(o.capSeconds, seed));
          schedules.push(r.violation ? r.violation.iteration + 1 : Infinity);
          ms.push(r.violation ? r.elapsedMs : Infinity);
        }
      } finally {
        await caught.close();
      }
      const world = backend.world;
      rows.push({
        scenario: c.scenario.name,
        vcpus: c.vcpus,
        cpus: c.cpus,
        mode,
        strategy: budget.strategy,
        actors: world.actors.length,
        stepsPerSec: Math.round(median(samples.map((r) => r.steps / (r.elapsedMs / 1000)))),
        runsPerSec: Math.round(median(samples.map((r) => r.iterations / (r.elapsedMs / 1000)))),
        stepsPerRun: Math.round(samples.reduce((s, r) => s + r.steps, 0) / samples.reduce((s, r) => s + r.iterations, 0)),
        stepLimitRuns: samples.reduce((s, r) => s + r.stepLimitRuns, 0),
        stateBytes: world.memory.sab.byteLength,
        workersRssBytes,
        caughtDesign: c.caught,
        found: schedules.filter(Number.isFinite).length,
        seeds: o.seeds,
        medianSchedulesToViolation: median(schedules),
        medianMsToViolation: median(ms),
      });
    }
  }
  return rows;
}
