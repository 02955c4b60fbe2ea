// The shared words of a stress run, next to the world's buffer: the stop and stutter flags, the
// global step sequence, the step lock, per-actor lock counts and latency histograms, and each
// actor's ring of recent steps (the only ordering a free run has). Workers write their own
// slots; the main thread reads them for progress figures and for the trace of a violation.

export const enum G {
  STOP = 0,
  /** Global step sequence: every step takes a number when it starts and when it ends. */
  SEQ = 1,
  STEP_LOCK = 2,
  /** 1 while stutter pauses every worker. */
  PAUSE = 3,
  /** Non-daemon actors that have stopped (holding no lock). */
  QUIESCED = 4,
  /** Bumped after every step: what pollers sleep on. */
  CHANGE = 5,
  SLEEPERS = 6,
  READY = 7,
  GO = 8,
  /** 1 + the actor whose step first saw the violation. */
  VIOLATOR = 9,
  /** Worker failure (an actor threw). */
  FAILED = 10,
  STEPS = 11,
}
const HEADER = 16;

/** Per lock and actor: write/read acquisitions and attempts. */
export const enum C {
  W_ACQ = 0,
  R_ACQ = 1,
  W_ATT = 2,
  R_ATT = 3,
}
const COUNTS = 4;

/** Latency histograms per lock and actor. */
export const enum H {
  W_LAT = 0,
  R_LAT = 1,
  W_HOLD = 2,
  R_HOLD = 3,
}
export const HISTS = 4;
/** Quarter-octave buckets of nanoseconds: bucket b holds [2^(b/4), 2^((b+1)/4)) ns, up to ~3.6 s. */
export const BUCKETS = 128;

export const RING = 512;
/** Ring entry: start sequence, end sequence, from state, to state, transition. */
const ENTRY = 5;

export interface RingEntry {
  actor: number;
  startSeq: number;
  endSeq: number;
  from: number;
  to: number;
  transition: number;
}

export class StressBlock {
  readonly i32: Int32Array;
  readonly max: Float64Array;
  private readonly countsBase: number;
  private readonly histBase: number;
  private readonly ringBase: number;
  private readonly headBase: number;

  constructor(readonly actors: number, readonly locks: number, readonly sab = StressBlock.allocate(actors, locks), readonly maxSab = new SharedArrayBuffer(8 * Math.max(1, locks * actors * HISTS))) {
    this.i32 = new Int32Array(sab);
    this.max = new Float64Array(maxSab);
    this.countsBase = HEADER;
    this.histBase = this.countsBase + locks * actors * COUNTS;
    this.headBase = this.histBase + locks * actors * HISTS * BUCKETS;
    this.ringBase = this.headBase + actors;
  }

  private static allocate(actors: number, locks: number): SharedArrayBuffer {
    const words = HEADER + locks * actors * (COUNTS + HISTS * BUCKETS) + actors * (1 + RING * ENTRY);
    return new SharedArrayBuffer(words * 4);
  }

  get(g: G): number {
    return Atomics.load(this.i32, g);
  }

  set(g: G, v: number): void {
    Atomics.store(this.i32, g, v);
    Atomics.notify(this.i32, g);
  }

  add(g: G, d: number): number {
    return Atomics.add(this.i32, g, d);
  }

  count(lock: number, actor: number, c: C): number {
    return Atomics.load(this.i32, this.countsBase + (lock * this.actors + actor) * COUNTS + c);
  }

  bump(lock: number, actor: number, c: C): void {
    Atomics.add(this.i32, this.countsBase + (lock * this.actors + actor) * COUNTS + c, 1);
  }

