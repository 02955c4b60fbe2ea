// Worked example 2: the stage-2 world of the built-in stage2-coalesce scenario (its tables, vCPUs
// and invariants), with a host thread of our own whose kvm_pgtable_walk() visitor is changed.
// Today's walker coalesces page mappings into a block by break-before-make in a shared walk:
// stage2_try_break_pte() swaps the table entry for LOCKED and invalidates the TLB, the old table
// is freed, the block made. A broken *table* entry needs the whole range it mapped invalidated;
// the changed visitor invalidates it as if it were a leaf, leaving stale page entries behind.
//   npx hyprace explore examples/stage2-break-tlbi.ts --design leaf-ipa
import { defineScenario, defineStepMachine, note, type RwLock } from 'hyprace';
import { __kvm_tlb_flush_vmid, __kvm_tlb_flush_vmid_ipa, __kvm_tlb_flush_vmid_range } from 'hyprace/arm64';
import { G, KVM_INVALID_PTE_LOCKED, KVM_PGTABLE_WALK_TABLE_PRE, PTRS_PER_TABLE, Prot, REGION, REGION_PAGES, VMID } from 'hyprace/stage2';
import { kvm_init_valid_leaf_pte, kvm_pte_to_phys, kvm_pte_valid, stage2Host, stage2Init, stage2Invariants, stage2Vcpu } from 'hyprace/stage2';
import type { Stage2Host, Stage2WorldOptions, WalkState, Walker } from 'hyprace/stage2';

/** The world's options, and how the visitor invalidates the TLB after breaking the table entry. */
interface Options extends Stage2WorldOptions {
  tlbi: 'range' | 'vmid' | 'leaf-ipa';
}
type Host = Stage2Host<Options>;

interface Locals {
  walk: WalkState | null; // the walk in progress: plain data, so it lives in the context
  page: number; // the broken entry: its table page and index, and the table it pointed to
  idx: number;
  follow: number;
  broke: number; // what the last walk step met: 1 the visitor broke the entry, 0 the walk's end
}

const BLOCK_LEVEL = 2;

/** The changed part: stage2_try_break_pte() for the region's table entry, at its TABLE_PRE visit. */
function breakVisitor(h: Host, context: Locals): Walker {
  return {
    flags: KVM_PGTABLE_WALK_TABLE_PRE,
    reload: true,
    cb: (ctx) => {
      if (ctx.level !== BLOCK_LEVEL || ctx.addr !== REGION) return;
      if (h.pool.cmpxchg(ctx.page, ctx.idx, ctx.old, KVM_INVALID_PTE_LOCKED) !== ctx.old) throw new Error('the entry changed under the walk');
      note('stage2_try_break_pte: the region entry is LOCKED');
      if (h.opts.tlbi === 'range') __kvm_tlb_flush_vmid_range(h.tlbs, VMID, REGION / 4096, REGION_PAGES);
      else if (h.opts.tlbi === 'vmid') __kvm_tlb_flush_vmid(h.tlbs, VMID);
      else __kvm_tlb_flush_vmid_ipa(h.tlbs, VMID, REGION / 4096); // as if it were a leaf
      Object.assign(context, { page: ctx.page, idx: ctx.idx, follow: h.pool.pageOf(kvm_pte_to_phys(ctx.old)), broke: 1 });
    },
  };
}

