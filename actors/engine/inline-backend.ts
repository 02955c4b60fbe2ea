// All actors in this thread, stepped by direct calls over the same shared-memory code.
import { footprint } from '../../host/access.ts';
import { recorder } from '../../host/recorder.ts';
import { undoLog } from '../../host/undo-log.ts';
import type { Wait } from '../../host/wait.ts';
import { createStepper, stepAs, type ActorSnapshot, type ActorStepper, type Interpreter } from './actor-runtime.ts';
import { ActorFailure, type Backend } from './backend.ts';
import { emptyArray } from './empty-array.ts';
import { ProcessExitInStep } from './exit-guard.ts';
import { stepEnds, stepStarts, type Heartbeat } from './job-board.ts';
import { ChoiceError, type ChoiceLog } from './step-event.ts';
import { Infeasible, PromiseEngine } from './promises.ts';
import { memoryModel } from '../../host/memory-model/active.ts';
import { NotAnExecution } from '../../host/memory-model/arm64.ts';
import type { World } from './world.ts';

/** The shared words one step read and wrote (32-bit word indices; duplicates possible). */
export interface StepFootprint {
  reads: number[];
  writes: number[];
  /** Statistics bumped (figures only, in no dependence). */
  statistics: number[];
}

export interface InlineSnapshot {
  memory: Uint8Array;
  actors: ActorSnapshot[];
}

/**
 * The memory and one actor's machine: what a step of that actor alone can change. The memory is
 * a copy, or, taken inside a step (a trial: refusable, a solo run), a mark in the undo log.
 */
interface OneActorSnapshot {
  memory: Uint8Array | { epoch: number; mark: number };
  actor: number;
  snapshot: ActorSnapshot;
}

export class InlineBackend implements Backend {
  readonly mode = 'inline' as const;
  private readonly steppers: ActorStepper[];
  private log: string[][] = [];
  private readonly transitions: number[];
  private readonly scripted: boolean[];
  /** What each actor's last step drew (values and ranges). */
  private readonly drawnBy: ChoiceLog[];
  /** Whether each actor's last step drew only default values (see StepEvent.drewDefaults). */
  private readonly drewDefaults: boolean[];
  /** Set to record each step's footprint (verify's dependence relation). */
  recordFootprints = false;
  /** The last step's footprint, when recorded. */
  lastFootprint: StepFootprint = { reads: [], writes: [], statistics: [] };

  /** What a sampled step's footprint is recorded into (see step). */
  private readonly samplingFootprint: StepFootprint = { reads: [], writes: [], statistics: [] };

  /** Bumped around each step when a watchdog in another thread looks after this one. */
  heartbeat: Heartbeat | undefined;

  constructor(readonly world: World, private readonly record = true, interpreter: Interpreter = 'compiled') {
    this.steppers = world.actors.map((def, i) => createStepper(def, i, interpreter));
    this.transitions = world.actors.map(() => -1);
    this.scripted = world.actors.map(() => false);
    this.drawnBy = world.actors.map(() => ({ values: [], arities: [] }));
    this.drewDefaults = world.actors.map(() => false);
    if (world.arm64 && world.promiseOwners) {
      this.promises = new PromiseEngine({ world, stepperOf: (a) => this.steppers[a], saveOne: (a) => this.saveOne(a), restoreOne: (x) => this.restoreOne(x as OneActorSnapshot) }, world.arm64);
      memoryModel.promiseStep = (owner) => this.promises!.promiseStep(owner);
    }
  }

  /** The arm64 model's promises, when the world makes them (actors/engine/promises.ts). */
  private readonly promises: PromiseEngine | undefined;

  /** Under arm64 with promises: promise steps taken, promises made and steps run alone so far (bench figures). */
  promiseStats(): { promiseSteps: number; promisesMade: number; soloSteps: number } | undefined {
    return this.promises && { ...this.promises.stats };
  }

  /** Whether each step's touches are recorded (traces need them). */
  get records(): boolean {
    return this.record;
  }

  lastChoices(actor: number): number[] | undefined {
    return this.scripted[actor] ? this.drawnBy[actor].values : undefined;
  }

  /** What `actor`'s last scripted step drew, with the range of each draw. */
  lastDrawn(actor: number): ChoiceLog {
    return this.drawnBy[actor];
  }

