// Changes to the VM's stage 2, each tagged with who makes it. A memslot-level change (FINALIZE's
// pre-mapping, a memslot delete or move, dirty logging's write-protection) must hold
// kvm->slots_lock, as lockdep_assert_held() says in the kernel; the fault paths and the MMU
// notifiers run under kvm->mmu_lock and SRCU instead. Each change is one step, as mmu_lock makes it,
// and under arm64 is ordered after the last one by it (host/spe/kvm-locks.ts).
import { actorName, execution } from '../execution.ts';
import { note } from '../recorder.ts';
import { Prot, kvm_init_valid_leaf_pte, kvm_pte_to_phys, leafProt } from '../stage2/descriptor.ts';
import { raiseViolation } from '../violations.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY, gfnToFrame, type Memslot } from './memslots.ts';
import { underMmuLock } from './kvm-locks.ts';
import { CAUSE_DIRTY_LOG, CAUSE_NAMES, CAUSE_NONE, GFNS, bumpPeakPinned, type SpeHost } from './world.ts';

/** The built-in invariant raised when a memslot-level stage-2 change is made without kvm->slots_lock held by its maker. */
export const SLOTS_LOCK_HELD = 'slots-lock-held';
/** The invariant that stage 2 agrees with the memslots (memslotConsistency). */
export const MEMSLOT_STAGE2_CONSISTENT = 'memslot-stage2-consistent';

/** Who changes stage 2: memslot-level operations need kvm->slots_lock. */
export type Stage2Actor = 'finalize' | 'memslot' | 'dirty-log' | 'fault' | 'spe-pin' | 'mmu-notifier';
const NEEDS_SLOTS_LOCK: ReadonlySet<Stage2Actor> = new Set(['finalize', 'memslot', 'dirty-log']);

function assertSlotsLockHeld(h: SpeHost, by: Stage2Actor, what: string): void {
  if (!NEEDS_SLOTS_LOCK.has(by)) return;
  const holder = h.slots_lock.holder();
  if (holder === execution.actor) return;
  raiseViolation(
    SLOTS_LOCK_HELD,
    `${actorName(execution.actor)} changes stage 2 (${what}, ${by}) while ${holder < 0 ? 'nobody holds kvm->slots_lock' : `${actorName(holder)} holds kvm->slots_lock`}`,
  );
}

const ipaOf = (gfn: number) => gfn * 4096;

/** Whether the gfn is mapped at stage 2, and writable: an unrecorded look, for invariants. */
export function stage2State(h: SpeHost, gfn: number): 'unmapped' | 'read-only' | 'writable' {
  const t = h.pgt.translate(ipaOf(gfn));
  if (t.fault) return 'unmapped';
  return leafProt(t.pte) & Prot.W ? 'writable' : 'read-only';
}

/**
 * Maps gfn at stage 2 from its memslot (user_mem_abort() for one page, or a pre-map): writable
 * unless the slot is read-only; a write into a logging slot marks the page dirty first.
 * Returns false when no memslot holds the gfn.
 */
export function stage2Map(h: SpeHost, gfn: number, by: Stage2Actor, slot: Memslot | undefined = h.memslots.find(gfn)): boolean {
  if (!slot) return false;
  return underMmuLock(h, () => mapUnderMmuLock(h, gfn, by, slot));
}

function mapUnderMmuLock(h: SpeHost, gfn: number, by: Stage2Actor, slot: Memslot): boolean {
  assertSlotsLockHeld(h, by, `map gfn ${gfn}`);
  const frame = gfnToFrame(slot, gfn);
  const writable = (slot.flags & KVM_MEM_READONLY) === 0;
  if (writable && slot.flags & KVM_MEM_LOG_DIRTY_PAGES) h.dirty.at(gfn).store(1);
  const prot = Prot.R | (writable ? Prot.W : 0);
  const t = h.pgt.translate(ipaOf(gfn));
  if (t.fault) h.pgt.mapPage(ipaOf(gfn), frame, prot);
  else if (leafProt(t.pte) !== prot) h.pool.write(t.page, t.idx, kvm_init_valid_leaf_pte(kvm_pte_to_phys(t.pte), prot, 3));
  if (writable) h.hostUnmapped.at(gfn).store(CAUSE_NONE);
  note(`stage 2: gfn ${gfn} -> frame ${frame} ${writable ? 'RW' : 'RO'} (${by})`);
  return true;
}

