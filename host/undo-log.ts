// The old value of every word a write replaces, while on, so that a trial (a step that may be
// refused, a promise's solo run) is undone by writing back the few words it changed instead of
// copying the whole scenario memory before it and back after it. The writes are those of
// access.ts, the one place modelled code writes shared memory.
import { threadGlobal } from './thread-global.ts';

export class UndoLog {
  on = false;
  /** The memory whose words are kept (a whole-buffer view: access.ts's word indices). */
  private i32: Int32Array = new Int32Array(0);
  /** Words at or past it are not kept (not part of what a snapshot covers). */
  private limit = 0;
  /** (word, old value) pairs, oldest first; `length` of them in use. */
  private entries = new Int32Array(1024);
  private length = 0;
  /** Bumped by each start: a mark taken before it no longer names this log's contents. */
  epoch = 0;

  /** Keeps, from now on, the words of `i32` below `limit` that are written. */
  start(i32: Int32Array, limit: number): void {
    this.i32 = i32;
    this.limit = limit;
    this.length = 0;
    this.epoch++;
    this.on = true;
  }

  stop(): void {
    this.on = false;
    this.length = 0;
    this.epoch++;
  }

  /** A point to undo back to. */
  mark(): number {
    return this.length;
  }

  /** Called before word `i` is written. */
  keep(i: number): void {
    if (i >= this.limit) return;
    if (this.length + 2 > this.entries.length) {
      const grown = new Int32Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[this.length] = i;
    this.entries[this.length + 1] = this.i32[i];
    this.length += 2;
  }

  /** Puts back every word written since `mark`, newest write first. */
  undo(mark: number): void {
    const e = this.entries;
    for (let k = this.length - 2; k >= mark; k -= 2) this.i32[e[k]] = e[k + 1];
    this.length = mark;
  }

  /** Whether `mark`, taken in `epoch`, can still be undone to. */
  holds(epoch: number, mark: number): boolean {
    return this.on && epoch === this.epoch && mark <= this.length;
  }
}

export const undoLog = threadGlobal('undo-log', () => new UndoLog());
