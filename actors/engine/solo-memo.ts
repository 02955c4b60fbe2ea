// Sampling's promise searches, remembered across steps and runs. A one-path solo run (every draw
// its default) is a function of its actor's machine state and of the shared words it reads, as
// every step is (verify saves and restores nothing else). So from an equal machine state, with
// every word the remembered run read holding the value it held then, running again would read
// the same values in the same order and make the same stores: the remembered answer is that
// run's answer, and using it changes no decision. The step index, which a few designs read for
// figures (host/execution.ts stepIndex), is not in memory: a run that read it is remembered
// with it and used only at the same index.

import { RecentRuns } from './recent-runs.ts';

/** Runs kept per actor; past it the actor's are dropped (a bound on memory, not on what is found). */
const RUNS_PER_ACTOR = 4096;

/** Runs recalled lately kept whole per state, to check before walking the tree. */
const RECENT_RUNS = 16;

/**
 * The runs from one machine state, as a tree: the run's first read is the same word for all of
 * them (it depends on the state alone), each value of it leads to the next word read, and so on.
 * A node is a stretch of words every run through it read with these values, then either the end
 * of a run (its answer) or a word whose value picks the next node.
 */
class Node<T> {
  /** Past the stretch: the word whose value picks the next node, or -1 where a run ended. */
  branchWord = -1;
  branches: Map<number, Node<T>> | undefined = undefined;
  constructor(
    public words: Int32Array,
    public values: Int32Array,
    public answer: T | undefined,
    /** The step index the run read, or -1 if it read none. */
    public step: number,
    /** Where a run ends: that run whole (its arrays are those the stretches are views of). */
    public run: Run<T> | undefined,
  ) {}
}

/** One remembered run whole: every word it read, with the value it read, and its answer. */
interface Run<T> {
  words: Int32Array;
  values: Int32Array;
  answer: T;
  step: number;
}

interface FromState<T> {
  state: number;
  context: unknown;
  root: Node<T>;
  /**
   * The runs last recalled from here (RECENT_RUNS), kept whole: the next recall is mostly one of
   * them, checked in one pass over one array rather than a walk through the tree's nodes
   * scattered over the heap.
   */
  recent: RecentRuns<T>;
}

export class SoloMemo<T> {
  /** Per actor: by its machine state, each context met there with the runs remembered from it (contexts are small, and few per state). */
  private readonly byActor: Map<number, FromState<T>[]>[] = [];
  private readonly counts: number[] = [];
  /** remember()'s scratch: per word, the call that last listed it (distinct reads without a Set). */
  private seenIn = new Int32Array(0);
  private calls = 0;
  private distinct = new Int32Array(64);

  /** The answer of a remembered run of `actor` from this state and memory, if one holds. */
  recall(actor: number, state: number, context: unknown, memory: Int32Array, step: number): T | undefined {
    const from = this.from(actor, state, context);
    if (!from) return undefined;
    const recent = from.recent.find(memory, step);
    if (recent !== undefined) return recent;
    const leaf = this.walk(from.root, memory);
    if (!leaf || !(leaf.step < 0 || leaf.step === step)) return undefined;
    const run = leaf.run!;
    from.recent.add(run.words, run.values, run.step, run.answer);
    return leaf.answer;
  }

  /** The node where a remembered run ends whose every word read holds its value in `memory`, if one does. */
  private walk(root: Node<T>, memory: Int32Array): Node<T> | undefined {
    let n: Node<T> | undefined = root;
    while (n !== undefined) {
      if (!holds(n.words, n.values, memory)) return undefined;
      if (n.branchWord < 0) return n;
      n = n.branches!.get(memory[n.branchWord]);
    }
    return undefined;
  }

