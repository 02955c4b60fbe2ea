// Seed 001: coalescing a region's page mappings into a block, and splitting it back for dirty
// logging, while vCPUs keep using the region, in every design from before the patch to today's.
import { defineScenario, type DesignDefinition } from 'hyprace';
import { NO_FREED_TRANSLATION, NO_STALE_DATA, REFCOUNT_BALANCE, TLB_NO_CONFLICT, stage2Coalescer, stage2Figures, stage2Host, stage2Init, stage2Invariants, stage2Vcpu, makePteOrder, usesRwLock, type Stage2Options } from 'hyprace/stage2';

const designs = {
  'unmap-first': { description: 'before seed 001: invalidate the table entry, TLBI by VMID, unmap every page mapping, install the block', expect: 'holds', options: { design: 'unmap-first' } },
  'install-first': {
    description: "seed 001 as posted: install the block first, free the old table after; without the anchor's put_page and without CMOs",
    expect: 'caught',
    expectInvariants: [REFCOUNT_BALANCE, NO_STALE_DATA],
    options: { design: 'install-first' },
  },
  'install-first-fixed': { description: "seed 001 with the review's two findings repaired: the anchor's put_page, CMOs before the block", expect: 'holds', options: { design: 'install-first-fixed' } },
  'bbm-locked': { description: "today's walker: cmpxchg to LOCKED in a shared walk, TLBI, free the unlinked table, CMOs, store-release the block", expect: 'holds', options: { design: 'bbm-locked' } },
  'bbm-no-tlbi': {
    description: 'mutant of bbm-locked that skips the TLBI after breaking the entry',
    expect: 'caught',
    expectInvariants: [TLB_NO_CONFLICT, NO_FREED_TRANSLATION],
    options: { design: 'bbm-no-tlbi' },
  },
  'bbm-no-dsb': {
    description: 'mutant of bbm-locked whose TLBIs are not followed by dsb(ish): complete at once under sc (holds), pending under arm64 while the old table is freed (caught)',
    expect: 'holds',
    expectUnder: { arm64: 'caught' },
    expectInvariants: [NO_FREED_TRANSLATION, TLB_NO_CONFLICT],
    options: { design: 'bbm-no-dsb' },
  },
  'bbm-locked-no-release': {
    description:
      "mutant of bbm-locked whose stage2_make_pte() stores with WRITE_ONCE(), not smp_store_release(); the block is then unmapped and a page remapped in an exclusive walk through a recycled table: holds under sc, caught under arm64 (a walk follows the new table entry and reads the page's stale descriptor)",
    expect: 'holds',
    expectUnder: { arm64: 'caught' },
    expectInvariants: [NO_FREED_TRANSLATION],
    options: { design: 'bbm-locked-no-release', unmap: true },
  },
} satisfies Record<string, DesignDefinition<Stage2Options>>;

export default defineScenario({
  name: 'stage2-coalesce',
  title: 'stage-2 page mappings coalesced into a block and split back, while vCPUs use them',
  seeds: ['001'],
  options: { design: 'bbm-locked', vcpus: 2, accesses: 12, touched: 16, mmuOffChance: 0.1, visitsPerStep: 64, split: true, unmap: false, tlbEntries: 8, poolPages: 16, eagain: 'retry' } as Stage2Options,
  optionSpecs: {
    design: { choices: Object.keys(designs), description: 'how the region is coalesced (each design sets it)' },
    vcpus: { integer: true, min: 1, max: 8, description: 'vCPUs, each on its own CPU' },
    accesses: { integer: true, min: 1, max: 10_000, description: 'guest accesses per vCPU' },
    touched: { integer: true, min: 1, max: 512, description: 'pages of the 2 MiB region the guest touched (page-mapped at the start)' },
    mmuOffChance: { min: 0, max: 1, description: 'chance an access reads with the MMU off' },
    visitsPerStep: { integer: true, min: 1, max: 512, description: "leaf entries the host's walk visits per step" },
    unmap: { description: 'after coalescing, unmap the block and map page 0 again in an exclusive walk, through a new table (instead of splitting)' },
    tlbEntries: { integer: true, min: 1, max: 64, description: 'TLB entries per CPU' },
    poolPages: { integer: true, min: 4, max: 1024, description: 'stage-2 table pages in the pool' },
    eagain: { choices: ['retry', 'wait'], description: "a vCPU meeting a LOCKED entry retries at once (KVM's -EAGAIN), or waits until it is unlocked (finite executions for verify)" },
  },
  designs,
  budget: { strategy: 'random', depth: 3, iterations: 100_000, timeSeconds: 10, stepLimit: 2000 },
  // verify explores every draw: one vCPU touching two pages with the MMU on (an MMU-off access
  // draws among the region's 512 pages), a small TLB and pool, no split, and waits on a LOCKED
  // entry instead of retrying, so that every execution is finite.
  verify: { options: { vcpus: 1, accesses: 2, touched: 2, mmuOffChance: 0, tlbEntries: 2, poolPages: 4, split: false, eagain: 'wait' }, stateCache: true },
  host: (layout, d) => stage2Host(layout, d.options, usesRwLock(d.options.design) ? 'rwlock' : 'spinlock', makePteOrder(d.options.design)),
  init: (h) => stage2Init(h),
  actors: (h) => [
    ...Array.from({ length: h.opts.vcpus }, (_, v) => ({ name: `vcpu${v}`, where: () => `CPU${v}`, machine: stage2Vcpu(h, v, { eagain: h.opts.eagain }) })),
    { name: 'host', machine: stage2Coalescer(h) },
  ],
  invariants: stage2Invariants<Stage2Options>(),
  figures: (h) => stage2Figures(h),
});
