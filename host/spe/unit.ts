// The SPE unit of the CPU a vCPU runs on. While profiling is enabled at the current exception
// level it writes one record per step at PMBPTR_EL1, translating the guest VA through the
// guest's stage 1 (whose table page it reads through stage 2) and then stage 2. A stage-2 fault
// stops it: PMBSR_EL1.S, EC = stage-2 fault, and possibly DL (the buffer's records are lost).
import { note } from '../recorder.ts';
import { acquireView } from '../memory-model/view-words.ts';
import {
  PMBSR_EL1_BUF_BSC_FULL,
  PMBSR_EL1_EC_BUF,
  PMBSR_EL1_EC_FAULT_S1,
  PMBSR_EL1_EC_FAULT_S2,
  decodePmblimitr,
  pmbsr,
  profilingEnabled,
} from './regs.ts';
import { stage2State } from './stage2-ops.ts';
import { BUF_PAGES, PMBLIMITR, PMBPTR, PMBSR, PMSCR, RECORD_BYTES, bufferVa, s1TableGfn, setSpeReg, speReg, type SpeHost } from './world.ts';

export type UnitResult = 'off' | 'written' | 'full' | 'fault';

/** The gfn the guest's stage 1 maps a buffer VA to, read as the hardware walk would (-1: invalid). */
export function guestTranslate(h: SpeHost, v: number, va: number): number {
  const page = Math.floor((va - bufferVa(v)) / 4096);
  if (page < 0 || page >= BUF_PAGES) return -1;
  return h.s1.at(v * BUF_PAGES + page).load() - 1;
}

/** What the unit's next record would do, changing nothing: guards branch on it. */
export function speProbe(h: SpeHost, v: number): UnitResult {
  return unitStep(h, v, false, false);
}

/** One record, if profiling is on. `dl` is the hardware's choice of DL should this write fault. */
export function speWriteRecord(h: SpeHost, v: number, dl: boolean): UnitResult {
  return unitStep(h, v, true, dl);
}

function unitStep(h: SpeHost, v: number, commit: boolean, dl: boolean): UnitResult {
  // After a migration's switch-over the vCPU runs on the destination, started after the VMM's
  // restore: what the VMM did then (the new stage 2, the pins) is visible to it (under arm64).
  acquireView(h.resumeView.array, h.resumeView.index);
  const limitr = speReg(h, v, PMBLIMITR);
  const sr = speReg(h, v, PMBSR);
  const scr = speReg(h, v, PMSCR);
  if (!profilingEnabled(limitr, sr, scr, h.el.at(v).load())) return 'off';
  const ptr = Number(speReg(h, v, PMBPTR));
  const fault = (gfn: number) => {
    if (!commit) return 'fault' as const;
    h.faultGfn.at(v).store(gfn);
    setSpeReg(h, v, PMBSR, pmbsr({ ec: PMBSR_EL1_EC_FAULT_S2, dl, ea: false, s: true, coll: false, mss: 0n }));
    note(`SPE: stage-2 fault on gfn ${gfn}${dl ? ', DL=1' : ''}`);
    return 'fault' as const;
  };
  // The stage-1 walk reads the guest's table page through stage 2 first.
  const table = s1TableGfn(v);
  if (stage2State(h, table) === 'unmapped') return fault(table);
  const gfn = guestTranslate(h, v, ptr);
  if (gfn < 0) {
    if (!commit) return 'fault';
    setSpeReg(h, v, PMBSR, pmbsr({ ec: PMBSR_EL1_EC_FAULT_S1, dl: false, ea: false, s: true, coll: false, mss: 0n }));
    return 'fault';
  }
  if (stage2State(h, gfn) !== 'writable') return fault(gfn);
  const next = ptr + RECORD_BYTES;
  if (!commit) return next >= decodePmblimitr(limitr).limit ? 'full' : 'written';
  setSpeReg(h, v, PMBPTR, BigInt(next));
  h.pending.at(v).add(1);
  if (next >= decodePmblimitr(limitr).limit) {
    setSpeReg(h, v, PMBSR, pmbsr({ ec: PMBSR_EL1_EC_BUF, dl: false, ea: false, s: true, coll: false, mss: PMBSR_EL1_BUF_BSC_FULL }));
    return 'full';
  }
  return 'written';
}
