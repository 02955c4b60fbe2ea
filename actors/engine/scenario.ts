// What a scenario is: the contract between a design someone wants to check and the engine that
// runs it. Built-in scenarios and users' own files both export one of these.
import type { AnyStateMachine } from 'xstate';
import type { Layout } from '../../host/layout.ts';
import { DAEMON_ONLY_STEPS } from './built-in-invariants.ts';

/** What a design is expected to show: a violation found ('caught'), or none within its budget ('holds'). */
export type Verdict = 'caught' | 'holds';
/** How explore picks the next actor: uniformly at random, PCT (priorities with change points), or round-robin. */
export type StrategyName = 'random' | 'pct' | 'rr';

/** One design of a scenario: a variant to run, with the verdict it should reach. */
export interface DesignDefinition<O> {
  /** One line: what this design is, with its source (commit, patch, seed). */
  description: string;
  /** What running it should show: a violation ('caught') or none within the budget ('holds'). */
  expect: Verdict;
  /** What it should show under another memory model, when that differs (a missing barrier: 'holds' under sc, 'caught' under arm64). */
  expectUnder?: { arm64?: Verdict };
  /** For 'caught' designs, the invariants a found violation may name (any, if omitted). */
  expectInvariants?: string[];
  /** Overrides of the scenario's default options for this design. */
  options?: Partial<O>;
}

/** The design being run, as host(), init() and actors() see it: its name and its options resolved (defaults, the design's, --set). */
export interface DesignContext<O> {
  readonly name: string;
  readonly options: Readonly<O>;
}

/** One actor: a thread of the modelled code (a vCPU thread, a CPU's IRQ context, a VMM thread), running one machine. */
export interface ActorDefinition {
  /** Unique and short: "vcpu0.1", "cpu1.irq". */
  name: string;
  /** An xstate machine whose only event is STEP (see actors/engine/compile.ts for the subset). */
  machine: AnyStateMachine;
  input?: unknown;
  /** A daemon (an interrupt handler, a hardware walker) never finishes; runs end without it. */
  daemon?: boolean;
  /**
   * The CPU the actor runs on now, as a timeline lane ("CPU1"), or undefined while it runs on none
   * of the model's CPUs. Read before and after every step: a step is drawn where it began, or, if it
   * began on no CPU, where it ended (the step that loads a vCPU onto a CPU runs there). Without it,
   * every step of the actor is drawn in its `lane`.
   */
  where?: () => string | undefined;
  /** The lane of the actor's steps that run on no CPU ("VMM"); default: the actor's name. */
  lane?: string;
}

/** A property of shared memory, checked after every step (with `check`), or raised by host code mid-step (without). */
export interface InvariantDefinition<H> {
  name: string;
  /** One sentence, as a property: "no two VMs running at once share a VMID". */
  description: string;
  /** Returns a message when the invariant does not hold. Without it, host code raises it mid-step. */
  check?: (host: H) => string | null | undefined;
  /** Only these designs are checked against it (all, if omitted). */
  designs?: string[];
}

/** How long a design is searched (check's budget, explore's defaults) and where runs are cut. */
export interface Budget {
  iterations: number;
  timeSeconds: number;
  stepLimit: number;
  /** Steps only daemons may run while every other unfinished actor waits before it is a deadlock. */
  daemonOnlySteps: number;
  strategy: StrategyName;
  depth: number;
}

/**
 * What values an option takes, so that `--set` and traces are checked before anything runs.
 * Numbers give bounds (and whether they are whole); strings (or any value) their choices;
 * arrays the length bounds and a spec for each element. Booleans need none.
 */
export interface OptionSpec {
  /** One line: what the option sets (shown by `hyprace list`). */
  description?: string;
  min?: number;
  max?: number;
  integer?: boolean;
  choices?: readonly (string | number | boolean)[];
  minItems?: number;
  maxItems?: number;
  items?: OptionSpec;
}

/** Each option's OptionSpec, by option name. */
export type OptionSpecs<O> = { [K in keyof O]?: OptionSpec };

