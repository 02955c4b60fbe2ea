// `hyprace/spe`: the Statistical Profiling Extension as KVM handles it: the SPE world (registers,
// memslots, pins, stage 2), its stage-2 operations and invariants, and the machines of the
// spe-finalize and spe-pinning scenarios (the VMM's FINALIZE thread, KVM_RUN, the memslot
// updater, the host MM, live migration, the profiling guest).
export { profilingEnabled } from '../host/spe/regs.ts';
export { VM_LOCKED } from '../host/spe/memslots.ts';
export { MEMSLOT_STAGE2_CONSISTENT, SLOTS_LOCK_HELD, memslotConsistency, pinGfn, stage2MapSlot, stage2State } from '../host/spe/stage2-ops.ts';
export {
  BUF_PAGES,
  F,
  FIGURES,
  PINNED_PER_VCPU,
  PMBLIMITR,
  PMBPTR,
  PMBSR,
  PMSCR,
  RAM_PAGES,
  bufferVa,
  peekSpeReg,
  pinnedPages,
  s1TableGfn,
  speHost,
  speInitWorld,
  type FinalizeDesign,
  type PinningDesign,
  type SpeDesign,
  type SpeHost,
  type SpeOptions,
} from '../host/spe/world.ts';
export { hostMm } from '../machines/host-mm.ts';
export { memslotUpdater } from '../machines/memslot-updater.ts';
export { liveMigration } from '../machines/live-migration.ts';
export { IOCTL_CONTRACT, SPE_PREMAPPED, speFinalizeVmm } from '../machines/spe-finalize-vmm.ts';
export { speKvmRun } from '../machines/spe-kvm-run.ts';
export { FIRST_FAULT_DESIGNS, NO_RECORD_LOSS_ON_FIRST_FAULT, speGuestVcpu } from '../machines/spe-guest.ts';
