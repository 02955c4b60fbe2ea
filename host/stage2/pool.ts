// Physical memory of the stage-2 model, in shared memory:
//   - a pool of table pages, 512 64-bit descriptors each, allocated lazily, each with a
//     reference count (valid entries + 1 while in use, as pgtable.c keeps it) and a generation
//     bumped when it is freed (ghost, to see a translation outliving its table);
//   - guest page frames with the references stage-2 mappings hold on them (get_page/put_page)
//     and a data-cache model: a frame the host wrote stays dirty in the cache until a CMO cleans
//     it, and a guest reading with its MMU off reads memory, not the cache.
import type { Layout, Word, WordArray } from '../layout.ts';
import { cas64, count32, fill64, ld64, st64, type StoreKind } from '../access.ts';
import { execution } from '../execution.ts';
import { memoryModel } from '../memory-model/active.ts';
import { dsb } from '../barriers.ts';
import { note } from '../recorder.ts';
import { raiseViolation } from '../violations.ts';
import { PAGE_SHIFT, PTRS_PER_TABLE, type Pte } from './descriptor.ts';

/** Physical address of table page 0. */
export const TABLE_PA_BASE = 0x4000_0000;
/** Physical address of guest frame 0. */
export const FRAME_PA_BASE = 0x1_0000_0000;
/** The built-in invariant the pool raises when put_page() takes a count below zero or a table is freed twice. */
export const REFCOUNT_BALANCE = 'refcounts-balance';

/** Stage-2 table pages in shared memory: 512 descriptors each, allocated lazily, reference-counted as pgtable.c does, with a ghost generation bumped on free. */
export class TablePool {
  private e: BigInt64Array = new BigInt64Array(0);
  private eBase = 0;
  readonly refcount: WordArray;
  readonly generation: WordArray;
  private readonly freeList: WordArray;
  /** [0] free-list depth, [1] allocated, [2] freed, [3] high-water mark. */
  readonly counters: WordArray;
  /** The root table page of the stage 2 built from this pool: shared, so every thread walks from it. */
  readonly root: Word;
  /** Ghost: bumped by every change to a table, a count or the free list (see changed()). */
  readonly changes: Word;

  constructor(layout: Layout, readonly pages: number) {
    // Under arm64 the descriptors follow the memory model: a hardware walk (KvmPgtable.translate)
    // reads each level through an address dependency on the level above, and may still read an
    // older descriptor its CPU's view allows; a completed TLBI publishes its issuer's table writes
    // to every later walk (Layout.walkedBy, Arm64Memory.publishWalked). The reference counts
    // follow it too, so the order of get_page() and the descriptor that needs it is the model's,
    // not the global order's. The free list and the root stay sequentially consistent: the
    // walker never reads them (the root reaches it through VTTBR_EL2).
    const tables = layout.bigwords('stage2 table pages', pages * PTRS_PER_TABLE, (i64, start) => {
      this.e = i64;
      this.eBase = start;
    });
    layout.walkedBy(tables);
    const sc = { sc: true };
    this.refcount = layout.words('table page refcount', pages, (p) => `page_count(table ${p})`);
    this.generation = layout.words('table page generation', pages, (p) => `table ${p} generation (ghost)`, { ghost: true });
    this.freeList = layout.words('table free list', pages, (i) => `table free list[${i}]`, sc);
    this.root = layout.word('stage-2 root table page', sc);
    this.counters = layout.words('table pool counters', 4, (i) => ['free tables', 'tables allocated', 'tables freed', 'tables in use, peak'][i], { ghost: true });
    this.changes = layout.word('table pool changes (ghost)', { ghost: true });
  }

  /** Counts a change, so an invariant over the pool can tell nothing changed since it last ran. */
  private changed(): void {
    bumpGhost(this.changes);
  }

  /** All pages free, last page on top so allocation hands out 0, 1, 2... */
  init(): void {
    for (let i = 0; i < this.pages; i++) this.freeList.at(i).store(this.pages - 1 - i);
    this.counters.at(0).store(this.pages);
  }

  pa(page: number): number {
    return TABLE_PA_BASE + page * 4096;
  }

  pageOf(pa: number): number {
    return Math.floor((pa - TABLE_PA_BASE) / 2 ** PAGE_SHIFT);
  }

  isTablePa(pa: number): boolean {
    return pa >= TABLE_PA_BASE && pa < TABLE_PA_BASE + this.pages * 4096;
  }

  /** READ_ONCE() of an entry; `dep`: the view of its address dependency (arm64: see depOf()). */
  read(page: number, idx: number, dep = 0): Pte {
    return ld64(this.e, this.eBase + page * PTRS_PER_TABLE + idx, 'plain', dep);
  }

  /** The address dependency a read of the entry below this one carries: the running actor's last read of this entry (0 under sc). */
  depOf(page: number, idx: number): number {
    const m = memoryModel.arm64;
    return m && execution.actor >= 0 ? m.dependencyView(execution.actor, [2 * (this.eBase + page * PTRS_PER_TABLE + idx)]) : 0;
  }

  /** WRITE_ONCE() of an entry, or smp_store_release() with `kind` 'release' (stage2_make_pte()). */
  write(page: number, idx: number, pte: Pte, kind: StoreKind = 'plain'): void {
    st64(this.e, this.eBase + page * PTRS_PER_TABLE + idx, pte, kind);
    this.changed();
  }

  /** Returns the previous value; stores `pte` only if it was `old` (stage2_try_set_pte). */
  cmpxchg(page: number, idx: number, old: Pte, pte: Pte): Pte {
    const was = cas64(this.e, this.eBase + page * PTRS_PER_TABLE + idx, old, pte);
    if (was === old) this.changed();
    return was;
  }

