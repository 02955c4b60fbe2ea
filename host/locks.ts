// Kernel locks over shared memory: spinlock, mutex and rwlock with owner tracking.
//
// Controlled modes: a step runs alone, so an acquire must find the lock available; the state that
// acquires declares `lock.waitFor(...)` and the scheduler only grants the step once it is ready.
// Taking a lock one already holds, or releasing one held by someone else, is a violation of the
// built-in invariant 'lock-discipline'. Free mode: real threads race; the acquire spins (and the
// mutex then sleeps on the lock word) until it gets the lock.
import { add32, and32, cas32, count32, ld32, or32, st32, xchg32 } from './access.ts';
import type { Layout } from './layout.ts';
import { acquireView, publishView } from './memory-model/view-words.ts';
import { execution, actorName } from './execution.ts';
import { note } from './recorder.ts';
import { raiseViolation } from './violations.ts';
import type { Wait } from './wait.ts';

/** The built-in invariant a lock raises when it is taken again by its holder or released by anyone but its holder. */
export const LOCK_DISCIPLINE = 'lock-discipline';

// The lock word sits alone in its 64-byte cache line, so waiters spinning on it do not fight the
// owner's bookkeeping stores (a shared line cost contended throughput about a third).
const LINE_WORDS = 16;
const STATE = 0; // spinlock/mutex: 0 free, 1 held, 2 held with sleepers; rwlock: 1 write-held
const OWNER = LINE_WORDS + 0; // holder's actor index + 1 (writer, for an rwlock)
const READERS = LINE_WORDS + 1;
const MASK_LO = LINE_WORDS + 2;
const MASK_HI = LINE_WORDS + 3;
const ACQUISITIONS = LINE_WORDS + 4;
const CONTENDED = LINE_WORDS + 5;
const SEQ = LINE_WORDS + 6; // rwlock: bumped on every release, for sleepers in free mode
const RELEASED = LINE_WORDS + 7; // arm64 model: the view releases published (an acquire orders after it)
const WORDS = 2 * LINE_WORDS;

/** Thrown when a machine takes a lock without having waited for it: an authoring error. */
export class LockProtocolError extends Error {}

abstract class LockBase {
  protected a: Int32Array = new Int32Array(WORDS);
  protected base = 0;

  constructor(layout: Layout, readonly name: string) {
    // One line's worth of slack so the lock word can start on a line boundary.
    const region = layout.reserve(`lock ${name}`, (WORDS + LINE_WORDS) * 4, (m) => {
      this.a = m.i32;
      this.base = Math.ceil(region.byteOffset / 4 / LINE_WORDS) * LINE_WORDS;
    });
  }

  protected get(field: number): number {
    return ld32(this.a, this.base + field);
  }

  protected set(field: number, v: number): void {
    st32(this.a, this.base + field, v);
  }

  protected add(field: number, delta: number): number {
    return add32(this.a, this.base + field, delta);
  }

  /** The actor holding the lock exclusively, -1 if none. */
  holder(): number {
    return this.get(OWNER) - 1;
  }

  get acquisitions(): number {
    return this.get(ACQUISITIONS);
  }

  get contended(): number {
    return this.get(CONTENDED);
  }

  protected me(): number {
    return execution.actor + 1;
  }

  /** Acquire semantics under the arm64 model: what earlier holders did is visible from here on. */
  protected acquired(): void {
    acquireView(this.a, this.base + RELEASED);
  }

  /** Release semantics under the arm64 model: everything this holder did is published with the lock. */
  protected released(): void {
    publishView(this.a, this.base + RELEASED);
  }

  protected refuseUnwaited(op: string): never {
    throw new LockProtocolError(
      `${actorName(execution.actor)} called ${op}(${this.name}) while ${actorName(this.holder())} holds it, ` +
        `without waiting for it: the state that takes a lock must declare wait: lock.waitFor()`,
    );
  }

  /** Returns false (after raising a violation) if the caller already holds the lock. */
  protected checkNotHeldByMe(op: string): boolean {
    if (this.get(OWNER) === this.me() && this.get(STATE) !== 0) {
      raiseViolation(LOCK_DISCIPLINE, `${actorName(execution.actor)} calls ${op}(${this.name}) while already holding it: self-deadlock`);
      return false;
    }
    return true;
  }

