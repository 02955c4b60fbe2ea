// How `hyprace stress vmid-rollover` runs: the kernel developers' way of stressing the VMID
// allocator (VMIDs shrunk to a few bits, many more guests than VMIDs), scaled to this machine:
// 3-bit VMIDs, three CPUs, one vCPU thread per worker, VMs that run forever, so the generation
// rolls over many times a second.
import type { StressProfile } from 'hyprace';
import type { VmidHost, VmidOptions } from './vmid-model.ts';

export const VMID_STRESS: StressProfile<VmidHost, VmidOptions> = {
  defaultWorkers: 10,
  // The model's labels are its atomic steps (as in the TLA+ spec), so steps stay whole; the OS
  // picks the interleaving, and kvm_vmid_lock / cpu_vmid_lock are contended for real.
  atomicSteps: true,
  options: (workers) => ({
    cpus: 3,
    vmidBits: 3,
    // VM 0 has two vCPUs (the one-VMID-per-VM race needs two); every other VM has one.
    vcpusPerVm: [2, ...Array.from({ length: Math.max(1, workers - 2) }, () => 1)],
    vmidsUsedBefore: 0,
    runs: 1_000_000_000,
    entriesPerRun: 4,
    touchesPerEntry: 2,
    earlyRunChance: 0,
    lifetimes: 1,
  }),
  rates: ['rollovers', 'allocations', 'guestEntries'],
};
