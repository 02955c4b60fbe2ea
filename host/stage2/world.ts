// The stage-2 world of seed 001: one VM whose 2 MiB region at REGION is first mapped by 4 KiB
// pages (those the guest touched) while the rest of its THP-backed frames sit dirty in the host's
// data cache; vCPUs pinned one per CPU keep accessing it. What the host does to the region (the
// built-in scenario coalesces it into a block and splits it back) is the scenario's.
import type { StoreKind } from '../access.ts';
import { ARM64_STAGE2_TLB_WORDS } from '../arm64.ts';
import { PhysCpus } from '../cpu.ts';
import type { Layout, WordArray } from '../layout.ts';
import { RwLock, Spinlock } from '../locks.ts';
import { make_vttbr } from '../stage2-register.ts';
import { Tlbs } from '../tlb.ts';
import { Prot } from './descriptor.ts';
import { KvmPgtable } from './pgtable.ts';
import { GuestFrames, TablePool } from './pool.ts';

/** The coalescing designs of the built-in stage2-coalesce scenario. */
export type CoalesceDesign = 'unmap-first' | 'install-first' | 'install-first-fixed' | 'bbm-locked' | 'bbm-no-tlbi' | 'bbm-no-dsb' | 'bbm-locked-no-release';

/** What shapes the world and the vCPUs' accesses (scenario options). */
export interface Stage2WorldOptions {
  /** vCPUs, each pinned to its own CPU. */
  vcpus: number;
  /** Guest accesses each vCPU makes. */
  accesses: number;
  /** Pages of the region the guest touches (and that are page-mapped at the start). */
  touched: number;
  /** Chance that an access reads with the guest's MMU off (from memory, not the cache), anywhere in the region. */
  mmuOffChance: number;
  /** TLB entries per CPU. */
  tlbEntries: number;
  /** Stage-2 table pages in the pool. */
  poolPages: number;
}

/** The built-in scenario's options: the world's, and how its host thread coalesces and splits. */
export interface Stage2Options extends Stage2WorldOptions {
  design: CoalesceDesign;
  /** Leaf entries the host's walk visits per step while it unmaps. */
  visitsPerStep: number;
  /** Split the block back into pages after coalescing (dirty logging). */
  split: boolean;
  /** Then unmap the region (kvm_pgtable_stage2_unmap(), as an MMU notifier does): the vCPUs' next faults map pages through a new level-3 table, a page the coalesce freed to the pool. */
  unmap: boolean;
  /** A vCPU that meets a LOCKED entry: 'retry' at once as KVM does, or 'wait' until it is unlocked (same outcomes, finite executions for verify; see Stage2VcpuOptions). */
  eagain: 'retry' | 'wait';
}

/** The VM's VMID. */
export const VMID = 1;
/** The region's IPA: 1 GiB, 2 MiB aligned. */
export const REGION = 0x4000_0000;
/** 4 KiB pages in the region (one 2 MiB block). */
export const REGION_PAGES = 512;

/** How kvm->mmu_lock is taken: a spinlock (2021 kernels), or an rwlock (today: faults take it for read). */
export type MmuLockKind = 'spinlock' | 'rwlock';

/** The world's shared memory: CPUs (VTTBR_EL2), TLBs, the table pool, guest frames, the stage-2 tables, kvm->mmu_lock, ghost words. */
export interface Stage2Host<O extends Stage2WorldOptions = Stage2Options> {
  opts: O;
  cpus: PhysCpus<'VTTBR_EL2'>;
  tlbs: Tlbs;
  pool: TablePool;
  frames: GuestFrames;
  pgt: KvmPgtable;
  mmu_lock: Spinlock | RwLock;
  mmuLockKind: MmuLockKind;
  /** Ghost words and figures, indexed by G. */
  g: WordArray;
}

