// hyprace coverage: explore every design, merge what the runs exercised into a coverage file
// (later runs add to it), and draw each machine's graph with its coverage.
import { existsSync, readFileSync } from 'node:fs';
import { writeAtomically } from '../../actors/trace/index.ts';
import { withFileLock } from '../file-lock.ts';
import { join } from 'node:path';
import { COVERAGE_FORMAT, emptyCoverage, mergeCoverage, type CoverageData } from '../../actors/explore/index.ts';
import { designMachines } from '../../actors/explore/index.ts';
import { budgetOf } from '../../actors/engine/index.ts';
import { writeCoverageFiles, type MachineReport } from '../../report/coverage-files.ts';
import { integer, memorySettings, modeFor, seconds, stepTimeout } from '../args.ts';
import { exploreUnderBudget } from '../budgeted.ts';
import { withJobPools, type JobPools } from '../../actors/explore/index.ts';
import { EXIT, UsageError } from '../exit.ts';
import { printJson, table } from '../format.ts';
import { Progress } from '../progress.ts';
import { allScenarios, blamingUserFile, resolveScenario } from '../resolve.ts';
import { checkTraceDir } from '../trace-dir.ts';
import { sampledShare, shardOf, shardSettings, writeShardFile, type ShardFile } from '../shard.ts';
import type { AnyScenario } from '../../actors/engine/index.ts';

export interface CoverageFlags {
  out: string;
  design?: string[];
  minTransitions?: string;
  mode?: string;
  iterations?: string;
  time?: string;
  seed?: string;
  json?: boolean;
  typecheck?: boolean;
  stepTimeout?: string;
  shard?: string;
  memory?: string;
  promises?: string;
}

export function readCoverageFile(file: string): CoverageData {
  if (!existsSync(file)) return emptyCoverage();
  let data: CoverageData;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as CoverageData;
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (data?.format !== COVERAGE_FORMAT || data.version !== 1 || typeof data.machines !== 'object') throw new UsageError(`${file} is not a hyprace coverage file`);
  return data;
}

export async function coverageCommand(names: string[], f: CoverageFlags): Promise<number> {
  // Inline job workers serve design after design, and end with the command, whatever happens.
  return withJobPools((pools) => coverageWith(names, f, pools));
}

async function coverageWith(names: string[], f: CoverageFlags, pools: JobPools): Promise<number> {
  const shard = shardOf(f.shard);
  const min = f.minTransitions === undefined ? undefined : Number(f.minTransitions);
  if (min !== undefined && (!Number.isFinite(min) || min < 0 || min > 100)) throw new UsageError(`--min-transitions must be a percentage from 0 to 100, got '${f.minTransitions}'`);
  const memory = memorySettings(f);
  const mode = modeFor(f.mode, 'inline', memory);
  const seed = integer('--seed', f.seed, 0, 2 ** 32 - 1) ?? 1;
  const stepTimeoutMs = stepTimeout(f.stepTimeout);
  const iterationsFlag = integer('--iterations', f.iterations, 1);
  const time = seconds('--time', f.time);
  const scenarios = names.length ? await Promise.all(names.map((n) => resolveScenario(n, { typecheck: f.typecheck }))) : await allScenarios();
  checkTraceDir(f.out, '--out');
  // What this invocation adds; merged into the file as it is at the end, under a lock, so that
  // another hyprace writing the same file meanwhile loses nothing.
  let added = emptyCoverage();
  const progress = Progress.forOutput(!!f.json);
  const explored: { scenario: AnyScenario; design: string }[] = [];
  for (const resolved of scenarios) {
    const { scenario } = resolved;
    const budget = budgetOf(scenario);
    const designs = f.design?.length ? f.design.filter((d) => d in scenario.designs) : Object.keys(scenario.designs);
    for (const d of f.design ?? []) if (!scenarios.some((x) => d in x.scenario.designs)) throw new UsageError(`no scenario given has a design '${d}'`);
    for (const design of designs) {
      const r = await blamingUserFile(resolved.file, () =>
        exploreUnderBudget(resolved, design, {
          mode,
          pools,
          jobs: 2,
          seed,
          traceDir: join(f.out, 'traces'),
          ...sampledShare(iterationsFlag ?? (time ? Number.MAX_SAFE_INTEGER : Math.min(budget.iterations, 2000)), shard),
          timeSeconds: time ?? budget.timeSeconds,
          progress,
          shrinkMs: 0,
          stepTimeoutMs,
          memory,
        }),
      );
      added = mergeCoverage(added, r.coverage);
      explored.push({ scenario, design });
    }
  }
  if (shard) {
    // A shard's coverage goes into its file in --out; merge writes coverage.json and the graphs.
    const shardFile = writeShardFile<CoverageShard>(f.out, {
      command: 'coverage',
      shard,
      settings: shardSettings({ scenarios: names }, f),
      elapsedMs: 0,
      result: { designs: explored.map((e) => ({ scenario: e.scenario.name, design: e.design })), coverage: added },
    });
    if (f.json) printJson({ out: f.out, shard, shardFile });
    else console.log(`shard ${shard.index}/${shard.count} of coverage: ${shardFile} (hyprace merge ${f.out} writes the coverage file and graphs)`);
    return EXIT.OK;
  }
  return finishCoverage(f.out, explored, added, min, !!f.json);
}

