// One actor's machine, stepped in the thread that owns it: the compiled interpreter by default,
// or xstate's own interpreter as the reference (slower; the two must agree).
import { createActor, type AnyActor } from 'xstate';
import { execution } from '../host/execution.ts';
import { compileMachine, pickTransition, MachineDefinitionError, type CompiledMachine } from './compile.ts';
import { guardProcessExit } from './exit-guard.ts';
import { StepEvent } from './step-event.ts';
import type { ActorDefinition } from './scenario.ts';

export type Interpreter = 'compiled' | 'xstate';

export class StuckMachineError extends Error {}

export interface ActorStepper {
  readonly program: CompiledMachine;
  readonly state: number;
  readonly done: boolean;
  reset(): void;
  /** Takes one step with the given seed; returns the index of the transition taken (-1 if unknown). */
  step(seed: number): number;
}

class CompiledActor implements ActorStepper {
  state = 0;
  private context: Record<string, unknown> = {};
  private readonly event = new StepEvent();
  constructor(readonly program: CompiledMachine, private readonly def: ActorDefinition, private readonly index: number) {}

  get done(): boolean {
    return this.program.final[this.state];
  }

  reset(): void {
    this.context = this.program.createContext(this.def.input);
    this.state = this.program.initial;
    const args = { context: this.context, event: this.event.reseed(0) };
    execution.actor = this.index;
    try {
      for (const a of this.program.initialActions) a(args);
    } finally {
      execution.actor = -1;
    }
  }

  step(seed: number): number {
    const args = { context: this.context, event: this.event.reseed(seed) };
    const t = pickTransition(this.program, this.state, args);
    if (!t) throw new StuckMachineError(`${this.def.name} has no STEP transition enabled in state '${this.program.stateIds[this.state]}'`);
    for (const a of t.actions) a(args);
    this.state = t.target;
    return t.index;
  }
}

class XstateReferenceActor implements ActorStepper {
  private actor: AnyActor | undefined;
  private readonly event = new StepEvent();
  private readonly indexOf: Map<string, number>;
  state = 0;
  constructor(readonly program: CompiledMachine, private readonly def: ActorDefinition, private readonly index: number) {
    this.indexOf = new Map(program.stateIds.map((id, i) => [id, i]));
  }

  get done(): boolean {
    return this.program.final[this.state];
  }

  private readState(): number {
    const value = this.actor!.getSnapshot().value as unknown;
    const path: string[] = [];
    let v = value;
    while (v && typeof v === 'object') {
      const [k, inner] = Object.entries(v as Record<string, unknown>)[0];
      path.push(k);
      v = inner;
    }
    if (typeof v === 'string') path.push(v);
    const i = this.indexOf.get(path.join('.'));
    if (i === undefined) throw new MachineDefinitionError(`xstate reports unknown state ${JSON.stringify(value)}`);
    return i;
  }

  reset(): void {
    this.actor?.stop();
    execution.actor = this.index;
    try {
      this.actor = createActor(this.program.machine, { input: this.def.input });
      // Errors surface through the snapshot (checked in step); keep xstate from re-throwing later.
      this.actor.subscribe({ error: () => undefined });
      this.actor.start();
    } finally {
      execution.actor = -1;
    }
    this.state = this.readState();
  }

  // xstate ignores an event no transition takes; a stuck machine then shows as a run that
  // differs from the compiled interpreter's, which is what this reference is for.
  step(seed: number): number {
    this.actor!.send(this.event.reseed(seed));
    const after = this.actor!.getSnapshot();
    const err = (after as { error?: unknown }).error;
    if (err) throw err;
    this.state = this.readState();
    return -1;
  }
}

export function createStepper(def: ActorDefinition, index: number, interpreter: Interpreter = 'compiled'): ActorStepper {
  guardProcessExit();
  const program = compileMachine(def.machine);
  return interpreter === 'xstate' ? new XstateReferenceActor(program, def, index) : new CompiledActor(program, def, index);
}

/** Runs one step of actor `index` with `execution.actor` set, as the host primitives expect. */
export function stepAs(stepper: ActorStepper, index: number, seed: number): number {
  execution.actor = index;
  try {
    return stepper.step(seed);
  } finally {
    execution.actor = -1;
  }
}
