// The stage-2 world of seed 001: one VM whose 2 MiB region at REGION is first mapped by 4 KiB
// pages (those the guest touched) while the rest of its THP-backed frames sit dirty in the host's
// data cache; vCPUs pinned one per CPU keep accessing it; a host thread coalesces it into a block
// and then, for dirty logging, splits it back into pages.
import { PhysCpus, make_vttbr } from '../cpu.ts';
import type { Layout, WordArray } from '../layout.ts';
import { RwLock, Spinlock } from '../locks.ts';
import { GuestFrames, TablePool } from './pool.ts';
import { KvmPgtable } from './pgtable.ts';
import { Prot } from './descriptor.ts';
import { Tlbs } from '../tlb.ts';

export type CoalesceDesign = 'unmap-first' | 'install-first' | 'install-first-fixed' | 'bbm-locked' | 'bbm-no-tlbi';

export interface Stage2Options {
  design: CoalesceDesign;
  /** vCPUs, each pinned to its own CPU. */
  vcpus: number;
  /** Guest accesses each vCPU makes. */
  accesses: number;
  /** Pages of the region the guest touches (and that are page-mapped at the start). */
  touched: number;
  /** Chance that an access reads with the guest's MMU off (from memory, not the cache), anywhere in the region. */
  mmuOffChance: number;
  /** Leaf entries the host's walk visits per step while it unmaps. */
  visitsPerStep: number;
  /** Split the block back into pages after coalescing (dirty logging). */
  split: boolean;
  tlbEntries: number;
  poolPages: number;
}

export const VMID = 1;
/** The region's IPA: 1 GiB, 2 MiB aligned. */
export const REGION = 0x4000_0000;
export const REGION_PAGES = 512;

export interface Stage2Host {
  opts: Stage2Options;
  cpus: PhysCpus;
  tlbs: Tlbs;
  pool: TablePool;
  frames: GuestFrames;
  pgt: KvmPgtable;
  mmu_lock: Spinlock | RwLock;
  /**
   * Ghost and figures: [0] step the region's entry went invalid (-1 closed), [1] steps it stayed
   * invalid while coalescing, [2] faults vCPUs took meanwhile, [3] table updates in progress,
   * [4] table updates done, [5] accesses, [6] faults, [7] -EAGAIN retries, [8] steps it stayed
   * invalid while splitting, [9] faults meanwhile, [10] which window is open, [11] the pool and
   * frame changes (plus one) at the last reference-count check that held.
   */
  g: WordArray;
}

export const G_WINDOW_OPENED = 0;
export const G_WINDOW_STEPS = 1;
export const G_WINDOW_FAULTS = 2;
export const G_UPDATING = 3;
export const G_UPDATES = 4;
export const G_ACCESSES = 5;
export const G_FAULTS = 6;
export const G_EAGAIN = 7;
export const G_SPLIT_WINDOW_STEPS = 8;
export const G_SPLIT_WINDOW_FAULTS = 9;
export const G_WINDOW_KIND = 10;
export const G_REFCOUNTS_CHECKED = 11;
export const WINDOW_COALESCE = 1;
export const WINDOW_SPLIT = 2;

/** 2021 kernels took kvm->mmu_lock as a spinlock; today's fault path takes it for read. */
export const usesRwLock = (d: CoalesceDesign) => d === 'bbm-locked' || d === 'bbm-no-tlbi';

export function stage2Host(layout: Layout, opts: Stage2Options): Stage2Host {
  const cpus = new PhysCpus(layout, opts.vcpus);
  const tlbs = new Tlbs(layout, opts.vcpus, opts.tlbEntries);
  const pool = new TablePool(layout, opts.poolPages);
  const frames = new GuestFrames(layout, REGION_PAGES);
  const pgt = new KvmPgtable(pool, frames, 40);
  const mmu_lock = usesRwLock(opts.design) ? new RwLock(layout, 'kvm->mmu_lock') : new Spinlock(layout, 'kvm->mmu_lock');
  const g = layout.words('stage2 ghost', 12, (i) =>
    [
      'region invalid since step',
      'coalesce: invalid-window steps',
      'coalesce: faults in the window',
      'table updates in progress',
      'table updates',
      'guest accesses',
      'stage-2 faults',
      '-EAGAIN retries',
      'split: invalid-window steps',
      'split: faults in the window',
      'open window',
      'refcounts checked at (ghost)',
    ][i],
    { ghost: true },
  );
  return { opts, cpus, tlbs, pool, frames, pgt, mmu_lock, g };
}

export function stage2Init(h: Stage2Host): void {
  h.cpus.init();
  h.pool.init();
  h.pgt.init();
  h.pgt.map(REGION, h.opts.touched * 4096, 0, Prot.R | Prot.W);
  // The THP behind the region: the host wrote every frame; the touched ones were cleaned when
  // they were faulted in, the others still sit dirty in the cache.
  for (let f = h.opts.touched; f < REGION_PAGES; f++) h.frames.cacheDirty.at(f).store(1);
  for (let c = 0; c < h.opts.vcpus; c++) {
    h.cpus.curr.at(c).store(c);
    h.cpus.vttbr_el2.at(c).store(make_vttbr(h.pgt.root, VMID));
  }
  h.g.at(G_WINDOW_OPENED).store(-1);
}
