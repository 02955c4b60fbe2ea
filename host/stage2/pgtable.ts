// struct kvm_pgtable and kvm_pgtable_walk(), over the table pool in shared memory, with the
// map, unmap and permission operations built on the walk. A walk in progress is plain data
// (WalkState) and stops at each visit, so a machine can keep it in its context and spread one walk
// over several atomic steps. Visitors get TABLE_PRE before a table's children, LEAF for a
// non-table entry, and TABLE_POST after the children. As in the 2021 walker, the children are
// walked from the entry value read before TABLE_PRE, unless the walker asks to reload it (today's
// walker does).
import {
  KVM_INVALID_PTE_LOCKED,
  KVM_PGTABLE_MAX_LEVELS,
  PTRS_PER_TABLE,
  granuleSize,
  kvm_init_table_pte,
  kvm_init_valid_leaf_pte,
  kvm_pte_locked,
  kvm_pte_table,
  kvm_pte_to_phys,
  kvm_pte_valid,
  leafProt,
  levelShift,
  KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W,
  type Pte,
} from './descriptor.ts';
import type { StoreKind } from '../access.ts';
import type { GuestFrames, TablePool } from './pool.ts';

/** Visit flag: call the visitor for each entry that is not a table (a leaf, or invalid). */
export const KVM_PGTABLE_WALK_LEAF = 1;
/** Visit flag: call the visitor for a table entry before walking the table it points to. */
export const KVM_PGTABLE_WALK_TABLE_PRE = 2;
/** Visit flag: call the visitor for a table entry after walking the table it points to. */
export const KVM_PGTABLE_WALK_TABLE_POST = 4;

/** What a visitor is told about the entry it visits (struct kvm_pgtable_visit_ctx). */
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
  /** Which visit this is: KVM_PGTABLE_WALK_LEAF, _TABLE_PRE or _TABLE_POST. */
  visit: number;
}

/** struct kvm_pgtable_walker: which visits to make, and the visitor. */
export interface Walker {
  flags: number;
  cb(ctx: WalkCtx): void;
  /** Re-read the entry after TABLE_PRE/LEAF before deciding to descend (today's walker). */
  reload?: boolean;
}

/** One table the walk is in: where, and how far through the entry at `idx` it got. */
export interface WalkFrame {
  page: number;
  level: number;
  idx: number;
  /** The IPA the entry at idx starts at, as read. */
  addr: number;
  /** The entry as read, and as last (re)read. */
  old: Pte;
  pte: Pte;
  /** 0 read the entry next, 1 TABLE_PRE done, 2 LEAF done, 3 in the table below, 4 back from it. */
  phase: number;
  /** A visit was handed out and the walker reloads: re-read the entry when the walk resumes. */
  reload: boolean;
}

/**
 * A walk in progress, as plain data (kvm_pgtable_walk's stack): kept in an actor's context, one
 * walk can span many steps and still be copied, hashed and restored as verify needs.
 */
export interface WalkState {
  addr: number;
  end: number;
  started: boolean;
  frames: WalkFrame[];
}

const READ = 0;
const PRE_DONE = 1;
const LEAF_DONE = 2;
const IN_CHILD = 3;
const CHILD_DONE = 4;

/** struct kvm_pgtable of a stage 2: its table pool, the guest frames it maps, and the walker over them. */
export class KvmPgtable {
  /** Root table page, allocated by init() in whichever thread sets the world up. */
  get root(): number {
    return this.pool.root.peek();
  }
  /** The level of the root table. */
  readonly startLevel: number;

  constructor(
    readonly pool: TablePool,
    readonly frames: GuestFrames,
    readonly iaBits: number,
    /** How stage2_make_pte() stores a new valid entry: smp_store_release(), as the kernel does, or WRITE_ONCE() (a mutant). */
    readonly makePte: StoreKind = 'release',
  ) {
    // The level whose entries cover the whole IPA space with one table (no concatenation).
    this.startLevel = KVM_PGTABLE_MAX_LEVELS - Math.ceil((iaBits - 12) / 9);
  }

  /** kvm_pgtable_stage2_init(): the root table. */
  init(): void {
    this.pool.root.store(this.pool.alloc());
  }

  /** The index of `addr`'s entry in a table at `level`. */
  idx(addr: number, level: number): number {
    return Math.floor(addr / 2 ** levelShift(level)) % PTRS_PER_TABLE;
  }

  /** A walk of [addr, addr + size), not yet started: keep it, and take its visits with walkNext(). */
  walkBegin(addr: number, size: number): WalkState {
    return { addr, end: addr + size, started: false, frames: [] };
  }

