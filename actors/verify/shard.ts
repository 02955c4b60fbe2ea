// verify over shards: every shard enumerates the same top of the tree (parallel.ts) and explores
// its own share of the subtrees below it, bound after bound, recording each bound. Merging the
// records gives what one process exploring every subtree of the same split would have: the top
// counted once, every shard's subtrees summed, and iterative context bounding's stop rule applied
// to all of them together.
import type { DporStats } from './dpor.ts';
import { addStats, bounds, emptyStats, type PreemptionBound, type VerifyResult } from './index.ts';

/** One preemption bound as one shard explored it. */
export interface BoundRecord {
  bound: PreemptionBound;
  status: 'complete' | 'violation' | 'stopped';
  /** The top of the tree (every shard enumerates it, and runs the executions that end there). */
  top: DporStats;
  /** This shard's subtrees. */
  own: DporStats;
  /** Share of this shard's subtrees done (when stopped). */
  progress: number;
  subtrees: number;
  states: number;
  stateBytes: number;
  /** Restarts while enumerating the top (every shard has them), and in this shard's subtrees. */
  topRestarts: number;
  restarts: number;
}

/** One design as one shard verified it: its own result (violation included) and its bounds. */
export interface VerifyShardResult {
  result: VerifyResult;
  bounds: BoundRecord[];
}

/**
 * The shards' results as one. A shard whose own subtrees were no longer cut by a bound stopped
 * there (verified); when another shard's were, the single process went on to the next bound, over
 * a top that was not cut either (else every shard would have gone on): the same prefixes, and in
 * this shard's subtrees nothing a larger bound adds. Its last bound stands for those bounds.
 * Returns the merged result and the index (in `shards`) of the shard whose violation it reports.
 */
export function mergeVerifyShards(shards: VerifyShardResult[], preemptions: PreemptionBound | undefined): { result: VerifyResult; violationFrom: number | null } {
  const total = emptyStats();
  let states = 0;
  let stateBytes = 0;
  let restarts = 0;
  let largestComplete: PreemptionBound | null = null;
  const first = shards[0].result;
  const base = () => ({
    scenario: first.scenario,
    design: first.design,
    options: first.options,
    executions: total.executions,
    steps: total.steps,
    newSteps: total.newSteps,
    elapsedMs: Math.max(...shards.map((s) => s.result.elapsedMs)),
    stepLimit: first.stepLimit,
    stepLimitExecutions: total.stepLimitExecutions,
    sleepBlocked: total.sleepBlocked,
    restarts,
    visibleRegions: [...new Set(shards.flatMap((s) => s.result.visibleRegions))],
    ...(first.states !== undefined ? { states, stateBytes, cacheHits: total.cacheHits } : {}),
  });
  for (const bound of bounds(preemptions)) {
    const records = shards.map((s) => s.bounds.find((b) => b.bound === bound) ?? stoodFor(s));
    const missing = records.findIndex((r) => !r);
    if (missing >= 0) throw new Error(`shard ${missing + 1} has no record of preemption bound ${bound}: the shards disagree`);
    const recs = records as BoundRecord[];
    const boundStats = emptyStats();
    addStats(boundStats, recs[0].top);
    for (const r of recs) addStats(boundStats, r.own);
    addStats(total, boundStats);
    restarts += recs[0].topRestarts;
    for (const r of recs) {
      states += r.states;
      stateBytes = Math.max(stateBytes, r.stateBytes);
      restarts += r.restarts;
    }
    const found = recs.findIndex((r) => r.status === 'violation');
    if (found >= 0) {
      const v = shards[found].result.violation;
      return { result: { ...base(), verdict: 'violation', preemptionBound: bound, violation: v && { ...v, iteration: total.executions - 1 } }, violationFrom: found };
    }
    if (recs.some((r) => r.status === 'stopped')) {
      const subtrees = recs.reduce((n, r) => n + r.subtrees, 0);
      const p = subtrees ? recs.reduce((n, r) => n + r.progress * r.subtrees, 0) / subtrees : Math.min(...recs.map((r) => r.progress));
      const estimate = p > 0 ? Math.round(boundStats.executions * (1 / p - 1)) : null;
      return { result: { ...base(), verdict: 'incomplete', preemptionBound: largestComplete, violation: null, remaining: { bound, progress: p, estimatedExecutions: estimate } }, violationFrom: null };
    }
    largestComplete = bound;
    const cut = recs[0].top.boundReached || recs.some((r) => r.own.boundReached);
    if (bound === 'unbounded' || !cut) return { result: { ...base(), verdict: 'verified', preemptionBound: 'unbounded', violation: null }, violationFrom: null };
    if (bound === preemptions) return { result: { ...base(), verdict: 'verified', preemptionBound: bound, violation: null }, violationFrom: null };
  }
  throw new Error('unreachable: the bounds never end without a verdict');
}

/** The last bound of a shard that ended verified with nothing cut: it stands for every larger bound. */
function stoodFor(s: VerifyShardResult): BoundRecord | undefined {
  const last = s.bounds.at(-1);
  return last && last.status === 'complete' && !last.top.boundReached && !last.own.boundReached ? last : undefined;
}
