// hyprace verify: every interleaving (and every value of every random draw) of a design's bounded
// configuration, with partial-order reduction: "verified", a violation with its trace, or
// "incomplete" with how far it got.
import { DEFAULT_BUDGET, DEFAULT_VERIFY_SECONDS, budgetOf, type AnyScenario } from '../../actors/engine/index.ts';
import { verifyDesign, type PreemptionBound, type VerifyResult } from '../../actors/verify/index.ts';
import { verifyJobs } from '../../actors/verify/index.ts';
import { checkedOptions, integer, memorySettings, optionOverrides, seconds } from '../args.ts';
import type { MemoryModel } from '../../actors/trace/index.ts';
import { checkTraceDir, traceProblem } from '../trace-dir.ts';
import { EXIT, UsageError } from '../exit.ts';
import { duration } from '../format.ts';
import { invariantFilter } from '../invariants.ts';
import { Progress } from '../progress.ts';
import { blamingUserFile, checkDesign, resolveScenario, type ResolvedScenario } from '../resolve.ts';
import { DEFAULT_SHRINK_SECONDS } from './explore.ts';
import { embedTrace, shardOf, shardSettings, writeShardFile, type EmbeddedTrace, type Shard } from '../shard.ts';
import type { BoundRecord, VerifyShardResult } from '../../actors/verify/index.ts';

export interface VerifyFlags {
  memory?: string;
  promises?: string;
  design?: string[];
  preemptions?: string;
  maxExecutions?: string;
  time?: string;
  jobs?: string;
  stateCache?: boolean;
  reduction?: boolean;
  stepLimit?: string;
  invariant?: string[];
  set?: string[];
  traceDir: string;
  shrink?: boolean;
  shrinkTime?: string;
  json?: boolean;
  typecheck?: boolean;
  shard?: string;
  out?: string;
}

export interface VerifySettings {
  memoryModel?: MemoryModel;
  promises?: number;
  preemptions?: PreemptionBound;
  maxExecutions: number;
  timeSeconds: number;
  jobs: number;
  stateCache: boolean;
  reduction: boolean;
  stepLimit: number;
  options?: Record<string, unknown>;
  only?: ReadonlySet<string>;
  traceDir: string;
  shrinkMs: number;
  /** Sharded (--shard I/N), or shards merged: the top of the tree split for N x jobs. */
  shards?: number;
}

/** One shard's share of a verify: per design, its result (trace inside) and its bounds. */
export interface VerifyShard {
  settings: VerifySettings;
  designs: (VerifyShardResult & { trace: EmbeddedTrace | null })[];
}

/** What the scenario asks verify for (its verify configuration), with hyprace's defaults. */
export function scenarioVerifySettings(scenario: AnyScenario, traceDir: string): VerifySettings {
  const cfg = scenario.verify ?? {};
  return {
    maxExecutions: Number.MAX_SAFE_INTEGER,
    timeSeconds: cfg.timeSeconds ?? DEFAULT_VERIFY_SECONDS,
    jobs: 1,
    stateCache: cfg.stateCache ?? false,
    reduction: true,
    stepLimit: cfg.stepLimit ?? budgetOf(scenario).stepLimit ?? DEFAULT_BUDGET.stepLimit,
    options: verifyOptions(scenario, undefined),
    traceDir,
    shrinkMs: DEFAULT_SHRINK_SECONDS * 1000,
  };
}

/** The options verify runs a design with: the scenario's verify configuration, then --set. */
export function verifyOptions(s: AnyScenario, overrides: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const base = s.verify?.options as Record<string, unknown> | undefined;
  return base || overrides ? { ...base, ...overrides } : undefined;
}

export function parsePreemptions(v: string | undefined): PreemptionBound | undefined {
  if (v === undefined) return undefined;
  if (v === 'unbounded') return 'unbounded';
  return integer('--preemptions', v, 0, 64);
}

/**
 * Verifies one design in this process or, with jobs > 1, split over worker threads; with a shard,
 * only its subtrees of the split for N x jobs, each bound told to onBound.
 */
