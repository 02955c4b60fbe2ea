// A guest's memory access as the CPU performs it: look up the TLB under the VMID in VTTBR_EL2,
// else walk the stage-2 tables VTTBR_EL2 points at and fill the TLB. In the VMID models each
// VM's stage 2 maps its IPA pages to its own physical pages; a hit on an entry another VM's
// tables produced means one VM is reading another's memory.
import type { PhysCpus } from './cpu.ts';
import { vttbr_baddr, vttbr_vmid } from './cpu.ts';
import { note } from './recorder.ts';
import type { Tlbs } from './tlb.ts';
import { raiseViolation } from './violations.ts';

export const NO_CROSS_VM_TLB_HIT = 'no-cross-vm-tlb-hit';

/** Stage-2 root BADDR of VM `vm`; 0 means "no tables". */
export function vmPgd(vm: number): number {
  return vm + 1;
}

export function vmOfPgd(baddr: number): number {
  return baddr - 1;
}

export function guestAccess(cpus: PhysCpus, tlbs: Tlbs, cpu: number, ipaPage: number, pagesPerVm: number, speculative = false): void {
  const vttbr = cpus.vttbr_el2.peek(cpu);
  const vmid = vttbr_vmid(vttbr);
  const vm = vmOfPgd(vttbr_baddr(vttbr));
  const what = speculative ? 'speculative walk' : 'guest access';
  if (vm < 0) {
    note(`cpu${cpu} ${what} to IPA page ${ipaPage}: no stage-2 tables in VTTBR_EL2`);
    return;
  }
  const e = tlbs.lookup(cpu, vmid, ipaPage);
  if (e >= 0) {
    const owner = tlbs.entry(cpu, e).owner;
    if (owner !== vm && !speculative) {
      raiseViolation(NO_CROSS_VM_TLB_HIT, `a vCPU of VM ${vm} on cpu${cpu} hit VM ${owner}'s TLB entry for IPA page ${ipaPage} under VMID ${vmid}: it reads VM ${owner}'s memory`);
    }
    note(`cpu${cpu} ${what}: TLB hit VMID ${vmid} IPA page ${ipaPage}`);
    return;
  }
  tlbs.fill(cpu, { vmid, ipaPage, shift: 0, oaPage: vm * pagesPerVm + ipaPage, perms: 3, owner: vm, tag: 0 }, speculative ? 'speculative fill' : 'fill');
}
