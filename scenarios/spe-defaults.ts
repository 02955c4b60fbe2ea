// Option defaults shared by the two SPE scenarios (seeds 000 and 004), and what each option takes.
import type { OptionSpecs } from 'hyprace';
import type { SpeOptions } from 'hyprace/spe';

export const SPE_DEFAULTS: SpeOptions = {
  design: 'pin-all',
  vcpus: 2,
  setupRounds: 1,
  memslotUpdates: 3,
  kvmRuns: 6,
  reinitChance: 0.3,
  invalidations: 2,
  guestSteps: 60,
  dlChance: 0.5,
  remapChance: 0.5,
  remap: 'buffer',
  el0OnlyChance: 0.5,
  migration: true,
};

const CHANCE = { min: 0, max: 1 } as const;
/** Loop counts: `hyprace stress` runs them a billion times, which is forever. */
const COUNT = { integer: true, min: 0, max: 1e9 } as const;

/** The SPE options' ranges; `designs` are the scenario's own, `maxVcpus` what its memory layout holds. */
export function speOptionSpecs(designs: readonly string[], maxVcpus: number): OptionSpecs<SpeOptions> {
  return {
    design: { choices: designs, description: "the approach KVM's code takes (each design sets it)" },
    vcpus: { integer: true, min: 1, max: maxVcpus, description: 'vCPUs' },
    setupRounds: { ...COUNT, min: 1, description: "VMM set-up rounds (spe-finalize): each after the first resets a vCPU and finalizes again" },
    memslotUpdates: { ...COUNT, description: 'memslot updates of the second VMM thread (spe-finalize)' },
    kvmRuns: { ...COUNT, description: 'KVM_RUN calls per vCPU thread (spe-finalize)' },
    reinitChance: { ...CHANCE, description: 'chance the VMM resets a vCPU after FINALIZE' },
    invalidations: { ...COUNT, description: 'MMU-notifier invalidations of the host MM' },
    guestSteps: { integer: true, min: 1, max: 100_000, description: 'guest steps per vCPU (spe-pinning)' },
    dlChance: { ...CHANCE, description: 'chance a stage-2 fault also sets PMBSR_EL1.DL' },
    remapChance: { ...CHANCE, description: 'chance the guest moves buffer pages at EL1 with an EL0-only buffer' },
    remap: { choices: ['buffer', 'page'], description: 'what the guest moves: the whole buffer or one page' },
    el0OnlyChance: { ...CHANCE, description: 'chance a profiling session excludes the kernel' },
  };
}
