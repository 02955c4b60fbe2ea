// hyprace explore: search one design for an invariant violation.
import { invariantFilter } from '../invariants.ts';
import { DEFAULT_BUDGET, budgetOf, type StrategyName } from '../../actors/engine/index.ts';
import { designCoverage, designGraphs } from '../../actors/explore/index.ts';
import type { ExploreResult, FoundViolation } from '../../actors/explore/index.ts';
import { DEFAULT_PROMISES, buildWorld } from '../../actors/engine/index.ts';
import { STRATEGIES } from '../../actors/engine/index.ts';
import { exploreDesign } from '../../actors/explore/index.ts';
import type { Mode } from '../../actors/engine/index.ts';
import type { MemorySettings } from '../args.ts';
import { checkedOptions, integer, memorySettings, modeFor, oneOf, optionOverrides, seconds, stepTimeout } from '../args.ts';
import { EXIT, UsageError } from '../exit.ts';
import { count, duration, printJson } from '../format.ts';
import { Progress } from '../progress.ts';
import { blamingUserFile, checkDesign, resolveScenario } from '../resolve.ts';
import { checkTraceDir, traceProblem } from '../trace-dir.ts';
import { embedTrace, sampledShare, shardOf, shardSettings, writeShardFile, type EmbeddedTrace, type Shard } from '../shard.ts';
import type { AnyScenario } from '../../actors/engine/index.ts';

export interface ExploreFlags {
  design?: string;
  strategy?: string;
  depth?: string;
  iterations?: string;
  time?: string;
  seed?: string;
  mode?: string;
  jobs?: string;
  traceDir: string;
  stepLimit?: string;
  invariant?: string[];
  set?: string[];
  json?: boolean;
  typecheck?: boolean;
  shrink?: boolean;
  shrinkTime?: string;
  stepTimeout?: string;
  memory?: string;
  promises?: string;
  shard?: string;
  out?: string;
}

/** What explore's output says besides the result: how the search was made. */
export interface ExploreSettings {
  strategy: StrategyName;
  depth: number;
  mode: Mode;
  jobs: number;
  seed: number;
  stepLimit: number;
  options?: Record<string, unknown>;
  memory: MemorySettings;
}

/** One shard's share of an explore: its result (the violation's trace inside) and how it was made. */
export interface ExploreShard {
  settings: ExploreSettings;
  result: ExploreResult;
  trace: EmbeddedTrace | null;
}

export const MODES: readonly Mode[] = ['threads', 'inline'];

/** How long a found violation's schedule is shrunk for before its trace is written. */
export const DEFAULT_SHRINK_SECONDS = 5;

