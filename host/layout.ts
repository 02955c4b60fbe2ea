import { add32, cas32, latest32, ld32, ld64, st32, st64, xchg32, type RmwOrder } from './access.ts';
import { execution } from './execution.ts';
import { memoryModel } from './memory-model/active.ts';
import { note } from './recorder.ts';

// One SharedArrayBuffer holds all shared state. A Layout hands out regions of it in a fixed,
// deterministic order, so every thread that runs the same layout code gets the same offsets;
// the buffer itself is created (or attached) once the layout is complete.

const ALIGN = 8;

type Binder = (memory: SharedMemory) => void;

/** The SharedArrayBuffer every thread of a run shares, with its 32-bit, 64-bit and byte views. */
export class SharedMemory {
  readonly i32: Int32Array;
  readonly i64: BigInt64Array;
  readonly u8: Uint8Array;
  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.i64 = new BigInt64Array(sab, 0, Math.floor(sab.byteLength / 8));
    this.u8 = new Uint8Array(sab);
  }
}

/** A named region of shared memory a Layout handed out. */
export interface Region {
  readonly name: string;
  /** Byte offset into the buffer. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** How a word of the layout behaves under a weak memory model. */
export interface WordOptions {
  /**
   * Ghost state: bookkeeping the model keeps for its invariants, not memory the modelled code
   * shares (`pages added (ghost)`). Ghost words are always sequentially consistent.
   */
  ghost?: boolean;
  /**
   * Not memory whose order the modelled code keeps itself: a CPU's registers and IRQ state, or the
   * words of a kernel primitive that carries its own ordering (IPIs, as locks do). Sequentially
   * consistent under any memory model, like ghost words, but part of the modelled state.
   */
  sc?: boolean;
}

/** Whether a weak memory model covers words made with these options. */
function modelled(o: WordOptions): boolean {
  return !o.ghost && !o.sc;
}

/** Hands out shared memory to a scenario's host() in a fixed order (words, arrays, locks, TLBs...), so every thread gets the same offsets. */
export class Layout {
  private offset = 0;
  /** The memory words a weak memory model covers (not ghost words), in 32-bit word indices. */
  readonly modelled: { word: number; wide: boolean }[] = [];
  private readonly binders: Binder[] = [];
  private readonly regionList: Region[] = [];
  private bound: SharedMemory | undefined;
  /** Told of every dsb(ish) by an actor of the world built from this layout (a TLB's pending TLBIs complete there). */
  readonly dsbListeners: ((actor: number) => void)[] = [];

  /** 32-bit words a hardware walker reads (translation tables): a completed TLBI publishes its issuer's writes to them (arm64). */
  readonly walked: number[] = [];

  /** Marks the 64-bit elements of `region` as read by a hardware walker (see Arm64Memory.publishWalked). */
  walkedBy(region: Region): void {
    for (let w = region.byteOffset / 4; w < (region.byteOffset + region.byteLength) / 4; w += 2) this.walked.push(w);
  }

  /** Registers `fn` to run at every dsb(ish), with the actor that issues it. */
  onDsb(fn: (actor: number) => void): void {
    this.dsbListeners.push(fn);
  }

  /** Reserves `byteLength` bytes; `bind` is called with the memory once it exists. */
  reserve(name: string, byteLength: number, bind?: Binder): Region {
    if (this.bound) throw new Error(`layout is already bound; cannot add region '${name}'`);
    const byteOffset = this.offset;
    this.offset += Math.ceil(byteLength / ALIGN) * ALIGN;
    const region = { name, byteOffset, byteLength };
    this.regionList.push(region);
    if (bind) this.binders.push(bind);
    return region;
  }

  /** A named array of `count` 32-bit words. */
  words(name: string, count: number, elementName?: (i: number) => string, o: WordOptions = {}): WordArray {
    const array = new WordArray(name, count, elementName);
    const region = this.reserve(name, count * 4, (m) => array.bind(m.i32, region.byteOffset / 4));
    if (modelled(o)) for (let i = 0; i < count; i++) this.modelled.push({ word: region.byteOffset / 4 + i, wide: false });
    return array;
  }

  word(name: string, o: WordOptions = {}): Word {
    const w = new Word(name);
    const region = this.reserve(name, 4, (m) => w.bind(m.i32, region.byteOffset / 4));
    if (modelled(o)) this.modelled.push({ word: region.byteOffset / 4, wide: false });
    return w;
  }

