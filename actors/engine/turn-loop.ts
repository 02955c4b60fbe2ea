// The run loop of run.ts, taken up by whichever thread holds the turn (threads mode): after a
// step, the worker that ran it checks the invariants, finds who can run, asks the scheduler and
// draws the next seed itself, then steps again (the same actor) or passes the turn on. Every
// rule here is run.ts's, in its order: run.ts is the reference and this mirrors it; the
// cross-mode tests (test/threads-inline.test.ts) hold them to the same decisions and traces.
import { actorName } from '../../host/execution.ts';
import { LOCK_DISCIPLINE } from '../../host/locks.ts';
import type { Wait } from '../../host/wait.ts';
import { DAEMON_FAIR_STEPS } from './built-in-invariants.ts';
import { DEADLOCK, InvariantError, describeWaits, type RunViolation, type StepRecord } from './run.ts';
import {
  BLOCKED_KINDS,
  DAEMONS_ONLY_SINCE,
  END,
  EndCode,
  LOG_WORDS,
  MAX_ACTORS,
  NEXT_SEED,
  ONLY_VERSION,
  STALL,
  STEPS_RNG,
  STEP_LIMIT,
  VIOLATION_STEP,
  DEPTH,
  FAILURE_ACTOR,
  STRATEGY,
  SCHEDULER_WORDS,
  NameTable,
  type RunBlock,
} from './run-block.ts';
import { Rng } from './rng.ts';
import type { InvariantDefinition } from './scenario.ts';
import { STRATEGIES, createScheduler } from './schedulers/index.ts';
import type { PortableScheduler } from './schedulers/scheduler.ts';
import { STATE } from './control.ts';
import type { World } from './world.ts';


/** What a wait that does not read the actor's context is given. */
const NO_CONTEXT: Record<string, unknown> = Object.freeze({});
export class TurnLoop {
  private scheduler: PortableScheduler | undefined;
  /** STRATEGY and DEPTH of the scheduler this thread built. */
  private schedulerStrategy = -1;
  private schedulerDepth = -1;
  private readonly steps = new Rng(0);
  private only: ReadonlySet<string> | undefined;
  private onlyVersion = -1;
  private invariants: readonly InvariantDefinition<unknown>[] = [];
  private names: NameTable;
  private readonly enabled: number[] = [];
  private readonly blockedActors: number[] = [];
  private readonly blockedWaits: Wait[] = [];
  private readonly stateAt: number[];

  constructor(
    private readonly world: World,
    private block: RunBlock,
  ) {
    this.names = new NameTable(block);
    this.stateAt = world.actors.map((_, a) => world.control.at(a, STATE));
  }

  attach(block: RunBlock): void {
    this.block = block;
    this.names = new NameTable(block);
  }

  /** Whether the scheduler's state and the actors fit the block. */
  static fits(scheduler: PortableScheduler, actors: number): boolean {
    return actors <= MAX_ACTORS && 2 + actors + 2 * scheduler.depth <= SCHEDULER_WORDS;
  }

  /** Main thread: sets up the block for a run the scheduler has begun. */
  beginRun(scheduler: PortableScheduler, steps: Rng, stepLimit: number, daemonOnlySteps: number, only: ReadonlySet<string> | undefined): void {
    const w = this.block.w;
    if (only !== this.only || this.onlyVersion < 0) {
      this.block.setOnly(only ? [...only] : undefined);
      this.useOnly(only, w[ONLY_VERSION]);
    }
    this.scheduler = scheduler;
    w[STRATEGY] = this.schedulerStrategy = STRATEGIES.indexOf(scheduler.strategy);
    w[DEPTH] = this.schedulerDepth = scheduler.depth;
    w[STEP_LIMIT] = stepLimit;
    w[STALL] = daemonOnlySteps;
    w[DAEMONS_ONLY_SINCE] = -1;
    const n = this.world.actors.length;
    w.fill(-1, this.block.lastStepAt, this.block.lastStepAt + n);
    w.fill(0, this.block.stepsSinceAt, this.block.stepsSinceAt + n);
    w[END] = EndCode.Running;
    for (let i = 0; i < w[BLOCKED_KINDS]; i++) w[this.block.blockedAt + w[this.block.blockedOrderAt + i]] = 0;
    w[BLOCKED_KINDS] = 0;
    this.steps.state = steps.state;
  }

