// The host thread of seed 001: it coalesces the region's page mappings into one 2 MiB block, as
// a THP-backed fault does, then splits the block back into pages for dirty logging. The
// coalescing, by design:
//   unmap-first          before seed 001: invalidate the table entry, TLBI by VMID, unmap every
//                        page mapping, then install the block
//   install-first        seed 001 as posted: invalidate, TLBI, install the block at once, free the
//                        old table after; as the review found, without the anchor's put_page and
//                        without the CMOs a block over never-touched memory needs
//   install-first-fixed  the same with both repaired
//   bbm-locked           today's walker: cmpxchg the entry to LOCKED in a shared walk, TLBI, free
//                        the unlinked table, CMOs, then make the block with a store-release
//   bbm-no-tlbi          a mutant of bbm-locked without the TLBI
//   bbm-no-dsb           a mutant of bbm-locked whose TLBIs (coalesce and split) are not followed
//                        by dsb(ish): under arm64 they complete only at a later DSB (the CMO's,
//                        for the coalesce), so other CPUs keep using the old entries meanwhile
//   bbm-locked-no-release  a mutant of bbm-locked whose stage2_make_pte() stores with WRITE_ONCE(),
//                        not smp_store_release() (KvmPgtable.makePte); it matters where nothing
//                        else orders the new entry after what it needs: a table entry linking a
//                        new table in an exclusive walk (the `unmap` option's remap)
// The split uses break-before-make in every design, so designs differ only in coalescing. With
// `unmap`, the block is then unmapped (kvm_pgtable_stage2_unmap(), as an MMU notifier does) and
// one page mapped again in an exclusive walk, through a new level-3 table: the pool's top page,
// the table the coalesce freed, whose old descriptors only zalloc_page()'s zeroing overwrites.
import { __kvm_tlb_flush_vmid, __kvm_tlb_flush_vmid_range, __tlbi_ipas2e1is, __tlbi_vmalls12e1is } from '../host/arm64.ts';
import { dsb } from '../host/barriers.ts';
import { stepIndex } from '../host/execution.ts';
import type { RwLock, Spinlock } from '../host/locks.ts';
import { note } from '../host/recorder.ts';
import {
  KVM_INVALID_PTE_LOCKED,
  KVM_PGTABLE_MAX_LEVELS,
  KVM_PTE_VALID,
  PTRS_PER_TABLE,
  Prot,
  kvm_init_table_pte,
  kvm_init_valid_leaf_pte,
  kvm_pte_to_phys,
  kvm_pte_valid,
} from '../host/stage2/descriptor.ts';
import { KVM_PGTABLE_WALK_LEAF, KVM_PGTABLE_WALK_TABLE_POST, KVM_PGTABLE_WALK_TABLE_PRE, type WalkCtx, type WalkState, type Walker } from '../host/stage2/pgtable.ts';
import { G, REGION, REGION_PAGES, VMID, WINDOW_COALESCE, WINDOW_SPLIT, type CoalesceDesign, type Stage2Host } from '../host/stage2/world.ts';
import { defineStepMachine, type StepArgs, type StepState } from './step-machine.ts';

const BLOCK_LEVEL = 2;
const BLOCK = REGION_PAGES * 4096;

interface Locals {
  /** What the walk's last visit was: 0 done, 1 the region's table entry (pre), 2 leaves, 3 the region's entry (post). */
  visit: number;
  /** The region's entry: the table page holding it, and its index. */
  anchorPage: number;
  anchorIdx: number;
  /** The table the entry pointed to (data->follow). */
  follow: number;
  /** The split's new table. */
  splitTable: number;
  /** The walk in progress (the walker's stack), and the visit it stopped at. */
  walk: WalkState | null;
  at: WalkCtx | null;
}
type Args = StepArgs<Locals>;

const DONE = 0;
const ANCHOR_PRE = 1;
const LEAVES = 2;
const ANCHOR_POST = 3;

