// Happens-before over the steps of one execution, with vector clocks. e happens before e' when a
// chain of program order (steps of one actor) and dependence (conflicting accesses, both visible)
// leads from e to e'. Per word, the last write and the reads since are enough to find every step a
// new one depends on directly: any earlier conflicting step happens before one of those.
import type { Footprint } from './footprint.ts';

export interface ExecutedStep {
  readonly actor: number;
  readonly footprint: Footprint;
  /** Vector clock: for each actor, how many of its steps happen before or are this one. */
  readonly clock: Int32Array;
  /** This step's number among its actor's steps, from 1. */
  readonly local: number;
  /** The value it left in each word it wrote (parallel to footprint.writes). */
  readonly written: Int32Array;
}

export class HappensBefore {
  private readonly lastWrite = new Map<number, number>();
  private readonly readsSince = new Map<number, number[]>();
  private lastVisible = -1;
  /** Every step that wrote / read each word, and every visible step, in order. */
  private readonly writesOf = new Map<number, number[]>();
  private readonly readsOf = new Map<number, number[]>();
  private readonly visibles: number[] = [];
  private readonly lastOf: number[];
  readonly steps: ExecutedStep[] = [];

  constructor(private readonly actors: number) {
    this.lastOf = new Array(actors).fill(-1);
  }

  /** Index of `actor`'s latest step so far, -1 if none. */
  lastStepOf(actor: number): number {
    return this.lastOf[actor];
  }

  /** True if step i happens before everything `actor` does next (i.e. before its latest step). */
  happensBeforeActor(i: number, actor: number): boolean {
    const last = this.lastOf[actor];
    if (last < 0) return false;
    const s = this.steps[i];
    return this.steps[last].clock[s.actor] >= s.local;
  }

  /** Earlier steps of other actors that a step with footprint `f` conflicts with directly. */
  conflicts(f: Footprint, actor: number): number[] {
    const out: number[] = [];
    const add = (i: number | undefined) => {
      if (i !== undefined && i >= 0 && this.steps[i].actor !== actor) out.push(i);
    };
    for (const w of f.reads) add(this.lastWrite.get(w));
    for (const w of f.writes) {
      add(this.lastWrite.get(w));
      for (const r of this.readsSince.get(w) ?? []) add(r);
    }
    if (f.visible) add(this.lastVisible);
    return out;
  }

  /**
   * Every earlier step of another actor that conflicts with a step of footprint `f`, latest
   * first (a merge of the per-word histories, so the usual case looks at a handful).
   */
  *conflictsLatestFirst(f: Footprint, actor: number): Generator<number> {
    const lists: number[][] = [];
    for (const w of f.reads) push(lists, this.writesOf.get(w));
    for (const w of f.writes) {
      push(lists, this.writesOf.get(w));
      push(lists, this.readsOf.get(w));
    }
    if (f.visible) push(lists, this.visibles);
    const at = lists.map((l) => l.length - 1);
    let last = Infinity;
    for (;;) {
      let best = -1;
      let from = -1;
      for (let k = 0; k < lists.length; k++) {
        if (at[k] >= 0 && lists[k][at[k]] > best) {
          best = lists[k][at[k]];
          from = k;
        }
      }
      if (from < 0) return;
      at[from]--;
      if (best === last || this.steps[best].actor === actor) continue;
      last = best;
      yield best;
    }
  }

  /** True if step j happens after step i (or is it). */
  happensAfter(i: number, j: number): boolean {
    const s = this.steps[i];
    return this.steps[j].clock[s.actor] >= s.local;
  }

  /**
   * The value of `word` in the state where step i and everything after it in happens-before
   * order have been taken out (the other steps keep their order): its latest remaining writer's
   * value, else `initial`'s.
   */
  valueWithout(i: number, word: number, initial: Int32Array): number {
    const writers = this.writesOf.get(word);
    if (writers) {
      for (let k = writers.length - 1; k >= 0; k--) {
        const j = writers[k];
        if (j >= i && this.happensAfter(i, j)) continue;
        const st = this.steps[j];
        return st.written[indexOf(st.footprint.writes, word)];
      }
    }
    return initial[word];
  }

  /** The clock a next step of `actor` with footprint `f` would have (without appending it). */
  clockOf(actor: number, f: Footprint): Int32Array {
    const clock = new Int32Array(this.actors);
    const prev = this.lastOf[actor];
    if (prev >= 0) clock.set(this.steps[prev].clock);
    for (const i of this.conflicts(f, actor)) {
      const c = this.steps[i].clock;
      for (let a = 0; a < clock.length; a++) if (c[a] > clock[a]) clock[a] = c[a];
    }
    clock[actor]++;
    return clock;
  }

  /** True if step i happens before a step with vector clock `clock`. */
  happensBeforeClock(i: number, clock: Int32Array): boolean {
    const s = this.steps[i];
    return clock[s.actor] >= s.local;
  }

  /** Appends a step, computing its clock from program order and its direct conflicts. */
  push(actor: number, f: Footprint, written: Int32Array): ExecutedStep {
    const clock = this.clockOf(actor, f);
    const local = clock[actor];
    const step = { actor, footprint: f, clock, local, written };
    this.index(step);
    return step;
  }

  /** Appends a step whose clock is already known (a prefix re-executed unchanged). */
  pushKnown(step: ExecutedStep): void {
    this.index(step);
  }

  private index(step: ExecutedStep): void {
    const i = this.steps.length;
    this.steps.push(step);
    this.lastOf[step.actor] = i;
    for (const w of step.footprint.reads) {
      append(this.readsOf, w, i);
      const rs = this.readsSince.get(w);
      if (rs) rs.push(i);
      else this.readsSince.set(w, [i]);
    }
    for (const w of step.footprint.writes) {
      append(this.writesOf, w, i);
      this.lastWrite.set(w, i);
      this.readsSince.delete(w);
    }
    if (step.footprint.visible) {
      this.lastVisible = i;
      this.visibles.push(i);
    }
  }
}

function indexOf(sorted: Int32Array, v: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === v) return mid;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function append(m: Map<number, number[]>, w: number, i: number): void {
  const l = m.get(w);
  if (l) l.push(i);
  else m.set(w, [i]);
}

function push(lists: number[][], l: number[] | undefined): void {
  if (l && l.length) lists.push(l);
}
