// hyprace check: every design of each scenario within its budget, against its expected verdict.
import { availableParallelism } from 'node:os';
import type { Mode } from '../../actors/engine/index.ts';
import { budgetOf, type DesignDefinition, type Verdict } from '../../actors/engine/index.ts';
import { designCoverage, designGraphs, type DesignCoverage } from '../../actors/explore/index.ts';
import { emptyCoverage, growthCurve, mergeCoverage, type CoverageData } from '../../actors/explore/index.ts';
import { designMachines } from '../../actors/explore/index.ts';
import { readTrace } from '../../actors/trace/index.ts';
import { TOOL_VERSION } from '../../actors/trace/index.ts';
import { writeCoverageFiles, type MachineReport } from '../../report/coverage-files.ts';
import { renderReport, type ReportRow } from '../../report/html.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PROMISES, buildWorld } from '../../actors/engine/index.ts';
import { exploreUnderBudget } from '../budgeted.ts';
import { withJobPools, type JobPools } from '../../actors/explore/index.ts';
import { integer, memorySettings, modeFor, seconds, stepTimeout, type MemorySettings } from '../args.ts';
import { EXIT, UsageError } from '../exit.ts';
import { checkTraceDir, traceProblem } from '../trace-dir.ts';
import type { ExploreResult } from '../../actors/explore/index.ts';
import { duration, printJson, table } from '../format.ts';
import { Progress } from '../progress.ts';
import { allScenarios, blamingUserFile, resolveScenario, type ResolvedScenario } from '../resolve.ts';
import { DEFAULT_SHRINK_SECONDS, infeasibleLines, memoryText, stepLimitLines } from './explore.ts';
import { runVerify, scenarioVerifySettings } from './verify.ts';
import type { PreemptionBound, VerifyResult } from '../../actors/verify/index.ts';
import { mergeVerifyShards, type BoundRecord, type VerifyShardResult } from '../../actors/verify/index.ts';
import type { AnyScenario } from '../../actors/engine/index.ts';
import type { FoundViolation } from '../../actors/trace/index.ts';
import { embedTrace, sampledShare, shardOf, shardSettings, writeShardFile, type EmbeddedTrace, type Shard, type ShardFile } from '../shard.ts';
import { mergeExploreShards, withRestoredTrace } from './merge.ts';

/** check's default exhaustive budget per design (the scenario's verify budget if smaller). */
export const CHECK_VERIFY_SECONDS = 20;

export interface CheckFlags {
  mode?: string;
  jobs?: string;
  iterations?: string;
  time?: string;
  seed?: string;
  traceDir: string;
  json?: boolean;
  typecheck?: boolean;
  shrink?: boolean;
  /** Write report/index.html here. */
  report?: string;
  stepTimeout?: string;
  /** false: no exhaustive search after sampling (--no-verify). */
  verify?: boolean;
  verifyTime?: string;
  shard?: string;
  out?: string;
  memory?: string;
  promises?: string;
}

/**
 * How a verdict was reached: `verified` (exhaustively, within the bound in `bound`), `verify` (a
 * violation found by the exhaustive search), `sampled` (schedules tried; when verify ran out of
 * time, `bound` says up to which preemption bound it had covered everything).
 */
export type CheckMethod = 'verified' | 'verify' | 'sampled';

/** unfinished: no violation, but some runs reached the step limit (a possible livelock): not 'holds'. */
export type CheckVerdict = 'caught' | 'holds' | 'unfinished';

export interface CheckRow {
  scenario: string;
  design: string;
  expected: 'caught' | 'holds';
  got: CheckVerdict;
  ok: boolean;
  invariant: string | null;
  message: string | null;
  schedules: number;
  steps: number;
  elapsedMs: number;
  trace: string | null;
  /** Runs cut at the step limit, and those whose non-daemon actors were still stepping there. */
  stepLimitRuns: number;
  /** arm64: schedules dropped because an actor could not keep a store it promised. */
  infeasibleRuns: number;
  livelock: ExploreResult['livelock'];
  coverage: DesignCoverage;
  method: CheckMethod;
  /** verified: the preemption bound it holds for ('unbounded': every execution); sampled: the largest bound verify fully explored, if any. */
  bound: PreemptionBound | null;
  /** Executions verify explored (0 if it did not run). */
  executions: number;
  /** The violation behind the row, until its trace is checked (not printed). */
  violationRecord?: FoundViolation;
}

