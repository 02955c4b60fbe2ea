// The invariants and figures of the stage-2 world, for the built-in stage2-coalesce scenario and
// any variant of it: what a translation may reach, what reference counts must say, what a TLB and
// the guest may see.
import type { InvariantDefinition } from '../actors/engine/index.ts';
import { st32 } from '../host/access.ts';
import { REFCOUNT_BALANCE } from '../host/stage2/pool.ts';
import { G, type Stage2Host, type Stage2WorldOptions } from '../host/stage2/world.ts';
import { NO_FREED_TRANSLATION, NO_STALE_DATA, TLB_NO_CONFLICT } from './stage2-vcpu.ts';

type World = Stage2Host<Stage2WorldOptions>;

/**
 * Reference counts: every table page in use has one per valid entry plus one, every other page
 * is free; every guest frame has one per valid mapping of it. Checked between table updates (a
 * multi-step update may be half done: a step that changes tables bumps G.UPDATING while it
 * works, G.UPDATES when done), and only when something changed since the last check. Returns
 * what is wrong, or null.
 */
export function stage2Refcounts(h: World): string | null {
  const { pool, pgt, frames, g } = h;
  if (g.peek(G.UPDATING) !== 0) return null;
  // The memo lives in the run's shared memory (zeroed with it), so the check answers the same in
  // whichever thread makes it; the change counters only grow, so it is exact in any step order.
  const changes = pool.changes.peek() + frames.changes.peek() + 1;
  if (g.peek(G.REFCOUNTS_CHECKED) === changes) return null;
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
  st32(g.array, g.index + G.REFCOUNTS_CHECKED, changes);
  return null;
}

/** The stage-2 world's invariants, for a scenario whose options are `O`: no freed translation used, refcounts balanced, no TLB conflict, no stale data read. */
export function stage2Invariants<O extends Stage2WorldOptions>(): InvariantDefinition<Stage2Host<O>>[] {
  return [
    { name: NO_FREED_TRANSLATION, description: 'no vCPU completes an access through a translation whose table or backing frame was freed' },
    { name: REFCOUNT_BALANCE, description: 'between updates, table pages count their valid entries plus one, frames their mappings; nothing freed twice or leaked', check: stage2Refcounts },
    { name: TLB_NO_CONFLICT, description: 'an IPA is never reachable through both the old and the new mapping in one TLB (no TLB conflict)', check: (h) => h.tlbs.findConflict() },
    { name: NO_STALE_DATA, description: 'the guest never reads, with its MMU off, a frame whose data still sits dirty in the cache' },
  ];
}

/** The stage-2 world's figures, summed over runs: windows, faults, retries, TLBIs, CMOs, tables. */
export function stage2Figures(h: World): Record<string, number> {
  const { g, tlbs, pool, frames } = h;
  const t = tlbs.counters();
  return {
    coalesceInvalidWindowSteps: g.peek(G.WINDOW_STEPS),
    coalesceWindowFaults: g.peek(G.WINDOW_FAULTS),
    splitInvalidWindowSteps: g.peek(G.SPLIT_WINDOW_STEPS),
    splitWindowFaults: g.peek(G.SPLIT_WINDOW_FAULTS),
    faults: g.peek(G.FAULTS),
    eagain: g.peek(G.EAGAIN),
    accesses: g.peek(G.ACCESSES),
    tlbiVmid: t.flushTag,
    tlbiRange: t.flushPages,
    tlbiAll: t.flushAll,
    cmoBytes: frames.counters.peek(0),
    tablesAllocated: pool.counters.peek(1),
    tablesFreed: pool.counters.peek(2),
  };
}
