// The engine: what a scenario is, a world laid out over shared memory, the compiled machines,
// one run (run.ts, and its turn-passing twin turn-loop.ts), the schedulers, and the two places a
// step executes (inline, threads). Every mode chooses steps through this; nothing here imports
// another concern. The entry point for the rest of hyprace: import from here, not from its files.
export { createStepper, type Interpreter, stepAs } from './actor-runtime.ts';
export { ActorFailure, type Backend, type FailureKind, type Mode } from './backend.ts';
export { BUILT_IN_INVARIANTS, DEADLOCK, knownInvariants } from './built-in-invariants.ts';
export { compileMachine, MachineDefinitionError } from './compile.ts';
export { findLocks, type FoundLock, lockOfWait } from './find-locks.ts';
export { InlineBackend, type InlineSnapshot } from './inline-backend.ts';
export { JobBoard } from './job-board.ts';
export { describeSpec, optionProblem, optionsProblem } from './options.ts';
export { Infeasible, PromiseEngine } from './promises.ts';
export { SoloMemo } from './solo-memo.ts';
export { deriveSeed, Rng } from './rng.ts';
export { DAEMON_ONLY_STEPS, InvariantError, runOnce, type RunOptions, type RunResult, runRngs, type RunViolation, type StepRecord } from './run.ts';
export { loadScenario, type ScenarioRef } from './scenario-loader.ts';
export { type ActorDefinition, type AnyScenario, type Budget, budgetOf, DEFAULT_BUDGET, DEFAULT_VERIFY_SECONDS, defineScenario, type DesignContext, designContext, type DesignDefinition, type InvariantDefinition, type OptionSpec, type OptionSpecs, type ScenarioDefinition, type StrategyName, type StressFlags, type StressProfile, type Verdict, type VerifyConfig } from './scenario.ts';
export { createScheduler, ReplayDivergence, ReplayScheduler, STRATEGIES } from './schedulers/index.ts';
export { type RunStart, type Scheduler } from './schedulers/scheduler.ts';
export { ChoiceError, type ChoiceLog, MAX_CHOICE_VALUES, type StepEvent } from './step-event.ts';
export { liveActorWorkers, THREADS_DEFAULTS, ThreadsBackend, type ThreadsOptions } from './threads-backend.ts';
export { buildWorld, DEFAULT_PROMISES, raiseFirstBroken, resetHost, type World, type WorldOptions } from './world.ts';