  /**
   * Remembers a run of `actor` from `state` and `context` (a copy is kept) that read `reads` (word
   * indices in the order read, repeats allowed), `memory` being as it was before the run; `step`
   * is the step index it read (-1: none). Words past `limit` (outside what a snapshot puts back)
   * make the run not remembered; `ignored` (a word the answer does not depend on) is left out.
   */
  remember(actor: number, state: number, context: unknown, reads: readonly number[], memory: Int32Array, limit: number, step: number, answer: T, ignored = -1): void {
    const words = this.distinctReads(reads, memory.length, limit, ignored);
    if (!words) return;
    const values = words.map((w) => memory[w]);
    const run: Run<T> = { words, values, answer, step };
    if ((this.counts[actor] = (this.counts[actor] ?? 0) + 1) > RUNS_PER_ACTOR) {
      this.byActor[actor] = new Map();
      this.counts[actor] = 1;
    }
    const from = this.from(actor, state, context);
    if (!from) {
      const byState = (this.byActor[actor] ??= new Map());
      byState.set(state, [...(byState.get(state) ?? []), { state, context: structuredClone(context), root: new Node(words, values, answer, step, run), recent: new RecentRuns<T>(RECENT_RUNS) }]);
      return;
    }
    let n = from.root;
    let at = 0;
    for (;;) {
      // A run that read other words than the tree says from here (it cannot, being a function of
      // what it read), or ended where others went on, or went on where one ended: kept out.
      let i = 0;
      while (i < n.words.length && at + i < words.length && words[at + i] === n.words[i] && values[at + i] === n.values[i]) i++;
      if (i < n.words.length) {
        if (at + i === words.length || words[at + i] !== n.words[i]) return;
        // Same word, another value: the stretch splits there.
        const tail = new Node(n.words.subarray(i + 1), n.values.subarray(i + 1), n.answer, n.step, n.run);
        tail.branchWord = n.branchWord;
        tail.branches = n.branches;
        n.branchWord = n.words[i];
        n.branches = new Map([
          [n.values[i], tail],
          [values[at + i], new Node(words.subarray(at + i + 1), values.subarray(at + i + 1), answer, step, run)],
        ]);
        n.words = n.words.subarray(0, i);
        n.values = n.values.subarray(0, i);
        n.answer = undefined;
        n.run = undefined;
        return;
      }
      at += i;
      if (n.branchWord < 0) {
        // The same run again (at another step index, if it read it): the latest is kept.
        if (at === words.length) {
          n.answer = answer;
          n.step = step;
          n.run = run;
        }
        return;
      }
      if (at === words.length || words[at] !== n.branchWord) return;
      const next = n.branches!.get(values[at]);
      if (!next) {
        n.branches!.set(values[at], new Node(words.subarray(at + 1), values.subarray(at + 1), answer, step, run));
        return;
      }
      n = next;
      at++;
    }
  }

  /** `reads` without repeats (and without `ignored`), first read first; undefined if one is past `limit`. */
  private distinctReads(reads: readonly number[], words: number, limit: number, ignored: number): Int32Array | undefined {
    if (this.seenIn.length < words || this.calls === 0x7fffffff) {
      this.seenIn = new Int32Array(Math.max(words, this.seenIn.length));
      this.calls = 0;
    }
    const call = ++this.calls;
    if (this.distinct.length < reads.length) this.distinct = new Int32Array(reads.length);
    let n = 0;
    for (const w of reads) {
      if (w >= limit) return undefined;
      if (w === ignored || this.seenIn[w] === call) continue;
      this.seenIn[w] = call;
      this.distinct[n++] = w;
    }
    return this.distinct.slice(0, n);
  }

  private from(actor: number, state: number, context: unknown): FromState<T> | undefined {
    const runs = this.byActor[actor]?.get(state);
    if (!runs) return undefined;
    for (const r of runs) if (samePlainData(r.context, context)) return r;
    return undefined;
  }
}

/** Whether every word of `words` holds the value of `values` beside it in `memory`. */
function holds(words: Int32Array, values: Int32Array, memory: Int32Array): boolean {
  for (let i = 0; i < words.length; i++) if (memory[words[i]] !== values[i]) return false;
  return true;
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
