// struct kvm_pgtable and kvm_pgtable_walk(), over the table pool in shared memory. The walk is a
// generator that yields after each visitor call, so a machine can spread one walk over several
// atomic steps. Visitors get TABLE_PRE before a table's children, LEAF for a non-table entry, and
// TABLE_POST after the children. As in the 2021 walker, the children are walked from the entry
// value read before TABLE_PRE, unless the walker asks to reload it (today's walker does).
import {
  KVM_PGTABLE_MAX_LEVELS,
  PTRS_PER_TABLE,
  granuleSize,
  kvm_init_table_pte,
  kvm_init_valid_leaf_pte,
  kvm_pte_locked,
  kvm_pte_table,
  kvm_pte_to_phys,
  kvm_pte_valid,
  levelShift,
  type Pte,
} from './descriptor.ts';
import type { GuestFrames, TablePool } from './pool.ts';

export const KVM_PGTABLE_WALK_LEAF = 1;
export const KVM_PGTABLE_WALK_TABLE_PRE = 2;
export const KVM_PGTABLE_WALK_TABLE_POST = 4;

export interface WalkCtx {
  /** The IPA this entry starts at. */
  addr: number;
  end: number;
  level: number;
  /** The table page holding the entry, and its index there. */
  page: number;
  idx: number;
  /** The entry as read before the visitor. */
  old: Pte;
  visit: number;
}

export interface Walker {
  flags: number;
  cb(ctx: WalkCtx): void;
  /** Re-read the entry after TABLE_PRE/LEAF before deciding to descend (today's walker). */
  reload?: boolean;
}

export class KvmPgtable {
  /** Root table page, allocated by init() in whichever thread sets the world up. */
  get root(): number {
    return this.pool.root.peek();
  }
  readonly startLevel: number;

  constructor(
    readonly pool: TablePool,
    readonly frames: GuestFrames,
    readonly iaBits: number,
  ) {
    // The level whose entries cover the whole IPA space with one table (no concatenation).
    this.startLevel = KVM_PGTABLE_MAX_LEVELS - Math.ceil((iaBits - 12) / 9);
  }

  /** kvm_pgtable_stage2_init(): the root table. */
  init(): void {
    this.pool.root.store(this.pool.alloc());
  }

  idx(addr: number, level: number): number {
    return Math.floor(addr / 2 ** levelShift(level)) % PTRS_PER_TABLE;
  }

  *walk(addr: number, size: number, w: Walker): Generator<WalkCtx, void, void> {
    const data = { addr, end: addr + size };
    yield* this.walkTable(this.root, this.startLevel, data, w);
  }

  private *walkTable(page: number, level: number, data: { addr: number; end: number }, w: Walker): Generator<WalkCtx, void, void> {
    for (let idx = this.idx(data.addr, level); idx < PTRS_PER_TABLE && data.addr < data.end; idx++) {
      const ctx: WalkCtx = { addr: data.addr, end: data.end, level, page, idx, old: this.pool.read(page, idx), visit: 0 };
      let pte = ctx.old;
      let table = kvm_pte_table(pte, level);
      if (table && w.flags & KVM_PGTABLE_WALK_TABLE_PRE) {
        yield this.visit(w, { ...ctx, visit: KVM_PGTABLE_WALK_TABLE_PRE });
        if (w.reload) {
          pte = this.pool.read(page, idx);
          table = kvm_pte_table(pte, level);
        }
      }
      if (!table && w.flags & KVM_PGTABLE_WALK_LEAF) {
        yield this.visit(w, { ...ctx, visit: KVM_PGTABLE_WALK_LEAF });
        if (w.reload) {
          pte = this.pool.read(page, idx);
          table = kvm_pte_table(pte, level);
        }
      }
      if (table) {
        yield* this.walkTable(this.pool.pageOf(kvm_pte_to_phys(pte)), level + 1, data, w);
        if (w.flags & KVM_PGTABLE_WALK_TABLE_POST) yield this.visit(w, { ...ctx, visit: KVM_PGTABLE_WALK_TABLE_POST });
      } else {
        const g = granuleSize(level);
        data.addr = Math.floor(data.addr / g) * g + g;
      }
    }
  }

  private visit(w: Walker, ctx: WalkCtx): WalkCtx {
    w.cb(ctx);
    return ctx;
  }

  /** Runs a whole walk in this step. */
  walkAll(addr: number, size: number, w: Walker): void {
    for (const _ of this.walk(addr, size, w)) void _;
  }

