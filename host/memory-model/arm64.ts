// ARMv8's memory model, operationally: the view-based semantics of Promising-ARM (Pulte,
// Pichon-Pharabod, Kang, Lee, Hur, "Promising-ARM/RISC-V: a simpler and faster operational
// concurrency model", PLDI 2019), shown equivalent there to the axiomatic ARMv8 model of Pulte et
// al., "Simplifying ARM concurrency" (POPL 2018) and herd7's aarch64.cat.
//
// Memory is, per location, the list of writes to it in coherence order, each with a global
// timestamp. A store appends. A load may return any write its actor's views do not rule out:
// not older than the latest write at or before max(its coherence view of the location, the view
// its barriers, acquires and dependencies impose). Which one is a draw of the step (0: the newest), so sampling
// picks it and `verify` explores every choice. Barriers, acquire/release and dependencies move
// views; a store may also be promised earlier than it runs (promises.ts), which is how stores
// overtake earlier loads and stores.
//
// Everything lives in shared memory (one region, zeroed with the run), read and written through
// the recorded accessors, so the same state is seen by traces, snapshots and the state cache.
import { modelStateLoad, modelStateStore } from '../access.ts';
import type { Layout } from '../layout.ts';

/** Writes kept per location: a read can see at most this far back (a stated bound of the model). */
export const HISTORY = 8;

// Per actor (thread) views: timestamps.
const V_ROLD = 0; // reads done (for dmb.ld / dmb.sy / release)
const V_WOLD = 1; // writes done (for dmb.st / dmb.sy / release)
const V_RNEW = 2; // floor for later reads (barriers, acquires)
const V_WNEW = 3; // floor for later writes
const V_CAP = 4; // control and address dependencies so far (isb; later writes)
const V_REL = 5; // latest store-release (a later acquire orders after it)
const V_OUTSTANDING = 6; // promises not yet fulfilled
const V_PROMISED = 7; // promise steps taken in this run (each may promise nothing)
const V_FINISHED = 8; // 1 once the actor is in a final state (its promise steps stop)
const VIEW_WORDS = 9;

// Per location: the number of writes kept, then HISTORY writes of (ts, lo, hi).
const M_TS = 0;
const M_LO = 1;
const M_HI = 2;
const MSG = 3;
const LOC_WORDS = 1 + HISTORY * MSG;

// Per actor and location: coherence view, view of its last load (dependencies), its last write
// (forwarding: a load of it sees the write's own view, not its timestamp), and the timestamp of
// its promise there not yet fulfilled (0: none). Private to the actor: no other step reads them.
const C_COH = 0;
const C_LAST = 1;
const C_FWD_TS = 2;
const C_FWD_VIEW = 3;
const C_PROMISE = 4;
const CELL_WORDS = 5;

export type LoadKind = 'plain' | 'acquire';
export type StoreKind = 'plain' | 'release';
export type RmwOrder = 'full' | 'relaxed' | 'acquire' | 'release';
export type Barrier = 'sy' | 'ld' | 'st' | 'isb';

/**
 * An RMW by an actor on a location where it has promised a store, that cannot fulfil that promise
 * (another value, or its views already past it): its write would have to go before its own
 * promise in coherence. Such executions are not explored (the promise is not certified, or the
 * execution is dropped as infeasible): a stated gap, as for a plain store.
 */
