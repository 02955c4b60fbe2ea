// A vCPU pinned to its CPU, making guest accesses to the region: each is one atomic step of the
// hardware (TLB lookup under the VMID, else a table walk and a TLB fill). A walk that meets an
// invalid entry faults to the host's handler (user_mem_abort), which maps the page under
// kvm->mmu_lock; one that meets a LOCKED entry (today's break-before-make) gets -EAGAIN, and the
// access is retried.
import { note } from '../host/recorder.ts';
import type { RwLock, Spinlock } from '../host/locks.ts';
import { KVM_PGTABLE_MAX_LEVELS, Prot, kvm_init_valid_leaf_pte, kvm_pte_to_phys, levelShift } from '../host/stage2/descriptor.ts';
import { raiseViolation } from '../host/violations.ts';
import { waitUntil } from '../host/wait.ts';
import { G, REGION, VMID, WINDOW_SPLIT, type Stage2Host, type Stage2WorldOptions } from '../host/stage2/world.ts';
import { defineStepMachine, type StepArgs, type StepState } from './step-machine.ts';

/** Raised when a vCPU completes an access through a translation whose table or frame was freed. */
export const NO_FREED_TRANSLATION = 'no-freed-translation';
/** Raised when the guest reads, MMU off, a frame still dirty in the data cache. */
export const NO_STALE_DATA = 'no-stale-data';
/** Checked: no TLB holds two translations of one IPA (see Tlbs.findConflict). */
export const TLB_NO_CONFLICT = 'tlb-no-conflict';

/** A vCPU's locals. */
interface Locals {
  left: number;
  /** The page of the access in progress (-1: pick a new one), and whether it reads with the MMU off. */
  page: number;
  mmuOff: number;
  /** The last attempt faulted: the next step enters the fault handler. */
  faulted: number;
  /** (eagain 'wait') The access met a LOCKED entry: it waits until the entry is no longer LOCKED. */
  locked: number;
}
type Args = StepArgs<Locals>;

/** Any stage-2 world: the built-in scenario's or a variant's. */
type World = Stage2Host<Stage2WorldOptions>;

/** The ghost tag a TLB entry keeps of the table page its translation came from: page and generation. */
export const tagOf = (h: World, tablePage: number) => tablePage * 4096 + (h.pool.generation.peek(tablePage) & 4095);

/** Frame of `ipaPage` inside an entry mapping `basePage`.. to frames from `baseFrame`. */
const within = (ipaPage: number, shift: number) => ipaPage - ((ipaPage >>> shift) << shift);

/** Where an access ended: it completed (to `frame`, through `via`), or the walk stopped at `level` (a fault). */
export type Stage2AccessResult = { frame: number; via: string } | { fault: 'invalid' | 'locked'; level: number };

/**
 * The hardware's part of a guest access by the vCPU on `cpu` to region page `page`: a TLB lookup
 * under the VMID, else a walk of the stage-2 tables and a TLB fill. A hit on an entry whose table
 * was freed since, and a fill that conflicts with another entry, raise their invariants. Returns
 * the frame reached, or where the walk faulted.
 */
export function stage2GuestAccess(h: World, cpu: number, page: number): Stage2AccessResult {
  const { tlbs, pgt, pool, frames } = h;
  const ipaPage = REGION / 4096 + page;
  const e = tlbs.lookup(cpu, VMID, ipaPage);
  if (e >= 0) {
    const t = tlbs.entry(cpu, e);
    const table = Math.floor(t.ghost / 4096);
    if (t.ghost % 4096 !== (pool.generation.peek(table) & 4095)) {
      raiseViolation(NO_FREED_TRANSLATION, `vcpu${cpu} used a TLB entry for IPA page ${page} made from table ${table}, which has been freed since`);
    }
    return { frame: t.out + within(ipaPage, t.shift), via: 'the TLB' };
  }
  const tr = pgt.translate(ipaPage * 4096);
  if (tr.fault) {
    note(`vcpu${cpu}: ${tr.fault === 'locked' ? 'the walk meets a LOCKED entry' : 'translation fault'} at level ${tr.level} for IPA page ${page}`);
    return { fault: tr.fault, level: tr.level };
  }
  // Under arm64 a walk may still read an entry its CPU's view allows after the table holding it
  // was unlinked and freed (the break's TLBI not yet complete): judged on the global free list.
  if (pool.isFree(tr.page)) raiseViolation(NO_FREED_TRANSLATION, `vcpu${cpu}'s walk of IPA page ${page} read table ${tr.page}, which has been freed`);
  const shift = levelShift(tr.level) - 12;
  const base = frames.frameOf(kvm_pte_to_phys(tr.pte));
  tlbs.fill(cpu, { tag: VMID, page: ipaPage, shift, out: base, perms: 3, owner: 0, ghost: tagOf(h, tr.page) });
  const conflict = tlbs.findConflict();
  if (conflict) raiseViolation(TLB_NO_CONFLICT, conflict);
  return { frame: base + within(ipaPage, shift), via: `a level-${tr.level} ${tr.level === KVM_PGTABLE_MAX_LEVELS - 1 ? 'page' : 'block'} entry` };
}

