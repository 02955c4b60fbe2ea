// The public API for writing scenarios: what built-in scenarios and users' own scenario files
// import. A scenario file default-exports defineScenario({...}).
export { defineScenario } from './actors/scenario.ts';
export type {
  ActorDefinition,
  Budget,
  DesignContext,
  DesignDefinition,
  InvariantDefinition,
  OptionSpec,
  OptionSpecs,
  ScenarioDefinition,
  StrategyName,
  StressFlags,
  StressProfile,
  Verdict,
  VerifyConfig,
} from './actors/scenario.ts';
export { defineStepMachine } from './machines/step-machine.ts';
export type { StepAction, StepArgs, StepGuard, StepMachineConfig, StepState, StepTransition } from './machines/step-machine.ts';
export type { StepEvent } from './actors/step-event.ts';

// Shared memory and the kernel primitives built on it.
export { Layout, Word, WordArray, type SharedMemory, type Dependency, type LoadOptions, type StoreOptions, type WordOptions } from './host/layout.ts';
export { smp_mb, smp_rmb, smp_wmb, dmb, dsb, isb, ctrl_dep, READ_ONCE, WRITE_ONCE, smp_load_acquire, smp_store_release } from './host/barriers.ts';
export type { RmwOrder } from './host/access.ts';
export { Mutex, RwLock, Spinlock, LOCK_DISCIPLINE } from './host/locks.ts';
export { waitUntil, type Wait } from './host/wait.ts';
export { raiseViolation } from './host/violations.ts';
export { note } from './host/recorder.ts';
export { PhysCpus, NONE, make_vttbr, vttbr_vmid, vttbr_baddr } from './host/cpu.ts';
export { Tlbs, type TlbEntry } from './host/tlb.ts';
export { Ipis } from './host/ipi.ts';
export { Vcpus } from './host/kvm.ts';
