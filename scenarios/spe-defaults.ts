// Option defaults shared by the two SPE scenarios (seeds 000 and 004).
import type { SpeOptions } from '../host/spe/world.ts';

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
