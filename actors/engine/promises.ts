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
import { emptyArray } from './empty-array.ts';
import type { ActorDefinition } from './scenario.ts';
import { SoloMemo } from './solo-memo.ts';
import type { World } from './world.ts';

/** Draws scripted for a solo step past the script's end: every draw its default (shared: never written). */
const DEFAULT_DRAWS: readonly number[] = Object.freeze([]);

export const SOLO_STEPS = 64;
export const SOLO_PATHS = 64;

/** The execution cannot be completed under the model (a promise no longer certifiable): not a run. */
export class Infeasible {
  constructor(readonly actor: number) {}

  /** What a command prints if one escapes (a replayed schedule the model no longer allows). Not an Error: thrown often while sampling, where a stack trace would cost. */
  toString(): string {
    return `actor ${this.actor} could no longer keep the stores it promised: the schedule is not an arm64 execution of this model`;
  }
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
      context: { taken: 0 },
      states: {
        promise: {
          description: 'make one of the stores the actor could make next visible now (a promise)',
          wait: waitUntil(`${a.name} may promise a store`, () => !arm64().finished(owner)),
          step: {
            actions: ({ context }) => {
              context.taken++;
              memoryModel.promiseStep!(owner);
            },
            // Its budget taken, the daemon is done for the run: a finished actor costs the
            // scheduler nothing, where one blocked for the rest of the run is looked at every step.
            then: [{ guard: ({ context }) => context.taken >= budget, target: 'spent' }, { target: 'promise' }],
          },
        },
        spent: { description: `the actor's ${budget} promise step(s) of this run taken`, final: true },
      },
    }),
  }));
}

interface SoloStore {
  word: number;
  v: Value;
  /** Made by an RMW (its write may be promised too, Promising-ARM's exclusives). */
  rmw: boolean;
  /**
   * Ordered after a write of its own path (its coherence, barriers, releases or dependencies put
   * it later than every write in memory when the run began): promised now, it would come before
   * that write, so the store could never keep the promise. A comparison of timestamps, not one:
   * the answer does not depend on the clock's value (see soloRemembered).
   */
  afterOwnWrite: boolean;
}

/** A solo run's answer: its paths' stores, and (a certificate run's) the certificate it made. */
interface SoloAnswer {
  /** Per path that keeps every promise, its new writes (a certificate run's: none listed). */
  found: SoloStore[][];
  certificate: Int32Array | undefined;
  /** The stores of all paths, each (word, value) once, first seen first: a promise step's candidates (kept once made). */
  stores?: SoloStore[];
}

/**
 * The stores of all paths, each (word, value) once, first seen first. A store ordered after a
 * write of its own path, or made by an RMW, is that only if it is so on every path it is on
 * (verify filters RMW candidates by both: one path where it is not is enough to offer it).
 */
function distinctStores(paths: SoloStore[][]): SoloStore[] {
  const seen = new Map<string, SoloStore>();
  for (const path of paths) {
    for (const s of path) {
      const key = `${s.word}:${s.v.lo}:${s.v.hi}`;
      const first = seen.get(key);
      if (!first) seen.set(key, { ...s });
      else {
        first.afterOwnWrite &&= s.afterOwnWrite;
        first.rmw &&= s.rmw;
      }
    }
  }
  return [...seen.values()];
}

/** What a backend gives the engine: the world's steppers, and saving and restoring what a solo run changes. */
export interface PromiseHost {
  readonly world: World;
  stepperOf(actor: number): ActorStepper;
  /** The scenario's memory and `actor`'s machine: all that a step of `actor` alone can change. */
  saveOne(actor: number): unknown;
  restoreOne(s: unknown): void;
}

/**
 * Sampling: per actor, the shared words its last successful certificate run read, each listed once
 * (undefined: none held; never changed once made). Listed, not one byte per word of memory: the
 * memory of remembered runs keeps one per certificate run, and a page each would be most of the
 * heap the collector walks. The run drew only default values (one path), so from the same state it is the same run.
 */
export type Certificates = (Int32Array | undefined)[];

export class PromiseEngine {
  /**
   * How far solo runs search: every path up to SOLO_PATHS (verify, which must reach every promise
   * the model allows), or only the first (sampling). A promise drawn among the stores of one path,
   * then certified, is one the model allows; a step refused because one path did not certify it
   * is an execution not sampled, not one wrongly admitted. So sampling stays sound and costs one
   * solo path where a refusal cost up to SOLO_PATHS.
   */
  get searchPaths(): number {
    return this.sampling || this.onePath ? 1 : SOLO_PATHS;
  }

