// Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010).
// Each run gives the actors distinct random priorities d..d+n-1 and picks d-1 change points
// among the first k steps; the highest-priority runnable actor always runs, and at the i-th
// change point the running actor drops to priority i. A bug of depth d is found with
// probability at least 1/(n * k^(d-1)) per run. k is estimated from the runs seen so far.
import type { Rng } from '../rng.ts';
import type { PortableScheduler, RunStart } from './scheduler.ts';

export class PctScheduler implements PortableScheduler {
  readonly name = 'pct';
  readonly strategy = 'pct';
  private priority: number[] = [];
  private changePoints = new Map<number, number>();
  private k: number;

  constructor(readonly depth: number, initialK = 100) {
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`PCT depth must be a positive integer, got ${depth}`);
    this.k = initialK;
  }

  beginRun(run: RunStart): void {
    const { rng, actors } = run;
    const order = shuffled(actors, rng);
    this.priority = new Array(actors);
    order.forEach((actor, i) => (this.priority[actor] = this.depth + i));
    this.changePoints.clear();
    const k = Math.max(1, Math.min(this.k, run.stepLimit));
    for (let i = 1; i < this.depth; i++) {
      // d-1 distinct steps in [0, k); if k is smaller than d-1, some coincide and are dropped.
      this.changePoints.set(rng.below(k), i);
    }
  }

  pick(enabled: readonly number[], step: number): number {
    let best = this.highest(enabled);
    const drop = this.changePoints.get(step);
    if (drop !== undefined) {
      this.priority[best] = drop;
      best = this.highest(enabled);
    }
    return best;
  }

  endRun(steps: number): void {
    if (steps > this.k) this.k = steps;
  }

  // What pick() reads: the priorities and the change points still ahead. k is the main
  // thread's (endRun), so it is not part of it.
  saveState(out: Int32Array, at: number): number {
    let i = at;
    out[i++] = this.priority.length;
    for (const p of this.priority) out[i++] = p;
    out[i++] = this.changePoints.size;
    for (const [step, drop] of this.changePoints) {
      out[i++] = step;
      out[i++] = drop;
    }
    return i - at;
  }

  loadState(from: Int32Array, at: number): void {
    let i = at;
    this.priority.length = from[i++];
    for (let a = 0; a < this.priority.length; a++) this.priority[a] = from[i++];
    this.changePoints.clear();
    for (let c = from[i++]; c > 0; c--) {
      const step = from[i++];
      this.changePoints.set(step, from[i++]);
    }
  }

  private highest(enabled: readonly number[]): number {
    let best = enabled[0];
    for (const a of enabled) if (this.priority[a] > this.priority[best]) best = a;
    return best;
  }
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