  /** A region of 64-bit words, returned as the index of its first element in `memory.i64`. */
  bigwords(name: string, count: number, bind: (i64: BigInt64Array, start: number) => void, o: WordOptions = {}): Region {
    const region = this.reserve(name, count * 8, (m) => bind(m.i64, region.byteOffset / 8));
    if (modelled(o)) for (let i = 0; i < count; i++) this.modelled.push({ word: region.byteOffset / 4 + 2 * i, wide: true });
    return region;
  }

  get byteLength(): number {
    return this.offset;
  }

  get regions(): readonly Region[] {
    return this.regionList;
  }

  get memory(): SharedMemory {
    if (!this.bound) throw new Error('layout is not bound to memory yet');
    return this.bound;
  }

  /** Creates the buffer (or attaches an existing one of the same size) and binds every region. */
  bind(existing?: SharedArrayBuffer): SharedMemory {
    const size = Math.max(this.offset, ALIGN);
    if (existing && existing.byteLength !== size) {
      throw new Error(`shared memory has ${existing.byteLength} bytes but the layout needs ${size}: the two threads built different layouts`);
    }
    const memory = new SharedMemory(existing ?? new SharedArrayBuffer(size));
    this.bound = memory;
    for (const bind of this.binders) bind(memory);
    return memory;
  }
}

const UNBOUND = new Int32Array(0);

/**
 * One 32-bit word of shared memory, read and written atomically. The method names follow the
 * kernel's: load is READ_ONCE/atomic_read, store is WRITE_ONCE/atomic_set.
 */
export class Word {
  private a: Int32Array = UNBOUND;
  private i = 0;
  constructor(readonly name: string) {}

  bind(a: Int32Array, index: number): void {
    this.a = a;
    this.i = index;
  }

  /** Index of this word in the i32 view (for Atomics.wait and friends). */
  get index(): number {
    return this.i;
  }

  get array(): Int32Array {
    return this.a;
  }

  /**
   * READ_ONCE(): a plain load. Under the arm64 memory model, `acquire` makes it
   * smp_load_acquire() (LDAR), and `dependsOn` gives it an address dependency on the values this
   * actor last loaded from those words (a pointer it followed). Sequentially consistent otherwise.
   */
  load(o?: LoadOptions): number {
    const v = ld32(this.a, this.i, o?.acquire ? 'acquire' : 'plain', dependencyView(o?.dependsOn));
    note(`${this.name} ${o?.acquire ? '== (acquire)' : '=='} ${v}`);
    return v;
  }

  /** smp_load_acquire(). */
  load_acquire(): number {
    return this.load({ acquire: true });
  }

  /** A read that is not shown in the step's touches (invariants, waits, bookkeeping). */
  peek(): number {
    return ld32(this.a, this.i);
  }

  /**
   * WRITE_ONCE(): a plain store. Under arm64, `release` makes it smp_store_release() (STLR), and
   * `dependsOn` gives it an address or data dependency on the values this actor last loaded there.
   */
  store(v: number, o?: StoreOptions): void {
    st32(this.a, this.i, v, o?.release ? 'release' : 'plain', dependencyView(o?.dependsOn));
    note(`${this.name} ${o?.release ? ':= (release)' : ':='} ${v}`);
  }

  /** smp_store_release(). */
  store_release(v: number): void {
    this.store(v, { release: true });
  }

  /**
   * cmpxchg(): returns the previous value; stores `v` only if it was `expected`. Fully ordered, as
   * the kernel's cmpxchg() is, unless `order` says _relaxed, _acquire or _release (arm64 only).
   */
  cmpxchg(expected: number, v: number, order: RmwOrder = 'full'): number {
    const old = cas32(this.a, this.i, expected, v, order);
    note(old === expected ? `${this.name}: ${old} -> ${v} (cmpxchg${suffix(order)})` : `${this.name} == ${old} (cmpxchg${suffix(order)} failed, wanted ${expected})`);
    return old;
  }

  /** xchg(), fully ordered unless `order` says otherwise. */
  xchg(v: number, order: RmwOrder = 'full'): number {
    const old = xchg32(this.a, this.i, v, order);
    note(`${this.name}: ${old} -> ${v} (xchg${suffix(order)})`);
    return old;
  }