  /** Records a duration in milliseconds (performance.now() differences). */
  record(lock: number, actor: number, h: H, ms: number): void {
    const ns = ms * 1e6;
    const b = ns < 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(ns) * 4));
    Atomics.add(this.i32, this.histBase + ((lock * this.actors + actor) * HISTS + h) * BUCKETS + b, 1);
    const m = (lock * this.actors + actor) * HISTS + h;
    if (ms > this.max[m]) this.max[m] = ms; // only this actor's worker writes it
  }

  /** The histogram of one lock and kind, summed over actors. */
  histogram(lock: number, h: H): { buckets: number[]; maxMs: number } {
    const buckets = new Array<number>(BUCKETS).fill(0);
    let maxMs = 0;
    for (let a = 0; a < this.actors; a++) {
      const base = this.histBase + ((lock * this.actors + a) * HISTS + h) * BUCKETS;
      for (let b = 0; b < BUCKETS; b++) buckets[b] += Atomics.load(this.i32, base + b);
      maxMs = Math.max(maxMs, this.max[(lock * this.actors + a) * HISTS + h]);
    }
    return { buckets, maxMs };
  }

  /** Appends a step to `actor`'s ring (only that actor's worker calls this). */
  log(actor: number, e: Omit<RingEntry, 'actor'>): void {
    const head = this.i32[this.headBase + actor];
    const at = this.ringBase + (actor * RING + (head % RING)) * ENTRY;
    this.i32[at] = e.startSeq;
    this.i32[at + 1] = e.endSeq;
    this.i32[at + 2] = e.from;
    this.i32[at + 3] = e.to;
    this.i32[at + 4] = e.transition;
    Atomics.store(this.i32, this.headBase + actor, head + 1);
  }

  /** Every actor's recent steps, merged in the order they ended (a lock step takes effect last). */
  ordering(): RingEntry[] {
    const out: RingEntry[] = [];
    // Before the oldest step a wrapped ring still holds, that actor's steps are missing: the
    // merged window starts after the latest such point, so no actor's steps are left out.
    let from = -Infinity;
    for (let a = 0; a < this.actors; a++) {
      const head = Atomics.load(this.i32, this.headBase + a);
      if (head > RING) from = Math.max(from, this.i32[this.ringBase + (a * RING + (head % RING)) * ENTRY + 1]);
    }
    for (let a = 0; a < this.actors; a++) {
      const head = Atomics.load(this.i32, this.headBase + a);
      for (let k = Math.max(0, head - RING); k < head; k++) {
        const at = this.ringBase + (a * RING + (k % RING)) * ENTRY;
        out.push({ actor: a, startSeq: this.i32[at], endSeq: this.i32[at + 1], from: this.i32[at + 2], to: this.i32[at + 3], transition: this.i32[at + 4] });
      }
    }
    return out.filter((e) => e.endSeq >= from).sort((x, y) => x.endSeq - y.endSeq);
  }

  /** Futex-style lock that keeps each step of an atomic-step model whole. */
  stepLock(): void {
    const a = this.i32;
    for (let s = 0; s < 200; s++) if (Atomics.compareExchange(a, G.STEP_LOCK, 0, 1) === 0) return;
    while (Atomics.exchange(a, G.STEP_LOCK, 2) !== 0) Atomics.wait(a, G.STEP_LOCK, 2);
  }

  tryStepLock(): boolean {
    return Atomics.compareExchange(this.i32, G.STEP_LOCK, 0, 1) === 0;
  }

  stepUnlock(): void {
    if (Atomics.exchange(this.i32, G.STEP_LOCK, 0) === 2) Atomics.notify(this.i32, G.STEP_LOCK, 1);
  }

  /** After a step: wake pollers whose wait may now be ready. */
  changed(): void {
    Atomics.add(this.i32, G.CHANGE, 1);
    // Wake a few, not all: with many pollers, waking every one on every step is a herd that
    // eats the cores; the rest look again within their timeout.
    if (Atomics.load(this.i32, G.SLEEPERS) > 0) Atomics.notify(this.i32, G.CHANGE, 2);
  }

  /** Sleeps until some step happens (or `ms` pass), from the CHANGE value read before checking. */
  sleepOnChange(seen: number, ms: number): void {
    Atomics.add(this.i32, G.SLEEPERS, 1);
    Atomics.wait(this.i32, G.CHANGE, seen, ms);
    Atomics.sub(this.i32, G.SLEEPERS, 1);
  }
}

/** Representative value (ms) of a bucket: its geometric middle. */
export function bucketMs(b: number): number {
  return 2 ** ((b + 0.5) / 4) / 1e6;
}