/** Maps every page of the slot, as FINALIZE's pre-mapping does. */
export function stage2MapSlot(h: SpeHost, slot: Memslot, by: Stage2Actor): void {
  for (let gfn = slot.base_gfn; gfn < slot.base_gfn + slot.npages; gfn++) stage2Map(h, gfn, by, slot);
}

/** kvm_unmap_gfn_range(): the stage-2 entries of [gfn, gfn + npages) go; `cause` says why, for faults. */
export function stage2Unmap(h: SpeHost, gfn: number, npages: number, by: Stage2Actor, cause: number): void {
  assertSlotsLockHeld(h, by, `unmap gfns ${gfn}..${gfn + npages - 1}`);
  underMmuLock(h, () => {
    h.pgt.unmap(ipaOf(gfn), npages * 4096);
    for (let g = gfn; g < gfn + npages; g++) h.hostUnmapped.at(g).store(cause);
  });
  note(`stage 2: unmap gfns ${gfn}..${gfn + npages - 1} (${CAUSE_NAMES[cause]})`);
}

/** kvm_mmu_wp_memory_region(): dirty logging starts, every mapped page of the slot turns read-only. */
export function stage2WrProtect(h: SpeHost, slot: Memslot): void {
  assertSlotsLockHeld(h, 'dirty-log', `write-protect slot ${slot.id}`);
  underMmuLock(h, () => {
    for (let gfn = slot.base_gfn; gfn < slot.base_gfn + slot.npages; gfn++) {
      const t = h.pgt.translate(ipaOf(gfn));
      if (t.fault || !(leafProt(t.pte) & Prot.W)) continue;
      h.pool.write(t.page, t.idx, kvm_init_valid_leaf_pte(kvm_pte_to_phys(t.pte), Prot.R, 3));
      h.dirty.at(gfn).store(0);
      h.hostUnmapped.at(gfn).store(CAUSE_DIRTY_LOG);
    }
  });
  note(`stage 2: write-protect slot ${slot.id} for dirty logging`);
}

/** pin_user_pages() of the gfn's host page; returns false when no memslot holds it. */
export function pinGfn(h: SpeHost, gfn: number): boolean {
  const slot = h.memslots.find(gfn);
  if (!slot) return false;
  h.pins.at(gfnToFrame(slot, gfn)).add(1);
  bumpPeakPinned(h);
  return true;
}

export function unpinGfn(h: SpeHost, gfn: number): void {
  const slot = h.memslots.find(gfn);
  if (slot) h.pins.at(gfnToFrame(slot, gfn)).add(-1);
}

/**
 * Every stage-2 page maps a gfn inside a present memslot to that slot's host page; writable only
 * if the slot is, and, while the slot logs, only once the page is marked dirty.
 */
export function memslotConsistency(h: SpeHost): string | null {
  for (let gfn = 0; gfn < GFNS; gfn++) {
    const t = h.pgt.translate(ipaOf(gfn));
    if (t.fault) continue;
    const slot = h.memslots.find(gfn, true);
    if (!slot) return `gfn ${gfn} is mapped at stage 2 but lies in no memslot: the mapping outlived its slot's delete or move`;
    const frame = h.frames.frameOf(kvm_pte_to_phys(t.pte));
    const expected = gfnToFrame(slot, gfn);
    if (frame !== expected) return `gfn ${gfn} maps host frame ${frame}, but slot ${slot.id} backs it with frame ${expected}`;
    if (leafProt(t.pte) & Prot.W) {
      if (slot.flags & KVM_MEM_READONLY) return `gfn ${gfn} of read-only slot ${slot.id} is writable at stage 2`;
      if (slot.flags & KVM_MEM_LOG_DIRTY_PAGES && !h.dirty.peek(gfn)) return `gfn ${gfn} of logging slot ${slot.id} is writable at stage 2 but not marked dirty: a write would escape the dirty log`;
    }
  }
  return null;
}