  /**
   * The table page one level below (page, idx), created if absent (mm_ops->zalloc_page from the
   * memcache, then the table entry installed and the parent's count raised).
   */
  childTable(page: number, idx: number, level: number): number {
    const pte = this.pool.read(page, idx);
    if (kvm_pte_table(pte, level)) return this.pool.pageOf(kvm_pte_to_phys(pte));
    const child = this.pool.alloc();
    this.pool.write(page, idx, kvm_init_table_pte(this.pool.pa(child)));
    this.pool.get_page(page);
    return child;
  }

  /**
   * kvm_pgtable_stage2_map() for one 4 KiB page, the fault path's common case: missing tables
   * are created, the page entry installed, its table page and guest frame referenced. Returns the
   * previous entry if it was valid (nothing done).
   */
  mapPage(ipa: number, frame: number, prot: number): Pte | undefined {
    let page = this.root;
    for (let level = this.startLevel; level < KVM_PGTABLE_MAX_LEVELS - 1; level++) page = this.childTable(page, this.idx(ipa, level), level);
    const idx = this.idx(ipa, KVM_PGTABLE_MAX_LEVELS - 1);
    const old = this.pool.read(page, idx);
    if (kvm_pte_valid(old)) return old;
    this.pool.write(page, idx, kvm_init_valid_leaf_pte(this.frames.pa(frame), prot, KVM_PGTABLE_MAX_LEVELS - 1));
    this.pool.get_page(page);
    this.frames.get_page(frame);
    return undefined;
  }

  /** kvm_pgtable_stage2_map() of [ipa, ipa+size) to consecutive frames, pages only. */
  map(ipa: number, size: number, firstFrame: number, prot: number): void {
    for (let off = 0; off < size; off += 4096) this.mapPage(ipa + off, firstFrame + off / 4096, prot);
  }

  /**
   * kvm_pgtable_stage2_unmap(): clear every leaf in the range (dropping its table page's and its
   * frame's references) and, on the way back up, free every table left empty (a count of 1).
   */
  unmap(ipa: number, size: number): void {
    this.walkAll(ipa, size, {
      flags: KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
      cb: (ctx) => {
        if (ctx.visit === KVM_PGTABLE_WALK_LEAF) {
          if (!kvm_pte_valid(ctx.old)) return;
          this.pool.write(ctx.page, ctx.idx, 0n);
          this.pool.put_page(ctx.page);
          const frames = granuleSize(ctx.level) / 4096;
          const first = this.frames.frameOf(kvm_pte_to_phys(ctx.old));
          for (let f = first; f < first + frames; f++) this.frames.put_page(f);
          return;
        }
        const child = this.pool.pageOf(kvm_pte_to_phys(ctx.old));
        if (this.pool.refcount.peek(child) === 1) {
          this.pool.write(ctx.page, ctx.idx, 0n);
          this.pool.put_page(ctx.page);
          this.pool.put_page(child);
          this.pool.free(child);
        }
      },
    });
  }

  /** The hardware walk of a guest access: the leaf, or where it stopped. */
  translate(ipa: number): Translation {
    let page = this.root;
    for (let level = this.startLevel; level < KVM_PGTABLE_MAX_LEVELS; level++) {
      const idx = this.idx(ipa, level);
      const pte = this.pool.read(page, idx);
      if (kvm_pte_locked(pte)) return { fault: 'locked', level, page, idx };
      if (!kvm_pte_valid(pte)) return { fault: 'invalid', level, page, idx };
      if (!kvm_pte_table(pte, level)) return { pte, level, page, idx };
      page = this.pool.pageOf(kvm_pte_to_phys(pte));
    }
    throw new Error('walk fell off the last level');
  }

  /** Counts the valid leaf entries mapping each frame, for refcount invariants. */
  leafReferences(): Map<number, number> {
    const refs = new Map<number, number>();
    this.walkAll(0, 2 ** this.iaBits, {
      flags: KVM_PGTABLE_WALK_LEAF,
      cb: (ctx) => {
        if (!kvm_pte_valid(ctx.old)) return;
        const first = this.frames.frameOf(kvm_pte_to_phys(ctx.old));
        for (let f = first; f < first + granuleSize(ctx.level) / 4096; f++) refs.set(f, (refs.get(f) ?? 0) + 1);
      },
    });
    return refs;
  }

  /** Table pages reachable from the root, each with its level. */
  tablePages(): Map<number, number> {
    const pages = new Map<number, number>([[this.root, this.startLevel]]);
    this.walkAll(0, 2 ** this.iaBits, {
      flags: KVM_PGTABLE_WALK_TABLE_PRE,
      cb: (ctx) => pages.set(this.pool.pageOf(kvm_pte_to_phys(ctx.old)), ctx.level + 1),
    });
    return pages;
  }
}

export type Translation = { pte: Pte; level: number; page: number; idx: number; fault?: undefined } | { fault: 'invalid' | 'locked'; level: number; page: number; idx: number };
