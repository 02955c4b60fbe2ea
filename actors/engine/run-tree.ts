// The runs remembered from one machine state (solo-memo.ts), as a tree packed into one array: the
// first word every run reads is the same (it depends on the state alone), each value read of a
// word leads to the next word read, and so on. A node is a stretch of words every run through it
// read with these values, then either the end of a run (its answer) or a word whose value picks
// the child to go on in. Packed, a walk reads one block of memory; as objects (a node, its
// arrays, a Map of children) each node cost about 0.7 us of waiting on a large heap.
import { grown } from './grown.ts';
import type { OrderCoder } from './timestamp-order.ts';

/**
 * A node at offset o: [o] pairs in its stretch, [o+1] the word that picks a child (-1: a run ends
 * here), [o+2] first child (or, where a run ends, its answer's index), [o+3] the step index the
 * run read (-1: none), [o+4] next sibling (-1: none), [o+5] the value of the parent's word that
 * leads here, then the stretch as (word, value) pairs.
 */
const PAIRS = 0;
const BRANCH_WORD = 1;
const CHILD_OR_ANSWER = 2;
const STEP = 3;
const NEXT = 4;
const EDGE = 5;
const HEADER = 6;

export class RunTree<T> {
  private t: Int32Array;
  private used = 0;
  private readonly answers: T[] = [];

  /** A tree of one run: `words` read (each once, first read first) holding `values`. */
  constructor(words: Int32Array, values: Int32Array, step: number, answer: T) {
    this.t = new Int32Array(Math.max(64, 2 * (HEADER + 2 * words.length)));
    this.leaf(words, values, 0, step, answer, -1);
  }

  /**
   * The answer of the remembered run whose every word holds its value in `memory`, if one does
   * and it read no step index or read `step`; that run is left in `path`, with the values memory
   * holds. Words marked in `isTimestamp` are compared by `coder`'s codes, as `add` was given them.
   */
  find(memory: Int32Array, step: number, path: RunPath, isTimestamp: Uint8Array, coder: OrderCoder): T | undefined {
    const t = this.t;
    let pairs = path.pairs;
    let count = 0;
    let o = 0;
    coder.reset();
    for (;;) {
      const n = t[o + PAIRS];
      if (pairs.length < 2 * (count + n + 1)) pairs = growPath(path, 2 * (count + n + 1));
      const end = o + HEADER + 2 * n;
      for (let k = o + HEADER; k < end; k += 2) {
        const w = t[k];
        const raw = memory[w];
        if ((isTimestamp[w] ? coder.code(raw) : raw) !== t[k + 1]) return undefined;
        pairs[2 * count] = w;
        pairs[2 * count + 1] = raw;
        count++;
      }
      const word = t[o + BRANCH_WORD];
      if (word < 0) {
        const runStep = t[o + STEP];
        if (runStep >= 0 && runStep !== step) return undefined;
        path.count = count;
        path.step = runStep;
        return this.answers[t[o + CHILD_OR_ANSWER]];
      }
      const raw = memory[word];
      const v = isTimestamp[word] ? coder.code(raw) : raw;
      let c = t[o + CHILD_OR_ANSWER];
      while (c >= 0 && t[c + EDGE] !== v) c = t[c + NEXT];
      if (c < 0) return undefined;
      pairs[2 * count] = word;
      pairs[2 * count + 1] = raw;
      count++;
      o = c;
    }
  }