/** What user_mem_abort() did: mapped the page, found it mapped already, or -EAGAIN (the entry LOCKED, or a lost race). */
export type AbortResult = 'mapped' | 'present' | 'eagain-locked' | 'eagain';

/**
 * user_mem_abort() for region page `page`, with kvm->mmu_lock held: maps the page as
 * kvm_pgtable_stage2_map() does for 4 KiB (creating a missing level-3 table), unless it was mapped
 * meanwhile; a LOCKED entry, or losing the race to install it, is -EAGAIN. The host wrote the
 * frame: it is cleaned to PoC before the guest can see it.
 */
export function user_mem_abort(h: World, vcpu: number, page: number): AbortResult {
  const { pgt, pool, frames, g } = h;
  const ipa = REGION + page * 4096;
  const tr = pgt.translate(ipa);
  if (!tr.fault) return 'present'; // mapped meanwhile (by another fault, or a block)
  if (tr.fault === 'locked') {
    g.at(G.EAGAIN).add(1);
    note(`vcpu${vcpu}: -EAGAIN, the entry is LOCKED`);
    return 'eagain-locked';
  }
  if (tr.level !== KVM_PGTABLE_MAX_LEVELS - 1) {
    // Creates the missing level-3 table; a fault under the read lock is a shared walk.
    if (pgt.mapPage(ipa, page, Prot.R | Prot.W, h.mmuLockKind === 'rwlock') === 'eagain') {
      g.at(G.EAGAIN).add(1);
      return 'eagain';
    }
  } else {
    // stage2_try_set_pte(): install the page only if the entry is still the invalid one read.
    // The frame is pinned first (kvm_faultin_pfn(), before the lock: see Frames.get_page), and
    // released if the entry was not installed; under arm64 the entry cannot then be seen before
    // the pin (it was, when the pin came after: a false no-freed-translation).
    const old = pool.read(tr.page, tr.idx);
    const pte = kvm_init_valid_leaf_pte(frames.pa(page), Prot.R | Prot.W, tr.level);
    if (old & 1n) {
      g.at(G.EAGAIN).add(1);
      return 'eagain';
    }
    frames.get_page(page);
    if (pool.cmpxchg(tr.page, tr.idx, old, pte) !== old) {
      frames.put_page(page);
      g.at(G.EAGAIN).add(1);
      return 'eagain';
    }
    pool.get_page(tr.page);
  }
  if (frames.cacheDirty.peek(page)) frames.clean(page, 1);
  g.at(G.UPDATES).add(1);
  return 'mapped';
}

/** How a vCPU's stage-2 accesses behave. */
export interface Stage2VcpuOptions {
  /**
   * An access that meets a LOCKED entry: 'retry' faults into the handler, gets -EAGAIN and retries
   * at once, as KVM does (the default); 'wait' waits until that entry is no longer LOCKED, then
   * retries: the same outcomes without the spinning, which keeps verify's executions finite.
   */
  eagain?: 'retry' | 'wait';
}