  /** Whether sampling answers solo runs from memory (off only to check that it changes no answer). */
  static remembers = true;

  /** Set while a sampled step runs (InlineBackend.stepIfAllowed). */
  sampling = false;

  /** Set while a sampled promise step is replayed: it must search as it did when sampled. */
  onePath = false;

  /**
   * Sampling only: a certificate kept while it still holds, so that a step need not run its actor
   * alone again. It holds while (a) no other step wrote a word it read (each step's writes are
   * checked against it) and (b) its actor took no step, or took exactly the certificate's first
   * step (same state, draws all default: the same step), which leaves the rest of it as a
   * certificate of the new state. Then running alone again would follow the same path to the
   * same answer; reusing it changes no decision.
   */
  private certificates: Certificates = [];
  /** What promises cost so far (all runs on this engine): figures for the bench. */
  readonly stats = { promiseSteps: 0, promisesMade: 0, soloSteps: 0 };

  /** Per actor, the words of its certificate marked (one byte per word of memory), for certifySampled's lookups: kept while it is held. */
  private readonly marks: Uint8Array[] = [];

  /** Actors whose certificate was made during the current step. */
  private readonly certifiedNow: number[] = [];
  /** How many entries of `certificates` are set (most sampled steps hold none: they skip the scan). */
  private held = 0;

  /** Sampling's one-path solo runs (promise searches, certificate runs), by the state they ran from (see soloRemembered). */
  private readonly searchMemo: SoloMemo<SoloAnswer>;
  private readonly certifyMemo: SoloMemo<SoloAnswer>;

  constructor(
    private readonly host: PromiseHost,
    private readonly m: Arm64Memory,
  ) {
    this.searchMemo = new SoloMemo<SoloAnswer>(m.timestamps);
    this.certifyMemo = new SoloMemo<SoloAnswer>(m.timestamps);
  }

  /** A promise step for `owner`: one of the stores it could make running alone, drawn, appended. */
  promiseStep(owner: number): void {
    this.m.notePromiseStep(owner);
    this.stats.promiseSteps++;
    // An owner that cannot step (blocked, or finished) could make no store running alone: the
    // step promises nothing, found without a solo run. Its wait's reads are the step's footprint,
    // as the solo run's first check would have made them.
    if (!mayStep(this.host.stepperOf(owner))) return;
    const answer = this.soloRemembered(owner);
    // An RMW's write ordered after a write of the path itself could never fulfil a promise made
    // now: not offered, in any mode (a split's 512 cmpxchgs of table entries, say, would
    // otherwise be drawn among).
    const list = (answer.stores ??= distinctStores(answer.found)).filter((c) => this.m.canPromise(owner, c.word) && this.m.promisable(c.word, c.v) && !(c.rmw && c.afterOwnWrite));
    if (list.length === 0) return;
    const s = list[list.length > 1 ? execution.draw!(list.length) : 0];
    // Only a promise the actor could keep is made, as Promising-ARM certifies a promise when it is
    // made: a store seen on a solo path may not be keepable once promised (an earlier store of the
    // actor to the same word, or a barrier after a store, puts it after the promise in coherence).
    // Checked for the store drawn only (each check is a solo run); an unkeepable draw promises nothing.
    // Sampling's one path tells it without a run when the store was ordered after a write of the
    // path itself: the promise would precede that write, so the store could not fulfil it (at
    // worst a promise not sampled, never one wrongly made).
    if (this.searchPaths === 1 && s.afterOwnWrite) return;
    const before = this.host.saveOne(owner);
    const i32 = this.host.world.memory.i32;
    this.m.promise(owner, s.word, () => ({ lo: i32[s.word], hi: this.m.wide(s.word) ? i32[s.word + 1] : 0 }), s.v);
    if (this.soloRemembered(owner, true).found.length === 0) {
      this.host.restoreOne(before);
      return;
    }
    this.stats.promisesMade++;
    // Loads of the word may read the promised write from now on (the plain word, which holds
    // the latest executed write for the invariants, changes when the actor makes the store).
    if (footprint.on) footprint.writes.push(s.word);
    if (footprint.on && this.m.wide(s.word)) footprint.writes.push(s.word + 1);
  }