  protected checkReleasable(op: string): boolean {
    const owner = this.get(OWNER);
    if (this.get(STATE) === 0) {
      raiseViolation(LOCK_DISCIPLINE, `${actorName(execution.actor)} calls ${op}(${this.name}) but nobody holds it`);
      return false;
    }
    if (owner !== this.me()) {
      raiseViolation(LOCK_DISCIPLINE, `${actorName(execution.actor)} calls ${op}(${this.name}) held by ${actorName(owner - 1)}`);
      return false;
    }
    return true;
  }

  /**
   * Takes the lock word from 0 to 1. Controlled modes: it must be free (the state waited for it).
   * Free mode: `contend` waits until this thread holds it.
   */
  protected acquireExclusive(op: string, contend: (stateIndex: number) => void): void {
    if (!this.checkNotHeldByMe(op)) return;
    const i = this.base + STATE;
    if (cas32(this.a, i, 0, 1) !== 0) {
      if (execution.mode === 'controlled') this.refuseUnwaited(op);
      count32(this.a, this.base + CONTENDED);
      contend(i);
    }
    this.set(OWNER, this.me());
    count32(this.a, this.base + ACQUISITIONS);
    this.acquired();
    execution.lockHook?.(this.name, 'acquire', false);
    note(`${op}(${this.name})`);
  }
}

/** spinlock_t / raw_spinlock_t. In free mode a pure spinlock: it never sleeps. */
export class Spinlock extends LockBase {
  waitFor(): Wait {
    return { what: this.name, ready: () => this.get(STATE) === 0, holder: () => this.holder() };
  }

  isLocked(): boolean {
    return this.get(STATE) !== 0;
  }

  lock(op = 'spin_lock'): void {
    this.acquireExclusive(op, (i) => {
      while (Atomics.load(this.a, i) !== 0 || Atomics.compareExchange(this.a, i, 0, 1) !== 0) {
        /* spin */
      }
    });
  }

  unlock(op = 'spin_unlock'): void {
    if (!this.checkReleasable(op)) return;
    execution.lockHook?.(this.name, 'release', false);
    this.released();
    this.set(OWNER, 0);
    this.set(STATE, 0);
    note(`${op}(${this.name})`);
  }
}

/** struct mutex: in free mode, spins briefly and then sleeps on the lock word (futex style). */
export class Mutex extends LockBase {
  static spinBeforeSleep = 100;

  waitFor(): Wait {
    return { what: this.name, ready: () => this.get(STATE) === 0, holder: () => this.holder() };
  }

  isLocked(): boolean {
    return this.get(STATE) !== 0;
  }

  lock(op = 'mutex_lock'): void {
    this.acquireExclusive(op, (i) => {
      for (let s = 0; s < Mutex.spinBeforeSleep; s++) {
        if (Atomics.load(this.a, i) === 0 && Atomics.compareExchange(this.a, i, 0, 1) === 0) return;
      }
      // From here on we may sleep, so mark the lock as having sleepers (2) when taking it.
      while (Atomics.exchange(this.a, i, 2) !== 0) Atomics.wait(this.a, i, 2);
    });
  }

  unlock(op = 'mutex_unlock'): void {
    if (!this.checkReleasable(op)) return;
    execution.lockHook?.(this.name, 'release', false);
    this.released();
    this.set(OWNER, 0);
    if (xchg32(this.a, this.base + STATE, 0) === 2) Atomics.notify(this.a, this.base + STATE, 1);
    note(`${op}(${this.name})`);
  }
}

/** rwlock_t with reader tracking (up to 62 actors), so a stray read_unlock is caught too. */
export class RwLock extends LockBase {
  waitFor(mode: 'read' | 'write'): Wait {
    return mode === 'read'
      ? { what: `${this.name} (read)`, ready: () => this.get(STATE) === 0, holder: () => this.holder() }
      : { what: `${this.name} (write)`, ready: () => this.get(STATE) === 0 && this.get(READERS) === 0, holder: () => this.writerOrReader() };
  }

  private writerOrReader(): number {
    const w = this.holder();
    if (w >= 0) return w;
    const lo = this.get(MASK_LO);
    const hi = this.get(MASK_HI);
    for (let b = 0; b < 31; b++) if (lo & (1 << b)) return b;
    for (let b = 0; b < 31; b++) if (hi & (1 << b)) return b + 31;
    return -1;
  }