/** vCPU `vcpu` (on CPU `vcpu`) making `opts.accesses` guest accesses to the region, faulting into user_mem_abort() as needed. */
export function stage2Vcpu(h: World, vcpu: number, o: Stage2VcpuOptions = {}) {
  const cpu = vcpu;
  const { frames, g, opts } = h;
  const rw = h.mmuLockKind === 'rwlock';

  /** The access itself, once translated to `frame`: the guest reads or writes its memory. */
  const complete = (ctx: Locals, frame: number, via: string) => {
    // The global state's count (a ghost check), not what this CPU's loads may still see.
    if (frames.refcount.latest(frame) === 0) raiseViolation(NO_FREED_TRANSLATION, `vcpu${vcpu} accessed IPA page ${ctx.page} through ${via} to frame ${frame}, which no mapping holds any more`);
    if (ctx.mmuOff && frames.cacheDirty.peek(frame)) {
      raiseViolation(NO_STALE_DATA, `vcpu${vcpu} read IPA page ${ctx.page} with its MMU off through ${via}: frame ${frame} is still dirty in the data cache, so the guest read stale memory`);
    }
    note(`vcpu${vcpu} ${ctx.mmuOff ? 'reads with MMU off' : 'accesses'} IPA page ${ctx.page} -> frame ${frame} (${via})`);
    g.at(G.ACCESSES).add(1);
    ctx.left--;
    ctx.page = -1;
  };

  /** One access attempt: the TLB, else a walk and a fill. Sets `faulted` if the walk stopped. */
  const attempt = ({ context, event }: Args) => {
    if (context.page < 0) {
      context.mmuOff = event.chance(opts.mmuOffChance) ? 1 : 0;
      context.page = event.random(context.mmuOff ? 512 : opts.touched);
    }
    const r = stage2GuestAccess(h, cpu, context.page);
    if (!('fault' in r)) complete(context, r.frame, r.via);
    else if (r.fault === 'locked' && waitsOnLocked) context.locked = 1;
    else context.faulted = 1;
  };
  const waitsOnLocked = o.eagain === 'wait';
  /** The page this vCPU is about to touch: its wait, when its last try met a LOCKED entry. */
  const unlocked = ({ context }: { context: Readonly<Locals> }) =>
    context.locked ? waitUntil(`IPA page ${context.page} not LOCKED`, () => h.pgt.translate(REGION + context.page * 4096).fault !== 'locked') : undefined;

  const enterFault = ({ context }: Args) => {
    context.faulted = 0;
    g.at(G.FAULTS).add(1);
    if (g.at(G.WINDOW_OPENED).peek() >= 0) g.at(g.at(G.WINDOW_KIND).peek() === WINDOW_SPLIT ? G.SPLIT_WINDOW_FAULTS : G.WINDOW_FAULTS).add(1);
  };

  const mapFaultingPage = ({ context }: Args) => {
    if (user_mem_abort(h, vcpu, context.page) === 'eagain-locked' && waitsOnLocked) context.locked = 1;
  };

  const faultStates: Record<string, StepState<Locals>> = rw
    ? {
        mmu_read_lock: { wait: (h.mmu_lock as RwLock).waitFor('read'), step: { actions: () => (h.mmu_lock as RwLock).read_lock(), target: 'stage2_map_page' } },
        stage2_map_page: {
          description: 'kvm_pgtable_stage2_map() of the page in a shared walk; a LOCKED entry means -EAGAIN',
          step: { actions: [mapFaultingPage, () => (h.mmu_lock as RwLock).read_unlock()], target: 'guest_access' },
        },
      }
    : {
        mmu_lock: { wait: (h.mmu_lock as Spinlock).waitFor(), step: { actions: () => (h.mmu_lock as Spinlock).lock(), target: 'stage2_map_page' } },
        stage2_map_page: {
          description: 'kvm_pgtable_stage2_map() of the page under kvm->mmu_lock',
          step: { actions: [mapFaultingPage, () => (h.mmu_lock as Spinlock).unlock()], target: 'guest_access' },
        },
      };

  return defineStepMachine<Locals>({
    id: `stage2-vcpu-${rw ? 'shared-walk' : 'mmu-lock'}`,
    initial: 'guest_access',
    context: { left: opts.accesses, page: -1, mmuOff: 0, faulted: 0, locked: 0 },
    states: {
      guest_access: {
        description: 'the guest accesses the region; after a fault, the host handles it and the access is retried',
        ...(waitsOnLocked ? { wait: unlocked } : {}),
        step: [
          { guard: ({ context }) => context.faulted === 1, actions: enterFault, target: rw ? 'mmu_read_lock' : 'mmu_lock' },
          { guard: ({ context }) => context.left <= 0, target: 'done' },
          { actions: [({ context }) => void (context.locked = 0), attempt], target: 'guest_access' },
        ],
      },
      ...faultStates,
      done: { final: true },
    },
  });
}