  /**
   * solo(owner, certify); while sampling, the answer of an earlier one-path run from the same state
   * when one holds (solo-memo.ts: it is the same run, so the same stores, drawn alike, and the same
   * certificate). Most promise steps come early in a run, from states sampling has met before.
   */
  private soloRemembered(owner: number, certify = false): SoloAnswer {
    if (!this.sampling || !PromiseEngine.remembers) return { found: this.solo(owner, certify), certificate: undefined };
    const memo = certify ? this.certifyMemo : this.searchMemo;
    const stepper = this.host.stepperOf(owner);
    const memory = this.host.world.memory.i32;
    const state = stepper.state;
    const known = memo.recall(owner, state, stepper.context(), memory, execution.step);
    if (known) {
      if (known.certificate) {
        this.setCertificate(owner, known.certificate);
        this.certifiedNow.push(owner);
      }
      return known;
    }
    const reads: number[] = [];
    execution.stepRead = false;
    const found = this.solo(owner, certify, reads);
    const certificate = certify && found.length > 0 ? this.certificates[owner] : undefined;
    // Neither whether a run keeps the promises nor which stores it makes depends on the clock
    // (see certifySampled; a store's place against the path's own writes is kept as a flag, not
    // a timestamp): it is left out of what must match.
    const clock = this.m.clockWord();
    const answer = { found, certificate };
    memo.remember(owner, state, stepper.context(), reads, memory, this.host.world.hostBytes / 4, execution.stepRead ? execution.step : -1, answer, clock);
    return answer;
  }

  /** The actor whose promises a step of `actor` concerns: itself, or the owner of a promise daemon. */
  ownerOf(actor: number): number {
    const owners = this.host.world.promiseOwners ?? 0;
    return actor < owners ? actor : actor - owners;
  }

  /** Whether a step of `actor` (an actor or its promise daemon) can leave it unable to keep its promises. */
  mayRefuse(actor: number): boolean {
    if (this.m.outstanding(this.ownerOf(actor)) > 0) return true;
    // Sampling also refuses a step after which another actor could no longer keep its promises.
    if (!this.sampling) return false;
    for (let a = 0; a < (this.host.world.promiseOwners ?? 0); a++) if (this.m.outstanding(a) > 0) return true;
    return false;
  }

  /** After a step of `actor` (or of its promise daemon): its promises must stay certifiable. */
  certify(actor: number): void {
    if (this.m.outstanding(actor) > 0 && this.soloRemembered(actor, true).found.length === 0) throw new Infeasible(actor);
  }

  /**
   * certify() after a sampled step of `actor` that wrote `writes`, reusing certificates that still
   * hold: those another step's writes did not touch; the stepping owner's own, if its step drew
   * defaults (the certificate's first step).
   */
  certifySampled(actor: number, writes: readonly number[], drewDefaults: boolean): void {
    const owner = this.ownerOf(actor);
    const own = actor === owner;
    let voided: number[] | undefined;
    // A step that wrote only the model's clock of what a certificate read (a new write elsewhere)
    // leaves it holding: the model uses timestamps only to order writes and compare them, never as
    // values the code sees, and the run's own writes still come after every write in memory, in
    // the same order among themselves; so running alone takes the same path.
    const clock = this.m.clockWord();
    for (let a = 0; this.held > 0 && writes.length > 0 && a < this.certificates.length; a++) {
      if (!this.certificates[a] || this.certifiedNow.includes(a) || (a === owner && own)) continue;
      const read = this.marks[a];
      for (const w of writes) {
        if (read[w] && w !== clock) {
          this.setCertificate(a, undefined);
          if (a !== owner) (voided ??= []).push(a);
          break;
        }
      }
    }
    emptyArray(this.certifiedNow);
    if (own && !drewDefaults) this.setCertificate(owner, undefined);
    if (this.m.outstanding(owner) === 0) this.setCertificate(owner, undefined);
    else if (!this.certificates[owner]) this.certify(owner);
    // Another actor whose certificate this step voided must still be able to keep its promises,
    // or the step is refused: taking it would leave a run that cannot complete.
    if (voided) for (const a of voided) this.certify(a);
    emptyArray(this.certifiedNow);
  }

  /** Whether `actor` (not a daemon) holds a certificate: then its default-draw step keeps its promises. */
  holdsCertificate(actor: number): boolean {
    return this.certificates[actor] !== undefined;
  }

  /** Whether any certificate is held (then sampled steps must report their writes). */
  holdsCertificates(): boolean {
    return this.held > 0;
  }

  saveCertificates(): Certificates {
    return [...this.certificates];
  }

  restoreCertificates(c: Certificates): void {
    for (let a = 0; a < Math.max(c.length, this.certificates.length); a++) if (c[a] !== this.certificates[a]) this.setCertificate(a, c[a]);
    emptyArray(this.certifiedNow);
  }

  /** Forget every certificate (a new run, or a state restored from elsewhere). */
  dropCertificates(): void {
    for (let a = 0; this.held > 0 && a < this.certificates.length; a++) this.setCertificate(a, undefined);
    emptyArray(this.certifiedNow);
  }

