// KVM's side of guest SPE in each approach of seed 004 (and seed 000's pin-all): what it does
// when the guest writes an SPE register (approach 3 traps them), and when the SPE unit reports a
// stage-2 fault. Pinning a buffer walks the guest's stage 1 for every buffer page, pins those
// pages and the stage-1 table page, maps them at stage 2, and unpins the buffer pinned before.
import { note } from '../recorder.ts';
import { el0Only, decodePmblimitr } from './regs.ts';
import { publishView } from '../memory-model/view-words.ts';
import { pinGfn, stage2Map, stage2MapSlot, stage2Unmap, unpinGfn } from './stage2-ops.ts';
import { guestTranslate } from './unit.ts';
import {
  BUF_PAGES,
  CAUSE_DIRTY_LOG,
  CAUSE_MIGRATION,
  F,
  PINNED_PER_VCPU,
  PMBLIMITR,
  PMSCR,
  RAM_PAGES,
  bufferVa,
  isMmuNotifier,
  kvmPinnedSlot,
  s1TableGfn,
  speReg,
  type PinningDesign,
  type SpeHost,
} from './world.ts';

export const FAULT_CAUSES = ['guest-reprogram', 'el0-corner', 'mmu-notifier', 'dirty-logging', 'migration'] as const;
export type FaultCause = (typeof FAULT_CAUSES)[number];
export const FAULT_FIGURE: Record<FaultCause, number> = {
  'guest-reprogram': F.faultsGuestReprogram,
  'el0-corner': F.faultsEl0Corner,
  'mmu-notifier': F.faultsMmuNotifier,
  'dirty-logging': F.faultsDirtyLogging,
  migration: F.faultsMigration,
};
export const guestCaused = (c: FaultCause) => c === 'guest-reprogram' || c === 'el0-corner';

/** Approach 3's designs: KVM traps the SPE registers and pins when profiling gets enabled. */
export const pinsOnEnable = (d: PinningDesign) => d.startsWith('pin-on-enable');

/** Records, as the SPE unit faults, why: the host may change the page before KVM looks at it. */
export function noteFaultCause(h: SpeHost, v: number): void {
  h.faultCause.at(v).store(FAULT_CAUSES.indexOf(faultCause(h, v, h.faultGfn.at(v).load())));
}

/** Why the SPE unit faulted on gfn: the host took the mapping away, or it was never there. */
export function faultCause(h: SpeHost, v: number, gfn: number): FaultCause {
  const cause = h.hostUnmapped.at(gfn).load();
  if (cause === CAUSE_DIRTY_LOG) return 'dirty-logging';
  if (cause === CAUSE_MIGRATION) return 'migration';
  if (isMmuNotifier(cause)) return 'mmu-notifier';
  return h.el.at(v).load() === 0 && el0Only(speReg(h, v, PMSCR)) ? 'el0-corner' : 'guest-reprogram';
}

/** The buffer's pages as the guest's stage 1 maps them now, and the stage-1 table page. */
function walkBuffer(h: SpeHost, v: number): number[] {
  const gfns = [s1TableGfn(v)];
  for (let p = 0; p < BUF_PAGES; p++) gfns.push(guestTranslate(h, v, bufferVa(v) + p * 4096));
  return gfns.filter((g) => g >= 0);
}

function setPinned(h: SpeHost, v: number, gfns: number[], unpinOld: boolean): void {
  for (let i = 0; i < PINNED_PER_VCPU; i++) {
    const old = kvmPinnedSlot(h, v, i).load() - 1;
    if (old >= 0 && unpinOld) {
      unpinGfn(h, old);
      h.fig.at(F.unpins).add(1);
    }
    kvmPinnedSlot(h, v, i).store(i < gfns.length ? gfns[i] + 1 : 0);
  }
}