  /** Taking the turn: picks up what the previous holder left. */
  take(): void {
    const w = this.block.w;
    if (w[ONLY_VERSION] !== this.onlyVersion) this.useOnly(this.block.only(), w[ONLY_VERSION]);
    if (w[STRATEGY] !== this.schedulerStrategy || w[DEPTH] !== this.schedulerDepth) {
      this.scheduler = createScheduler(STRATEGIES[w[STRATEGY]], Math.max(1, w[DEPTH])) as PortableScheduler;
      this.schedulerStrategy = w[STRATEGY];
      this.schedulerDepth = w[DEPTH];
    }
    this.scheduler!.loadState(w, this.block.schedulerAt);
    this.steps.state = w[STEPS_RNG];
  }

  /** Passing the turn on: leaves what the next holder needs. */
  release(): void {
    const w = this.block.w;
    this.scheduler!.saveState(w, this.block.schedulerAt);
    w[STEPS_RNG] = this.steps.state;
  }

  /** Main thread, after the run: the scheduler and seeds as the last holder left them. */
  endRun(steps: Rng): void {
    this.scheduler!.loadState(this.block.w, this.block.schedulerAt);
    steps.state = this.block.w[STEPS_RNG];
  }

  private useOnly(only: ReadonlySet<string> | undefined, version: number): void {
    this.only = only;
    this.onlyVersion = version;
    this.invariants = this.world.invariants.filter((inv) => inv.check && (!only || only.has(inv.name)));
  }

  private wanted(invariant: string): boolean {
    return !this.only || this.only.has(invariant);
  }

  get ended(): boolean {
    return this.block.w[END] !== EndCode.Running;
  }

  private violate(v: RunViolation): void {
    this.block.setResult(JSON.stringify({ invariant: v.invariant, message: v.message }));
    this.block.w[VIOLATION_STEP] = v.step;
    this.block.w[END] = EndCode.Violation;
  }