  /**
   * kvm_pgtable_walk() up to its next visit: reads entries, calls the visitor, and returns what it
   * visited (undefined when the walk is over). As in kvm_pgtable_walk(), TABLE_PRE comes before a
   * table's children, LEAF for a non-table entry, TABLE_POST after the children; the children are
   * walked from the entry read before TABLE_PRE, unless the walker asks to reload it, which it
   * does when the walk goes on from the visit (in a later step, if the visit ended this one).
   */
  walkNext(st: WalkState, w: Walker): WalkCtx | undefined {
    for (;;) {
      if (!st.frames.length) {
        if (st.started) return undefined;
        st.started = true;
        st.frames.push(this.frame(this.root, this.startLevel, st.addr));
      }
      const f = st.frames[st.frames.length - 1];
      if (f.reload) {
        // As the walker re-reads after its visitor: when the walk goes on from the visit.
        f.reload = false;
        f.pte = this.pool.read(f.page, f.idx);
      }
      if (f.phase === READ) {
        if (f.idx >= PTRS_PER_TABLE || st.addr >= st.end) {
          st.frames.pop();
          if (st.frames.length) st.frames[st.frames.length - 1].phase = CHILD_DONE;
          continue;
        }
        f.addr = st.addr;
        f.old = f.pte = this.pool.read(f.page, f.idx);
        f.phase = PRE_DONE;
        if (kvm_pte_table(f.pte, f.level) && w.flags & KVM_PGTABLE_WALK_TABLE_PRE) return this.visit(st, f, w, KVM_PGTABLE_WALK_TABLE_PRE);
      } else if (f.phase === PRE_DONE) {
        f.phase = LEAF_DONE;
        if (!kvm_pte_table(f.pte, f.level) && w.flags & KVM_PGTABLE_WALK_LEAF) return this.visit(st, f, w, KVM_PGTABLE_WALK_LEAF);
      } else if (f.phase === LEAF_DONE) {
        if (kvm_pte_table(f.pte, f.level)) {
          f.phase = IN_CHILD;
          st.frames.push(this.frame(this.pool.pageOf(kvm_pte_to_phys(f.pte)), f.level + 1, st.addr));
        } else {
          const g = granuleSize(f.level);
          st.addr = Math.floor(st.addr / g) * g + g;
          f.idx++;
          f.phase = READ;
        }
      } else if (f.phase === CHILD_DONE) {
        // Back from the table below: TABLE_POST, then the next entry.
        const ctx: WalkCtx = { addr: f.addr, end: st.end, level: f.level, page: f.page, idx: f.idx, old: f.old, visit: KVM_PGTABLE_WALK_TABLE_POST };
        f.idx++;
        f.phase = READ;
        if (w.flags & KVM_PGTABLE_WALK_TABLE_POST) {
          w.cb(ctx);
          return ctx;
        }
      } else {
        throw new Error(`walk frame of table ${f.page} is in phase ${f.phase} at the top of the walk`);
      }
    }
  }

  private frame(page: number, level: number, addr: number): WalkFrame {
    return { page, level, idx: this.idx(addr, level), addr, old: 0n, pte: 0n, phase: READ, reload: false };
  }

  private visit(st: WalkState, f: WalkFrame, w: Walker, visit: number): WalkCtx {
    const ctx: WalkCtx = { addr: f.addr, end: st.end, level: f.level, page: f.page, idx: f.idx, old: f.old, visit };
    w.cb(ctx);
    f.reload = !!w.reload;
    return ctx;
  }

  /** kvm_pgtable_walk() as a generator, yielding after each visit: one walk over several steps of one actor. */
  *walk(addr: number, size: number, w: Walker): Generator<WalkCtx, void, void> {
    const st = this.walkBegin(addr, size);
    for (let ctx = this.walkNext(st, w); ctx; ctx = this.walkNext(st, w)) yield ctx;
  }

  /** kvm_pgtable_walk(): a whole walk, within this step. */
  walkAll(addr: number, size: number, w: Walker): void {
    const st = this.walkBegin(addr, size);
    while (this.walkNext(st, w));
  }

