// verify --state-cache: a state reached twice is explored once. A state is the scenario's shared
// memory plus every actor's state and context; it is fingerprinted with two independent 32-bit
// hashes (64 bits: hash compaction, as SPIN's -DHC does; the chance that two of n states share a
// fingerprint is about n^2 / 2^65, reported with the result). The memory part is kept up to date
// from each step's writes (Zobrist-style: XOR of one term per non-zero word), so a fingerprint
// costs what the step touched, not the size of memory.

function mixA(w: number, v: number): number {
  let h = Math.imul(w ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(v, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) | 0;
}

function mixB(w: number, v: number): number {
  let h = Math.imul(v ^ 0x27d4eb2f, 0x165667b1) ^ Math.imul(w, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) | 0;
}

export interface HasherSnapshot {
  shadow: Int32Array;
  m1: number;
  m2: number;
  actor1: Int32Array;
  actor2: Int32Array;
}

/** The running fingerprint of one execution's current state. */
export class StateHasher {
  private readonly shadow: Int32Array;
  private readonly base: [number, number];
  private m1 = 0;
  private m2 = 0;
  private readonly actor1: Int32Array;
  private readonly actor2: Int32Array;

  constructor(
    private readonly initial: Int32Array,
    private readonly actors: number,
    private readonly actorHash: (actor: number, seed: number) => number,
  ) {
    this.shadow = new Int32Array(initial.length);
    let b1 = 0;
    let b2 = 0;
    for (let w = 0; w < initial.length; w++) {
      if (initial[w] !== 0) {
        b1 ^= mixA(w, initial[w]);
        b2 ^= mixB(w, initial[w]);
      }
    }
    this.base = [b1, b2];
    this.actor1 = new Int32Array(actors);
    this.actor2 = new Int32Array(actors);
  }

  /** Back to the initial state (memory as after init, every actor as reset). */
  reset(): void {
    this.shadow.set(this.initial);
    [this.m1, this.m2] = this.base;
    for (let a = 0; a < this.actors; a++) this.rehashActor(a);
  }

  /** Everything needed to come back to this point (verify's stateful search restores it). */
  save(): HasherSnapshot {
    return { shadow: this.shadow.slice(), m1: this.m1, m2: this.m2, actor1: this.actor1.slice(), actor2: this.actor2.slice() };
  }

  restore(s: HasherSnapshot): void {
    this.shadow.set(s.shadow);
    this.m1 = s.m1;
    this.m2 = s.m2;
    this.actor1.set(s.actor1);
    this.actor2.set(s.actor2);
  }

  /** Takes in a step of `actor` that wrote `writes` (memory now holds the values). */
  stepped(actor: number, writes: Int32Array, memory: Int32Array): void {
    for (const w of writes) {
      if (w >= this.shadow.length) continue;
      const old = this.shadow[w];
      const now = memory[w];
      if (old === now) continue;
      if (old !== 0) {
        this.m1 ^= mixA(w, old);
        this.m2 ^= mixB(w, old);
      }
      if (now !== 0) {
        this.m1 ^= mixA(w, now);
        this.m2 ^= mixB(w, now);
      }
      this.shadow[w] = now;
    }
    this.rehashActor(actor);
  }

  private rehashActor(a: number): void {
    this.actor1[a] = mixA(a, this.actorHash(a, 0x811c9dc5));
    this.actor2[a] = mixB(a, this.actorHash(a, 0x050c5d1f));
  }

  /** The state's fingerprint, with `extra` (e.g. the actor that ran last) mixed in. */
  fingerprint(extra: number): [number, number] {
    let h1 = this.m1 ^ mixA(-1, extra);
    let h2 = this.m2 ^ mixB(-1, extra);
    for (let a = 0; a < this.actors; a++) {
      h1 ^= this.actor1[a];
      h2 ^= this.actor2[a];
    }
    return [h1, h2];
  }
}

/** What the cache keeps of an explored state. */
export interface StateRecord {
  /** Still being explored (on the current path): its subtree is not complete. */
  onStack: boolean;
  /** Actors asleep when it was explored (sorted): it covers a visit where at least these sleep. */
  sleep: number[];
  /** Preemptions used on the path that first reached it (bounded search). */
  preemptions: number;
}

/** Fingerprint -> record, in open-addressed typed arrays (12 bytes a slot plus the records). */
export class VisitedStates {
  private keys = new Int32Array(2 * 1024);
  private index = new Int32Array(1024).fill(-1);
  private readonly records: StateRecord[] = [];

  get size(): number {
    return this.records.length;
  }

  /** Bytes the table and its records take (an estimate for reports: ~64 bytes a record object). */
  bytes(): number {
    let sleepers = 0;
    for (const r of this.records) sleepers += r.sleep.length;
    return this.keys.byteLength + this.index.byteLength + this.records.length * 64 + sleepers * 8;
  }

  get([h1, h2]: [number, number]): StateRecord | undefined {
    const slot = this.find(h1, h2);
    const i = this.index[slot];
    return i < 0 ? undefined : this.records[i];
  }

  add([h1, h2]: [number, number], r: StateRecord): void {
    if ((this.records.length + 1) * 2 > this.index.length) this.grow();
    const slot = this.find(h1, h2);
    if (this.index[slot] >= 0) throw new Error('state cache: fingerprint added twice');
    this.keys[2 * slot] = h1;
    this.keys[2 * slot + 1] = h2;
    this.index[slot] = this.records.length;
    this.records.push(r);
  }

  private find(h1: number, h2: number): number {
    const mask = this.index.length - 1;
    for (let slot = (h1 ^ (h2 >>> 7)) & mask; ; slot = (slot + 1) & mask) {
      if (this.index[slot] < 0 || (this.keys[2 * slot] === h1 && this.keys[2 * slot + 1] === h2)) return slot;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldIndex = this.index;
    this.keys = new Int32Array(oldKeys.length * 2);
    this.index = new Int32Array(oldIndex.length * 2).fill(-1);
    for (let s = 0; s < oldIndex.length; s++) {
      if (oldIndex[s] < 0) continue;
      const slot = this.find(oldKeys[2 * s], oldKeys[2 * s + 1]);
      this.keys[2 * slot] = oldKeys[2 * s];
      this.keys[2 * slot + 1] = oldKeys[2 * s + 1];
      this.index[slot] = oldIndex[s];
    }
  }
}

/** True if every actor of `a` is in `b` (both sorted). */
export function subsetOf(a: readonly number[], b: readonly number[]): boolean {
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j] < x) j++;
    if (j >= b.length || b[j] !== x) return false;
  }
  return true;
}