  /** run.ts's checkViolations: a raised violation, then each invariant, after step `step`. */
  check(step: number): void {
    const { world } = this;
    const raised = world.violations.peek();
    if (raised) {
      if (!world.knownInvariants.has(raised.invariant)) {
        throw new InvariantError(`a step raised invariant '${raised.invariant}', which is neither declared nor built in (known: ${[...world.knownInvariants].join(', ')})`);
      }
      if (this.wanted(raised.invariant)) return this.violate({ ...raised, step });
      world.violations.clear();
    }
    for (const inv of this.invariants) {
      let msg: string | null | undefined;
      try {
        msg = inv.check!(world.host);
      } catch (e) {
        throw new InvariantError(`invariant '${inv.name}' threw ${step < 0 ? 'before the first step' : `after step ${step}`}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (msg) return this.violate({ invariant: inv.name, message: msg, step });
    }
  }

  /**
   * The head of run.ts's loop for step `step` (who can run after the previous step, whether that
   * ends the run, and within the limit the next actor): returns the actor to take step `step`
   * (its seed in NEXT_SEED), or -1 with the run's end recorded.
   */
  decide(step: number): number {
    const w = this.block.w;
    if (w[END] !== EndCode.Running) return -1;
    const { programs, daemon } = this.world;
    const ctl = this.world.control.a;
    const { enabled, blockedActors, blockedWaits } = this;
    enabled.length = 0;
    blockedActors.length = 0;
    blockedWaits.length = 0;
    let unfinished = 0;
    let nonDaemonEnabled = false;
    for (let a = 0; a < programs.length; a++) {
      const program = programs[a];
      const state = ctl[this.stateAt[a]];
      if (program.final[state]) continue;
      if (!daemon[a]) unfinished++;
      // No wait here reads a context: runs whose do fall back to run.ts (ThreadsBackend.runWhole).
      const wait = program.waits[state]?.(NO_CONTEXT);
      if (!wait || wait.ready()) {
        enabled.push(a);
        if (!daemon[a]) nonDaemonEnabled = true;
      } else {
        blockedActors.push(a);
        blockedWaits.push(wait);
      }
    }
    if (unfinished === 0) return this.end(EndCode.Done);
    const limit = w[STEP_LIMIT];
    let violation: RunViolation | null = null;
    for (let b = 0; b < blockedActors.length; b++) {
      const wait = blockedWaits[b];
      if (step < limit) this.countBlocked(wait.what);
      if (!violation && wait.holder?.() === blockedActors[b] && this.wanted(LOCK_DISCIPLINE)) {
        violation = { invariant: LOCK_DISCIPLINE, message: `${actorName(blockedActors[b])} waits for ${wait.what}, which it holds itself: self-deadlock`, step: step - 1 };
      }
    }
    if (violation) {
      this.violate(violation);
      return -1;
    }
    if (enabled.length === 0) return this.deadlock(step, `nobody can run: ${describeWaits(this.blocked(() => true))}`);
    const since = w[DAEMONS_ONLY_SINCE];
    if (nonDaemonEnabled) w[DAEMONS_ONLY_SINCE] = -1;
    else if (since < 0) {
      w[DAEMONS_ONLY_SINCE] = step;
      w.fill(0, this.block.stepsSinceAt, this.block.stepsSinceAt + programs.length);
    } else if (step - since >= w[STALL] && enabled.every((a) => w[this.block.stepsSinceAt + a] >= DAEMON_FAIR_STEPS)) {
      return this.deadlock(step, `only daemons ran for ${step - since} steps while the others waited: ${describeWaits(this.blocked((a) => !daemon[a]))}`);
    }
    if (step >= limit) return this.end(EndCode.StepLimit);
    const actor = this.scheduler!.pick(enabled, step);
    w[NEXT_SEED] = this.steps.nextU32();
    return actor;
  }

  /** The blocked actors (of the last decide) that `keep` keeps, with what they wait for. */
  private blocked(keep: (actor: number) => boolean): { actor: number; wait: Wait }[] {
    return this.blockedActors.flatMap((actor, b) => (keep(actor) ? [{ actor, wait: this.blockedWaits[b] }] : []));
  }

  /** A deadlock after step `step - 1`, or the run stuck when deadlocks are not checked. */
  private deadlock(step: number, message: string): number {
    if (!this.wanted(DEADLOCK)) return this.end(EndCode.Stuck);
    this.violate({ invariant: DEADLOCK, message, step: step - 1 });
    return -1;
  }

  /** The tail of run.ts's loop: the step `actor` just took, logged with its timeline lane. */
  record(step: number, actor: number, seed: number, from: number, to: number, transition: number, startedOn: string | undefined): void {
    const w = this.block.w;
    Atomics.store(this.world.control.a, this.stateAt[actor], to);
    w[this.block.lastStepAt + actor] = step;
    w[this.block.stepsSinceAt + actor]++;
    const where = startedOn ?? this.world.actors[actor].where?.() ?? this.world.actors[actor].lane;
    const at = this.block.logAt + step * LOG_WORDS;
    w[at] = actor;
    w[at + 1] = seed;
    w[at + 2] = from;
    w[at + 3] = to;
    w[at + 4] = transition;
    w[at + 5] = where === undefined ? -1 : this.names.id(where);
  }

  /** A step, an invariant or the engine threw: the run ends and the main thread rethrows. */
  fail(code: EndCode, actor: number, message: string): void {
    this.block.setResult(message);
    this.block.w[END] = code;
    this.block.w[FAILURE_ACTOR] = actor;
  }

  private end(code: EndCode): number {
    this.block.w[END] = code;
    return -1;
  }

  private countBlocked(what: string): void {
    const w = this.block.w;
    const id = this.names.id(what);
    if (w[this.block.blockedAt + id]++ === 0) w[this.block.blockedOrderAt + w[BLOCKED_KINDS]++] = id;
  }

  /** Main thread, after the run: blocked-step counts by wait, in run.ts's key order. */
  blockedSteps(): Record<string, number> {
    const w = this.block.w;
    const out: Record<string, number> = {};
    for (let i = 0; i < w[BLOCKED_KINDS]; i++) {
      const id = w[this.block.blockedOrderAt + i];
      out[this.names.name(id)] = w[this.block.blockedAt + id];
    }
    return out;
  }

  /** Main thread, after the run: the last step each actor took (-1: none). */
  lastSteps(): number[] {
    const at = this.block.lastStepAt;
    return Array.from(this.world.actors, (_, a) => this.block.w[at + a]);
  }

  /** Main thread: the step records of the run, from the log. */
  stepRecord(step: number): StepRecord {
    const w = this.block.w;
    const at = this.block.logAt + step * LOG_WORDS;
    const where = w[at + 5];
    return { actor: w[at], seed: w[at + 1] >>> 0, from: w[at + 2], to: w[at + 3], transition: w[at + 4], where: where < 0 ? undefined : this.names.name(where) };
  }
}