export function runVerify(r: ResolvedScenario, design: string, s: VerifySettings, progress: Progress, shard?: Shard, onBound?: (b: BoundRecord) => void): Promise<VerifyResult> {
  const label = `${r.scenario.name}/${design}`;
  const common = {
    preemptions: s.preemptions,
    maxExecutions: s.maxExecutions,
    timeSeconds: s.timeSeconds,
    stepLimit: s.stepLimit,
    only: s.only,
    options: s.options,
    traceDir: s.traceDir,
    shrinkMs: s.shrinkMs,
    scenarioFile: r.file,
    stateCache: s.stateCache,
    reduction: s.reduction,
    memoryModel: s.memoryModel,
    promises: s.promises,
    onProgress: (p: { bound: PreemptionBound; executions: number; elapsedMs: number; progress: number }) =>
      progress.line(`${label}: bound ${p.bound}, ${p.executions} executions, ${(p.elapsedMs / 1000).toFixed(1)} s, ~${Math.round(p.progress * 100)}% of this bound`),
  };
  const run = shard
    ? verifyJobs(r.ref, r.scenario, design, common, s.jobs, { width: shard.count * s.jobs, shard, onBound })
    : s.jobs > 1
      ? verifyJobs(r.ref, r.scenario, design, common, s.jobs)
      : verifyDesign(r.scenario, design, common);
  return run.finally(() => progress.done());
}

export async function verifyCommand(scenarioArg: string, f: VerifyFlags): Promise<number> {
  const given = shardOf(f.shard);
  const r = await resolveScenario(scenarioArg, { typecheck: f.typecheck });
  const { scenario, file } = r;
  const designs = f.design?.length ? f.design.map((d) => checkDesign(scenario, d)) : [checkDesign(scenario, undefined)];
  const settings: VerifySettings = {
    ...scenarioVerifySettings(scenario, f.traceDir),
    preemptions: parsePreemptions(f.preemptions),
    maxExecutions: integer('--max-executions', f.maxExecutions, 1) ?? Number.MAX_SAFE_INTEGER,
    jobs: integer('--jobs', f.jobs, 1, 64) ?? 1,
    reduction: f.reduction !== false,
    ...memorySettings(f),
    options: verifyOptions(scenario, optionOverrides(f.set, scenario)),
    only: invariantFilter(scenario, f.invariant),
    shrinkMs: f.shrink === false ? 0 : (seconds('--shrink-time', f.shrinkTime) ?? DEFAULT_SHRINK_SECONDS) * 1000,
  };
  const time = seconds('--time', f.time);
  if (time) settings.timeSeconds = time;
  if (f.stateCache !== undefined) settings.stateCache = f.stateCache;
  const stepLimit = integer('--step-limit', f.stepLimit, 1);
  if (stepLimit) settings.stepLimit = stepLimit;
  if (!settings.reduction && settings.jobs > 1) throw new UsageError('--no-reduction is a cross-check and runs in one job: drop --jobs');
  if (!settings.reduction && given && given.count > 1) throw new UsageError('--no-reduction is a cross-check and runs in one job: drop --shard');
  // --out alone is shard 1/1: the split of --jobs J, explored whole, in a file merge reads.
  const shard = given ?? (f.out ? { index: 1, count: 1 } : undefined);
  if (shard) settings.shards = shard.count;
  for (const design of designs) checkedOptions(scenario, design, settings.options);
  checkTraceDir(settings.traceDir);
  if (f.out) checkTraceDir(f.out, '--out');
  const progress = Progress.forOutput(!!f.json);
  let exit: number = EXIT.OK;
  const shardResults: VerifyShard['designs'] = [];
  for (const design of designs) {
    const boundRecords: BoundRecord[] = [];
    const result = await blamingUserFile(file, () => runVerify(r, design, settings, progress, shard, (b) => boundRecords.push(structuredClone(b))));
    shardResults.push({ result, bounds: boundRecords, trace: embedTrace(result.violation?.trace) });
    exit = worse(exit, printVerifyResult(result, settings, !!f.json, shard));
  }
  if (!f.out || !shard) return exit;
  const shardFile = writeShardFile<VerifyShard>(f.out, {
    command: 'verify',
    shard,
    settings: shardSettings({ scenario: scenarioArg }, f),
    elapsedMs: Math.max(...shardResults.map((d) => d.result.elapsedMs)),
    result: { settings, designs: shardResults },
  });
  if (!f.json) console.log(`shard result: ${shardFile} (hyprace merge gives the verdict of all shards)`);
  // The verdict is merge's to give: a batch engine must not retry a shard that found something.
  return EXIT.OK;
}

/** Prints one design's result (human or one JSON line) and returns its exit code; merge prints through it too. */
export function printVerifyResult(result: VerifyResult, settings: VerifySettings, json: boolean, shard?: Shard): number {
  if (json) process.stdout.write(JSON.stringify({ ...verifyJson(result, settings), ...(shard ? { shard } : {}) }) + '\n');
  else printVerify(result, settings, shard);
  const problem = result.violation && traceProblem(result.violation);
  if (problem) throw new Error(problem);
  return exitOf(result);
}

/** violation before incomplete before verified. */
export function worse(a: number, b: number): number {
  const rank = (x: number) => (x === EXIT.VIOLATION ? 2 : x === EXIT.INCOMPLETE ? 1 : 0);
  return rank(b) > rank(a) ? b : a;
}