/** What a design should show under the memory model: its expectUnder entry for that model, else its expect. */
export function expectedUnder(d: Pick<DesignDefinition<unknown>, 'expect' | 'expectUnder'>, memory: MemorySettings): Verdict {
  return (memory.memoryModel === 'sc' ? undefined : d.expectUnder?.[memory.memoryModel]) ?? d.expect;
}

/** The verdict of one design's search. */
export function verdictOf(r: ExploreResult): CheckVerdict {
  return r.violation ? 'caught' : r.stepLimitRuns ? 'unfinished' : 'holds';
}

export async function checkCommand(names: string[], f: CheckFlags): Promise<number> {
  // Inline job workers serve design after design, and end with the command, whatever happens.
  return withJobPools((pools) => checkWith(names, f, pools));
}

async function checkWith(names: string[], f: CheckFlags, pools: JobPools): Promise<number> {
  const shard = shardOf(f.shard) ?? (f.out ? { index: 1, count: 1 } : undefined);
  const memory = memorySettings(f);
  const mode = modeFor(f.mode, 'inline', memory);
  if (f.jobs !== undefined && mode !== 'inline') throw new UsageError('--jobs runs independent runs inline in parallel workers; it does not apply to --mode threads');
  const jobs = integer('--jobs', f.jobs, 1, 256) ?? (mode === 'inline' ? Math.min(2, availableParallelism()) : 1);
  const iterationsFlag = integer('--iterations', f.iterations, 1);
  const time = seconds('--time', f.time);
  const seed = integer('--seed', f.seed, 0, 2 ** 32 - 1) ?? 1;
  const stepTimeoutMs = stepTimeout(f.stepTimeout);
  const verifyTime = seconds('--verify-time', f.verifyTime);
  const scenarios = names.length ? await Promise.all(names.map((n) => resolveScenario(n, { typecheck: f.typecheck }))) : await allScenarios();
  checkTraceDir(f.traceDir);
  const progress = Progress.forOutput(!!f.json);
  const rows: CheckRow[] = [];
  let coverageData = emptyCoverage();
  if (f.out) checkTraceDir(f.out, '--out');
  const shardDesigns: CheckShard['designs'] = [];
  for (const resolved of scenarios) {
    const { scenario } = resolved;
    const budget = budgetOf(scenario);
    for (const design of Object.keys(scenario.designs)) {
      const r = await blamingUserFile(resolved.file, () => exploreUnderBudget(resolved, design, {
        mode,
        pools,
        jobs,
        seed,
        traceDir: f.traceDir,
        // As in explore: either bound alone makes the other unbounded, so a run count alone gives
        // the same verdicts on any machine.
        ...sampledShare(iterationsFlag ?? (time ? Number.MAX_SAFE_INTEGER : budget.iterations), shard),
        timeSeconds: time ?? (iterationsFlag ? Number.MAX_SAFE_INTEGER / 1000 : budget.timeSeconds),
        progress,
        shrinkMs: f.shrink === false ? 0 : DEFAULT_SHRINK_SECONDS * 1000,
        stepTimeoutMs,
        memory,
      }));
      let v: VerifyResult | null = null;
      const bounds: BoundRecord[] = [];
      if (!r.violation && f.verify !== false) {
        // Sampling found nothing: the exhaustive search turns "holds" into "verified", or finds
        // what sampling missed. A shard explores its subtrees of the split for N jobs.
        const settings = scenarioVerifySettings(scenario, f.traceDir);
        v = await blamingUserFile(resolved.file, () => runVerify(resolved, design, { ...settings, ...memory, timeSeconds: verifyTime ?? Math.min(settings.timeSeconds, CHECK_VERIFY_SECONDS) }, progress, shard, (b) => bounds.push(structuredClone(b))));
      }
      if (f.out) {
        shardDesigns.push({
          scenario: scenario.name,
          design,
          sample: { result: r, trace: embedTrace(r.violation?.trace) },
          verify: v && { result: v, bounds, trace: embedTrace(v.violation?.trace) },
        });
      }
      rows.push(checkRow(scenario, design, r, v, memory));
      coverageData = mergeCoverage(coverageData, r.coverage);
    }
  }
  if (f.out) {
    const shardFile = writeShardFile<CheckShard>(f.out, {
      command: 'check',
      shard: shard!,
      settings: shardSettings({ scenarios: names }, f),
      elapsedMs: rows.reduce((t, r) => t + r.elapsedMs, 0),
      result: { mode, seed, memory, designs: shardDesigns },
    });
    const exit = await finishCheck(scenarios, rows, coverageData, mode, seed, memory, { ...f, report: undefined }, shard);
    if (!f.json) console.log(`shard result: ${shardFile} (hyprace merge gives the verdicts of all shards)`);
    // The verdict is merge's to give: a batch engine must not retry a shard that found something.
    return exit === EXIT.VIOLATION ? EXIT.OK : exit;
  }
  return finishCheck(scenarios, rows, coverageData, mode, seed, memory, f, shard);
}

