// `hyprace/vmid`: the VMID world: the guest access path with its cross-VM TLB check, the vCPU run
// loop, a CPU's interrupt context and speculative walker as machine factories, the arm64 VMID
// allocators of 2012 and 2022 and their steps in the run loop, and the TLA+-style scheduler loop.
export { NO_CROSS_VM_TLB_HIT, guestAccess, vmOfPgd, vmPgd, type GuestAccessHost } from '../host/guest-memory.ts';
export { vcpuRunLoop, type Args, type Locals, type RunLoopHost, type RunLoopOptions, type VmidDesign } from '../machines/vcpu-run-loop.ts';
export { pcpuIrq, type IrqHost } from '../machines/pcpu-irq.ts';
export { speculativeWalker, type Speculation, type WalkerHost } from '../machines/tlb-walker.ts';
export { KvmVmid2012, type VmidLockKind } from '../host/vmid/vmid-2012.ts';
export { KvmVmid2022 } from '../host/vmid/vmid-2022.ts';
export { updateVttbr2012, type UpdateVttbrHost, type UpdateVttbrIpi, type UpdateVttbrVariant } from '../machines/update-vttbr-2012.ts';
export { kvmArmVmidUpdate, vmidUpdateStates, type VmidCaller, type VmidRunLoopHost, type VmidUpdateHost, type VmidUpdateVariant } from '../machines/kvm-arm-vmid-update.ts';
export { speculativeLoad, vmidSchedLoop, type SchedLoopHost, type SchedLoopOptions } from '../machines/vmid-sched-loop.ts';
