// Promises of the arm64 model (Promising-ARM, PLDI 2019): a thread may make one of its future
// stores visible before it runs, which is how stores overtake earlier loads and stores (LB,
// 2+2W, S). Each actor gets a companion daemon, "<actor>.promise", whose step picks one store
// the actor could make running alone from here (a draw among them) and appends it. Every step
// after that is certified: the actor running alone must still be able to make every store it
// promised; an execution where it cannot is not an arm64 execution and is dropped (Infeasible).
//
// Running alone is explored depth first over the actor's draws (memory reads included), up to
// SOLO_STEPS steps and SOLO_PATHS paths: stated bounds of what a promise can look ahead to.
import { footprint } from '../../host/access.ts';
import { execution } from '../../host/execution.ts';
import type { Arm64Memory, Value } from '../../host/memory-model/arm64.ts';
import { memoryModel } from '../../host/memory-model/active.ts';
import { recorder } from '../../host/recorder.ts';
import { waitUntil } from '../../host/wait.ts';
import { defineStepMachine } from '../../machines/step-machine.ts';
import { stepAs, type ActorStepper } from './actor-runtime.ts';
import type { ActorDefinition } from './scenario.ts';
import type { World } from './world.ts';

export const SOLO_STEPS = 64;
export const SOLO_PATHS = 64;

/** The execution cannot be completed under the model (a promise no longer certifiable): not a run. */
export class Infeasible {
  constructor(readonly actor: number) {}
}

/** The promise daemons for `actors`, each able to take `budget` promise steps in a run. */
export function promiseActors(actors: readonly ActorDefinition[], arm64: () => Arm64Memory, budget: number): ActorDefinition[] {
  return actors.map((a, owner) => ({
    name: `${a.name}.promise`,
    daemon: true,
    where: a.where,
    machine: defineStepMachine({
      id: 'arm64-promise',
      initial: 'promise',
      context: {},
      states: {
        promise: {
          description: 'make one of the stores the actor could make next visible now (a promise)',
          wait: waitUntil(`${a.name} may promise a store`, () => !arm64().finished(owner) && arm64().promised(owner) < budget),
          step: { actions: () => memoryModel.promiseStep!(owner), target: 'promise' },
        },
      },
    }),
  }));
}

interface SoloStore {
  word: number;
  v: Value;
}

/** What a backend gives the engine: the world's steppers, and saving and restoring the whole state. */
export interface PromiseHost {
  readonly world: World;
  stepperOf(actor: number): ActorStepper;
  save(): unknown;
  restore(s: unknown): void;
}

export class PromiseEngine {
  /**
   * How far solo runs search: every path up to SOLO_PATHS (verify, which must reach every promise
   * the model allows), or only the first (sampling). A promise drawn among the stores of one path,
   * then certified, is one the model allows; a step refused because one path did not certify it
   * is an execution not sampled, not one wrongly admitted. So sampling stays sound and costs one
   * solo path where a refusal cost up to SOLO_PATHS.
   */
  searchPaths = SOLO_PATHS;

  constructor(
    private readonly host: PromiseHost,
    private readonly m: Arm64Memory,
  ) {}

  /** A promise step for `owner`: one of the stores it could make running alone, drawn, appended. */
  promiseStep(owner: number): void {
    this.m.notePromiseStep(owner);
    const candidates = new Map<string, SoloStore>();
    for (const path of this.solo(owner)) for (const s of path) candidates.set(`${s.word}:${s.v.lo}:${s.v.hi}`, s);
    const i32 = this.host.world.memory.i32;
    const initial = (word: number) => () => ({ lo: i32[word], hi: this.m.wide(word) ? i32[word + 1] : 0 });
    const list = [...candidates.values()].filter((c) => this.m.canPromise(owner, c.word) && this.m.promisable(c.word, c.v));
    if (list.length === 0) return;
    const s = list[list.length > 1 ? execution.draw!(list.length) : 0];
    // Only a promise the actor could keep is made, as Promising-ARM certifies a promise when it is
    // made: a store seen on a solo path may not be keepable once promised (an earlier store of the
    // actor to the same word, or a barrier after a store, puts it after the promise in coherence).
    // Checked for the store drawn only (each check is a solo run); an unkeepable draw promises nothing.
    const before = this.host.save();
    this.m.promise(owner, s.word, initial(s.word), s.v);
    if (this.solo(owner, true).length === 0) {
      this.host.restore(before);
      return;
    }
    // Loads of the word may read the promised write from now on (the plain word, which holds
    // the latest executed write for the invariants, changes when the actor makes the store).
    if (footprint.on) footprint.writes.push(s.word);
    if (footprint.on && this.m.wide(s.word)) footprint.writes.push(s.word + 1);
  }

  /** The actor whose promises a step of `actor` concerns: itself, or the owner of a promise daemon. */
  ownerOf(actor: number): number {
    const owners = this.host.world.promiseOwners ?? 0;
    return actor < owners ? actor : actor - owners;
  }

  /** Whether a step of `actor` (an actor or its promise daemon) can leave it unable to keep its promises. */
  mayRefuse(actor: number): boolean {
    return this.m.outstanding(this.ownerOf(actor)) > 0;
  }

  /** After a step of `actor` (or of its promise daemon): its promises must stay certifiable. */
  certify(actor: number): void {
    if (this.m.outstanding(actor) > 0 && this.solo(actor, true).length === 0) throw new Infeasible(actor);
  }

  /**
   * `owner` running alone from the current state, over its draws, depth first: for every path on
   * which it fulfils all its outstanding promises, the new writes it made. With `certify`, only
   * whether such a path exists is asked: the first one ends the search, and a path ends as soon
   * as the promises are fulfilled. The state is put back;
   * what the runs read stays in the step's footprint (the answer depends on it), what they wrote
   * does not (it is undone).
   */
  private solo(owner: number, certify = false): SoloStore[][] {
    const stepper = this.host.stepperOf(owner);
    const saved = this.host.save();
    const writesBefore = footprint.writes.length;
    const wasRecording = recorder.on;
    const { actor: savedActor, draw: savedDraw } = execution;
    recorder.on = false;
    const found: SoloStore[][] = [];
    let script: number[] = [];
    try {
      for (let paths = 0; paths < this.searchPaths; paths++) {
        this.host.restore(saved);
        const stores: SoloStore[] = [];
        this.m.onStore = (word, v, appended) => appended && stores.push({ word, v });
        const values: number[] = [];
        const arities: number[] = [];
        let ok = true;
        try {
          for (let n = 0; n < SOLO_STEPS && !stepper.done; n++) {
            // A certificate needs the promises kept, not the rest of the run (Promising-ARM).
            if (certify && this.m.outstanding(owner) === 0) break;
            const wait = stepper.waitOf();
            if (wait && !wait.ready()) break;
            stepAs(stepper, owner, 0, script.slice(values.length));
            const log = stepper.drawn();
            values.push(...log.values);
            arities.push(...log.arities);
          }
        } catch {
          ok = false;
        } finally {
          this.m.onStore = undefined;
        }
        if (ok && this.m.outstanding(owner) === 0) {
          found.push(stores);
          if (certify) break;
        }
        // The next combination of draws: raise the last draw that has a value left.
        let j = values.length - 1;
        while (j >= 0 && values[j] + 1 >= arities[j]) j--;
        if (j < 0) break;
        script = [...values.slice(0, j), values[j] + 1];
      }
    } finally {
      this.host.restore(saved);
      footprint.writes.length = writesBefore;
      recorder.on = wasRecording;
      execution.actor = savedActor;
      execution.draw = savedDraw;
    }
    return found;
  }
}