  private setCertificate(actor: number, c: Int32Array | undefined): void {
    if (actor >= this.certificates.length && c === undefined) return;
    const old = this.certificates[actor];
    if (old === c) return;
    this.held += (c !== undefined ? 1 : 0) - (old !== undefined ? 1 : 0);
    this.certificates[actor] = c;
    const read = (this.marks[actor] ??= new Uint8Array(this.host.world.memory.i32.length));
    if (old) for (const w of old) read[w] = 0;
    if (c) for (const w of c) read[w] = 1;
  }

  /**
   * `owner` running alone from the current state, over its draws, depth first: for every path on
   * which it fulfils all its outstanding promises, the new writes it made. With `certify`, only
   * whether such a path exists is asked: the first one ends the search, and a path ends as soon
   * as the promises are fulfilled. The state is put back;
   * what the runs read stays in the step's footprint (the answer depends on it), what they wrote
   * does not (it is undone). `reads`, while sampling: collects what the runs read.
   */
  private solo(owner: number, certify = false, reads?: number[]): SoloStore[][] {
    const stepper = this.host.stepperOf(owner);
    const saved = this.host.saveOne(owner);
    // Sampling keeps what a certificate run read (see certificates), and nothing else a solo run reads.
    const capture = certify && this.sampling;
    const outer = { on: footprint.on, reads: footprint.reads };
    if (this.sampling) footprint.on = capture || reads !== undefined;
    if (reads) footprint.reads = reads;
    const writesBefore = footprint.writes.length;
    const statisticsBefore = footprint.statistics.length;
    const wasRecording = recorder.on;
    const { actor: savedActor, draw: savedDraw } = execution;
    // A violation the step being certified raised is that step's; those of the solo runs are undone with them.
    const raised = this.host.world.violations.peek();
    recorder.on = false;
    const found: SoloStore[][] = [];
    // Every write in memory when the run began is at or before it; the run's own come after.
    const latest = certify ? 0 : this.m.latest();
    let script: number[] = [];
    try {
      for (let paths = 0; paths < this.searchPaths; paths++) {
        if (paths > 0) this.host.restoreOne(saved);
        if (capture) footprint.reads = reads ?? [];
        const stores: SoloStore[] = [];
        // A certificate run asks only whether the promises are kept: its stores are not listed
        // (remembered answers would keep them, for the collector to copy).
        if (!certify) this.m.onStore = (word, v, appended, after, rmw) => appended && stores.push({ word, v, afterOwnWrite: after > latest, rmw });
        const values: number[] = [];
        const arities: number[] = [];
        let ok = true;
        try {
          for (let n = 0; n < SOLO_STEPS; n++) {
            // A certificate needs the promises kept, not the rest of the run (Promising-ARM).
            if (certify && this.m.outstanding(owner) === 0) break;
            if (!mayStep(stepper)) break;
            stepAs(stepper, owner, 0, values.length < script.length ? script.slice(values.length) : DEFAULT_DRAWS);
            this.stats.soloSteps++;
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
          if (capture) {
            this.setCertificate(owner, Int32Array.from(new Set(footprint.reads)));
            this.certifiedNow.push(owner);
          }
          if (certify) break;
        }
        // The next combination of draws: raise the last draw that has a value left.
        let j = values.length - 1;
        while (j >= 0 && values[j] + 1 >= arities[j]) j--;
        if (j < 0) break;
        script = [...values.slice(0, j), values[j] + 1];
      }
    } finally {
      this.host.restoreOne(saved);
      if (raised) this.host.world.violations.raise(raised.invariant, raised.message);
      if (this.sampling) {
        footprint.reads = outer.reads;
        footprint.on = outer.on;
      }
      footprint.writes.length = writesBefore;
      footprint.statistics.length = statisticsBefore;
      recorder.on = wasRecording;
      execution.actor = savedActor;
      execution.draw = savedDraw;
    }
    return found;
  }
}

/**
 * Whether `stepper`'s actor could take a step now: not finished, its wait (if any) ready. Asked
 * as the scheduler asks it, outside any step: the wait reads memory as it is (the latest writes),
 * through no memory model and with no draw, even when asked from inside a promise step.
 */
function mayStep(stepper: ActorStepper): boolean {
  if (stepper.done) return false;
  const wait = stepper.waitOf();
  if (!wait) return true;
  const { actor, draw } = execution;
  execution.actor = -1;
  execution.draw = undefined;
  try {
    return wait.ready();
  } finally {
    execution.actor = actor;
    execution.draw = draw;
  }
}