/** One shard's share of a check: per design, its sampling and (if that found nothing) its verify share. */
export interface CheckShard {
  mode: Mode;
  seed: number;
  memory: MemorySettings;
  designs: {
    scenario: string;
    design: string;
    sample: { result: ExploreResult; trace: EmbeddedTrace | null };
    verify: (VerifyShardResult & { trace: EmbeddedTrace | null }) | null;
  }[];
}

/** merge of check shards: each design's runs merged; if none found a violation, each shard's verify share merged. */
export async function mergeCheckShards(shards: ShardFile<CheckShard>[], f: { traceDir: string; json?: boolean; typecheck?: boolean }): Promise<number> {
  const names = (shards[0].settings.scenarios as string[] | undefined) ?? [];
  const scenarios = names.length ? await Promise.all(names.map((n) => resolveScenario(n, { typecheck: f.typecheck }))) : await allScenarios();
  const { mode, seed, memory } = shards[0].result;
  const rows: CheckRow[] = [];
  let coverageData = emptyCoverage();
  shards[0].result.designs.forEach((d, i) => {
    const parts = shards.map((s) => s.result.designs[i]);
    const r = mergeExploreShards(parts.map((p) => p.sample), Math.max(...parts.map((p) => p.sample.result.elapsedMs)), f.traceDir);
    let v: VerifyResult | null = null;
    if (!r.violation && parts.every((p) => p.verify)) {
      const verifies = parts.map((p) => p.verify!);
      const { result, violationFrom } = mergeVerifyShards(verifies, undefined);
      v = withRestoredTrace(result, violationFrom === null ? null : verifies[violationFrom].trace, f.traceDir);
    }
    const scenario = scenarios.find((s) => s.scenario.name === d.scenario)!.scenario;
    rows.push(checkRow(scenario, d.design, r, v, memory));
    coverageData = mergeCoverage(coverageData, r.coverage);
  });
  const report = shards[0].settings.report as string | undefined;
  return finishCheck(scenarios, rows, coverageData, mode, seed, memory, { ...f, report }, undefined, shards.length);
}

/** A design's row: its sampled result and, if sampling found nothing, what verify made of it. */
function checkRow(scenario: AnyScenario, design: string, r: ExploreResult, v: VerifyResult | null, memory: MemorySettings): CheckRow {
  const d = scenario.designs[design];
  const expected = expectedUnder(d, memory);
  let got = verdictOf(r);
  let violation = r.violation;
  let method: CheckMethod = 'sampled';
  let bound: PreemptionBound | null = null;
  let executions = 0;
  let elapsedMs = r.elapsedMs;
  if (v) {
    executions = v.executions;
    elapsedMs += v.elapsedMs;
    bound = v.preemptionBound;
    if (v.verdict === 'violation') {
      violation = v.violation;
      got = 'caught';
      method = 'verify';
    } else if (v.verdict === 'verified' && v.stepLimitExecutions === 0) {
      got = 'holds';
      method = 'verified';
    }
  }
  const invariantOk = !violation || !d.expectInvariants || d.expectInvariants.includes(violation.invariant);
  return {
    scenario: scenario.name,
    design,
    expected,
    got,
    ok: got === expected && invariantOk,
    invariant: violation?.invariant ?? null,
    message: violation?.message ?? null,
    schedules: r.iterations,
    steps: r.steps,
    elapsedMs,
    trace: violation?.trace ?? null,
    stepLimitRuns: r.stepLimitRuns,
    infeasibleRuns: r.infeasibleRuns,
    livelock: r.livelock,
    coverage: designCoverage(designGraphs(buildWorld(scenario, design)), r.coverage.machines, scenario.name, design),
    method,
    bound,
    executions,
    ...(violation ? { violationRecord: violation } : {}),
  };
}

