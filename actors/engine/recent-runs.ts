// The runs last recalled from one machine state (solo-memo.ts), packed into one array: a recall
// mostly finds one of them, and checking them one after the other in a single block of memory
// costs a fraction of following each run's own arrays, scattered over a large heap (a recall
// used to wait on memory for most of its time).

import { grown } from './grown.ts';

/** Per run: [pairs, step, word0, value0, word1, value1, ...]; `step` is the step index it read, or -1. */
const HEADER = 2;

/** A swap's copy of one run (grown as needed; recalls run one at a time). */
let scratch = new Int32Array(256);

export class RecentRuns<T> {
  private packed = new Int32Array(64);
  /** Ints of `packed` in use. */
  private used = 0;
  /** The runs' answers, in the order the runs are packed (latest recalled first). */
  private readonly answers: T[] = [];

  constructor(private readonly capacity: number) {}

  /**
   * The answer of the first run whose every word holds its value in `memory` (and that read no
   * step index, or read `step`), if one does. It moves one place toward the front: the runs
   * recalled most are checked first.
   */
  find(memory: Int32Array, step: number): T | undefined {
    const p = this.packed;
    let previous = -1;
    let at = 0;
    for (let i = 0; i < this.answers.length; i++) {
      const end = at + HEADER + 2 * p[at];
      const runStep = p[at + 1];
      if (runStep < 0 || runStep === step) {
        let k = at + HEADER;
        while (k < end && memory[p[k]] === p[k + 1]) k += 2;
        if (k === end) {
          const answer = this.answers[i];
          if (i > 0) this.swapWithPrevious(i, previous, at, end);
          return answer;
        }
      }
      previous = at;
      at = end;
    }
    return undefined;
  }

  /** Puts a run first (`count` (word, value) pairs: the words it read, with the values they must hold), dropping the last past capacity. */
  add(pairs: Int32Array, count: number, step: number, answer: T): void {
    if (this.answers.length === this.capacity) {
      this.used = this.startOf(this.answers.length - 1);
      this.answers.pop();
    }
    const length = HEADER + 2 * count;
    this.packed = grown(this.packed, this.used + length, this.used);
    const p = this.packed;
    p.copyWithin(length, 0, this.used);
    p[0] = count;
    p[1] = step;
    p.set(pairs.subarray(0, 2 * count), HEADER);
    this.used += length;
    this.answers.unshift(answer);
  }

  /** Where the `index`th run starts in `packed`. */
  private startOf(index: number): number {
    let at = 0;
    for (let i = 0; i < index; i++) at += HEADER + 2 * this.packed[at];
    return at;
  }

  /** Run `i` (at [start, end)) and the one before it (from `previous`) trade places. */
  private swapWithPrevious(i: number, previous: number, start: number, end: number): void {
    const length = end - start;
    scratch = grown(scratch, length, 0);
    scratch.set(this.packed.subarray(start, end));
    this.packed.copyWithin(previous + length, previous, start);
    this.packed.set(scratch.subarray(0, length), previous);
    const answer = this.answers[i];
    this.answers[i] = this.answers[i - 1];
    this.answers[i - 1] = answer;
  }
}
