// Seed 000: KVM_ARM_VM_SPE_FINALIZE pre-maps the VM's locked memory at stage 2 under
// kvm->slots_lock, while another VMM thread updates memslots, vCPU threads call KVM_RUN and the
// host MM invalidates pages. The RFC's FINALIZE began with mutex_unlock() instead of mutex_lock().
import { LOCK_DISCIPLINE, defineScenario, type DesignDefinition, type InvariantDefinition } from 'hyprace';
import {
  F,
  IOCTL_CONTRACT,
  MEMSLOT_STAGE2_CONSISTENT,
  SLOTS_LOCK_HELD,
  SPE_PREMAPPED,
  hostMm,
  memslotConsistency,
  memslotUpdater,
  speFinalizeVmm,
  speHost,
  speInitWorld,
  speKvmRun,
  type FinalizeDesign,
  type SpeHost,
  type SpeOptions,
} from 'hyprace/spe';
import { SPE_DEFAULTS, speOptionSpecs } from './spe-defaults.ts';

const designs = {
  'pin-all': { description: 'seed 000 as meant: FINALIZE maps writable VM_LOCKED memory under kvm->slots_lock, -EAGAIN if an MMU notifier ran meanwhile', expect: 'holds' },
  'pin-all-typo': {
    description: 'seed 000 as posted (RFC v3 10/16): FINALIZE calls mutex_unlock(&kvm->slots_lock) where mutex_lock belongs',
    expect: 'caught',
    expectInvariants: [LOCK_DISCIPLINE, SLOTS_LOCK_HELD, MEMSLOT_STAGE2_CONSISTENT, SPE_PREMAPPED],
    options: { design: 'pin-all-typo' },
  },
  'pin-all-no-definalize': {
    description: 'mutant: KVM_ARM_VCPU_INIT does not clear `finalized` (no kvm_arm_spe_notify_vcpu_init)',
    expect: 'caught',
    expectInvariants: [IOCTL_CONTRACT],
    options: { design: 'pin-all-no-definalize', reinitChance: 1 },
  },
  'pin-all-no-eagain': {
    description: 'mutant: FINALIZE does not check kvm->mmu_invalidate_seq, so it may succeed with holes',
    expect: 'caught',
    expectInvariants: [SPE_PREMAPPED],
    options: { design: 'pin-all-no-eagain', invalidations: 4 },
  },
} satisfies Record<string, DesignDefinition<SpeOptions>>;

const invariants: InvariantDefinition<SpeHost>[] = [
  { name: SLOTS_LOCK_HELD, description: 'every memslot-level stage-2 change (FINALIZE, memslot delete or move, dirty logging) is made with kvm->slots_lock held by its maker' },
  { name: MEMSLOT_STAGE2_CONSISTENT, description: "every stage-2 page lies in a present memslot, maps that slot's host page, and is writable only if the slot is and, while logging, only once dirty", check: memslotConsistency },
  { name: IOCTL_CONTRACT, description: 'FINALIZE returns -ENXIO, -EBUSY, -EAGAIN or 0 and KVM_RUN -EPERM exactly as the contract says' },
  { name: SPE_PREMAPPED, description: 'when FINALIZE returns 0, every page of every writable VM_LOCKED, non-logging memslot is mapped writable at stage 2' },
];

export default defineScenario({
  name: 'spe-finalize',
  title: 'KVM_ARM_VM_SPE_FINALIZE under kvm->slots_lock racing memslot updates, vCPU init and KVM_RUN',
  seeds: ['000'],
  options: SPE_DEFAULTS,
  optionSpecs: speOptionSpecs(Object.keys(designs), 64),
  designs,
  budget: { strategy: 'random', iterations: 20_000, timeSeconds: 6, stepLimit: 400 },
  host: (layout, d) => speHost(layout, d.options),
  init: (h) => speInitWorld(h, { guestRan: false, ramVmFlags: 0 }),
  actors: (h, d) => [
    { name: 'vmm', machine: speFinalizeVmm(h, d.options.design as FinalizeDesign) },
    { name: 'vmm-memslots', machine: memslotUpdater(h, d.options.memslotUpdates) },
    ...Array.from({ length: d.options.vcpus }, (_, v) => ({ name: `vcpu${v}`, machine: speKvmRun(h, v, d.options.kvmRuns) })),
    { name: 'host-mm', machine: hostMm(h, d.options.invalidations, 0.3) },
  ],
  invariants,
  // hyprace stress: the set-up loops (reset, SPE init, FINALIZE) while the memslot thread, the
  // vCPU threads and the host MM never stop, as in memslot_modification_stress_test.
  stress: {
    defaultWorkers: 5,
    atomicSteps: true,
    options: (workers) => ({ vcpus: Math.max(1, workers - 3), setupRounds: 1e9, memslotUpdates: 1e9, kvmRuns: 1e9, invalidations: 1e9 }),
    rates: ['finalizeOk', 'finalizeEagain', 'memslotUpdates', 'kvmRunEntered', 'invalidations'],
  },
  figures: ({ fig }) => ({
    finalizeOk: fig.peek(F.finalizeOk),
    finalizeEnxio: fig.peek(F.finalizeEnxio),
    finalizeEbusy: fig.peek(F.finalizeEbusy),
    finalizeEagain: fig.peek(F.finalizeEagain),
    kvmRunEperm: fig.peek(F.kvmRunEperm),
    kvmRunEntered: fig.peek(F.kvmRunEntered),
    memslotUpdates: fig.peek(F.memslotUpdates),
    invalidations: fig.peek(F.invalidations),
  }),
});
