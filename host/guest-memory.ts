// A guest's memory access as the CPU performs it, in the VMID models: look up the TLB under the
// VMID in the CPU's stage-2 register, else walk the tables that register points at and fill the
// TLB. Each VM's stage 2 maps its pages to its own output pages; a hit on an entry another VM's
// tables produced means one VM is reading another's memory (the cross-VM TLB invariant).
import type { PhysCpus } from './cpu.ts';
import { note } from './recorder.ts';
import type { Stage2Register } from './stage2-register.ts';
import type { Tlbs } from './tlb.ts';
import { raiseViolation } from './violations.ts';

/** Raised when a guest access hits a TLB entry made from another VM's tables (built in). */
export const NO_CROSS_VM_TLB_HIT = 'no-cross-vm-tlb-hit';

/** Stage-2 table base of VM `vm` in the VMID models (0 means "no tables"). */
export function vmPgd(vm: number): number {
  return vm + 1;
}

/** The VM whose stage-2 tables are at `pgd` (-1 for none). */
export function vmOfPgd(pgd: number): number {
  return pgd - 1;
}

/** The CPU, TLBs and stage-2 register a guest access goes through. */
export interface GuestAccessHost {
  cpus: PhysCpus;
  tlbs: Tlbs;
  stage2Reg: Stage2Register;
}

/**
 * Guest code on `cpu` touches `page` of its VM (each VM has `pagesPerVm` pages): a TLB hit, or a
 * walk of the tables the stage-2 register holds and a fill. A speculative walk (the hardware's,
 * not the guest's) fills but never counts as the guest using an entry.
 */
export function guestAccess(h: GuestAccessHost, cpu: number, page: number, pagesPerVm: number, speculative = false): void {
  const { cpus, tlbs, stage2Reg } = h;
  const value = cpus.reg(stage2Reg.name).peek(cpu);
  const vmid = stage2Reg.vmid(value);
  const vm = vmOfPgd(stage2Reg.root(value));
  const what = speculative ? 'speculative walk' : 'guest access';
  const w = tlbs.words;
  if (vm < 0) {
    note(`${cpus.name(cpu)} ${what} to ${w.address} page ${page}: no stage-2 tables in ${stage2Reg.name}`);
    return;
  }
  const e = tlbs.lookup(cpu, vmid, page);
  if (e >= 0) {
    const owner = tlbs.entry(cpu, e).owner;
    if (owner !== vm && !speculative) {
      raiseViolation(NO_CROSS_VM_TLB_HIT, `a vCPU of ${w.owner} ${vm} on ${cpus.name(cpu)} hit ${w.owner} ${owner}'s TLB entry for ${w.address} page ${page} under ${w.tag} ${vmid}: it reads ${w.owner} ${owner}'s memory`);
    }
    note(`${cpus.name(cpu)} ${what}: TLB hit ${w.tag} ${vmid} ${w.address} page ${page}`);
    return;
  }
  tlbs.fill(cpu, { tag: vmid, page, shift: 0, out: vm * pagesPerVm + page, perms: 3, owner: vm, ghost: 0 }, speculative ? 'speculative fill' : 'fill');
}
