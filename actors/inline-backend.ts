// All actors in this thread, stepped by direct calls over the same shared-memory code.
import { recorder } from '../host/recorder.ts';
import { createStepper, stepAs, type ActorStepper, type Interpreter } from './actor-runtime.ts';
import { ActorFailure, type Backend } from './backend.ts';
import { ProcessExitInStep } from './exit-guard.ts';
import { stepEnds, stepStarts, type Heartbeat } from './job-board.ts';
import type { World } from './world.ts';

export class InlineBackend implements Backend {
  readonly mode = 'inline' as const;
  private readonly steppers: ActorStepper[];
  private log: string[][] = [];
  private readonly transitions: number[];

  /** Bumped around each step when a watchdog in another thread looks after this one. */
  heartbeat: Heartbeat | undefined;

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
    if (this.heartbeat) stepStarts(this.heartbeat, actor, s.state);
    try {
      this.transitions[actor] = stepAs(s, actor, seed);
      if (this.heartbeat) stepEnds(this.heartbeat);
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
  if (e instanceof ProcessExitInStep) return new ActorFailure(`${actor} called process.exit(${e.code ?? ''}) in state '${state}': a step must not end the process`, actor, 'exited');
  const message = e instanceof Error ? e.message : String(e);
  return new ActorFailure(`${actor} threw in state '${state}': ${message}`, actor, 'threw');
}