/** The host thread: under read_lock(&kvm->mmu_lock), walk the region; coalesce it when the visitor broke it. */
function coalescer(h: Host) {
  const { pool, frames, pgt, g } = h;
  const lock = h.mmu_lock as RwLock;
  return defineStepMachine<Locals>({
    id: `coalesce-${h.opts.tlbi}`,
    initial: 'mmu_read_lock',
    context: { walk: null, page: -1, idx: -1, follow: -1, broke: 0 },
    states: {
      mmu_read_lock: {
        wait: lock.waitFor('read'),
        step: {
          actions: ({ context }) => {
            lock.read_lock();
            g.at(G.UPDATING).add(1);
            context.walk = pgt.walkBegin(REGION, REGION_PAGES * 4096);
          },
          target: 'walk',
        },
      },
      walk: {
        description: 'kvm_pgtable_walk() until the visitor breaks the region entry, or to its end',
        step: {
          actions: ({ context }) => {
            context.broke = 0;
            const visitor = breakVisitor(h, context);
            while (!context.broke && pgt.walkNext(context.walk!, visitor));
          },
          // What the walk met decides where the step goes: the actions keep it, the branches read it.
          then: [{ guard: ({ context }) => context.broke === 1, target: 'free_unlinked_table' }, { target: 'mmu_read_unlock' }],
        },
      },
      free_unlinked_table: {
        description: "free_unlinked_table(): the old table's page mappings and the table go; put_page(ptep)",
        step: {
          actions: ({ context }) => {
            for (let i = 0; i < PTRS_PER_TABLE; i++) {
              const pte = pool.read(context.follow, i);
              if (!kvm_pte_valid(pte)) continue;
              frames.put_page(frames.frameOf(kvm_pte_to_phys(pte)));
              pool.put_page(context.follow);
            }
            pool.put_page(context.follow);
            pool.free(context.follow);
            pool.put_page(context.page);
          },
          target: 'dcache_clean',
        },
      },
      dcache_clean: { description: 'dcache_clean_inval_poc() of the block', step: { actions: () => frames.clean(0, REGION_PAGES), target: 'stage2_make_pte' } },
      stage2_make_pte: {
        description: 'store-release the block over LOCKED; get_page for it and its frames',
        step: {
          actions: ({ context }) => {
            pool.write(context.page, context.idx, kvm_init_valid_leaf_pte(frames.pa(0), Prot.R | Prot.W, BLOCK_LEVEL));
            pool.get_page(context.page);
            for (let f = 0; f < REGION_PAGES; f++) frames.get_page(f);
          },
          target: 'walk',
        },
      },
      mmu_read_unlock: { step: { actions: [() => lock.read_unlock(), () => g.at(G.UPDATING).add(-1), () => g.at(G.UPDATES).add(1)], target: 'done' } },
      done: { final: true },
    },
  });
}

export default defineScenario({
  name: 'stage2-break-tlbi',
  title: "break-before-make of a stage-2 table entry: which TLB invalidation the broken entry needs",
  options: { tlbi: 'range', vcpus: 2, accesses: 6, touched: 4, mmuOffChance: 0.1, tlbEntries: 8, poolPages: 16 } as Options,
  optionSpecs: {
    tlbi: { choices: ['range', 'vmid', 'leaf-ipa'], description: 'the invalidation after the break (each design sets it)' },
    vcpus: { integer: true, min: 1, max: 4, description: 'vCPUs, each on its own CPU' },
    accesses: { integer: true, min: 1, max: 1000, description: 'guest accesses per vCPU' },
    touched: { integer: true, min: 2, max: 64, description: 'pages the guest touches, page-mapped at the start' },
    mmuOffChance: { min: 0, max: 1, description: 'chance an access reads with the MMU off' },
    tlbEntries: { integer: true, min: 2, max: 64 },
    poolPages: { integer: true, min: 4, max: 64 },
  },
  designs: {
    range: { description: 'stage2_try_break_pte(): kvm_tlb_flush_vmid_range() over the 2 MiB the table mapped', expect: 'holds' },
    vmid: { description: 'the 2021 walker: __kvm_tlb_flush_vmid(), every entry of the VMID', expect: 'holds', options: { tlbi: 'vmid' } },
    'leaf-ipa': { description: 'changed visitor: __kvm_tlb_flush_vmid_ipa() of the entry\'s IPA, as for a leaf', expect: 'caught', expectInvariants: ['tlb-no-conflict', 'no-freed-translation'], options: { tlbi: 'leaf-ipa' } },
  },
  budget: { strategy: 'random', iterations: 5000, timeSeconds: 10, stepLimit: 500 },
  // verify explores every interleaving of a smaller world: two accesses per vCPU to two pages,
  // never with the MMU off (a read with the MMU off picks among 512 pages; verify allows 64).
  verify: { options: { accesses: 2, touched: 2, mmuOffChance: 0 }, stateCache: true, timeSeconds: 120 },
  host: (layout, d) => stage2Host(layout, d.options, 'rwlock'),
  init: (h) => stage2Init(h),
  // The built-in vCPUs; one that meets a LOCKED entry waits it out instead of spinning on -EAGAIN.
  actors: (h) => [
    ...Array.from({ length: h.opts.vcpus }, (_, v) => ({ name: `vcpu${v}`, where: () => `CPU${v}`, machine: stage2Vcpu(h, v, { eagain: 'wait' }) })),
    { name: 'host', machine: coalescer(h) },
  ],
  invariants: stage2Invariants<Options>(),
});