  private readerBit(actor: number): [number, number] {
    return actor < 31 ? [MASK_LO, 1 << actor] : [MASK_HI, actor < 62 ? 1 << (actor - 31) : 0];
  }

  isReadHeldBy(actor: number): boolean {
    const [field, bit] = this.readerBit(actor);
    return (this.get(field) & bit) !== 0;
  }

  read_lock(): void {
    if (this.get(OWNER) === this.me() && this.get(STATE) !== 0) {
      raiseViolation(LOCK_DISCIPLINE, `${actorName(execution.actor)} calls read_lock(${this.name}) while holding it for writing: self-deadlock`);
      return;
    }
    if (execution.mode === 'controlled') {
      if (this.get(STATE) !== 0) this.refuseUnwaited('read_lock');
    } else {
      this.freeWaitUntil(() => this.get(STATE) === 0, () => {
        this.add(READERS, 1);
        if (this.get(STATE) === 0) return true;
        this.add(READERS, -1);
        return false;
      });
      this.markReader(true);
      count32(this.a, this.base + ACQUISITIONS);
      this.acquired();
      execution.lockHook?.(this.name, 'acquire', true);
      note(`read_lock(${this.name})`);
      return;
    }
    this.add(READERS, 1);
    this.markReader(true);
    count32(this.a, this.base + ACQUISITIONS);
    this.acquired();
    note(`read_lock(${this.name})`);
  }

  read_unlock(): void {
    if (!this.isReadHeldBy(execution.actor) && execution.actor < 62) {
      raiseViolation(LOCK_DISCIPLINE, `${actorName(execution.actor)} calls read_unlock(${this.name}) without holding it for reading`);
      return;
    }
    execution.lockHook?.(this.name, 'release', true);
    this.released();
    this.markReader(false);
    this.add(READERS, -1);
    this.add(SEQ, 1);
    this.wakeSeq();
    note(`read_unlock(${this.name})`);
  }

  write_lock(): void {
    if (!this.checkNotHeldByMe('write_lock')) return;
    if (this.isReadHeldBy(execution.actor)) {
      raiseViolation(LOCK_DISCIPLINE, `${actorName(execution.actor)} calls write_lock(${this.name}) while holding it for reading: self-deadlock`);
      return;
    }
    const i = this.base + STATE;
    if (execution.mode === 'controlled') {
      if (this.get(READERS) !== 0 || cas32(this.a, i, 0, 1) !== 0) this.refuseUnwaited('write_lock');
    } else {
      this.freeWaitUntil(() => this.get(STATE) === 0 && this.get(READERS) === 0, () => {
        if (cas32(this.a, i, 0, 1) !== 0) return false;
        if (this.get(READERS) === 0) return true;
        st32(this.a, i, 0);
        return false;
      });
    }
    this.set(OWNER, this.me());
    count32(this.a, this.base + ACQUISITIONS);
    this.acquired();
    execution.lockHook?.(this.name, 'acquire', false);
    note(`write_lock(${this.name})`);
  }

  write_unlock(): void {
    if (!this.checkReleasable('write_unlock')) return;
    execution.lockHook?.(this.name, 'release', false);
    this.released();
    this.set(OWNER, 0);
    this.set(STATE, 0);
    this.add(SEQ, 1);
    this.wakeSeq();
    note(`write_unlock(${this.name})`);
  }

  private markReader(on: boolean): void {
    const [field, bit] = this.readerBit(execution.actor);
    if (!bit) return;
    if (on) or32(this.a, this.base + field, bit);
    else and32(this.a, this.base + field, ~bit);
  }

  private wakeSeq(): void {
    if (execution.mode === 'free') Atomics.notify(this.a, this.base + SEQ);
  }

  /** Free mode: spin, then sleep on the release counter, until `tryTake` succeeds. */
  private freeWaitUntil(available: () => boolean, tryTake: () => boolean): void {
    let spins = 0;
    for (;;) {
      const seq = this.get(SEQ);
      if (available() && tryTake()) return;
      if (++spins === 1) count32(this.a, this.base + CONTENDED);
      if (spins > Mutex.spinBeforeSleep) Atomics.wait(this.a, this.base + SEQ, seq, 1);
    }
  }
}
