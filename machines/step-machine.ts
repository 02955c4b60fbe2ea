// A typed way to write the machines hyprace runs: every state is a label in the modelled code,
// and `step` lists its guarded transitions, the first that holds being taken on each STEP.
// The result is a plain xstate machine (createMachine), so xstate tools read it as usual.
import { createMachine, type AnyStateMachine } from 'xstate';
import type { Wait } from '../host/wait.ts';
import type { StepEvent } from '../actors/step-event.ts';

export interface StepArgs<C> {
  context: C;
  event: StepEvent;
}

export type StepGuard<C> = (args: StepArgs<C>) => boolean;
export type StepAction<C> = (args: StepArgs<C>) => void;

export interface StepTransition<C> {
  target?: string;
  guard?: StepGuard<C>;
  actions?: StepAction<C> | StepAction<C>[];
  description?: string;
}

export interface StepState<C> {
  /** The transitions a STEP may take from here, tried in order. */
  step?: StepTransition<C> | StepTransition<C>[];
  /** What this state blocks on; the scheduler runs the actor only when it is ready. */
  wait?: Wait | (() => Wait | undefined);
  entry?: StepAction<C> | StepAction<C>[];
  exit?: StepAction<C> | StepAction<C>[];
  /** A state where the actor is finished. */
  final?: boolean;
  description?: string;
}

export interface StepMachineConfig<C, I = unknown> {
  id: string;
  initial: string;
  context: C | ((input: I) => C);
  states: Record<string, StepState<C>>;
  description?: string;
}

export function defineStepMachine<C extends object, I = unknown>(cfg: StepMachineConfig<C, I>): AnyStateMachine {
  const states: Record<string, object> = {};
  for (const [name, s] of Object.entries(cfg.states)) {
    if (!s.final && !s.step) throw new Error(`machine '${cfg.id}': state '${name}' has no step and is not final`);
    const steps = s.step === undefined ? [] : Array.isArray(s.step) ? s.step : [s.step];
    for (const t of steps) {
      if (t.target !== undefined && !(t.target in cfg.states)) throw new Error(`machine '${cfg.id}': state '${name}' steps to unknown state '${t.target}'`);
    }
    states[name] = {
      ...(s.final ? { type: 'final' } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.wait ? { meta: { wait: s.wait } } : {}),
      ...(s.entry ? { entry: s.entry } : {}),
      ...(s.exit ? { exit: s.exit } : {}),
      ...(steps.length ? { on: { STEP: steps } } : {}),
    };
  }
  const context = typeof cfg.context === 'function' ? ({ input }: { input: I }) => (cfg.context as (i: I) => C)(input) : cfg.context;
  // The config is checked above; xstate's generic config types add nothing here.
  return createMachine({ id: cfg.id, initial: cfg.initial, context, states, description: cfg.description } as never);
}
