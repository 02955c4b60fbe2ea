// Seed 002: VMID allocation with generation rollover, and the vCPU run loop that uses it, in
// every design from the 2012 patch to arch/arm64/kvm/vmid.c.
import { defineScenario } from 'hyprace';
import { VMID_STRESS } from './vmid-stress.ts';
import { VMID_DEFAULTS, VMID_DESIGNS, VMID_OPTION_SPECS, checkVmidOptions, VMID_INVARIANTS, vmidActors, vmidFigures, vmidHost, vmidInit } from './vmid-model.ts';

export default defineScenario({
  name: 'vmid-rollover',
  title: 'VMID allocation with generation rollover and the vCPU run loop (2012 to 2022 designs)',
  seeds: ['002'],
  options: VMID_DEFAULTS,
  optionSpecs: VMID_OPTION_SPECS,
  checkOptions: checkVmidOptions,
  designs: VMID_DESIGNS,
  budget: { strategy: 'pct', depth: 4, iterations: 200_000, timeSeconds: 10, stepLimit: 3000 },
  host: vmidHost,
  init: vmidInit,
  actors: vmidActors,
  invariants: VMID_INVARIANTS,
  figures: vmidFigures,
  stress: VMID_STRESS,
});