/** The report, the table (or JSON) and the exit code of a check, sharded, merged or whole. */
async function finishCheck(
  scenarios: ResolvedScenario[],
  rows: CheckRow[],
  coverageData: CoverageData,
  mode: Mode,
  seed: number,
  memory: MemorySettings,
  f: { json?: boolean; report?: string },
  shard?: Shard,
  shards?: number,
): Promise<number> {
  const problems = rows.flatMap((r) => {
    const problem = r.violationRecord && traceProblem(r.violationRecord);
    return problem ? [`${r.scenario}/${r.design}: ${problem}`] : [];
  });
  for (const r of rows) delete r.violationRecord;
  const ok = rows.every((r) => r.ok);
  const report = f.report ? await writeReport(f.report, scenarios, rows, coverageData, `${mode} mode, ${memoryText(memory)}seed ${seed}`) : undefined;
  if (f.json) {
    printJson({ ok, mode, memory: memory.memoryModel, ...(memory.memoryModel === 'arm64' ? { promises: memory.promises ?? DEFAULT_PROMISES } : {}), seed, results: rows, ...(report ? { report } : {}), ...(shard ? { shard } : {}), ...(shards ? { shards } : {}) });
  } else {
    console.log(
      table(
        ['scenario', 'design', 'expected', 'got', '', 'how', 'schedules', 'time', 'invariant'],
        rows.map((r) => [r.scenario, r.design, r.expected, r.got, r.ok ? 'ok' : 'UNEXPECTED', howText(r), String(r.schedules), duration(r.elapsedMs), r.invariant ?? '']),
      ),
    );
    const unfinished = rows.filter((r) => r.got === 'unfinished');
    for (const r of unfinished) console.log(`\n${r.scenario}/${r.design}: ${stepLimitLines({ ...r, iterations: r.schedules }).join('; ')}`);
    for (const r of rows.filter((x) => x.infeasibleRuns)) console.log(`\n${r.scenario}/${r.design}: ${infeasibleLines({ ...r, iterations: r.schedules }).join('; ')}`);
    console.log();
    const split = shard ? `, shard ${shard.index}/${shard.count}` : shards ? `, merged from ${shards} shards` : '';
    console.log(ok ? `all ${rows.length} verdicts as expected (${mode}, ${memoryText(memory)}seed ${seed}${split})` : `${rows.filter((r) => !r.ok).length} of ${rows.length} verdicts NOT as expected (${mode}, ${memoryText(memory)}seed ${seed}${split})`);
    if (report) console.log(`report: ${report}`);
  }
  if (problems.length) throw new Error(problems.join('; '));
  return ok ? EXIT.OK : EXIT.VIOLATION;
}

/** How the verdict was reached, in a few words: verified (and under which bound), found by verify, or sampled. */
export function howText(r: Pick<CheckRow, 'method' | 'bound' | 'executions'>): string {
  if (r.method === 'verify') return `verify (${r.executions} executions)`;
  if (r.method === 'verified') return r.bound === 'unbounded' ? 'verified' : `verified, <=${r.bound} preemptions`;
  return r.bound === null || r.bound === undefined ? 'sampled' : `sampled; verified <=${r.bound} preemptions`;
}

/** The HTML report: verdicts, every machine's coverage graph, growth, and each violation's timeline. */
async function writeReport(dir: string, scenarios: ResolvedScenario[], rows: CheckRow[], coverage: CoverageData, how: string): Promise<string> {
  const machines: MachineReport[] = [];
  for (const { scenario } of scenarios) {
    for (const design of Object.keys(scenario.designs)) machines.push(...(await writeCoverageFiles(join(dir, 'coverage'), designMachines(scenario, design), coverage)));
  }
  writeFileSync(join(dir, 'coverage', 'coverage.json'), JSON.stringify(coverage) + '\n');
  const growth = scenarios.map(({ scenario }) => ({
    scenario: scenario.name,
    lines: Object.keys(scenario.designs).map((d) => ({ label: d, curve: growthCurve(coverage, scenario.name, d) })),
  }));
  const reportRows: ReportRow[] = rows.map((r) => ({ ...r, how: howText(r), description: scenarios.find((s) => s.scenario.name === r.scenario)!.scenario.designs[r.design].description }));
  const traces = reportRows.filter((r) => r.trace).map((row) => ({ row, trace: readTrace(row.trace!) }));
  const html = renderReport({ title: 'hyprace check', subtitle: `${rows.length} designs, ${how}, hyprace ${TOOL_VERSION}`, rows: reportRows, machines, growth, traces });
  const file = join(dir, 'index.html');
  writeFileSync(file, html);
  return file;
}
