// Sampling's promise searches, remembered across steps and runs. A one-path solo run (every draw
// its default) is a function of its actor's machine state and of the shared words it reads, as
// every step is (verify saves and restores nothing else). So from an equal machine state, with
// every word the remembered run read holding the value it held then, running again would read
// the same values in the same order and make the same stores: the remembered answer is that
// run's answer, and using it changes no decision. Timestamps count as the same when they stand in
// the same order (timestamp-order.ts): the model does nothing else with them. The step index,
// which a few designs read for figures (host/execution.ts stepIndex), is not in memory: a run
// that read it is remembered with it and used only at the same index.

import { RecentRuns } from './recent-runs.ts';
import { RunTree, type RunPath } from './run-tree.ts';
import { OrderCoder, type TimestampWords } from './timestamp-order.ts';

/** Runs kept per actor; past it the actor's are dropped (a bound on memory, not on what is found). */
const RUNS_PER_ACTOR = 4096;

/** Runs recalled lately kept whole per state, to check before walking the tree. */
const RECENT_RUNS = 16;

interface FromState<T> {
  state: number;
  context: unknown;
  runs: RunTree<T>;
  /**
   * The runs last recalled from here (RECENT_RUNS), kept whole: the next recall is mostly one of
   * them, checked in one pass over one array, before the tree is walked.
   */
  recent: RecentRuns<T>;
}

export class SoloMemo<T> {
  /**
   * `timestamps`: the words holding timestamps, remembered by their order among those the run
   * read before (timestamp-order.ts), so that a run is recalled whatever the clock had reached.
   * Everything is forgotten when a word is added to them.
   */
  constructor(private readonly timestamps: TimestampWords) {}

  private generation = -1;
  private readonly coder = new OrderCoder();

  /** Per actor: by its machine state, each context met there with the runs remembered from it (contexts are small, and few per state). */
  private readonly byActor: Map<number, FromState<T>[]>[] = [];
  private readonly counts: number[] = [];
  /** remember()'s scratch: per word, the call that last listed it (distinct reads without a Set). */
  private seenIn = new Int32Array(0);
  private calls = 0;
  private distinct = new Int32Array(64);
  /** remember()'s scratch: the values of the distinct words. */
  private values = new Int32Array(64);
  /** recall()'s scratch: the run a tree walk found. */
  private readonly path: RunPath = { pairs: new Int32Array(128), count: 0, step: -1 };

  /** The answer of a remembered run of `actor` from this state and memory, if one holds. */
  recall(actor: number, state: number, context: unknown, memory: Int32Array, step: number): T | undefined {
    this.sameTimestampWords();
    const from = this.from(actor, state, context);
    if (!from) return undefined;
    // The recent runs are matched by value (equal timestamps are in the same order).
    const recent = from.recent.find(memory, step);
    if (recent !== undefined) return recent;
    const found = from.runs.find(memory, step, this.path, this.timestamps.isTimestamp, this.coder);
    if (found !== undefined) from.recent.add(this.path.pairs, this.path.count, this.path.step, found);
    return found;
  }

  /**
   * Remembers a run of `actor` from `state` and `context` (a copy is kept) that read `reads` (word
   * indices in the order read, repeats allowed), `memory` being as it was before the run; `step`
   * is the step index it read (-1: none). Words past `limit` (outside what a snapshot puts back)
   * make the run not remembered; `ignored` (a word the answer does not depend on) is left out.
   */
  remember(actor: number, state: number, context: unknown, reads: readonly number[], memory: Int32Array, limit: number, step: number, answer: T, ignored = -1): void {
    this.sameTimestampWords();
    const count = this.distinctReads(reads, memory.length, limit, ignored);
    if (count < 0) return;
    const words = this.distinct.subarray(0, count);
    if (this.values.length < count) this.values = new Int32Array(this.distinct.length);
    const values = this.values.subarray(0, count);
    const isTimestamp = this.timestamps.isTimestamp;
    this.coder.reset();
    for (let i = 0; i < count; i++) values[i] = isTimestamp[words[i]] ? this.coder.code(memory[words[i]]) : memory[words[i]];
    if ((this.counts[actor] = (this.counts[actor] ?? 0) + 1) > RUNS_PER_ACTOR) {
      this.byActor[actor] = new Map();
      this.counts[actor] = 1;
    }
    const from = this.from(actor, state, context);
    if (from) {
      from.runs.add(words, values, step, answer);
      return;
    }
    const byState = (this.byActor[actor] ??= new Map());
    const runs = new RunTree(words, values, step, answer);
    byState.set(state, [...(byState.get(state) ?? []), { state, context: structuredClone(context), runs, recent: new RecentRuns<T>(RECENT_RUNS) }]);
  }

  /** How many words `reads` has without repeats (and without `ignored`), left in `distinct` first read first; -1 if one is past `limit`. */
  private distinctReads(reads: readonly number[], words: number, limit: number, ignored: number): number {
    if (this.seenIn.length < words || this.calls === 0x7fffffff) {
      this.seenIn = new Int32Array(Math.max(words, this.seenIn.length));
      this.calls = 0;
    }
    const call = ++this.calls;
    if (this.distinct.length < reads.length) this.distinct = new Int32Array(reads.length);
    let n = 0;
    for (const w of reads) {
      if (w >= limit) return -1;
      if (w === ignored || this.seenIn[w] === call) continue;
      this.seenIn[w] = call;
      this.distinct[n++] = w;
    }
    return n;
  }

  /** Forgets every run if a word has been found to hold timestamps since they were remembered (their values were kept). */
  private sameTimestampWords(): void {
    if (this.generation === this.timestamps.generation) return;
    this.generation = this.timestamps.generation;
    this.byActor.length = 0;
    this.counts.length = 0;
  }

  private from(actor: number, state: number, context: unknown): FromState<T> | undefined {
    const runs = this.byActor[actor]?.get(state);
    if (!runs) return undefined;
    for (const r of runs) if (samePlainData(r.context, context)) return r;
    return undefined;
  }
}

/** Equality of plain data (what hashValue hashes); anything else compares unequal unless it is the same object. */
function samePlainData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!samePlainData(a[i], b[i])) return false;
    return true;
  }
  const pa = Object.getPrototypeOf(a);
  if ((pa !== Object.prototype && pa !== null) || Object.getPrototypeOf(b) !== pa || Array.isArray(b)) return false;
  // Own keys only (plain data's prototype has none enumerable); counted, not listed: this runs at every recall.
  let keys = 0;
  for (const k in a) {
    if (!Object.hasOwn(b, k) || !samePlainData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    keys++;
  }
  for (const k in b) if (Object.hasOwn(b, k)) keys--;
  return keys === 0;
}