  /** After a step under arm64 with promises: note an actor that finished, and certify the promiser. */
  private afterModelledStep(actor: number, writes: readonly number[] | undefined): void {
    // A promise daemon is no thread of the model: only the scenario's actors have its views.
    if (actor < this.world.promiseOwners! && this.steppers[actor].done) this.world.arm64!.setFinished(actor);
    if (writes) this.promises!.certifySampled(actor, writes, this.drewDefaults[actor]);
    else this.promises!.certify(this.promises!.ownerOf(actor));
  }

  /**
   * Before a violation is reported under arm64 with promises: every actor's promises must still be
   * keepable, not only the last stepper's. Another's step (a read of a promised write, a lock
   * released after it) can leave a promise that can no longer be kept; a state the execution
   * cannot complete from is not an arm64 execution (Infeasible), so nothing is judged in it.
   */
  promisesOutstanding(): boolean {
    if (!this.promises) return false;
    for (let a = 0; a < this.world.promiseOwners!; a++) if (this.world.arm64!.outstanding(a) > 0) return true;
    return false;
  }

  completable(): void {
    if (!this.promises) return;
    this.calls++;
    try {
      for (let a = 0; a < this.world.promiseOwners!; a++) this.promises.certify(a);
    } finally {
      this.left();
    }
  }

  stepIfAllowed(actor: number, seed: number): number | null {
    // Only sampling steps this way (replay and verify take their schedule as given): its solo runs
    // search one path (PromiseEngine.searchPaths); verify's, on the same backend later, all of them.
    if (!this.promises) return this.step(actor, seed);
    this.promises.sampling = true;
    this.calls++;
    try {
      return this.sampledStep(actor, seed);
    } finally {
      this.promises.sampling = false;
      this.left();
    }
  }

  /**
   * Calls under way that may take trial snapshots (step, stepIfAllowed, completable). Inside them,
   * saveOne marks the undo log instead of copying the memory; the log stops when the outermost
   * returns, so a mark never outlives the call it was taken in (none does: promises.ts restores
   * each before returning).
   */
  private calls = 0;

  private left(): void {
    if (--this.calls === 0 && undoLog.on) undoLog.stop();
  }

  private sampledStep(actor: number, seed: number): number | null {
    const promises = this.promises!;
    if (!promises.mayRefuse(actor)) return this.step(actor, seed);
    const certified = promises.holdsCertificate(actor);
    const first = this.refusable(actor, seed);
    if (first !== null || !certified || this.drewDefaults[actor]) return first;
    // Its seeded draws took the actor off its certificate: it takes the certificate's own step
    // instead (default draws, recorded as the step's choices), which keeps its promises.
    return this.refusable(actor, seed, []);
  }

  /** A step, or null (and the state put back) if it leaves some actor unable to keep its promises. */
  private refusable(actor: number, seed: number, choices?: readonly number[]): number | null {
    const before = this.saveOne(actor);
    const certificates = this.promises!.saveCertificates();
    try {
      return this.step(actor, seed, choices);
    } catch (e) {
      if (!(e instanceof Infeasible)) throw e;
      this.restoreOne(before);
      this.promises!.restoreCertificates(certificates);
      if (this.record) this.log.pop();
      if (this.heartbeat) stepEnds(this.heartbeat);
      return null;
    }
  }

  /** A 32-bit hash of `actor`'s state and context (verify's state cache). */
  actorHash(actor: number, seed: number): number {
    return this.steppers[actor].hash(seed);
  }

  /** The scenario's memory and every actor, to return to after a trial step (verify). */
  save(): InlineSnapshot {
    return { memory: this.world.memory.u8.slice(0, this.world.hostBytes), actors: this.steppers.map((s) => s.save()) };
  }

  restore(s: InlineSnapshot): void {
    this.world.memory.u8.set(s.memory, 0);
    this.steppers.forEach((st, i) => st.restore(s.actors[i]));
    this.world.violations.clear();
    this.promises?.dropCertificates();
  }