/** The built-in scenario's host thread: coalesce the region in design `opts.design`, then (with `opts.split`) split it back. */
export function stage2Coalescer(h: Stage2Host) {
  const { pool, frames, pgt, tlbs, g, opts } = h;
  const design: CoalesceDesign = opts.design;
  const bbm = design === 'bbm-locked' || design === 'bbm-no-tlbi' || design === 'bbm-no-dsb' || design === 'bbm-locked-no-release';
  const noDsb = design === 'bbm-no-dsb';
  const rw = h.mmuLockKind === 'rwlock';
  const spin = h.mmu_lock as Spinlock;
  const rwl = h.mmu_lock as RwLock;

  // The walk stops at every visit (the visitor does nothing); the steps act on where it stopped.
  const walker: Walker = {
    flags: KVM_PGTABLE_WALK_TABLE_PRE | KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
    // The 2021 walker descends by the entry read before TABLE_PRE; today's re-reads it.
    reload: bbm,
    cb: () => undefined,
  };
  const interesting = (c: WalkCtx) => c.level === BLOCK_LEVEL && c.addr === REGION;
  /** Runs the walk until the next visit this design handles; records it in `visit`. */
  const advance = ({ context }: Args) => {
    for (;;) {
      const at = pgt.walkNext(context.walk!, walker);
      context.at = at ?? null;
      if (!at) {
        context.visit = DONE;
        return;
      }
      if (at.visit === KVM_PGTABLE_WALK_TABLE_PRE && interesting(at)) return void (context.visit = ANCHOR_PRE);
      if (at.visit === KVM_PGTABLE_WALK_TABLE_POST && interesting(at)) return void (context.visit = ANCHOR_POST);
      if (at.visit === KVM_PGTABLE_WALK_LEAF && at.level === KVM_PGTABLE_MAX_LEVELS - 1 && context.anchorPage >= 0 && !bbm) return void (context.visit = LEAVES);
    }
  };
  const startWalk = (a: Args) => {
    a.context.anchorPage = -1;
    a.context.walk = pgt.walkBegin(REGION, BLOCK);
    advance(a);
  };

  const beginUpdate = () => g.at(G.UPDATING).add(1);
  const endUpdate = () => {
    g.at(G.UPDATING).add(-1);
    g.at(G.UPDATES).add(1);
  };
  const openWindow = (kind: number) => () => {
    g.at(G.WINDOW_OPENED).store(stepIndex());
    g.at(G.WINDOW_KIND).store(kind);
  };
  const closeWindow = (stepsWord: number) => () => {
    const opened = g.at(G.WINDOW_OPENED).load();
    g.at(stepsWord).add(stepIndex() - opened);
    g.at(G.WINDOW_OPENED).store(-1);
  };

  const anchor = ({ context }: Args) => {
    context.anchorPage = context.at!.page;
    context.anchorIdx = context.at!.idx;
    context.follow = pool.pageOf(kvm_pte_to_phys(context.at!.old));
  };
  const block = () => kvm_init_valid_leaf_pte(frames.pa(0), Prot.R | Prot.W, BLOCK_LEVEL);
  /** kvm_set_invalid_pte(): clear the valid bit (the address stays). */
  const setInvalid = ({ context }: Args) => {
    pool.write(context.anchorPage, context.anchorIdx, pool.read(context.anchorPage, context.anchorIdx) & ~KVM_PTE_VALID);
    note(`kvm_set_invalid_pte: the region's level-2 entry`);
    openWindow(WINDOW_COALESCE)();
  };
  const flushVmid = () => (noDsb ? (dsb('ishst'), __tlbi_vmalls12e1is(tlbs, VMID)) : __kvm_tlb_flush_vmid(tlbs, VMID));
  const cleanBlock = () => frames.clean(0, REGION_PAGES);
  /** The block entry takes a reference on its table page and on every frame it maps. */
  const installBlock = ({ context }: Args) => {
    // As stage2_make_pte(): the references first, then the entry.
    pool.get_page(context.anchorPage);
    for (let f = 0; f < REGION_PAGES; f++) frames.get_page(f);
    pool.write(context.anchorPage, context.anchorIdx, block(), pgt.makePte);
    note(`${pgt.makePte === 'release' ? 'smp_store_release' : 'WRITE_ONCE'}: the 2 MiB block entry`);
    closeWindow(G.WINDOW_STEPS)();
  };
  /** Leaves under the anchor: each valid page entry's references go (the old table is freed later). */
  const unmapLeaves = (a: Args) => {
    for (let n = 0; a.context.visit === LEAVES && n < opts.visitsPerStep; n++) {
      const at = a.context.at!;
      if (kvm_pte_valid(at.old)) {
        pool.put_page(at.page);
        frames.put_page(frames.frameOf(kvm_pte_to_phys(at.old)));
      }
      advance(a);
    }
  };
  const freeFollow = ({ context }: Args) => {
    pool.put_page(context.follow);
    pool.free(context.follow);
  };
  const putAnchorPage = ({ context }: Args) => pool.put_page(context.anchorPage);

  const afterCoalesce = opts.unmap ? 'unmap_lock' : opts.split ? 'split_lock' : 'done';
  const lockStates: Record<string, StepState<Locals>> = rw
    ? {
        mmu_lock: { description: 'read_lock(&kvm->mmu_lock): a shared walk', wait: rwl.waitFor('read'), step: { actions: [() => rwl.read_lock(), beginUpdate, startWalk], target: 'walk' } },
        mmu_unlock: { step: { actions: [() => rwl.read_unlock(), endUpdate], target: afterCoalesce } },
      }
    : {
        mmu_lock: { description: 'spin_lock(&kvm->mmu_lock)', wait: spin.waitFor(), step: { actions: [() => spin.lock(), beginUpdate, startWalk], target: 'walk' } },
        mmu_unlock: { step: { actions: [() => spin.unlock(), endUpdate], target: afterCoalesce } },
      };

  const walkState: StepState<Locals> = {
    description: 'kvm_pgtable_walk() of the region, stopping where this design acts',
    step: [
      { guard: ({ context }) => context.visit === ANCHOR_PRE, actions: anchor, target: 'anchor_pre' },
      { guard: ({ context }) => context.visit === LEAVES, target: 'unmap_leaves' },
      { guard: ({ context }) => context.visit === ANCHOR_POST, target: 'anchor_post' },
      { target: 'mmu_unlock' },
    ],
  };

  let coalesce: Record<string, StepState<Locals>>;
  if (design === 'unmap-first') {
    coalesce = {
      anchor_pre: { description: 'stage2_map_walk_table_pre: kvm_set_invalid_pte(ptep)', step: { actions: setInvalid, target: 'tlb_flush_vmid' } },
      tlb_flush_vmid: { description: '__kvm_tlb_flush_vmid: numerous leaves below', step: { actions: [flushVmid, advance], target: 'walk' } },
      unmap_leaves: { description: 'stage2_map_walk_leaf with the anchor set: put_page for each page mapping', step: { actions: unmapLeaves, target: 'walk' } },
      anchor_post: { description: 'stage2_map_walk_table_post: free_page(table), put_page(ptep)', step: { actions: [freeFollow, putAnchorPage], target: 'install_block' } },
      install_block: { description: 'stage2_map_walker_try_leaf: CMOs, then the block', step: { actions: [cleanBlock, installBlock, advance], target: 'walk' } },
    };
  } else if (design === 'install-first' || design === 'install-first-fixed') {
    const fixed = design === 'install-first-fixed';
    coalesce = {
      anchor_pre: { description: 'stage2_coalesce_tables_into_block: kvm_set_invalid_pte(ptep)', step: { actions: setInvalid, target: 'tlb_flush_vmid' } },
      tlb_flush_vmid: { description: '__kvm_tlb_flush_vmid', step: { actions: flushVmid, target: 'install_block' } },
      install_block: {
        description: fixed ? 'CMOs, then smp_store_release(ptep, block)' : 'smp_store_release(ptep, block), no CMOs',
        step: { actions: [...(fixed ? [cleanBlock] : []), installBlock, advance], target: 'walk' },
      },
      unmap_leaves: { description: 'the old page mappings, after the block is in place', step: { actions: unmapLeaves, target: 'walk' } },
      anchor_post: {
        description: fixed ? 'free_page(data->follow); put_page(ptep)' : 'free_page(data->follow) only: the anchor\'s put_page is missing',
        step: { actions: [freeFollow, ...(fixed ? [putAnchorPage] : []), advance], target: 'walk' },
      },
    };
  } else {
    const noTlbi = design === 'bbm-no-tlbi';
    coalesce = {
      anchor_pre: {
        description: 'stage2_try_break_pte: cmpxchg the table entry to KVM_INVALID_PTE_LOCKED',
        step: {
          actions: ({ context }) => {
            const old = pool.cmpxchg(context.anchorPage, context.anchorIdx, context.at!.old, KVM_INVALID_PTE_LOCKED);
            if (old !== context.at!.old) throw new Error('the region entry changed under the shared walk');
            openWindow(WINDOW_COALESCE)();
          },
          target: noTlbi ? 'free_unlinked_table' : 'tlb_flush_vmid',
        },
      },
      ...(noTlbi
        ? {}
        : { tlb_flush_vmid: { description: noDsb ? 'dsb(ishst); TLBI VMALLS12E1IS, with no dsb(ish) after it' : 'kvm_tlb_flush_vmid: a table entry was broken', step: { actions: flushVmid, target: 'free_unlinked_table' } } }),
      free_unlinked_table: {
        description: 'free_unlinked_table(): drop the old table and its page mappings; put_page(ptep)',
        step: {
          actions: [
            ({ context }) => {
              for (let i = 0; i < PTRS_PER_TABLE; i++) {
                const pte = pool.read(context.follow, i);
                if (!kvm_pte_valid(pte)) continue;
                frames.put_page(frames.frameOf(kvm_pte_to_phys(pte)));
                pool.put_page(context.follow);
              }
            },
            freeFollow,
            putAnchorPage,
          ],
          target: 'dcache_clean',
        },
      },
      dcache_clean: { description: 'dcache_clean_inval_poc before the guest can see the block', step: { actions: cleanBlock, target: 'stage2_make_pte' } },
      stage2_make_pte: { description: 'stage2_make_pte: store-release the block over LOCKED, get_page', step: { actions: [installBlock, advance], target: 'walk' } },
      unmap_leaves: { step: { actions: unmapLeaves, target: 'walk' } },
      anchor_post: { step: { actions: advance, target: 'walk' } },
    };
  }

  // Dirty logging: split the block back into pages, with break-before-make in every design.
  const split: Record<string, StepState<Locals>> = {
    split_lock: rw
      ? { description: 'write_lock(&kvm->mmu_lock)', wait: rwl.waitFor('write'), step: { actions: [() => rwl.write_lock(), beginUpdate], target: 'split_alloc' } }
      : { description: 'spin_lock(&kvm->mmu_lock)', wait: spin.waitFor(), step: { actions: [() => spin.lock(), beginUpdate], target: 'split_alloc' } },
    split_alloc: {
      description: 'a new level-3 table of 512 page mappings of the block\'s frames',
      step: {
        actions: ({ context }) => {
          const t = pool.alloc();
          for (let i = 0; i < PTRS_PER_TABLE; i++) {
            pool.write(t, i, kvm_init_valid_leaf_pte(frames.pa(i), Prot.R, KVM_PGTABLE_MAX_LEVELS - 1));
            pool.get_page(t);
            frames.get_page(i);
          }
          context.splitTable = t;
        },
        target: 'split_break',
      },
    },
    split_break: {
      description: 'break: the block entry becomes invalid',
      step: {
        actions: ({ context }) => {
          pool.write(context.anchorPage, context.anchorIdx, bbm ? KVM_INVALID_PTE_LOCKED : 0n);
          openWindow(WINDOW_SPLIT)();
        },
        target: design === 'bbm-no-tlbi' ? 'split_make' : 'split_tlbi',
      },
    },
    split_tlbi: {
      description: noDsb ? 'TLBI by IPA range over the block, with no dsb(ish) after it' : 'TLBI by IPA range over the block',
      step: {
        actions: () => (noDsb ? (dsb('ishst'), __tlbi_ipas2e1is(tlbs, VMID, REGION / 4096, REGION_PAGES)) : __kvm_tlb_flush_vmid_range(tlbs, VMID, REGION / 4096, REGION_PAGES)),
        target: 'split_make',
      },
    },
    split_make: {
      description: 'make: the table entry; the block\'s references go',
      step: {
        actions: [
          ({ context }) => {
            pool.write(context.anchorPage, context.anchorIdx, kvm_init_table_pte(pool.pa(context.splitTable)), pgt.makePte);
            for (let f = 0; f < REGION_PAGES; f++) frames.put_page(f);
          },
          closeWindow(G.SPLIT_WINDOW_STEPS),
        ],
        target: 'split_unlock',
      },
    },
    split_unlock: { step: { actions: [() => (rw ? rwl.write_unlock() : spin.unlock()), endUpdate], target: 'done' } },
  };

  // The region unmapped, then one page mapped again through a new table (the `unmap` option).
  const writeLock = rw
    ? { description: 'write_lock(&kvm->mmu_lock)', wait: rwl.waitFor('write'), step: { actions: [() => rwl.write_lock(), beginUpdate], target: 'unmap_block' } }
    : { description: 'spin_lock(&kvm->mmu_lock)', wait: spin.waitFor(), step: { actions: [() => spin.lock(), beginUpdate], target: 'unmap_block' } };
  const unmap: Record<string, StepState<Locals>> = {
    unmap_lock: writeLock,
    unmap_block: {
      description: 'kvm_pgtable_stage2_unmap(): clear the block entry, TLBI by IPA range, then put_page() its table page and frames',
      step: {
        actions: ({ context }) => {
          pool.write(context.anchorPage, context.anchorIdx, 0n);
          if (noDsb) {
            dsb('ishst');
            __tlbi_ipas2e1is(tlbs, VMID, REGION / 4096, REGION_PAGES);
          } else __kvm_tlb_flush_vmid_range(tlbs, VMID, REGION / 4096, REGION_PAGES);
          pool.put_page(context.anchorPage);
          for (let f = 0; f < REGION_PAGES; f++) frames.put_page(f);
        },
        target: 'remap',
      },
    },
    remap: {
      description: 'kvm_pgtable_stage2_map() of page 0 in an exclusive walk: zalloc_page() a level-3 table (the page the coalesce freed), stage2_make_pte() its table entry, then the page entry',
      step: { actions: () => void pgt.mapPage(REGION, 0, Prot.R | Prot.W), target: 'unmap_unlock' },
    },
    unmap_unlock: { step: { actions: [() => (rw ? rwl.write_unlock() : spin.unlock()), endUpdate], target: 'done' } },
  };

  return defineStepMachine<Locals>({
    id: `stage2-coalesce-${design}`,
    initial: 'mmu_lock',
    context: { visit: DONE, anchorPage: -1, anchorIdx: -1, follow: -1, splitTable: -1, walk: null, at: null },
    states: { ...lockStates, walk: walkState, ...coalesce, ...split, ...(opts.unmap ? unmap : {}), done: { final: true } },
  });
}

