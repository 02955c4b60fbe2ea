// hyprace compare: every design of a scenario under the same budget, side by side: the figures
// the scenario reports (mean per run), schedules, and the verdict each design reached.
import { DEFAULT_PROMISES } from '../../actors/engine/index.ts';
import { budgetOf } from '../../actors/engine/index.ts';
import { exploreUnderBudget } from '../budgeted.ts';
import { withJobPools, type JobPools } from '../../actors/explore/index.ts';
import { integer, memorySettings, modeFor, seconds, stepTimeout } from '../args.ts';
import { EXIT, UsageError } from '../exit.ts';
import { printJson, table } from '../format.ts';
import { Progress } from '../progress.ts';
import { blamingUserFile, resolveScenario } from '../resolve.ts';
import { infeasibleLines, memoryText, stepLimitLines } from './explore.ts';
import { invariantFilter } from '../invariants.ts';
import { checkTraceDir, traceProblem } from '../trace-dir.ts';
import { expectedUnder, verdictOf, type CheckVerdict } from './check.ts';
import type { ExploreResult } from '../../actors/explore/index.ts';

export interface CompareFlags {
  design?: string[];
  mode?: string;
  iterations?: string;
  time?: string;
  seed?: string;
  traceDir: string;
  json?: boolean;
  typecheck?: boolean;
  invariant?: string[];
  stepTimeout?: string;
  memory?: string;
  promises?: string;
}

export interface CompareColumn {
  design: string;
  expected: string;
  got: CheckVerdict;
  invariant: string | null;
  runs: number;
  /** Runs cut at the step limit, and those whose non-daemon actors were still stepping there. */
  stepLimitRuns: number;
  /** arm64: schedules dropped because an actor could not keep a store it promised. */
  infeasibleRuns: number;
  livelock: ExploreResult['livelock'];
  steps: number;
  /** Each figure's mean over the runs. */
  figures: Record<string, number>;
  /** Steps during which some actor waited, by what it waited for: mean per run. */
  blockedSteps: Record<string, number>;
}

export async function compareCommand(scenarioArg: string, f: CompareFlags): Promise<number> {
  // Inline job workers serve design after design, and end with the command, whatever happens.
  return withJobPools((pools) => compareWith(scenarioArg, f, pools));
}

async function compareWith(scenarioArg: string, f: CompareFlags, pools: JobPools): Promise<number> {
  const resolved = await resolveScenario(scenarioArg, { typecheck: f.typecheck });
  const { scenario } = resolved;
  const budget = budgetOf(scenario);
  const memory = memorySettings(f);
  const mode = modeFor(f.mode, 'inline', memory);
  const iterations = integer('--iterations', f.iterations, 1) ?? (f.time ? Number.MAX_SAFE_INTEGER : Math.min(budget.iterations, 500));
  const timeSeconds = seconds('--time', f.time) ?? (f.iterations ? Number.MAX_SAFE_INTEGER / 1000 : budget.timeSeconds);
  const seed = integer('--seed', f.seed, 0, 2 ** 32 - 1) ?? 1;
  const stepTimeoutMs = stepTimeout(f.stepTimeout);
  const designs = f.design?.length ? f.design : Object.keys(scenario.designs);
  for (const d of designs) if (!(d in scenario.designs)) throw new UsageError(`scenario ${scenario.name} has no design '${d}' (designs: ${Object.keys(scenario.designs).join(', ')})`);
  const only = invariantFilter(scenario, f.invariant);
  checkTraceDir(f.traceDir);
  const progress = Progress.forOutput(!!f.json);
  const columns: CompareColumn[] = [];
  for (const design of designs) {
    const r = await blamingUserFile(resolved.file, () => exploreUnderBudget(resolved, design, { mode, jobs: 1, seed, traceDir: f.traceDir, iterations, timeSeconds, progress, shrinkMs: 0, only, stepTimeoutMs, memory, pools }));
    const perRun = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, r.iterations ? v / r.iterations : 0]));
    columns.push({
      design,
      expected: expectedUnder(scenario.designs[design], memory),
      got: verdictOf(r),
      invariant: r.violation?.invariant ?? null,
      runs: r.iterations,
      stepLimitRuns: r.stepLimitRuns,
      infeasibleRuns: r.infeasibleRuns,
      livelock: r.livelock,
      steps: r.steps,
      figures: perRun(r.figures),
      blockedSteps: perRun(r.blockedSteps),
    });
    const problem = r.violation && traceProblem(r.violation);
    if (problem) throw new Error(`${scenario.name}/${design}: ${problem}`);
  }
  if (f.json) {
    printJson({ scenario: scenario.name, mode, memory: memory.memoryModel, ...(memory.memoryModel === 'arm64' ? { promises: memory.promises ?? DEFAULT_PROMISES } : {}), seed, designs: columns });
    return EXIT.OK;
  }
  const names = [...new Set(columns.flatMap((c) => Object.keys(c.figures)))];
  const rows = [
    ['verdict', ...columns.map((c) => (c.got === 'caught' ? `caught: ${c.invariant}` : c.got === 'unfinished' ? `unfinished: ${c.stepLimitRuns} runs at the step limit${c.livelock ? ' (livelock?)' : ''}` : 'holds'))],
    ['expected', ...columns.map((c) => c.expected)],
    ['runs', ...columns.map((c) => String(c.runs))],
    ...names.map((n) => [`${n} (mean/run)`, ...columns.map((c) => fmt(c.figures[n]))]),
    ...[...new Set(columns.flatMap((c) => Object.keys(c.blockedSteps)))].map((w) => [`steps waiting for ${w} (mean/run)`, ...columns.map((c) => fmt(c.blockedSteps[w] ?? 0))]),
  ];
  console.log(table(['', ...columns.map((c) => c.design)], rows));
  for (const c of columns.filter((x) => x.got === 'unfinished')) console.log(`\n${c.design}: ${stepLimitLines({ ...c, iterations: c.runs }).join('; ')}`);
  for (const c of columns.filter((x) => x.infeasibleRuns)) console.log(`\n${c.design}: ${infeasibleLines({ ...c, iterations: c.runs }).join('; ')}`);
  console.log(`\n${scenario.name}, ${mode}, ${memoryText(memory)}seed ${seed}; a design that breaks an invariant stops at that run, so its figures cover the runs before it${only ? '' : ' (--invariant narrows what is checked)'}`);
  return EXIT.OK;
}

function fmt(x: number | undefined): string {
  if (x === undefined) return '-';
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