/** A step that no execution of the model takes: the engine drops the schedule as infeasible. */
export class NotAnExecution extends Error {
  constructor(message: string) {
    // Solo runs throw and catch these often, and the engine turns them into Infeasible: a stack
    // trace, costly to capture, is never shown.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

export class RmwOverOwnPromise extends NotAnExecution {
  override readonly name = 'RmwOverOwnPromise';
}

/**
 * A load by an actor whose views have reached its own promise there (joined from another view: an
 * IRQ handler's on its CPU): only a write it has not made yet is left to read, which no execution
 * does. Dropped as infeasible, like RmwOverOwnPromise.
 */
export class ReadPastOwnPromise extends NotAnExecution {
  override readonly name = 'ReadPastOwnPromise';
}

/**
 * An actor reached an exception boundary (into or out of a guest) with a store it promised still
 * to come: a store after an exception is not visible before the accesses ahead of the exception
 * (exceptions are precise: the guest's loads and translation walks are done when its exit is
 * taken), so no execution does this. Dropped as infeasible.
 */
export class PromiseAcrossException extends NotAnExecution {
  override readonly name = 'PromiseAcrossException';
}

export interface Value {
  lo: number;
  hi: number;
}

export class Arm64Memory {
  private a: Int32Array = new Int32Array(0);
  private base = 0;
  /** Location (slot) + 1 of each 32-bit word of the scenario's memory; 0 if not modelled. */
  readonly slotOf: Int32Array;
  private readonly locations: number;
  /** The locations a hardware walker reads (translation tables: Layout.walkedBy), as slots. */
  private readonly walkedSlots: Int32Array;
  private readonly isWalked: Uint8Array;
  /** Set when a location's history held more writes than HISTORY (the oldest was dropped). */
  historyOverflow = false;
  /**
   * Which words of memory hold timestamps: the model's own (the clock, views, writes' times,
   * coherence and promise cells), and host words a view was published into (host/memory-model/view-words.ts),
   * added when first used. Nothing but comparisons and maxima is done with them (see
   * actors/engine/timestamp-order.ts, which sampling's memory of solo runs relies on).
   */
  readonly timestamps: { isTimestamp: Uint8Array; generation: number } = { isTimestamp: new Uint8Array(0), generation: 0 };
  /**
   * While set (a promise's solo run), told of every store: which word, what value, whether it
   * appended a new write (rather than fulfilling a promise), the view it was ordered after, and
   * whether an RMW made it.
   */
  onStore: ((word: number, v: Value, appended: boolean, after: number, rmw: boolean) => void) | undefined;

  /**
   * `modelled` lists the scenario's memory words to model (64-bit elements as their first word,
   * with `wide` set); `actors` the threads that access them.
   */
  constructor(layout: Layout, modelled: readonly { word: number; wide: boolean }[], totalWords: number, readonly actors: number) {
    this.slotOf = new Int32Array(totalWords);
    modelled.forEach((m, s) => {
      this.slotOf[m.word] = s + 1;
      if (m.wide) this.slotOf[m.word + 1] = s + 1;
    });
    this.locations = modelled.length;
    this.walkedSlots = Int32Array.from(new Set(layout.walked.filter((w) => this.covers(w)).map((w) => this.slot(w))));
    this.isWalked = new Uint8Array(this.locations);
    for (const s of this.walkedSlots) this.isWalked[s] = 1;
    const words = 1 + actors * VIEW_WORDS + this.locations * LOC_WORDS + actors * this.locations * CELL_WORDS;
    const region = layout.reserve('arm64 memory model', words * 4, (m) => {
      this.a = m.i32;
      this.base = region.byteOffset / 4;
      this.timestamps.isTimestamp = this.timestampWords(this.base, m.i32.length);
      this.timestamps.generation++;
    });
  }

  /** The model's own words that hold timestamps, its state starting at word `base` (counts, flags and values do not). */
  private timestampWords(base: number, total: number): Uint8Array {
    const is = new Uint8Array(total);
    is[base] = 1;
    for (let a = 0; a < this.actors; a++) for (const f of [V_ROLD, V_WOLD, V_RNEW, V_WNEW, V_CAP, V_REL]) is[base + 1 + a * VIEW_WORDS + f] = 1;
    for (let s = 0; s < this.locations; s++) for (let i = 0; i < HISTORY; i++) is[base + 1 + this.actors * VIEW_WORDS + s * LOC_WORDS + 1 + i * MSG + M_TS] = 1;
    const cells = base + 1 + this.actors * VIEW_WORDS + this.locations * LOC_WORDS;
    is.fill(1, cells, cells + this.actors * this.locations * CELL_WORDS);
    return is;
  }

  /** Word `i` of `a` holds a view (a timestamp) a host structure publishes: noted, if it is this model's memory. */
  noteViewWord(a: Int32Array, i: number): void {
    if (a.buffer !== this.a.buffer) return;
    const word = a.byteOffset / 4 + i;
    if (word >= this.timestamps.isTimestamp.length || this.timestamps.isTimestamp[word]) return;
    this.timestamps.isTimestamp[word] = 1;
    this.timestamps.generation++;
  }

  covers(word: number): boolean {
    return word < this.slotOf.length && this.slotOf[word] !== 0;
  }

  // --- raw fields (recorded accesses: they are part of the state) ---
  private get(i: number): number {
    return modelStateLoad(this.a, i);
  }
  private put(i: number, v: number): void {
    modelStateStore(this.a, i, v);
  }
  private now(): number {
    return this.get(this.base);
  }
  private view(actor: number, f: number): number {
    return this.get(this.base + 1 + actor * VIEW_WORDS + f);
  }
  private setView(actor: number, f: number, v: number): void {
    this.put(this.base + 1 + actor * VIEW_WORDS + f, v);
  }
  private joinView(actor: number, f: number, v: number): void {
    if (v > this.view(actor, f)) this.setView(actor, f, v);
  }
  private loc(slot: number): number {
    return this.base + 1 + this.actors * VIEW_WORDS + slot * LOC_WORDS;
  }
  private cell(actor: number, slot: number, f: number): number {
    return this.base + 1 + this.actors * VIEW_WORDS + this.locations * LOC_WORDS + (actor * this.locations + slot) * CELL_WORDS + f;
  }

  private slot(word: number): number {
    return this.slotOf[word] - 1;
  }

  /** The writes kept for a location, oldest first; the initial value (ts 0) if none yet. */
  private messages(slot: number, initial: () => Value): { ts: number; lo: number; hi: number }[] {
    const at = this.loc(slot);
    const n = this.get(at);
    if (n === 0) {
      const v = initial();
      return [{ ts: 0, lo: v.lo, hi: v.hi }];
    }
    const out = [];
    for (let i = 0; i < n; i++) {
      const m = at + 1 + i * MSG;
      out.push({ ts: this.get(m + M_TS), lo: this.get(m + M_LO), hi: this.get(m + M_HI) });
    }
    return out;
  }

  /** Reused by load: the writes readMessages read. */
  private readonly scratch = { ts: new Int32Array(HISTORY), lo: new Int32Array(HISTORY), hi: new Int32Array(HISTORY) };

  /** messages() into `scratch`, without allocating (a load's hot path): how many there are. */
  private readMessages(slot: number, initial: () => Value): number {
    const { ts, lo, hi } = this.scratch;
    const at = this.loc(slot);
    const n = this.get(at);
    if (n === 0) {
      const v = initial();
      ts[0] = 0;
      lo[0] = v.lo;
      hi[0] = v.hi;
      return 1;
    }
    for (let i = 0; i < n; i++) {
      const m = at + 1 + i * MSG;
      ts[i] = this.get(m + M_TS);
      lo[i] = this.get(m + M_LO);
      hi[i] = this.get(m + M_HI);
    }
    return n;
  }

  private append(slot: number, initial: () => Value, ts: number, v: Value): void {
    const at = this.loc(slot);
    let n = this.get(at);
    if (n === 0) {
      // The location's first write: keep its initial value as the write at time 0.
      const i = initial();
      this.put(at + 1 + M_TS, 0);
      this.put(at + 1 + M_LO, i.lo);
      this.put(at + 1 + M_HI, i.hi);
      n = 1;
    }
    if (n === HISTORY) {
      this.historyOverflow = true;
      for (let i = 1; i < n; i++) for (let f = 0; f < MSG; f++) this.put(at + 1 + (i - 1) * MSG + f, this.get(at + 1 + i * MSG + f));
      n--;
    }
    const m = at + 1 + n * MSG;
    this.put(m + M_TS, ts);
    this.put(m + M_LO, v.lo);
    this.put(m + M_HI, v.hi);
    this.put(at, n + 1);
  }

  /** A new write of `v`, the latest in coherence: the clock moves on to its timestamp, returned. */
  private appendLatest(slot: number, initial: () => Value, v: Value): number {
    const ts = this.now() + 1;
    this.put(this.base, ts);
    this.append(slot, initial, ts, v);
    return ts;
  }

  /** `actor` makes the write it promised at `slot`: no longer outstanding. Returns its timestamp. */
  private fulfil(actor: number, slot: number): number {
    const ts = this.get(this.cell(actor, slot, C_PROMISE));
    this.put(this.cell(actor, slot, C_PROMISE), 0);
    this.setView(actor, V_OUTSTANDING, this.view(actor, V_OUTSTANDING) - 1);
    return ts;
  }

  /**
   * The view a write by `actor` is ordered after: `dep` (its address and data dependencies, or an
   * RMW's own read), earlier barriers and control dependencies, and as a release all before it.
   */
  private writeFloor(actor: number, dep: number, release: boolean): number {
    const floor = Math.max(dep, this.view(actor, V_WNEW), this.view(actor, V_CAP));
    return release ? Math.max(floor, this.view(actor, V_ROLD), this.view(actor, V_WOLD)) : floor;
  }

  /** After `actor` wrote at `ts`: its coherence there, what a later load of it forwards (`fwdView`), its write views. */
  private wrote(actor: number, slot: number, ts: number, fwdView: number, release: boolean): void {
    this.put(this.cell(actor, slot, C_COH), ts);
    this.put(this.cell(actor, slot, C_FWD_TS), ts);
    this.put(this.cell(actor, slot, C_FWD_VIEW), fwdView);
    this.joinView(actor, V_WOLD, ts);
    if (release) this.joinView(actor, V_REL, ts);
  }

  /** The view a dependency on these words' last loads by `actor` carries. */
  dependencyView(actor: number, words: readonly number[]): number {
    let v = 0;
    for (const w of words) if (this.covers(w)) v = Math.max(v, this.get(this.cell(actor, this.slot(w), C_LAST)));
    return v;
  }

  /**
   * A load by `actor`: every write its views allow, one drawn with `draw(n)`. `dep`: the view of
   * its address dependencies.
   */
  load(actor: number, word: number, initial: () => Value, draw: (n: number) => number, kind: LoadKind, dep: number): Value {
    const slot = this.slot(word);
    let pre = Math.max(dep, this.view(actor, V_RNEW));
    if (kind === 'acquire') pre = Math.max(pre, this.view(actor, V_REL));
    const coh = this.get(this.cell(actor, slot, C_COH));
    const floor = Math.max(pre, coh);
    const n = this.readMessages(slot, initial);
    const { ts, lo, hi } = this.scratch;
    // The latest write at or before the floor, and every later one, except the actor's own
    // promise (a write cannot be read before it is made by the thread that makes it).
    const own = this.get(this.cell(actor, slot, C_PROMISE));
    let first = 0;
    for (let i = 0; i < n; i++) if (ts[i] <= floor) first = i;
    let skipped = 0;
    if (own !== 0) for (let i = first; i < n; i++) if (ts[i] === own) skipped = 1;
    const readable = n - first - skipped;
    if (readable === 0) throw new ReadPastOwnPromise(`actor ${actor} can read only its own promised write`);
    // Newest first: draw 0 reads what sequential consistency would, so a script's default (0 past
    // its end: a promise's solo run, verify's first execution) follows the latest writes.
    let k = readable > 1 ? readable - 1 - draw(readable) : 0;
    let m = first;
    for (; ; m++) if (!(skipped && ts[m] === own) && k-- === 0) break;
    const fwd = this.get(this.cell(actor, slot, C_FWD_TS)) === ts[m] && ts[m] !== 0;
    const post = Math.max(pre, fwd ? this.get(this.cell(actor, slot, C_FWD_VIEW)) : ts[m]);
    if (post > coh) this.put(this.cell(actor, slot, C_COH), post);
    this.put(this.cell(actor, slot, C_LAST), post);
    this.joinView(actor, V_ROLD, post);
    if (kind === 'acquire') {
      this.joinView(actor, V_RNEW, post);
      this.joinView(actor, V_WNEW, post);
    }
    return { lo: lo[m], hi: hi[m] };
  }

  /**
   * A store by `actor`: fulfils one of its promises of this value, when its views allow (a draw
   * among those and appending a new write, when there is a choice), or appends. Returns whether
   * the plain word is to take the value: it holds the latest write in coherence order that its
   * actor has executed (promises count once fulfilled), which is the memory invariants judge.
   */
  store(actor: number, word: number, initial: () => Value, draw: (n: number) => number, v: Value, kind: StoreKind, dep: number): boolean {
    const slot = this.slot(word);
    const pre = this.writeFloor(actor, dep, kind === 'release');
    const coh = this.get(this.cell(actor, slot, C_COH));
    const own = this.get(this.cell(actor, slot, C_PROMISE));
    // Its promise of this value here, if the store's views allow fulfilling it (then it may, or
    // it may append and leave the promise to a later store).
    const canFulfil = own !== 0 && own > pre && own > coh && this.messages(slot, initial).some((m) => m.ts === own && m.lo === v.lo && m.hi === v.hi);
    const fulfils = canFulfil && draw(2) === 0;
    const ts = fulfils ? this.fulfil(actor, slot) : this.appendLatest(slot, initial, v);
    this.wrote(actor, slot, ts, dep, kind === 'release');
    this.onStore?.(word, v, !fulfils, Math.max(pre, coh), false);
    return !fulfils || this.latestExecuted(slot, initial).ts === ts;
  }

  /**
   * The location's latest write that has been executed: a write some actor promised and has not
   * yet made in program order is visible to loads, but is not yet part of the state invariants
   * judge (that actor has not reached it; it may never, and the execution is then dropped).
   */
  private latestExecuted(slot: number, initial: () => Value): { ts: number; lo: number; hi: number } {
    const pending = new Set<number>();
    for (let a = 0; a < this.actors; a++) {
      const ts = this.get(this.cell(a, slot, C_PROMISE));
      if (ts !== 0) pending.add(ts);
    }
    const msgs = this.messages(slot, initial).filter((m) => !pending.has(m.ts));
    return msgs[msgs.length - 1];
  }

  /** True if `word` is the first half of a 64-bit location. */
  wide(word: number): boolean {
    return this.covers(word + 1) && this.slotOf[word + 1] === this.slotOf[word];
  }

  /**
   * An atomic read-modify-write (LDXR/STXR or an LSE atomic): it reads the location's latest
   * write and writes right after it, or, where its actor promised this write, reads the write just
   * before the promise and fulfils it (below). `full` is the kernel's fully ordered RMW (cmpxchg,
   * xchg, atomic_*_return): a barrier on each side. Returns the old value, with `hidden` set when
   * the plain word is not to take the new one; `f` gives the new value, or null to write nothing
   * (a failed cmpxchg, which only reads).
   */
  rmw(actor: number, word: number, initial: () => Value, order: RmwOrder, f: (old: Value) => Value | null): Value & { hidden?: boolean } {
    if (order === 'full') this.barrier(actor, 'sy');
    const slot = this.slot(word);
    const own = this.get(this.cell(actor, slot, C_PROMISE));
    const n = this.readMessages(slot, initial);
    const { ts: times, lo, hi } = this.scratch;
    // Atomicity: the write follows the one the RMW read with no other write between. Appended, it
    // follows the latest; fulfilling a promise, it is the promise, so the read is of the write
    // just before it (Promising-ARM's exclusives, PLDI 2019 section 5).
    let at = n - 1;
    if (own !== 0) {
      at = -2;
      for (let i = 0; i < n; i++) {
        if (times[i] === own) {
          at = i - 1;
          break;
        }
      }
    }
    if (at < 0) throw new RmwOverOwnPromise(`an RMW over a promised store of its own whose predecessor is no longer kept`);
    // Taken out of the scratch arrays now: the calls below may read messages again.
    const old = { lo: lo[at], hi: hi[at] };
    const promised = own !== 0 ? { lo: lo[at + 1], hi: hi[at + 1] } : undefined;
    const readTs = times[at];
    const coh = this.get(this.cell(actor, slot, C_COH));
    const post = Math.max(readTs, this.view(actor, V_RNEW));
    // Its views may not have passed its own promise: it would have to read a write after it.
    if (own !== 0 && (post >= own || coh >= own)) throw new RmwOverOwnPromise(`an RMW whose views have passed its own promised store`);
    const acquire = order === 'acquire' || order === 'full';
    const release = order === 'release' || order === 'full';
    this.put(this.cell(actor, slot, C_COH), Math.max(post, coh));
    this.put(this.cell(actor, slot, C_LAST), post);
    this.joinView(actor, V_ROLD, post);
    if (acquire) {
      this.joinView(actor, V_RNEW, post);
      this.joinView(actor, V_WNEW, post);
    }
    const next = f(old);
    let hidden = false;
    if (next) {
      // Ordered after its own read, as a store after its dependencies.
      const after = this.writeFloor(actor, post, release);
      let ts: number;
      if (promised) {
        if (promised.lo !== next.lo || promised.hi !== next.hi || after >= own) throw new RmwOverOwnPromise(`an RMW that cannot make the store it promised there`);
        ts = this.fulfil(actor, slot);
        hidden = this.latestExecuted(slot, initial).ts !== ts;
      } else {
        ts = this.appendLatest(slot, initial, next);
      }
      this.wrote(actor, slot, ts, post, release);
      // A solo run is told of it as of a store: an RMW's write may be promised too.
      this.onStore?.(word, next, own === 0, after, true);
    }
    if (order === 'full') this.barrier(actor, 'sy');
    return { lo: old.lo, hi: old.hi, hidden };
  }

  /** DMB SY / DMB LD / DMB ST, and ISB (control dependencies then order later loads too). */
  barrier(actor: number, kind: Barrier): void {
    const rOld = this.view(actor, V_ROLD);
    const wOld = this.view(actor, V_WOLD);
    if (kind === 'sy') {
      this.joinView(actor, V_RNEW, Math.max(rOld, wOld));
      this.joinView(actor, V_WNEW, Math.max(rOld, wOld));
    } else if (kind === 'ld') {
      this.joinView(actor, V_RNEW, rOld);
      this.joinView(actor, V_WNEW, rOld);
    } else if (kind === 'st') {
      this.joinView(actor, V_WNEW, wOld);
    } else {
      this.joinView(actor, V_RNEW, this.view(actor, V_CAP));
    }
  }

  /** A control dependency on these words' last loads: later stores (and, after an ISB, loads) order after them. */
  controlDependency(actor: number, words: readonly number[]): void {
    this.joinView(actor, V_CAP, this.dependencyView(actor, words));
  }

  /** `actor` takes an exception or returns from one (guest entry or exit): no promise of its may be outstanding. */
  exceptionBoundary(actor: number): void {
    if (this.outstanding(actor) > 0) throw new PromiseAcrossException(`actor ${actor} entered or left the guest with a promised store still to make`);
  }

  /** The floor of `actor`'s later plain loads: no load of it reads a write older than the one current at this time. */
  readFloor(actor: number): number {
    return this.view(actor, V_RNEW);
  }

  /** Whether some actor has promised a store to `word` and not made it yet. */
  promisedByAnyone(word: number): boolean {
    if (!this.covers(word)) return false;
    const slot = this.slot(word);
    for (let a = 0; a < this.actors; a++) if (this.get(this.cell(a, slot, C_PROMISE)) !== 0) return true;
    return false;
  }

  /**
   * A TLBI by `issuer` completed (its dsb(ish)): every translation table walk after it, on any
   * CPU, observes the table writes the issuer had observed, its own included: the DSB before the
   * TLBI orders them before the invalidation and the DSB after waits for it (ARM ARM D8.13,
   * D8.14's break-before-make relies on it). Each other actor's coherence view of every walked
   * location rises to the issuer's. Stronger than the architecture in one respect: table writes
   * the issuer made between the TLBI and its DSB are published too.
   */
  publishWalked(issuer: number): void {
    for (const slot of this.walkedSlots) {
      const c = this.get(this.cell(issuer, slot, C_COH));
      if (c === 0) continue;
      for (let a = 0; a < this.actors; a++) if (a !== issuer && this.get(this.cell(a, slot, C_COH)) < c) this.put(this.cell(a, slot, C_COH), c);
    }
  }

  /** What a release of a lock publishes: everything the actor did before. */
  releaseView(actor: number): number {
    return Math.max(this.view(actor, V_ROLD), this.view(actor, V_WOLD));
  }

  /** A lock acquired from a release that published `view`: later accesses order after it. */
  acquireView(actor: number, view: number): void {
    this.joinView(actor, V_RNEW, view);
    this.joinView(actor, V_WNEW, view);
    this.joinView(actor, V_ROLD, view);
  }

  // --- promises (see promises.ts) ---

  outstanding(actor: number): number {
    return this.view(actor, V_OUTSTANDING);
  }

  /** The timestamp of the latest write so far. */
  latest(): number {
    return this.now();
  }

  /** The word holding that timestamp (a clock every new write advances; timestamps only order writes). */
  clockWord(): number {
    return this.base;
  }

  /** Promise steps `actor` has taken in this run. */
  promised(actor: number): number {
    return this.view(actor, V_PROMISED);
  }

  notePromiseStep(actor: number): void {
    this.setView(actor, V_PROMISED, this.promised(actor) + 1);
  }

  finished(actor: number): boolean {
    return this.view(actor, V_FINISHED) !== 0;
  }

  setFinished(actor: number): void {
    if (!this.finished(actor)) this.setView(actor, V_FINISHED, 1);
  }

  /** Whether `actor` may promise a store to `word` (one outstanding promise per location). */
  canPromise(actor: number, word: number): boolean {
    return this.get(this.cell(actor, this.slot(word), C_PROMISE)) === 0;
  }

  /**
   * Whether a store of `v` to `word` may be promised at all. A restriction of the model, stronger
   * than the architecture: a store of an invalid descriptor (bit 0 clear: zeroing a new table,
   * breaking an entry, LOCKED) to a translation table is made in program order, never promised;
   * a valid descriptor's store may overtake earlier accesses as any store may. What the kernel's
   * stage2_make_pte() release orders (the new table's zeroing before the entry that links it) is
   * still explored: the valid entry overtakes the zeroing. It keeps the promises a solo run can
   * offer few (a zeroed table page is 512 stores).
   */
  promisable(word: number, v: Value): boolean {
    return !this.isWalked[this.slot(word)] || (v.lo & 1) !== 0;
  }

  /** `actor` promises to write `v` to `word`: the write is appended now, to be fulfilled by its own store. */
  promise(actor: number, word: number, initial: () => Value, v: Value): void {
    const slot = this.slot(word);
    const ts = this.appendLatest(slot, initial, v);
    this.put(this.cell(actor, slot, C_PROMISE), ts);
    this.setView(actor, V_OUTSTANDING, this.outstanding(actor) + 1);
  }
}