/** Pins vCPU v's whole buffer (and its stage-1 table page), unpinning the previous one. */
export function pinBuffer(h: SpeHost, v: number, unpinOld = true): void {
  const gfns = walkBuffer(h, v);
  for (const gfn of gfns) {
    if (!pinGfn(h, gfn)) continue;
    h.fig.at(F.pins).add(1);
    stage2Map(h, gfn, 'spe-pin');
  }
  setPinned(h, v, gfns, unpinOld);
  note(`KVM: pinned vcpu${v}'s buffer: gfns ${gfns.join(', ')}`);
}

/** The mutant of approach 4: only the faulting page is pinned (replacing the page pinned for that slot before). */
function pinOnePage(h: SpeHost, v: number, gfn: number): void {
  const i = Math.max(0, walkBuffer(h, v).indexOf(gfn));
  const at = kvmPinnedSlot(h, v, i);
  const old = at.load() - 1;
  if (old !== gfn && pinGfn(h, gfn)) {
    h.fig.at(F.pins).add(1);
    if (old >= 0) {
      unpinGfn(h, old);
      h.fig.at(F.unpins).add(1);
    }
    at.store(gfn + 1);
  }
  stage2Map(h, gfn, 'fault');
}

/** A guest write to PMBLIMITR_EL1 or PMSCR_EL1: approach 3 traps it and pins if profiling is on. */
export function trapSpeRegWrite(h: SpeHost, v: number, design: PinningDesign): void {
  if (!pinsOnEnable(design)) return;
  h.fig.at(F.speRegisterTraps).add(1);
  pinIfEnabled(h, v, design);
}

/** Approach 3's check at a register write (a guest trap, or the VMM restoring the registers). */
function pinIfEnabled(h: SpeHost, v: number, design: PinningDesign): void {
  const enabled = decodePmblimitr(speReg(h, v, PMBLIMITR)).e;
  const scr = speReg(h, v, PMSCR);
  if (!enabled || scr === 0n) return;
  // Option (b): an EL0-only buffer is pinned on its first stage-2 fault instead.
  if (design === 'pin-on-enable+first-fault' && el0Only(scr)) return;
  pinBuffer(h, v, design !== 'pin-on-enable-no-unpin');
}

/** The SPE stage-2 fault handler: fixes the mapping the approach's way; returns the cause. */
export function handleSpeStage2Fault(h: SpeHost, v: number, design: PinningDesign): FaultCause {
  const gfn = h.faultGfn.at(v).load();
  const cause = FAULT_CAUSES[h.faultCause.at(v).load()];
  h.fig.at(FAULT_FIGURE[cause]).add(1);
  switch (design) {
    case 'pin-on-first-fault':
      pinBuffer(h, v);
      break;
    case 'pin-on-enable+first-fault':
      // KVM cannot tell a fault's cause (that is ghost knowledge, for figures): any fault pins.
      if (el0Only(speReg(h, v, PMSCR))) pinBuffer(h, v);
      else stage2Map(h, gfn, 'fault');
      break;
    case 'pin-on-first-fault-page':
      pinOnePage(h, v, gfn);
      break;
    default:
      // pin-all, on-demand and approach 3: map the faulting page as any stage-2 fault would.
      stage2Map(h, gfn, 'fault');
  }
  return cause;
}

/**
 * The VM resumes on the migration's destination: its stage 2 starts empty. pin-all's VMM mlocks
 * and FINALIZEs there before running (under kvm->slots_lock, which the caller holds); approach 3
 * pins when the VMM restores an enabled buffer's registers; the others fault it back in.
 */
export function resumeOnDestination(h: SpeHost, design: PinningDesign): void {
  stage2Unmap(h, 0, RAM_PAGES, 'mmu-notifier', CAUSE_MIGRATION);
  if (design === 'pin-all') stage2MapSlot(h, h.memslots.get(0)!, 'finalize');
  else if (pinsOnEnable(design)) for (let v = 0; v < h.opts.vcpus; v++) pinIfEnabled(h, v, design);
  // The destination's vCPU threads run only after the VMM restored the VM (host/spe/unit.ts acquires it).
  publishView(h.resumeView.array, h.resumeView.index, 'replace');
  note('migration: the VM resumes on the destination');
}