  private saveOne(actor: number): OneActorSnapshot {
    const snapshot = this.steppers[actor].save();
    if (this.calls === 0) return { memory: this.world.memory.u8.slice(0, this.world.hostBytes), actor, snapshot };
    if (!undoLog.on) undoLog.start(this.world.memory.i32, this.world.hostBytes / 4);
    return { memory: { epoch: undoLog.epoch, mark: undoLog.mark() }, actor, snapshot };
  }

  private restoreOne(s: OneActorSnapshot): void {
    if (s.memory instanceof Uint8Array) this.world.memory.u8.set(s.memory, 0);
    else if (undoLog.holds(s.memory.epoch, s.memory.mark)) undoLog.undo(s.memory.mark);
    else throw new Error('internal: a trial snapshot restored after the call it was taken in returned');
    this.steppers[s.actor].restore(s.snapshot);
    this.world.violations.clear();
  }

  lastTransition(actor: number): number {
    return this.transitions[actor];
  }

  lastBranch(actor: number): number {
    return this.steppers[actor].lastBranch();
  }

  waitOf(actor: number): Wait | undefined {
    return this.steppers[actor].waitOf();
  }

  resetActors(): number[] {
    this.log = [];
    this.promises?.dropCertificates();
    return this.steppers.map((s) => {
      s.reset();
      return s.state;
    });
  }

  step(actor: number, seed: number, choices?: readonly number[]): number {
    if (!this.promises) return this.stepActor(actor, seed, choices);
    this.calls++;
    try {
      return this.stepActor(actor, seed, choices);
    } finally {
      this.left();
    }
  }

  private stepActor(actor: number, seed: number, choices?: readonly number[]): number {
    const s = this.steppers[actor];
    if (this.record) {
      recorder.touches = [];
      recorder.on = true;
    }
    // Sampling under arm64 keeps certificates while no step writes what they read: it needs the writes.
    const tracked = this.recordFootprints || (this.promises?.sampling === true && this.promises.holdsCertificates());
    if (tracked) {
      if (this.recordFootprints) {
        footprint.reads = [];
        footprint.writes = [];
        footprint.statistics = [];
      } else {
        // Sampling reads only the writes, during the step: the same arrays serve every step.
        const f = this.samplingFootprint;
        emptyArray(f.reads);
        emptyArray(f.writes);
        emptyArray(f.statistics);
        footprint.reads = f.reads;
        footprint.writes = f.writes;
        footprint.statistics = f.statistics;
      }
      footprint.on = true;
    }
    this.scripted[actor] = choices !== undefined;
    // A seeded promise step outside sampling is a sampled one replayed (verify scripts every step):
    // its solo runs search one path, as when it was sampled, or it could promise another store.
    const replayedPromise = this.promises !== undefined && !this.promises.sampling && choices === undefined && actor >= this.world.promiseOwners!;
    if (replayedPromise) this.promises!.onePath = true;
    if (this.heartbeat) stepStarts(this.heartbeat, actor, s.state);
    this.drewDefaults[actor] = false;
    try {
      this.transitions[actor] = stepAs(s, actor, seed, choices);
      // Kept before anything else steps this actor's machine (a promise's solo run does).
      const log = s.drawn();
      this.drawnBy[actor] = { values: [...log.values], arities: [...log.arities] };
      this.drewDefaults[actor] = s.drewDefaults();
      if (this.promises) this.afterModelledStep(actor, this.promises.sampling ? (tracked ? footprint.writes : []) : undefined);
      if (this.heartbeat) stepEnds(this.heartbeat);
    } catch (e) {
      if (e instanceof Infeasible) throw e;
      // arm64: an RMW over the actor's own promise, or a load left only its own promise to read
      // (memory-model/arm64.ts): not executions, not explored.
      if (e instanceof NotAnExecution) throw new Infeasible(actor);
      const state = this.world.programs[actor].stateIds[s.state];
      if (e instanceof ChoiceError) throw new ChoiceError(`${this.world.actors[actor].name} in state '${state}': ${e.message}`);
      throw failure(e, this.world.actors[actor].name, state);
    } finally {
      if (this.record) {
        recorder.on = false;
        this.log.push(recorder.touches);
      }
      if (replayedPromise) this.promises!.onePath = false;
      if (tracked) footprint.on = false;
      if (this.recordFootprints) {
        this.lastFootprint = { reads: footprint.reads, writes: footprint.writes, statistics: footprint.statistics };
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