  /** kvm_mmu_memory_cache / mm_ops->zalloc_page: a zeroed table page with one reference. */
  alloc(): number {
    const depth = this.counters.at(0).peek();
    if (depth === 0) throw new Error(`the stage-2 table pool (${this.pages} pages) is exhausted`);
    const page = this.freeList.peek(depth - 1);
    this.counters.at(0).store(depth - 1);
    fill64(this.e, this.eBase + page * PTRS_PER_TABLE, this.eBase + (page + 1) * PTRS_PER_TABLE, 0n);
    this.refcount.at(page).store(1);
    this.changed();
    const inUse = this.pages - (depth - 1);
    if (inUse > this.counters.at(3).peek()) this.counters.at(3).store(inUse);
    this.counters.at(1).add(1);
    note(`zalloc_page: table ${page}`);
    return page;
  }

  /** page_ref_inc(): atomic_inc(), which orders nothing (relaxed), as the kernel's. */
  get_page(page: number): void {
    this.refcount.at(page).add(1, 'relaxed');
    this.changed();
  }

  /** page_ref_dec_and_test(): a value-returning atomic, fully ordered. */
  put_page(page: number): void {
    const n = this.refcount.at(page).add(-1);
    this.changed();
    if (n < 0) raiseViolation(REFCOUNT_BALANCE, `put_page() on table ${page} took its count below zero`);
  }

  /** free_page(): the page returns to the pool; a page still referenced is a use-after-free waiting. */
  free(page: number): void {
    const refs = this.refcount.at(page).load();
    if (refs === 0 && this.isFree(page)) raiseViolation(REFCOUNT_BALANCE, `table ${page} freed twice`);
    this.refcount.at(page).store(0);
    this.generation.at(page).add(1);
    const depth = this.counters.at(0).peek();
    this.freeList.at(depth).store(page);
    this.counters.at(0).store(depth + 1);
    this.counters.at(2).add(1);
    this.changed();
    note(`free_page: table ${page} (count was ${refs})`);
  }

  isFree(page: number): boolean {
    const depth = this.counters.at(0).peek();
    for (let i = 0; i < depth; i++) if (this.freeList.peek(i) === page) return true;
    return false;
  }

  validEntries(page: number): number {
    let n = 0;
    for (let i = 0; i < PTRS_PER_TABLE; i++) if (this.read(page, i) & 1n) n++;
    return n;
  }
}

/** Guest page frames: the references stage-2 mappings hold on them, and a data-cache model (a frame the host wrote is dirty until a CMO cleans it). */
export class GuestFrames {
  readonly refcount: WordArray;
  /** 1 while the host's write to the frame sits in the data cache, not yet in memory. */
  readonly cacheDirty: WordArray;
  /** [0] bytes cleaned by CMOs. */
  readonly counters: WordArray;
  /** Ghost: bumped by every change to a frame's count. */
  readonly changes: Word;

  constructor(layout: Layout, readonly frames: number) {
    // The counts follow the memory model, as the tables' do (TablePool); the data cache is not
    // memory the model covers (a CMO ends with its DSB).
    this.refcount = layout.words('guest frame refcount', frames, (f) => `page_count(frame ${f})`);
    this.cacheDirty = layout.words('guest frame dirty in cache', frames, (f) => `frame ${f} dirty in cache`, { sc: true });
    this.counters = layout.words('cmo counters', 1, () => 'CMO bytes', { ghost: true });
    this.changes = layout.word('guest frame changes (ghost)', { ghost: true });
  }

  pa(frame: number): number {
    return FRAME_PA_BASE + frame * 4096;
  }

  /** Physical addresses reach past 4 GiB: divide, do not shift (JS shifts are 32-bit). */
  frameOf(pa: number): number {
    return Math.floor((pa - FRAME_PA_BASE) / 2 ** PAGE_SHIFT);
  }

  /** The mapping's reference on the frame. It stands for the kernel's pin of the page (kvm_faultin_pfn(), before kvm->mmu_lock), which is ordered before the entry that maps it: a fully ordered atomic here. */
  get_page(frame: number): void {
    this.refcount.at(frame).add(1);
    bumpGhost(this.changes);
  }

  put_page(frame: number): void {
    const n = this.refcount.at(frame).add(-1);
    bumpGhost(this.changes);
    if (n < 0) raiseViolation(REFCOUNT_BALANCE, `put_page() on guest frame ${frame} took its count below zero`);
  }

  /** __clean_dcache_guest_page(): write the frames' dirty lines back to memory; dcache_clean_inval_poc ends with a DSB, which also completes its thread's earlier TLBIs. */
  clean(firstFrame: number, count: number): void {
    for (let f = firstFrame; f < firstFrame + count; f++) if (this.cacheDirty.peek(f)) this.cacheDirty.at(f).store(0);
    this.counters.at(0).add(count * 4096);
    note(`CMO: clean frames ${firstFrame}..${firstFrame + count - 1} to PoC`);
    dsb('ish'); // dsb sy in the kernel: the model's strongest is ish
  }
}

/**
 * A ghost counter: not part of the modelled code, so not among a step's touches, and bumped as a
 * statistic (in no footprint: verify does not make every pool operation depend on every other).
 * Only the reference-count invariant's memo reads it, and that stays exact in any order of the
 * steps: the count only grows, and adds commute.
 */
function bumpGhost(w: Word): void {
  count32(w.array, w.index);
}