  /** atomic_add_return(), fully ordered unless `order` says otherwise. */
  add(delta: number, order: RmwOrder = 'full'): number {
    const v = add32(this.a, this.i, delta, order) + delta;
    note(`${this.name}: ${v - delta} -> ${v}`);
    return v;
  }
}

/** A shared word, or an element of a 64-bit array, whose last loaded value another access depends on. */
export type Dependency = Word | { array: BigWordArray; index: number };

/** How a load orders under the arm64 memory model (Word.load, BigWordArray.load); sequentially consistent it changes nothing. */
export interface LoadOptions {
  /** smp_load_acquire() rather than READ_ONCE(). */
  acquire?: boolean;
  /** Address dependencies: the values this actor last loaded from these. */
  dependsOn?: readonly Dependency[];
}

/** How a store orders under the arm64 memory model (Word.store, BigWordArray.store); sequentially consistent it changes nothing. */
export interface StoreOptions {
  /** smp_store_release() rather than WRITE_ONCE(). */
  release?: boolean;
  /** Address or data dependencies: the values this actor last loaded from these. */
  dependsOn?: readonly Dependency[];
}

function suffix(order: RmwOrder): string {
  return order === 'full' ? '' : `_${order}`;
}

/** The view the dependencies carry under arm64 (0 when sequentially consistent). */
function dependencyView(deps: readonly Dependency[] | undefined): number {
  const m = memoryModel.arm64;
  if (!deps?.length || !m || execution.actor < 0) return 0;
  return m.dependencyView(execution.actor, deps.map(dependencyWord));
}

/** The word a dependency names (by shape: a test runner may hold two copies of these classes). */
export function dependencyWord(d: Dependency): number {
  return 'wordIndex' in d.array ? (d as { array: BigWordArray; index: number }).array.wordIndex(d.index) : d.index;
}

/** A named array of 32-bit words, e.g. a per-CPU variable. */
export class WordArray {
  private a: Int32Array = UNBOUND;
  private base = 0;
  readonly words: Word[];
  constructor(readonly name: string, readonly length: number, elementName?: (i: number) => string) {
    this.words = Array.from({ length }, (_, i) => new Word(elementName ? elementName(i) : `${name}[${i}]`));
  }

  bind(a: Int32Array, base: number): void {
    this.a = a;
    this.base = base;
    this.words.forEach((w, i) => w.bind(a, base + i));
  }

  at(i: number): Word {
    const w = this.words[i];
    if (!w) throw new RangeError(`${this.name}[${i}] is out of range (length ${this.length})`);
    return w;
  }

  /** A read not shown in the step's touches, for invariants. */
  peek(i: number): number {
    return ld32(this.a, this.base + i);
  }

  /** The latest executed write of element `i`, never through a memory model: for a check raised inside a step (see latest32()). */
  latest(i: number): number {
    return latest32(this.a, this.base + i);
  }

  get index(): number {
    return this.base;
  }

  get array(): Int32Array {
    return this.a;
  }
}

const UNBOUND64 = new BigInt64Array(0);

/** A named array of 64-bit words (system registers, descriptors), read and written atomically. */
export class BigWordArray {
  private a: BigInt64Array = UNBOUND64;
  private base = 0;
  constructor(
    readonly name: string,
    readonly length: number,
    private readonly elementName: (i: number) => string = (i) => `${name}[${i}]`,
  ) {}

  /** Reserves the array in `layout`. */
  static in(layout: Layout, name: string, length: number, elementName?: (i: number) => string, o: WordOptions = {}): BigWordArray {
    const arr = new BigWordArray(name, length, elementName);
    layout.bigwords(
      name,
      length,
      (i64, start) => {
        arr.a = i64;
        arr.base = start;
      },
      o,
    );
    return arr;
  }

  /** READ_ONCE() of element i (see Word.load for the options). */
  load(i: number, o?: LoadOptions): bigint {
    const v = ld64(this.a, this.base + this.check(i), o?.acquire ? 'acquire' : 'plain', dependencyView(o?.dependsOn));
    note(`${this.elementName(i)} == ${hex(v)}`);
    return v;
  }

  /** WRITE_ONCE() of element i (see Word.store for the options). */
  store(i: number, v: bigint, o?: StoreOptions): void {
    st64(this.a, this.base + this.check(i), BigInt.asIntN(64, v), o?.release ? 'release' : 'plain', dependencyView(o?.dependsOn));
    note(`${this.elementName(i)} ${o?.release ? ':= (release)' : ':='} ${hex(v)}`);
  }

  /** Index, in 32-bit words of the whole buffer, of element i's first half. */
  wordIndex(i: number): number {
    return 2 * (this.base + this.check(i));
  }

  /** A read not shown in the step's touches, for invariants. */
  peek(i: number): bigint {
    return ld64(this.a, this.base + this.check(i));
  }

  private check(i: number): number {
    if (i < 0 || i >= this.length) throw new RangeError(`${this.name}[${i}] is out of range (length ${this.length})`);
    return i;
  }
}

/** A 64-bit value as 0x..., unsigned, for touches and messages. */
export function hex(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}
