// One actor's machine, stepped in the thread that owns it: the compiled interpreter by default,
// or xstate's own interpreter as the reference (slower; the two must agree).
import { createActor, type AnyActor } from 'xstate';
import { execution } from '../../host/execution.ts';
import type { Wait } from '../../host/wait.ts';
import { compileMachine, pickBranch, pickTransition, MachineDefinitionError, type CompiledMachine } from './compile.ts';
import { guardProcessExit } from './exit-guard.ts';
import { cloneContext } from './plain-clone.ts';
import { StepEvent, type ChoiceLog } from './step-event.ts';
import type { ActorDefinition } from './scenario.ts';

export type Interpreter = 'compiled' | 'xstate';

export class StuckMachineError extends Error {}

export interface ActorStepper {
  readonly program: CompiledMachine;
  readonly state: number;
  readonly done: boolean;
  reset(): void;
  /**
   * Takes one step; returns the index of the transition taken (-1 if unknown). Its random draws
   * come from `seed`, or, when `choices` is given, are those values in order (verify).
   */
  step(seed: number, choices?: readonly number[]): number;
  /** The branch the last step took out of a choice state (-1: it entered none, or the interpreter cannot tell). */
  lastBranch(): number;
  /** What the actor's current state waits for, given its context (undefined: it does not wait). A wait only reads. */
  waitOf(): Wait | undefined;
  /** The actor's context as it is now (the live object: read it, do not change it). */
  context(): Record<string, unknown>;
  /** The values the last scripted step drew. */
  drawn(): ChoiceLog;
  /** Whether the last step drew what a script of default values (0) would: then it is that step. */
  drewDefaults(): boolean;
  /** The actor's state and a copy of its context, to come back to after a trial step (verify). */
  save(): ActorSnapshot;
  /** A 32-bit hash of the actor's state and context (verify's state cache); `seed` picks the hash function. */
  hash(seed: number): number;
  restore(s: ActorSnapshot): void;
  /** The running step's random draw, in [0, n): the memory model's choices come from the step too. */
  readonly draw: (n: number) => number;
}

export interface ActorSnapshot {
  state: number;
  context: unknown;
}

class CompiledActor implements ActorStepper {
  state = 0;
  private ctx: Record<string, unknown> = {};
  private branch = -1;
  private readonly event = new StepEvent();
  readonly draw = (n: number) => this.event.random(n);
  constructor(readonly program: CompiledMachine, private readonly def: ActorDefinition, private readonly index: number) {}

  get done(): boolean {
    return this.program.final[this.state];
  }

  reset(): void {
    this.ctx = this.program.createContext(this.def.input);
    this.state = this.program.initial;
    this.branch = -1;
    const args = { context: this.ctx, event: this.event.reseed(0) };
    execution.actor = this.index;
    try {
      for (const a of this.program.initialActions) a(args);
    } finally {
      execution.actor = -1;
    }
  }

  drawn(): ChoiceLog {
    return this.event.drawn();
  }

  drewDefaults(): boolean {
    return this.event.drewDefaults();
  }

  save(): ActorSnapshot {
    return { state: this.state, context: cloneContext(this.ctx) };
  }

  hash(seed: number): number {
    return hashValue(this.ctx, Math.imul(seed ^ this.state, 0x9e3779b1));
  }

  restore(s: ActorSnapshot): void {
    this.state = s.state;
    this.ctx = cloneContext(s.context as Record<string, unknown>);
  }

  lastBranch(): number {
    return this.branch;
  }

  waitOf(): Wait | undefined {
    return this.program.waits[this.state]?.(this.ctx);
  }

  context(): Record<string, unknown> {
    return this.ctx;
  }

  step(seed: number, choices?: readonly number[]): number {
    const args = { context: this.ctx, event: choices ? this.event.scripted(choices) : this.event.reseed(seed) };
    const t = pickTransition(this.program, this.state, args);
    if (!t) throw new StuckMachineError(`${this.def.name} has no STEP transition enabled in state '${this.program.stateIds[this.state]}'`);
    for (const a of t.actions) a(args);
    this.state = t.target;
    this.branch = -1;
    // A choice state is left in the same step, by the first branch whose guard holds on what the
    // actions just did (xstate takes the same eventless transition within its macrostep).
    if (this.program.choice[this.state]) {
      const b = pickBranch(this.program, this.state, args);
      for (const a of b.actions) a(args);
      this.state = b.target;
      this.branch = b.index;
    }
    return t.index;
  }
}

class XstateReferenceActor implements ActorStepper {
  private actor: AnyActor | undefined;
  private readonly event = new StepEvent();
  readonly draw = (n: number) => this.event.random(n);
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
  lastBranch(): number {
    return -1;
  }

  waitOf(): Wait | undefined {
    return this.program.waits[this.state]?.(this.context());
  }

  context(): Record<string, unknown> {
    return this.actor!.getSnapshot().context as Record<string, unknown>;
  }

  drawn(): ChoiceLog {
    return this.event.drawn();
  }

  drewDefaults(): boolean {
    return this.event.drewDefaults();
  }

  save(): ActorSnapshot {
    throw new Error(`${this.def.name}: xstate's reference interpreter cannot save a trial step; verify uses the compiled one`);
  }

  hash(): number {
    throw new Error(`${this.def.name}: xstate's reference interpreter has no state hash; verify uses the compiled one`);
  }

  restore(): void {
    throw new Error(`${this.def.name}: xstate's reference interpreter cannot restore a trial step`);
  }

  step(seed: number, choices?: readonly number[]): number {
    this.actor!.send(choices ? this.event.scripted(choices) : this.event.reseed(seed));
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
export function stepAs(stepper: ActorStepper, index: number, seed: number, choices?: readonly number[]): number {
  execution.actor = index;
  execution.draw = stepper.draw;
  try {
    return stepper.step(seed, choices);
  } finally {
    execution.actor = -1;
    execution.draw = undefined;
  }
}

/**
 * A hash of plain data (numbers, bigints, strings, booleans, arrays, objects) that does not depend
 * on the order of an object's keys: equal data, equal hash.
 */
export function hashValue(v: unknown, seed: number): number {
  switch (typeof v) {
    case 'number':
      return mix32(seed ^ 0x1, Number.isInteger(v) ? v | 0 : hashString(String(v), seed));
    case 'string':
      return hashString(v, seed ^ 0x2);
    case 'bigint':
      return hashString(v.toString(16), seed ^ 0x3);
    case 'boolean':
      return mix32(seed ^ 0x4, v ? 1 : 0);
    case 'undefined':
      return mix32(seed, 0x5);
    default:
      break;
  }
  if (v === null) return mix32(seed, 0x6);
  if (Array.isArray(v)) {
    let h = mix32(seed ^ 0x7, v.length);
    for (let i = 0; i < v.length; i++) h = mix32(h, hashValue(v[i], seed + i + 1));
    return h;
  }
  // Objects: a sum of per-key terms, so key order does not matter.
  let h = 0x8;
  for (const k in v as Record<string, unknown>) h = (h + mix32(hashString(k, seed), hashValue((v as Record<string, unknown>)[k], seed))) | 0;
  return mix32(seed ^ 0x9, h);
}

function hashString(s: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h, s.length);
}

function mix32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return h ^ (h >>> 16);
}