/** A scenario: designs to compare, the shared memory they run over, their actors and invariants. A scenario file default-exports one. */
export interface ScenarioDefinition<H, O extends object> {
  name: string;
  /** One line for listings. */
  title: string;
  /** The mailing-list seeds (../shared/seeds) this scenario comes from. */
  seeds?: string[];
  designs: Record<string, DesignDefinition<O>>;
  /** Option defaults; each design may override some. */
  options: O;
  /** Each option's range or choices (see OptionSpec); `--set` values outside them are refused. */
  optionSpecs?: OptionSpecs<O>;
  /** Combinations of options the scenario cannot run: returns why (e.g. too few VMIDs for the CPUs). */
  checkOptions?(options: O): string | null | undefined;
  /** The budget `check` gives each design, and `explore`'s defaults. */
  budget?: Partial<Budget>;
  /** Lays out the shared memory. Must be deterministic: every thread runs it and must agree. */
  host(layout: Layout, design: DesignContext<O>): H;
  /** Writes initial values; memory is zeroed before each run. */
  init?(host: H, design: DesignContext<O>): void;
  actors(host: H, design: DesignContext<O>): ActorDefinition[];
  invariants: InvariantDefinition<H>[];
  /** Numbers worth reporting after each run (summed over runs), e.g. rollovers, TLB flushes. */
  figures?(host: H, design: DesignContext<O>): Record<string, number>;
  /** How `hyprace stress` runs it on free-running threads; without it, stress refuses it. */
  stress?: StressProfile<H, O>;
  /** The bounded configuration `hyprace verify` explores exhaustively. */
  verify?: VerifyConfig<O>;
}

/** The bounded configuration `hyprace verify` explores exhaustively. */
export interface VerifyConfig<O> {
  /**
   * Option overrides that make the configuration small enough to explore completely (fewer
   * rounds, CPUs or VMIDs than sampling uses): stated with every verify result. --set still applies.
   */
  options?: Partial<O>;
  /** verify's time budget per design (default 60 s; --time overrides it). */
  timeSeconds?: number;
  /** Whether to keep a cache of explored states by default (a state reached twice is explored once). */
  stateCache?: boolean;
  /** Steps after which an execution is cut (default: the scenario's budget step limit). */
  stepLimit?: number;
}

/** Flags of `hyprace stress` a stress profile sees. */
export interface StressFlags {
  /** --long-hold: now and then hold a lock for milliseconds instead of microseconds. */
  longHold: boolean;
}

/** How `hyprace stress` runs a scenario on free-running threads. */
export interface StressProfile<H, O> {
  /** Worker threads when --workers is not given. */
  defaultWorkers: number;
  /** Option overrides for a run with `workers` threads (actor count may differ: daemons). */
  options(workers: number, flags: StressFlags, design: Readonly<O>): Partial<O>;
  /**
   * true: every step stays atomic, as the model's labels assume (steps take one step lock; a
   * step that takes a lock waits for it outside, on the real lock). false: steps run truly
   * concurrently and only the scenario's own locks order them (locktorture).
   */
  atomicSteps: boolean;
  /** Failures the actors counted, per lock name (locktorture's n_lock_fail). */
  failures?(host: H): Record<string, number>;
  /** Figures (from figures()) also shown per second, e.g. rollovers. */
  rates?: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScenario = ScenarioDefinition<any, any>;

export const DEFAULT_BUDGET: Budget = { iterations: 2000, timeSeconds: 10, stepLimit: 5000, daemonOnlySteps: DAEMON_ONLY_STEPS, strategy: 'pct', depth: 3 };

/** Identity with type inference: `export default defineScenario({...})`. */
export function defineScenario<H, O extends object>(s: ScenarioDefinition<H, O>): ScenarioDefinition<H, O> {
  return s;
}

export function designContext<O extends object>(s: ScenarioDefinition<unknown, O>, design: string, overrides?: Partial<O>): DesignContext<O> {
  const d = s.designs[design];
  if (!d) throw new Error(`scenario ${s.name} has no design '${design}'`);
  return { name: design, options: { ...s.options, ...d.options, ...overrides } as O };
}

export function budgetOf(s: AnyScenario): Budget {
  return { ...DEFAULT_BUDGET, ...s.budget };
}

export const DEFAULT_VERIFY_SECONDS = 60;
