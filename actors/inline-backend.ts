// All actors in this thread, stepped by direct calls over the same shared-memory code.
import { recorder } from '../host/recorder.ts';
import { createStepper, stepAs, type ActorStepper, type Interpreter } from './actor-runtime.ts';
import { ActorFailure, type Backend } from './backend.ts';
import type { World } from './world.ts';

export class InlineBackend implements Backend {
  readonly mode = 'inline' as const;
  private readonly steppers: ActorStepper[];
  private log: string[][] = [];
  private readonly transitions: number[];

  constructor(readonly world: World, private readonly record = true, interpreter: Interpreter = 'compiled') {
    this.steppers = world.actors.map((def, i) => createStepper(def, i, interpreter));
    this.transitions = world.actors.map(() => -1);
  }

  lastTransition(actor: number): number {
    return this.transitions[actor];
  }

  resetActors(): number[] {
    this.log = [];
    return this.steppers.map((s) => {
      s.reset();
      return s.state;
    });
  }

  step(actor: number, seed: number): number {
    const s = this.steppers[actor];
    if (this.record) {
      recorder.touches = [];
      recorder.on = true;
    }
    try {
      this.transitions[actor] = stepAs(s, actor, seed);
    } catch (e) {
      throw failure(e, this.world.actors[actor].name, this.world.programs[actor].stateIds[s.state]);
    } finally {
      if (this.record) {
        recorder.on = false;
        this.log.push(recorder.touches);
      }
    }
    return s.state;
  }

  async touches(): Promise<string[][]> {
    return this.log;
  }

  async close(): Promise<void> {}
}

export function failure(e: unknown, actor: string, state: string): ActorFailure {
  if (e instanceof ActorFailure) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ActorFailure(`${actor} threw in state '${state}': ${message}`, actor, 'threw');
}