  /**
   * The table page one level below (page, idx), created if absent: mm_ops->zalloc_page() from the
   * memcache, stage2_try_break_pte() on the invalid entry, then stage2_make_pte() installs the
   * table entry and raises the parent's count. Undefined is -EAGAIN: the entry is LOCKED by
   * another walker, or (`shared`) another walker changed it first. `dep`: the address dependency
   * of the read (arm64), as a software walk derives each table from the entry above.
   */
  childTable(page: number, idx: number, level: number, shared = false, dep = 0): number | undefined {
    const pte = this.pool.read(page, idx, dep);
    if (kvm_pte_table(pte, level)) return this.pool.pageOf(kvm_pte_to_phys(pte));
    if (kvm_pte_locked(pte)) return undefined;
    // zalloc_page() zeroes the page with ordinary stores; stage2_make_pte()'s release is what
    // orders them before the table entry in an exclusive walk, so that no walk through the entry
    // reads the page's past (a shared walk's cmpxchg, fully ordered, orders them too).
    const child = this.pool.alloc();
    if (shared && this.pool.cmpxchg(page, idx, pte, KVM_INVALID_PTE_LOCKED) !== pte) {
      this.pool.put_page(child);
      this.pool.free(child);
      return undefined;
    }
    // An exclusive walk's WRITE_ONCE() of LOCKED before the entry is folded into the entry's store.
    this.pool.get_page(page);
    this.pool.write(page, idx, kvm_init_table_pte(this.pool.pa(child)), this.makePte);
    return child;
  }

  /**
   * kvm_pgtable_stage2_map() for one 4 KiB page, the fault path's common case: missing tables
   * are created, the page entry installed, its table page and guest frame referenced; `shared`: a
   * shared walk (kvm->mmu_lock held for read). Returns the previous entry if it was valid (nothing
   * done), or 'eagain' if a missing table could not be installed (see childTable()).
   */
  mapPage(ipa: number, frame: number, prot: number, shared = false): Pte | undefined | 'eagain' {
    let page = this.root;
    let dep = 0;
    for (let level = this.startLevel; level < KVM_PGTABLE_MAX_LEVELS - 1; level++) {
      const idx = this.idx(ipa, level);
      const child = this.childTable(page, idx, level, shared, dep);
      if (child === undefined) return 'eagain';
      dep = this.pool.depOf(page, idx);
      page = child;
    }
    const idx = this.idx(ipa, KVM_PGTABLE_MAX_LEVELS - 1);
    const old = this.pool.read(page, idx, dep);
    if (kvm_pte_valid(old)) return old;
    this.pool.get_page(page);
    this.frames.get_page(frame);
    this.pool.write(page, idx, kvm_init_valid_leaf_pte(this.frames.pa(frame), prot, KVM_PGTABLE_MAX_LEVELS - 1), this.makePte);
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

  /**
   * kvm_pgtable_stage2_wrprotect(): clears S2AP_W in every valid leaf of the range, as dirty
   * logging starts. Invalidating the TLB is the caller's (kvm_flush_remote_tlbs). Returns the
   * leaves it changed.
   */
  wrprotect(ipa: number, size: number): number {
    let n = 0;
    this.walkAll(ipa, size, {
      flags: KVM_PGTABLE_WALK_LEAF,
      cb: (ctx) => {
        if (!kvm_pte_valid(ctx.old) || !(ctx.old & KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W)) return;
        this.pool.write(ctx.page, ctx.idx, ctx.old & ~KVM_PTE_LEAF_ATTR_LO_S2_S2AP_W);
        n++;
      },
    });
    return n;
  }

  /**
   * kvm_pgtable_stage2_relax_perms(): adds `prot` to the leaf mapping `ipa` (a permission fault's
   * fix; relaxing needs no TLB invalidation: a stale stricter entry only faults again). Returns
   * false if no valid leaf maps it.
   */
  relaxPerms(ipa: number, prot: number): boolean {
    const t = this.translate(ipa);
    if (t.fault) return false;
    const pte = kvm_init_valid_leaf_pte(kvm_pte_to_phys(t.pte), leafProt(t.pte) | prot, t.level);
    if (pte !== t.pte) this.pool.write(t.page, t.idx, pte);
    return true;
  }

  /**
   * The hardware walk of a guest access: the leaf, or where it stopped. Under arm64 each level's
   * read carries an address dependency on the entry read above it (the walker reads the table that
   * entry points to), so it cannot read a descriptor older than that entry's write allows; it may
   * still read an older one its CPU's view allows.
   */
  translate(ipa: number): Translation {
    let page = this.root;
    let dep = 0;
    for (let level = this.startLevel; level < KVM_PGTABLE_MAX_LEVELS; level++) {
      const idx = this.idx(ipa, level);
      const pte = this.pool.read(page, idx, dep);
      dep = this.pool.depOf(page, idx);
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

/** Where a hardware walk ended: the leaf entry found, or the level and entry where it faulted. */
export type Translation = { pte: Pte; level: number; page: number; idx: number; fault?: undefined } | { fault: 'invalid' | 'locked'; level: number; page: number; idx: number };
