// Sampling's promise searches, remembered across steps and runs. A one-path solo run (every draw
// its default) is a function of its actor's machine state and of the shared words it reads, as
// every step is (verify saves and restores nothing else). So from an equal machine state, with
// every word the remembered run read holding the value it held then, running again would read
// the same values in the same order and make the same stores: the remembered answer is that
// run's answer, and using it changes no decision. The step index, which a few designs read for
// figures (host/execution.ts stepIndex), is not in memory: a run that read it is remembered
// with it and used only at the same index.
import { hashValue } from './actor-runtime.ts';

/** Runs kept per actor; past it the actor's are dropped (a bound on memory, not on what is found). */
const RUNS_PER_ACTOR = 4096;

/**
 * The runs from one machine state, as a tree: the run's first read is the same word for all of
 * them (it depends on the state alone), each value of it leads to the next word read, and so on;
 * a leaf is where a run ended. One look-up reads each word once.
 */
type Node<T> = { word: number; next: Map<number, Node<T>> } | { answer: T; step: number };

interface FromState<T> {
  state: number;
  context: unknown;
  root: Node<T>;
}

export class SoloMemo<T> {
  /** Per actor: by a hash of its machine state, the runs remembered from there. */
  private readonly byActor: Map<number, FromState<T>[]>[] = [];
  private readonly counts: number[] = [];

  /** The answer of a remembered run of `actor` from this state and memory, if one holds. */
  recall(actor: number, state: number, context: unknown, memory: Int32Array, step: number): T | undefined {
    const from = this.from(actor, state, context);
    if (!from) return undefined;
    let n: Node<T> | undefined = from.root;
    while (n && 'word' in n) n = n.next.get(memory[n.word]);
    return n && (n.step < 0 || n.step === step) ? n.answer : undefined;
  }

  /**
   * Remembers a run of `actor` from `state` and `context` (a copy is kept) that read `reads` (word
   * indices in the order read, repeats allowed), `memory` being as it was before the run; `step`
   * is the step index it read (-1: none). Words past `limit` (outside what a snapshot puts back)
   * make the run not remembered.
   */
  remember(actor: number, state: number, context: unknown, reads: readonly number[], memory: Int32Array, limit: number, step: number, answer: T): void {
    const words = [...new Set(reads)];
    if (words.some((w) => w >= limit)) return;
    if ((this.counts[actor] = (this.counts[actor] ?? 0) + 1) > RUNS_PER_ACTOR) {
      this.byActor[actor] = new Map();
      this.counts[actor] = 1;
    }
    let from = this.from(actor, state, context);
    const leaf: Node<T> = { answer, step };
    const chain = (i: number): Node<T> => (i === words.length ? leaf : { word: words[i], next: new Map([[memory[words[i]], chain(i + 1)]]) });
    if (!from) {
      from = { state, context: structuredClone(context), root: chain(0) };
      const byState = (this.byActor[actor] ??= new Map());
      const key = hashValue(context, state);
      byState.set(key, [...(byState.get(key) ?? []), from]);
      return;
    }
    let n: Node<T> = from.root;
    for (let i = 0; ; i++) {
      // A run that read other words than the tree says from here (it cannot, being a function
      // of what it read), or ended where others went on: kept out, never trusted.
      if (!('word' in n)) {
        // The same run again (at another step index, if it read it): the latest is kept.
        if (i === words.length) Object.assign(n, leaf);
        return;
      }
      if (i === words.length || n.word !== words[i]) return;
      const next = n.next.get(memory[words[i]]);
      if (!next) {
        n.next.set(memory[words[i]], chain(i + 1));
        return;
      }
      n = next;
    }
  }

  private from(actor: number, state: number, context: unknown): FromState<T> | undefined {
    const runs = this.byActor[actor]?.get(hashValue(context, state));
    if (!runs) return undefined;
    for (const r of runs) if (r.state === state && samePlainData(r.context, context)) return r;
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
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !samePlainData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
