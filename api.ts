// The public API for writing scenarios, `hyprace`: what built-in scenarios and users' own
// scenario files import. A scenario file default-exports defineScenario({...}). The kernel
// building blocks are in subpaths: hyprace/arm64, hyprace/vmid, hyprace/stage2, hyprace/spe,
// hyprace/idregs, hyprace/locktorture (package.json "exports" lists them).
export { defineScenario } from './actors/engine/index.ts';
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
} from './actors/engine/index.ts';
export { defineStepMachine } from './machines/step-machine.ts';
export type { StepAction, StepArgs, StepBranch, StepGuard, StepMachineConfig, StepState, StepTransition, StepWait } from './machines/step-machine.ts';
export { MAX_CHOICE_VALUES, type StepEvent } from './actors/engine/index.ts';
export { BUILT_IN_INVARIANTS, DEADLOCK } from './actors/engine/index.ts';

// Shared memory and the kernel primitives built on it.
export { BigWordArray, Layout, Word, WordArray, hex, type Region, type SharedMemory, type Dependency, type LoadOptions, type StoreOptions, type WordOptions } from './host/layout.ts';
export { smp_mb, smp_rmb, smp_wmb, dmb, dsb, isb, ctrl_dep, exception_boundary, READ_ONCE, WRITE_ONCE, smp_load_acquire, smp_store_release } from './host/barriers.ts';
export type { RmwOrder } from './host/access.ts';
export { LOCK_DISCIPLINE, LockProtocolError, Mutex, RwLock, Spinlock } from './host/locks.ts';
export { waitUntil, type Wait } from './host/wait.ts';
export { raiseViolation } from './host/violations.ts';
export { note } from './host/recorder.ts';
export { actorName, execution, stepIndex, type ExecutionMode } from './host/execution.ts';

// Architecture-neutral hardware and KVM structures.
export { NONE, PhysCpus, type PhysCpusOptions } from './host/cpu.ts';
export type { Stage2Register } from './host/stage2-register.ts';
export { Tlbs, type TlbCounters, type TlbEntry, type TlbReach, type TlbScope, type TlbWords } from './host/tlb.ts';
export { IpiProtocolError, Ipis, type IpiFunctions, type IpiTargets } from './host/ipi.ts';
export { EINTR, ENOEXEC, IN_GUEST_MODE, OUTSIDE_GUEST_MODE, Vcpus, type VcpuId } from './host/kvm.ts';
