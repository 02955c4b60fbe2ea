// Seed 001: coalescing a region's page mappings into a block, and splitting it back for dirty
// logging, while vCPUs keep using the region, in every design from before the patch to today's.
import { defineScenario, type DesignDefinition, type InvariantDefinition } from '../api.ts';
import { st32 } from '../host/access.ts';
import { REFCOUNT_BALANCE } from '../host/stage2/pool.ts';
import {
  G_ACCESSES,
  G_EAGAIN,
  G_FAULTS,
  G_SPLIT_WINDOW_FAULTS,
  G_SPLIT_WINDOW_STEPS,
  G_REFCOUNTS_CHECKED,
  G_UPDATING,
  G_WINDOW_FAULTS,
  G_WINDOW_STEPS,
  stage2Host,
  stage2Init,
  type Stage2Host,
  type Stage2Options,
} from '../host/stage2/world.ts';
import { stage2Coalescer } from '../machines/stage2-coalesce.ts';
import { NO_FREED_TRANSLATION, NO_STALE_DATA, TLB_NO_CONFLICT, stage2Vcpu } from '../machines/stage2-vcpu.ts';

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
} satisfies Record<string, DesignDefinition<Stage2Options>>;

/**
 * Reference counts: every table page in use has one per valid entry plus one, every other page
 * is free; every guest frame has one per valid mapping of it. Checked between table updates (a
 * multi-step update may be half done), and only when the pool or a frame's count changed since
 * the last check of this run. That memo lives in the run's shared memory (zeroed with it), so
 * the check answers the same in whichever thread makes it.
 */
function refcounts(h: Stage2Host): string | null {
  const { pool, pgt, frames, g } = h;
  if (g.peek(G_UPDATING) !== 0) return null;
  const changes = pool.changes.peek() + frames.changes.peek() + 1;
  if (g.peek(G_REFCOUNTS_CHECKED) === changes) return null;
  const inUse = pgt.tablePages();
  for (let p = 0; p < pool.pages; p++) {
    const count = pool.refcount.peek(p);
    if (inUse.has(p)) {
      const expected = pool.validEntries(p) + 1;
      if (count !== expected) return `table ${p} (level ${inUse.get(p)}) has a count of ${count} but ${expected - 1} valid entries: ${count > expected ? 'a reference leaked' : 'a reference is missing'}`;
    } else if (count !== 0 || !pool.isFree(p)) {
      return `table ${p} is reachable from no table but was never freed (count ${count}): it leaked`;
    }
  }
  const refs = pgt.leafReferences();
  for (let f = 0; f < frames.frames; f++) {
    if (frames.refcount.peek(f) !== (refs.get(f) ?? 0)) return `guest frame ${f} has ${frames.refcount.peek(f)} references but ${refs.get(f) ?? 0} mappings`;
  }
  // Remembered only when it holds: a broken state stays broken until it changes. Through the
  // accessors, so verify sees the invariant write its memo.
  st32(g.array, g.index + G_REFCOUNTS_CHECKED, changes);
  return null;
}

const invariants: InvariantDefinition<Stage2Host>[] = [
  { name: NO_FREED_TRANSLATION, description: 'no vCPU completes an access through a translation whose table or backing frame was freed' },
  { name: REFCOUNT_BALANCE, description: 'between updates, table pages count their valid entries plus one, frames their mappings; nothing freed twice or leaked', check: refcounts },
  { name: TLB_NO_CONFLICT, description: 'an IPA is never reachable through both the old and the new mapping in one TLB (no TLB conflict)', check: (h) => h.tlbs.findConflict() },
  { name: NO_STALE_DATA, description: 'the guest never reads, with its MMU off, a frame whose data still sits dirty in the cache' },
];

export default defineScenario({
  name: 'stage2-coalesce',
  title: 'stage-2 page mappings coalesced into a block and split back, while vCPUs use them',
  seeds: ['001'],
  options: { design: 'bbm-locked', vcpus: 2, accesses: 12, touched: 16, mmuOffChance: 0.1, visitsPerStep: 64, split: true, tlbEntries: 8, poolPages: 16 } as Stage2Options,
  optionSpecs: {
    design: { choices: Object.keys(designs), description: 'how the region is coalesced (each design sets it)' },
    vcpus: { integer: true, min: 1, max: 8, description: 'vCPUs, each on its own CPU' },
    accesses: { integer: true, min: 1, max: 10_000, description: 'guest accesses per vCPU' },
    touched: { integer: true, min: 1, max: 512, description: 'pages of the 2 MiB region the guest touched (page-mapped at the start)' },
    mmuOffChance: { min: 0, max: 1, description: 'chance an access reads with the MMU off' },
    visitsPerStep: { integer: true, min: 1, max: 512, description: "leaf entries the host's walk visits per step" },
    tlbEntries: { integer: true, min: 1, max: 64, description: 'TLB entries per CPU' },
    poolPages: { integer: true, min: 4, max: 1024, description: 'stage-2 table pages in the pool' },
  },
  designs,
  budget: { strategy: 'random', depth: 3, iterations: 100_000, timeSeconds: 10, stepLimit: 2000 },
  host: (layout, d) => stage2Host(layout, d.options),
  init: (h) => stage2Init(h),
  actors: (h) => [
    ...Array.from({ length: h.opts.vcpus }, (_, v) => ({ name: `vcpu${v}`, where: () => `CPU${v}`, machine: stage2Vcpu(h, v) })),
    { name: 'host', machine: stage2Coalescer(h) },
  ],
  invariants,
  figures: ({ g, tlbs, pool, frames }) => {
    const t = tlbs.counters();
    return {
      coalesceInvalidWindowSteps: g.peek(G_WINDOW_STEPS),
      coalesceWindowFaults: g.peek(G_WINDOW_FAULTS),
      splitInvalidWindowSteps: g.peek(G_SPLIT_WINDOW_STEPS),
      splitWindowFaults: g.peek(G_SPLIT_WINDOW_FAULTS),
      faults: g.peek(G_FAULTS),
      eagain: g.peek(G_EAGAIN),
      accesses: g.peek(G_ACCESSES),
      tlbiVmid: t.flushVmid,
      tlbiRange: t.flushIpa,
      tlbiAll: t.flushAll,
      cmoBytes: frames.counters.peek(0),
      tablesAllocated: pool.counters.peek(1),
      tablesFreed: pool.counters.peek(2),
    };
  },
});
