// Sampling's promise searches, remembered across steps and runs. A one-path solo run (every draw
// its default) is a function of its actor's machine state and of the shared words it reads, as
// every step is (verify saves and restores nothing else). So from an equal machine state, with
// every word the remembered run read holding the value it held then, running again would read
// the same values in the same order and make the same stores: the remembered answer is that
// run's answer, and using it changes no decision. The step index, which a few designs read for
// figures (host/execution.ts stepIndex), is not in memory: a run that read it is remembered
// with it and used only at the same index.
import { hashValue } from './actor-runtime.ts';

/** Entries kept per actor; past it the actor's entries are dropped (a bound on memory, not on what is found). */
const ENTRIES_PER_ACTOR = 1024;

interface Remembered<T> {
  state: number;
  context: unknown;
  /** The words the run read (first reads, in order) and their values before it. */
  words: Int32Array;
  values: Int32Array;
  /** The step index the run read, or -1 if it read none. */
  step: number;
  answer: T;
}

export class SoloMemo<T> {
  /** Per actor: by a hash of its machine state, the runs remembered from there. */
  private readonly byActor: Map<number, Remembered<T>[]>[] = [];
  private readonly counts: number[] = [];

  /** The answer of a remembered run of `actor` from this state and memory, if one holds. */
  recall(actor: number, state: number, context: unknown, memory: Int32Array, step: number): T | undefined {
    const runs = this.byActor[actor]?.get(hashValue(context, state));
    if (!runs) return undefined;
    for (const r of runs) {
      if (r.state !== state || (r.step >= 0 && r.step !== step) || !sameValues(r.words, r.values, memory) || !samePlainData(r.context, context)) continue;
      return r.answer;
    }
    return undefined;
  }

  /**
   * Remembers a run of `actor` from `state` and `context` (a copy it keeps) that read `reads` (word
   * indices, repeats allowed), with `memory` as it was before the run. Words past `limit` (outside
   * what a snapshot puts back) make the run not remembered.
   */
  remember(actor: number, state: number, context: unknown, reads: readonly number[], memory: Int32Array, limit: number, step: number, answer: T): void {
    const seen = new Set<number>();
    for (const w of reads) {
      if (w >= limit) return;
      seen.add(w);
    }
    const words = Int32Array.from(seen);
    const values = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) values[i] = memory[words[i]];
    if ((this.counts[actor] = (this.counts[actor] ?? 0) + 1) > ENTRIES_PER_ACTOR) {
      this.byActor[actor] = new Map();
      this.counts[actor] = 1;
    }
    const byState = (this.byActor[actor] ??= new Map());
    const key = hashValue(context, state);
    const runs = byState.get(key) ?? [];
    runs.push({ state, context: structuredClone(context), words, values, step, answer });
    byState.set(key, runs);
  }
}

function sameValues(words: Int32Array, values: Int32Array, memory: Int32Array): boolean {
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
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !samePlainData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