/** One shard's share of a coverage run: the designs explored and what its runs covered. */
export interface CoverageShard {
  designs: { scenario: string; design: string }[];
  coverage: CoverageData;
}

/** merge of coverage shards: their coverage added together, into the first folder given to merge. */
export async function mergeCoverageShards(shards: ShardFile<CoverageShard>[], f: { json?: boolean; typecheck?: boolean }, dirs: string[]): Promise<number> {
  const names = (shards[0].settings.scenarios as string[] | undefined) ?? [];
  const scenarios = names.length ? await Promise.all(names.map((n) => resolveScenario(n, { typecheck: f.typecheck }))) : await allScenarios();
  const explored = shards[0].result.designs.map((d) => ({ scenario: scenarios.find((s) => s.scenario.name === d.scenario)!.scenario, design: d.design }));
  const added = shards.map((s) => s.result.coverage).reduce(mergeCoverage);
  const min = shards[0].settings.minTransitions === undefined ? undefined : Number(shards[0].settings.minTransitions);
  return finishCoverage(dirs[0], explored, added, min, !!f.json);
}

/** The coverage file, every machine's graph, the table (or JSON) and the exit code. */
async function finishCoverage(out: string, explored: { scenario: AnyScenario; design: string }[], added: CoverageData, min: number | undefined, json: boolean): Promise<number> {
  const file = join(out, 'coverage.json');
  const before = readCoverageFile(file);
  const reports: MachineReport[] = [];
  for (const { scenario, design } of explored) reports.push(...(await writeCoverageFiles(out, designMachines(scenario, design), mergeCoverage(before, added))));
  withFileLock(file, () => writeAtomically(file, JSON.stringify(mergeCoverage(readCoverageFile(file), added)) + '\n'));
  const pct = (c: { covered: number; total: number }) => (c.total ? (100 * c.covered) / c.total : 100);
  const below = min === undefined ? [] : reports.filter((r) => pct(r.transitions) < min);
  if (json) {
    printJson({ out, coverageFile: file, minTransitions: min ?? null, below: below.map((r) => `${r.scenario}/${r.design}/${r.machine}`), machines: reports.map(({ svg: _svg, ...r }) => r) });
  } else {
    const frac = (c: { covered: number; total: number }) => `${c.covered}/${c.total} (${pct(c).toFixed(0)}%)`;
    console.log(table(['scenario', 'design', 'machine', 'states', 'transitions'], reports.map((r) => [r.scenario, r.design, r.machine, frac(r.states), frac(r.transitions)])));
    const hints = reports.filter((r) => Object.keys(r.uncovered).length);
    for (const r of hints) {
      console.log(`\n${r.scenario}/${r.design}/${r.machine}: states no run reached, and a shortest way there in the graph:`);
      for (const [state, path] of Object.entries(r.uncovered)) console.log(`  ${state}: ${path.join(', ')}`);
    }
    console.log(`\ngraphs (DOT, SVG, Mermaid, JSON) in ${out}/; coverage merged into ${file}`);
    if (below.length) console.log(`${below.length} machines below ${min}% of transitions: ${below.map((r) => `${r.scenario}/${r.design}/${r.machine}`).join(', ')}`);
  }
  return below.length ? EXIT.VIOLATION : EXIT.OK;
}