/** Indices of the ghost words and figures in Stage2Host.g. */
export const G = {
  /** Step at which the region's entry went invalid (-1: no window open). */
  WINDOW_OPENED: 0,
  /** Steps it stayed invalid while coalescing. */
  WINDOW_STEPS: 1,
  /** Faults vCPUs took in that window. */
  WINDOW_FAULTS: 2,
  /** Table updates in progress (refcounts are checked only between updates). */
  UPDATING: 3,
  /** Table updates done. */
  UPDATES: 4,
  /** Guest accesses completed. */
  ACCESSES: 5,
  /** Stage-2 faults taken. */
  FAULTS: 6,
  /** -EAGAIN retries: a fault met a LOCKED entry, or lost a race to map. */
  EAGAIN: 7,
  /** Steps the entry stayed invalid while splitting. */
  SPLIT_WINDOW_STEPS: 8,
  /** Faults in that window. */
  SPLIT_WINDOW_FAULTS: 9,
  /** Which window is open: WINDOW_COALESCE or WINDOW_SPLIT. */
  WINDOW_KIND: 10,
  /** Ghost: the pool and frame changes (plus one) at the last reference-count check that held. */
  REFCOUNTS_CHECKED: 11,
} as const;
/** G.WINDOW_KIND while coalescing. */
export const WINDOW_COALESCE = 1;
/** G.WINDOW_KIND while splitting. */
export const WINDOW_SPLIT = 2;

/** 2021 kernels took kvm->mmu_lock as a spinlock; today's fault path takes it for read. */
export const usesRwLock = (d: CoalesceDesign) => d === 'bbm-locked' || d === 'bbm-no-tlbi' || d === 'bbm-no-dsb' || d === 'bbm-locked-no-release';

/** How a design's stage2_make_pte() stores a valid entry: smp_store_release(), or WRITE_ONCE() in bbm-locked-no-release. */
export const makePteOrder = (d: CoalesceDesign): StoreKind => (d === 'bbm-locked-no-release' ? 'plain' : 'release');

/** Lays the world out: `opts.vcpus` CPUs, their TLBs, a pool of `opts.poolPages` tables, the region's frames, kvm->mmu_lock as `mmuLock`; `makePte`: stage2_make_pte()'s store. */
export function stage2Host<O extends Stage2WorldOptions>(layout: Layout, opts: O, mmuLock: MmuLockKind, makePte: StoreKind = 'release'): Stage2Host<O> {
  const cpus = new PhysCpus(layout, opts.vcpus, { registers: ['VTTBR_EL2'] });
  const tlbs = new Tlbs(layout, cpus, opts.tlbEntries, ARM64_STAGE2_TLB_WORDS);
  const pool = new TablePool(layout, opts.poolPages);
  const frames = new GuestFrames(layout, REGION_PAGES);
  const pgt = new KvmPgtable(pool, frames, 40, makePte);
  const mmu_lock = mmuLock === 'rwlock' ? new RwLock(layout, 'kvm->mmu_lock') : new Spinlock(layout, 'kvm->mmu_lock');
  const g = layout.words('stage2 ghost', 12, (i) =>
    ['region invalid since step', 'coalesce: invalid-window steps', 'coalesce: faults in the window', 'table updates in progress', 'table updates', 'guest accesses', 'stage-2 faults', '-EAGAIN retries', 'split: invalid-window steps', 'split: faults in the window', 'open window', 'refcounts checked at (ghost)'][i],
    { ghost: true },
  );
  return { opts, cpus, tlbs, pool, frames, pgt, mmu_lock, mmuLockKind: mmuLock, g };
}

/** The start of every run: the root table, the touched pages mapped, the rest of the THP dirty in the cache, each vCPU's VTTBR_EL2 loaded. */
export function stage2Init(h: Stage2Host<Stage2WorldOptions>): void {
  h.cpus.init();
  h.pool.init();
  h.pgt.init();
  h.pgt.map(REGION, h.opts.touched * 4096, 0, Prot.R | Prot.W);
  // The THP behind the region: the host wrote every frame; the touched ones were cleaned when
  // they were faulted in, the others still sit dirty in the cache.
  for (let f = h.opts.touched; f < REGION_PAGES; f++) h.frames.cacheDirty.at(f).store(1);
  const vttbr = h.cpus.reg('VTTBR_EL2');
  for (let c = 0; c < h.opts.vcpus; c++) {
    h.cpus.curr.at(c).store(c);
    vttbr.at(c).store(make_vttbr(h.pgt.root, VMID));
  }
  h.g.at(G.WINDOW_OPENED).store(-1);
}