export async function exploreCommand(scenarioArg: string, f: ExploreFlags): Promise<number> {
  const shard = shardOf(f.shard) ?? (f.out ? { index: 1, count: 1 } : undefined);
  const { ref, scenario, file } = await resolveScenario(scenarioArg, { typecheck: f.typecheck });
  const design = checkDesign(scenario, f.design);
  const budget = budgetOf(scenario);
  const strategy = oneOf<StrategyName>('--strategy', f.strategy, STRATEGIES) ?? budget.strategy;
  const depth = integer('--depth', f.depth, 1, 64) ?? budget.depth;
  if (f.depth !== undefined && strategy !== 'pct') throw new UsageError(`--depth is PCT's bug depth; this search uses strategy ${strategy} (add --strategy pct)`);
  const iterations = integer('--iterations', f.iterations, 1) ?? (f.time ? Number.MAX_SAFE_INTEGER : budget.iterations);
  const timeSeconds = seconds('--time', f.time) ?? (f.iterations ? Number.MAX_SAFE_INTEGER / 1000 : budget.timeSeconds);
  const seed = integer('--seed', f.seed, 0, 2 ** 32 - 1) ?? 1;
  const memory = memorySettings(f);
  const mode = modeFor(f.mode, 'threads', memory);
  const jobs = integer('--jobs', f.jobs, 1, 256) ?? 1;
  const stepLimit = integer('--step-limit', f.stepLimit, 1) ?? budget.stepLimit ?? DEFAULT_BUDGET.stepLimit;
  if (jobs > 1 && mode !== 'inline') throw new UsageError('--jobs runs independent runs inline in parallel workers: add --mode inline');
  const only = invariantFilter(scenario, f.invariant);
  const options = optionOverrides(f.set, scenario);
  checkedOptions(scenario, design, options);
  const shrinkSeconds = seconds('--shrink-time', f.shrinkTime) ?? DEFAULT_SHRINK_SECONDS;
  const stepTimeoutMs = stepTimeout(f.stepTimeout);
  checkTraceDir(f.traceDir);
  if (f.out) checkTraceDir(f.out, '--out');

  const progress = Progress.forOutput(!!f.json);
  const result = await blamingUserFile(file, () => exploreDesign(ref, scenario, design, {
    ...memory,
    mode,
    jobs,
    options,
    strategy,
    depth,
    ...sampledShare(iterations, shard),
    timeSeconds,
    seed,
    stepLimit,
    daemonOnlySteps: budget.daemonOnlySteps,
    stepTimeoutMs,
    traceDir: f.traceDir,
    only,
    scenarioFile: file,
    shrinkMs: f.shrink === false ? 0 : shrinkSeconds * 1000,
    onProgress: (p) => progress.update(`${scenario.name}/${design}`, p),
  })).finally(() => progress.done());

  const settings: ExploreSettings = { strategy, depth, mode, jobs, seed, stepLimit, options, memory };
  if (!f.out) return printExplore(scenario, design, result, settings, !!f.json, shard);
  const shardFile = writeShardFile<ExploreShard>(f.out, {
    command: 'explore',
    shard: shard!,
    settings: shardSettings({ scenario: scenarioArg }, f),
    elapsedMs: result.elapsedMs,
    result: { settings, result, trace: embedTrace(result.violation?.trace) },
  });
  const exit = printExplore(scenario, design, result, settings, !!f.json, shard);
  if (!f.json) console.log(`shard result: ${shardFile} (hyprace merge gives the verdict of all shards)`);
  // The verdict is merge's to give: a batch engine must not retry a shard that found something.
  return exit === EXIT.VIOLATION ? EXIT.OK : exit;
}