export function exitOf(r: VerifyResult): number {
  return r.verdict === 'violation' ? EXIT.VIOLATION : r.verdict === 'incomplete' ? EXIT.INCOMPLETE : EXIT.OK;
}

export function verifyJson(r: VerifyResult, s: VerifySettings): Record<string, unknown> {
  const v = r.violation;
  return {
    scenario: r.scenario,
    design: r.design,
    verdict: r.verdict,
    executions: r.executions,
    steps: r.steps,
    ...(r.states !== undefined ? { states: r.states, stateBytes: r.stateBytes } : {}),
    preemptionBound: r.preemptionBound,
    elapsedMs: r.elapsedMs,
    violation: v ? { invariant: v.invariant, message: v.message, iteration: v.iteration, step: v.step, trace: v.trace, steps: v.steps, ...(v.shrunk ? { shrunk: v.shrunk } : {}) } : null,
    stepLimit: r.stepLimit,
    stepLimitExecutions: r.stepLimitExecutions,
    sleepBlocked: r.sleepBlocked,
    ...(r.cacheHits !== undefined ? { cacheHits: r.cacheHits } : {}),
    restarts: r.restarts,
    jobs: s.jobs,
    ...(s.shards ? { shards: s.shards } : {}),
    reduction: s.reduction,
    options: r.options,
    visibleRegions: r.visibleRegions,
    ...(r.remaining ? { remaining: r.remaining } : {}),
  };
}

function boundText(b: PreemptionBound | null): string {
  if (b === null) return 'nothing fully explored';
  if (b === 'unbounded') return 'every execution';
  return `every execution with at most ${b} preemption${b === 1 ? '' : 's'}`;
}

function printVerify(r: VerifyResult, s: VerifySettings, shard?: Shard): void {
  const how = [
    s.reduction ? 'DPOR' : 'no reduction (plain enumeration)',
    s.preemptions === 'unbounded' ? 'no preemption bound' : s.preemptions === undefined ? 'preemption bounds 0, 1, 2, ...' : `preemption bounds 0..${s.preemptions}`,
    ...(s.stateCache ? ['state cache'] : []),
    ...(s.jobs > 1 ? [`${s.jobs} jobs`] : []),
    ...(shard ? [`shard ${shard.index}/${shard.count} of the split for ${shard.count * s.jobs} jobs`] : s.shards ? [`merged from ${s.shards} shards, the split for ${s.shards * s.jobs} jobs`] : []),
  ].join(', ');
  console.log(`${r.scenario} / ${r.design} (verify: ${how})`);
  const opts = Object.entries(r.options).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  if (opts) console.log(`  configuration: ${opts}`);
  const states = r.states !== undefined ? `, ${r.states.toLocaleString('en-US')} states (${(r.stateBytes! / 2 ** 20).toFixed(1)} MB)` : '';
  const effort = `${r.executions.toLocaleString('en-US')} executions, ${r.steps.toLocaleString('en-US')} steps${states}, ${duration(r.elapsedMs)}`;
  const v = r.violation;
  if (r.verdict === 'violation' && v) {
    console.log(`VIOLATION of ${v.invariant} at preemption bound ${r.preemptionBound}, execution ${v.iteration}, step ${v.step} (after ${effort}):`);
    console.log(`  ${v.message}`);
    if (v.shrunk) {
      const sh = v.shrunk;
      console.log(`  shrunk from ${sh.originalSteps} steps (${sh.originalSwitches} context switches) to ${v.steps} steps (${sh.switches} switches), ${sh.candidates} candidates in ${duration(sh.elapsedMs)}`);
    }
    if (v.trace) {
      console.log(`  trace: ${v.trace}`);
      console.log(`  replay it step by step: hyprace replay ${v.trace}`);
    }
    return;
  }
  if (r.verdict === 'verified') {
    console.log(`VERIFIED: ${boundText(r.preemptionBound)} within ${r.stepLimit} steps holds every invariant (${effort})`);
  } else {
    const rem = r.remaining!;
    const left = rem.estimatedExecutions !== null ? `, roughly ${rem.estimatedExecutions.toLocaleString('en-US')} executions left by a crude estimate` : '';
    console.log(`INCOMPLETE after ${effort}: ${boundText(r.preemptionBound)} holds every invariant; bound ${rem.bound}: about ${Math.round(rem.progress * 100)}% explored${left}`);
  }
  if (r.stepLimitExecutions) console.log(`  ${r.stepLimitExecutions} executions reached the step limit of ${r.stepLimit}: what lies beyond it is not covered`);
  if (r.restarts) console.log(`  restarted ${r.restarts} time(s) as the invariants were found to read more memory (${r.visibleRegions.join(', ')})`);
}