  /**
   * Adds a run that read `words` (each once, first read first) holding `values` (a timestamp's:
   * its code, see find). A run that read other words than the tree says it would from there (it
   * cannot, being a function of what it read), or ended where others went on, or went on where
   * one ended, is kept out; the same run again (at another step index, if it read it) replaces
   * the one kept.
   */
  add(words: Int32Array, values: Int32Array, step: number, answer: T): void {
    let o = 0;
    let at = 0;
    for (;;) {
      const n = this.t[o + PAIRS];
      let i = 0;
      while (i < n && at + i < words.length && words[at + i] === this.t[o + HEADER + 2 * i] && values[at + i] === this.t[o + HEADER + 2 * i + 1]) i++;
      if (i < n) {
        if (at + i === words.length || words[at + i] !== this.t[o + HEADER + 2 * i]) return;
        this.split(o, i, words, values, at + i, step, answer);
        return;
      }
      at += i;
      const word = this.t[o + BRANCH_WORD];
      if (word < 0) {
        if (at === words.length) {
          this.answers[this.t[o + CHILD_OR_ANSWER]] = answer;
          this.t[o + STEP] = step;
        }
        return;
      }
      if (at === words.length || words[at] !== word) return;
      let c = this.t[o + CHILD_OR_ANSWER];
      while (c >= 0 && this.t[c + EDGE] !== values[at]) c = this.t[c + NEXT];
      if (c < 0) {
        const first = this.t[o + CHILD_OR_ANSWER];
        const leaf = this.leaf(words, values, at + 1, step, answer, values[at]);
        this.t[leaf + NEXT] = first;
        this.t[o + CHILD_OR_ANSWER] = leaf;
        return;
      }
      o = c;
      at++;
    }
  }

  /**
   * Node `o`'s stretch differs from the new run at its pair `i` (same word, another value, the
   * run's index `at`): `o` keeps the pairs before it and branches on that word, to a tail (the
   * rest of `o`, its children or answer) and to a leaf (the rest of the run).
   */
  private split(o: number, i: number, words: Int32Array, values: Int32Array, at: number, step: number, answer: T): void {
    const n = this.t[o + PAIRS];
    const tailPairs = n - i - 1;
    const tail = this.alloc(HEADER + 2 * tailPairs);
    const t = this.t;
    t[tail + PAIRS] = tailPairs;
    t[tail + BRANCH_WORD] = t[o + BRANCH_WORD];
    t[tail + CHILD_OR_ANSWER] = t[o + CHILD_OR_ANSWER];
    t[tail + STEP] = t[o + STEP];
    t[tail + EDGE] = t[o + HEADER + 2 * i + 1];
    t.copyWithin(tail + HEADER, o + HEADER + 2 * (i + 1), o + HEADER + 2 * n);
    const leaf = this.leaf(words, values, at + 1, step, answer, values[at]);
    // alloc may have moved the array: read it again.
    this.t[tail + NEXT] = leaf;
    this.t[o + PAIRS] = i;
    this.t[o + BRANCH_WORD] = words[at];
    this.t[o + CHILD_OR_ANSWER] = tail;
    this.t[o + STEP] = -1;
  }

  /** A new node where a run ends: its pairs from `from` on, its answer; returns its offset. */
  private leaf(words: Int32Array, values: Int32Array, from: number, step: number, answer: T, edge: number): number {
    const n = words.length - from;
    const o = this.alloc(HEADER + 2 * n);
    const t = this.t;
    t[o + PAIRS] = n;
    t[o + BRANCH_WORD] = -1;
    t[o + CHILD_OR_ANSWER] = this.answers.push(answer) - 1;
    t[o + STEP] = step;
    t[o + NEXT] = -1;
    t[o + EDGE] = edge;
    for (let i = 0; i < n; i++) {
      t[o + HEADER + 2 * i] = words[from + i];
      t[o + HEADER + 2 * i + 1] = values[from + i];
    }
    return o;
  }

  private alloc(length: number): number {
    this.t = grown(this.t, this.used + length, this.used);
    const o = this.used;
    this.used += length;
    return o;
  }
}

/** A run found: every word it read, with its value, as (word, value) pairs in the order read; the step index it read (-1: none). */
export interface RunPath {
  pairs: Int32Array;
  count: number;
  step: number;
}

function growPath(path: RunPath, length: number): Int32Array {
  path.pairs = grown(path.pairs, length);
  return path.pairs;
}
