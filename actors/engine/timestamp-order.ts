// Timestamps by their order, not their values. The arm64 model only compares timestamps and
// takes maxima of them (memory-model/arm64.ts; a new write's is later than every one in memory),
// so a run that reads timestamps in the same order relations behaves alike whatever their
// values. Coding each one by where it falls among those met earlier on the same run (0 kept
// apart: no write, the initial value) gives two memories the same codes exactly when the
// timestamps read so far are order-isomorphic: a run remembered from one holds for the other.

import { grown } from './grown.ts';

/** Which words of the world's memory hold timestamps; `generation` changes whenever one is added. */
export interface TimestampWords {
  readonly isTimestamp: Uint8Array;
  readonly generation: number;
}

export class OrderCoder {
  /** The distinct nonzero timestamps met so far, ascending. */
  private seen = new Int32Array(64);
  private count = 0;

  /** Starts a new run: no timestamp met yet. */
  reset(): void {
    this.count = 0;
  }

  /**
   * The code of timestamp `t` on this run: 0 for 0; 2k+1 for the k-th (from 0) of those met,
   * in ascending order; 2k+2 for a new one with k of those met below it (then met).
   */
  code(t: number): number {
    if (t === 0) return 0;
    const seen = this.seen;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seen[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.count && seen[lo] === t) return 2 * lo + 1;
    this.seen = grown(seen, this.count + 1, this.count);
    this.seen.copyWithin(lo + 1, lo, this.count);
    this.seen[lo] = t;
    this.count++;
    return 2 * lo + 2;
  }
}
