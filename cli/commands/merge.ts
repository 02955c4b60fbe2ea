// hyprace merge DIR...: the shard files of one sharded explore, check, coverage or verify,
// combined into what one process would have printed, with its exit code. A violation's trace,
// carried inside its shard's file, is written into --trace-dir first.
import { mergeExploreResults } from '../../actors/explore/index.ts';
import { mergeVerifyShards } from '../../actors/verify/index.ts';
import type { ExploreResult } from '../../actors/explore/index.ts';
import { EXIT } from '../exit.ts';
import { resolveScenario } from '../resolve.ts';
import { readShardFiles, restoreTrace, type EmbeddedTrace, type ShardFile } from '../shard.ts';
import { checkTraceDir } from '../trace-dir.ts';
import { printExplore, type ExploreShard } from './explore.ts';
import { printVerifyResult, worse, type VerifyShard } from './verify.ts';
import { mergeCheckShards, type CheckShard } from './check.ts';
import { mergeCoverageShards, type CoverageShard } from './coverage.ts';

export interface MergeFlags {
  traceDir: string;
  json?: boolean;
  typecheck?: boolean;
}

export async function mergeCommand(dirs: string[], f: MergeFlags): Promise<number> {
  const shards = readShardFiles(dirs);
  checkTraceDir(f.traceDir);
  const first = shards[0];
  const scenarioArg = first.settings.scenario as string | undefined;
  switch (first.command) {
    case 'explore':
      return mergeExplore(shards as ShardFile<ExploreShard>[], scenarioArg!, f);
    case 'verify':
      return mergeVerify(shards as ShardFile<VerifyShard>[], f);
    case 'check':
      return mergeCheckShards(shards as ShardFile<CheckShard>[], f);
    case 'coverage':
      return mergeCoverageShards(shards as ShardFile<CoverageShard>[], f, dirs);
  }
}

/** The result whose violation a merge reports gets its trace back, written into traceDir. */
export function withRestoredTrace<R extends { violation: { trace: string | null } | null }>(r: R, trace: EmbeddedTrace | null | undefined, traceDir: string): R {
  if (!r.violation || !trace) return r;
  return { ...r, violation: { ...r.violation, trace: restoreTrace(trace, traceDir) } };
}

/** Explore shards' results as one, with the violation of the lowest-numbered run and its trace. */
export function mergeExploreShards(parts: { result: ExploreResult; trace: EmbeddedTrace | null }[], elapsedMs: number, traceDir: string): ExploreResult {
  const merged = mergeExploreResults(parts.map((p) => p.result), elapsedMs);
  const from = parts.find((p) => p.result.violation && p.result.violation.iteration === merged.violation?.iteration);
  return withRestoredTrace(merged, from?.trace, traceDir);
}

async function mergeExplore(shards: ShardFile<ExploreShard>[], scenarioArg: string, f: MergeFlags): Promise<number> {
  const { scenario } = await resolveScenario(scenarioArg, { typecheck: f.typecheck });
  const parts = shards.map((s) => s.result);
  const merged = mergeExploreShards(parts, Math.max(...shards.map((s) => s.elapsedMs)), f.traceDir);
  return printExplore(scenario, merged.design, merged, parts[0].settings, !!f.json, undefined, shards.length);
}

function mergeVerify(shards: ShardFile<VerifyShard>[], f: MergeFlags): number {
  const settings = { ...shards[0].result.settings, shards: shards.length };
  let exit: number = EXIT.OK;
  shards[0].result.designs.forEach((_, d) => {
    const parts = shards.map((s) => s.result.designs[d]);
    const { result, violationFrom } = mergeVerifyShards(parts, settings.preemptions);
    const shown = withRestoredTrace(result, violationFrom === null ? null : parts[violationFrom].trace, f.traceDir);
    exit = worse(exit, printVerifyResult(shown, settings, !!f.json));
  });
  return exit;
}
