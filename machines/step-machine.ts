// A typed way to write the machines hyprace runs: every state is a label in the modelled code,
// and `step` lists its guarded transitions, the first that holds being taken on each STEP.
// The result is a plain xstate machine (createMachine), so xstate tools read it as usual.
import { createMachine, type AnyStateMachine } from 'xstate';
import type { Wait } from '../host/wait.ts';
import type { StepEvent } from '../actors/engine/index.ts';

/** What guards and actions get: the actor's locals and the step's event (its random source). */
export interface StepArgs<C> {
  context: C;
  event: StepEvent;
}

/** Whether a transition may be taken. Reads only: shared memory, the context, the step's draws. */
export type StepGuard<C> = (args: StepArgs<C>) => boolean;
/** Code a transition runs: reads and writes shared memory through hyprace's accessors, updates the context. */
export type StepAction<C> = (args: StepArgs<C>) => void;

/**
 * Where a step goes after its actions ran, when that depends on what they read or swapped: the
 * first branch whose guard holds. Its guard reads the context the actions left (and nothing else
 * that changed); its actions, if any, run after the step's own.
 */
export interface StepBranch<C> {
  guard?: StepGuard<C>;
  target: string;
  actions?: StepAction<C> | StepAction<C>[];
  description?: string;
}

/** One way out of a state: taken on a STEP when its guard holds (the first such, in order). */
export interface StepTransition<C> {
  /** The state the step ends in (omitted: the actor stays where it is). */
  target?: string;
  guard?: StepGuard<C>;
  actions?: StepAction<C> | StepAction<C>[];
  /**
   * Instead of `target`: the step's actions run first, then the first of these branches whose
   * guard holds picks the target (the last branch must have no guard). For a step that reads or
   * compare-and-swaps shared memory and goes on according to what it saw: keep the result in the
   * context in the actions, test it in the branches. Guards never change anything.
   */
  then?: StepBranch<C>[];
  description?: string;
}

/** What a state's wait is: a Wait, or a function of the actor's context returning one (or undefined: no wait now). */
export type StepWait<C> = Wait | ((args: { context: Readonly<C> }) => Wait | undefined);

/** A label in the modelled code. */
export interface StepState<C> {
  /** The transitions a STEP may take from here, tried in order. */
  step?: StepTransition<C> | StepTransition<C>[];
  /**
   * What this state blocks on; the scheduler runs the actor only when it is ready. A function gets
   * the actor's context (the lock or address it is about to take, say). Waits only read.
   */
  wait?: StepWait<C>;
  entry?: StepAction<C> | StepAction<C>[];
  exit?: StepAction<C> | StepAction<C>[];
  /** A state where the actor is finished. */
  final?: boolean;
  description?: string;
}

/** A machine: its id (named in coverage and errors), initial state, locals and states. */
export interface StepMachineConfig<C, I = unknown> {
  id: string;
  initial: string;
  /** The actor's locals, or a function of the actor's `input` making them. Plain data only (copied, hashed, sent between threads). */
  context: C | ((input: I) => C);
  states: Record<string, StepState<C>>;
  description?: string;
}

/** The name of the choice state a `then` transition enters: the source's name and a '?'. */
function choiceName(state: string, index: number): string {
  return index === 0 ? `${state}?` : `${state}?${index}`;
}

/**
 * An xstate machine from a StepMachineConfig, checked: every state steps or is final, every target
 * exists. A transition with `then` becomes a transition into a choice state whose `always`
 * transitions are the branches, so that xstate's interpreter and hyprace's compiled one both leave
 * it within the same STEP.
 */
export function defineStepMachine<C extends object, I = unknown>(cfg: StepMachineConfig<C, I>): AnyStateMachine {
  const states: Record<string, object> = {};
  const bad = (state: string, why: string) => new Error(`machine '${cfg.id}': state '${state}' ${why}`);
  const known = (state: string, target: string) => {
    if (!(target in cfg.states)) throw bad(state, `steps to unknown state '${target}'`);
  };
  for (const [name, s] of Object.entries(cfg.states)) {
    if (!s.final && !s.step) throw bad(name, 'has no step and is not final');
    const steps = s.step === undefined ? [] : Array.isArray(s.step) ? s.step : [s.step];
    const choices: Record<string, object> = {};
    const on = steps.map((t, i) => {
      if (!t.then) {
        if (t.target !== undefined) known(name, t.target);
        return t;
      }
      if (t.target !== undefined) throw bad(name, 'has a transition with both a target and then: give one');
      if (!t.then.length || t.then[t.then.length - 1].guard) throw bad(name, "has a transition whose then does not end with a branch without a guard");
      for (const b of t.then) known(name, b.target);
      const choice = choiceName(name, i);
      if (choice in cfg.states) throw bad(name, `has a then-transition, whose choice state '${choice}' is also a state of the machine`);
      choices[choice] = { ...(t.description ? { description: t.description } : {}), always: t.then };
      const { then: _, ...rest } = t;
      return { ...rest, target: choice };
    });
    states[name] = {
      ...(s.final ? { type: 'final' } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.wait ? { meta: { wait: s.wait } } : {}),
      ...(s.entry ? { entry: s.entry } : {}),
      ...(s.exit ? { exit: s.exit } : {}),
      ...(on.length ? { on: { STEP: on } } : {}),
    };
    Object.assign(states, choices);
  }
  const context = typeof cfg.context === 'function' ? ({ input }: { input: I }) => (cfg.context as (i: I) => C)(input) : cfg.context;
  // The config is checked above; xstate's generic config types add nothing here.
  return createMachine({ id: cfg.id, initial: cfg.initial, context, states, description: cfg.description } as never);
}