/** What explore prints for `result` (human or JSON), and its exit code; merge prints merged shards through it too. */
export function printExplore(scenario: AnyScenario, design: string, result: ExploreResult, s: ExploreSettings, json: boolean, shard?: Shard, shards?: number): number {
  const { strategy, depth, mode, jobs, seed, stepLimit, options, memory } = s;
  const v = result.violation;
  if (json) {
    printJson({
      scenario: result.scenario,
      design: result.design,
      strategy: result.strategy,
      ...(strategy === 'pct' ? { depth } : {}),
      mode: result.mode,
      memory: memory.memoryModel,
      ...(memory.memoryModel === 'arm64' ? { promises: memory.promises ?? DEFAULT_PROMISES } : {}),
      seed: result.seed,
      iterations: result.iterations,
      steps: result.steps,
      elapsedMs: result.elapsedMs,
      violation: v
        ? { invariant: v.invariant, message: v.message, iteration: v.iteration, step: v.step, trace: v.trace, steps: v.steps, ...(v.shrunk ? { shrunk: v.shrunk } : {}), ...(v.shrinkFailed ? { shrinkFailed: v.shrinkFailed } : {}), ...(v.traceFailed ? { traceFailed: v.traceFailed } : {}) }
        : null,
      stepLimit,
      stepLimitRuns: result.stepLimitRuns,
      ...(memory.memoryModel === 'arm64' ? { infeasibleRuns: result.infeasibleRuns, refusedSteps: result.refusedSteps ?? 0 } : {}),
      livelock: result.livelock,
      figures: result.figures,
      coverage: designCoverage(designGraphs(buildWorld(scenario, design, options)), result.coverage.machines, scenario.name, design),
      ...(shard ? { shard } : {}),
      ...(shards ? { shards } : {}),
    });
    return v ? violationExit(v) : EXIT.OK;
  }
  const split = shard ? `, shard ${shard.index}/${shard.count}` : shards ? `, merged from ${shards} shards` : '';
  const how = `${strategy}${strategy === 'pct' ? ` depth ${depth}` : ''}, ${mode}${jobs > 1 ? ` x${jobs}` : ''}, ${memoryText(memory)}seed ${seed}${split}`;
  console.log(`${scenario.name} / ${design} (${how})`);
  if (v) {
    console.log(`VIOLATION of ${v.invariant} in run ${v.iteration}, step ${v.step} (after ${count(result.iterations, 'run')}, ${count(result.steps, 'step')}, ${duration(result.elapsedMs)}):`);
    console.log(`  ${v.message}`);
    if (v.shrunk) {
      const s = v.shrunk;
      console.log(`  shrunk from ${count(s.originalSteps, 'step')} (${count(s.originalSwitches, 'context switch', 'context switches')}) to ${count(v.steps, 'step')} (${count(s.switches, 'switch', 'switches')}), ${count(s.candidates, 'candidate')} in ${duration(s.elapsedMs)}`);
    }
    if (v.trace) {
      console.log(`  trace: ${v.trace}${v.shrinkFailed ? ' (as found: shrinking failed)' : ''}`);
      console.log(`  replay it step by step: hyprace replay ${v.trace}`);
    }
    return violationExit(v);
  }
  console.log(`no violation in ${result.iterations} runs, ${result.steps} steps, ${duration(result.elapsedMs)}`);
  for (const line of [...infeasibleLines(result), ...stepLimitLines(result, stepLimit)]) console.log(`  ${line}`);
  return EXIT.OK;
}

/** Exit 1 for a violation, or after it is printed, exit 3 if its trace could not be made as it should. */
function violationExit(v: FoundViolation): number {
  const problem = traceProblem(v);
  if (problem) throw new Error(problem);
  return EXIT.VIOLATION;
}

/** The memory model in a command's heading: nothing for sc, the default. */
export function memoryText(m: MemorySettings): string {
  return m.memoryModel === 'sc' ? '' : `memory ${m.memoryModel}, ${m.promises ?? DEFAULT_PROMISES} promise${(m.promises ?? DEFAULT_PROMISES) === 1 ? '' : 's'} per actor, `;
}

/** arm64: schedules dropped because an actor could not keep a store it had promised (not executions of the model). */
export function infeasibleLines(r: Pick<ExploreResult, 'infeasibleRuns' | 'iterations' | 'refusedSteps'>): string[] {
  const lines = r.infeasibleRuns ? [`${r.infeasibleRuns} of ${r.iterations} runs were dropped as infeasible: an actor could no longer make a store it had promised (not an arm64 execution)`] : [];
  if (r.refusedSteps) lines.push(`${r.refusedSteps} steps were picked but not taken: after them an actor (theirs or another) could not have kept its promises, so another step was picked`);
  return lines;
}

/** What runs cut at the step limit mean: a possible livelock, or daemons alone for a while. */
export function stepLimitLines(r: Pick<ExploreResult, 'stepLimitRuns' | 'iterations' | 'livelock'>, stepLimit?: number): string[] {
  if (!r.stepLimitRuns) return [];
  const lines = [`${r.stepLimitRuns} of ${r.iterations} runs reached the step limit${stepLimit ? ` of ${stepLimit}` : ''} before every actor finished`];
  if (r.livelock) lines.push(`possible livelock: in ${r.livelock.runs} of them ${r.livelock.actors.join(', ')} kept stepping without finishing`);
  if (!r.livelock || r.livelock.runs < r.stepLimitRuns) lines.push(`in ${r.stepLimitRuns - (r.livelock?.runs ?? 0)} of them only daemons were stepping at the end`);
  return lines;
}
