// Stateless dynamic partial-order reduction: Flanagan and Godefroid's DPOR (POPL 2005) with sleep
// sets, over the same runs, steps and invariants as every other mode. One execution at a time is
// re-executed from the initial state along a prefix of the exploration tree; after each step, the
// latest earlier step of another actor that conflicts with it and does not already happen before
// that actor's previous step is a race, and the tree gets a backtrack point there so the other
// order is explored too. Every value of every random draw is a branch of its own.
//
// With a preemption bound (iterative context bounding, Musuvathi and Qadeer, PLDI 2007) sleep sets
// are off (a sleeping order may be the one within the bound) and every backtrack point also goes
// to the start of the block of steps before it, as Coons, Musuvathi and McKinley show bounded
// DPOR needs (OOPSLA 2013, "Bounded partial-order reduction"; Loom does the same).
import { withFootprint } from '../../host/access.ts';
import type { Wait } from '../../host/wait.ts';
import type { InlineBackend, InlineSnapshot } from '../engine/index.ts';
import { Rng } from '../engine/index.ts';
import { runOnce, type RunOptions, type RunResult, type StepRecord } from '../engine/index.ts';
import type { Scheduler } from '../engine/index.ts';
import { ChoiceError } from '../engine/index.ts';
import { Infeasible } from '../engine/index.ts';
import { ChoiceCursor } from './choice-cursor.ts';
import { EMPTY_FOOTPRINT, dependent, joinFootprints, makeFootprint, type Footprint } from './footprint.ts';
import { HappensBefore, type ExecutedStep } from './happens-before.ts';
import { StateHasher, VisitedStates, subsetOf, type HasherSnapshot, type StateRecord } from './state-cache.ts';
import type { VisibleWords } from './visible-words.ts';

/** A step of the tree's path, as the scheduler chose it: who ran and what its draws were. */
export interface PathStep {
  actor: number;
  choices: readonly number[];
}

export interface DporOptions {
  /** Preemptions allowed per execution; null: unbounded, with sleep sets. */
  preemptionBound: number | null;
  /** false: plain enumeration of every schedule (no races, no sleep sets), to cross-check the reduction. */
  reduction: boolean;
  /** Explore a state reached twice only once (see state-cache.ts). */
  stateCache: boolean;
  stepLimit: number;
  /** Steps only daemons may take while every other unfinished actor waits before it is a deadlock. */
  daemonOnlySteps: number;
  only?: ReadonlySet<string>;
  visible: VisibleWords;
  /** Polled between executions: stop, leaving the exploration incomplete. */
  shouldStop: () => boolean;
  /** Explore only the subtree below these first steps (a parallel job's share). */
  root?: readonly PathStep[];
  /** Stop every execution at this depth and hand its path to `onCut` (a parallel job's share). */
  cutAt?: number;
  onCut?: (path: PathStep[]) => void;
  /**
   * Told of every execution: its run (undefined if cut short: asleep, or at a known state) and a
   * fingerprint of the state it ended in (shared memory as steps wrote it, every actor's state and
   * context), so tests can compare the final states reached with and without reduction.
   */
  onExecution?: (run: RunResult | undefined, finalState: string | undefined) => void;
}

export interface DporStats {
  executions: number;
  steps: number;
  /** Executions cut short because every runnable actor was asleep (their orders are covered). */
  sleepBlocked: number;
  stepLimitExecutions: number;
  /** Steps taken beyond the re-executed prefix: the tree's edges. */
  newSteps: number;
  /** Executions cut short at a state explored before (--state-cache). */
  cacheHits: number;
  /** arm64: schedules dropped because an actor could no longer keep a promise. */
  infeasible: number;
  /** Some order was left out because it needed more preemptions than the bound. */
  boundReached: boolean;
  maxDepth: number;
}

export type DporStatus = 'complete' | 'violation' | 'stopped' | 'restart';

export interface DporOutcome {
  status: DporStatus;
  stats: DporStats;
  /** The violating run (steps carry their scripted choices). */
  violation?: RunResult;
}

interface Node {
  /** Actors that could run at this point. */
  enabled: number[];
  /** Actor of the step before (-1 at the root). */
  prevActor: number;
  /** Preemptions on the path before this point. */
  preemptions: number;
  /** Actors to run from here: the first one taken, and those races added. */
  backtrack: Set<number>;
  /** Actors whose every variant has run from here, with the union of their footprints. */
  done: Map<number, Footprint>;
  /** Actors asleep here: an order already covered, until a dependent step wakes them. */
  sleep: Map<number, Footprint>;
  actor: number;
  cursor: ChoiceCursor;
  /** Union of the footprints of the variants of `actor` run from here so far. */
  variants: Footprint;
  /** The step taken in the current execution. */
  step?: ExecutedStep;
  /** Part of a parallel job's fixed root: never backtracked. */
  fixed: boolean;
  /** This point's entry in the state cache, while it is being explored. */
  record?: StateRecord;
  /** The step taken here in the current execution, as the run records it. */
  taken?: StepRecord;
  /** Stateful search: the whole state at this point (before its step), to come back to. */
  snapshot?: { backend: InlineSnapshot; hasher: HasherSnapshot; states: number[] };
}

/** Thrown by the scheduler to end an execution early (asleep, or a known state): no stack trace. */
class Pruned {
  constructor(readonly why: 'sleep' | 'cache' | 'cut') {}
}
const PRUNED_SLEEP = new Pruned('sleep');
const PRUNED_CACHE = new Pruned('cache');
const PRUNED_CUT = new Pruned('cut');

const NO_WORDS = new Int32Array(0);

/** Words standing for each actor's own state (past any shared memory), for promise steps' dependence. */
const OWNER_STATE = 1 << 29;

export class NondeterministicDesign extends Error {}

/** A step changed shared memory behind the accessors' back: verify cannot see what it depends on. */
export class UnrecordedAccess extends Error {}

/** The first executions compare memory before and after every step with what the step recorded. */
const AUDITED_EXECUTIONS = 8;

export class Dpor {
  private readonly stack: Node[] = [];
  private firstNew = 0;
  private hb!: HappensBefore;
  private states: number[] = [];
  private waitReads: readonly number[] = [];
  /** The wait the chosen actor passed before its step (undefined: it had none). */
  private wait: Wait | undefined;
  /** Shared memory as every execution starts it (after init), in 32-bit words. */
  private initial: Int32Array | undefined;
  /** The audit's copy of memory before the step (the first executions only). */
  private audit: Int32Array | undefined;
  readonly stats: DporStats = { executions: 0, steps: 0, sleepBlocked: 0, stepLimitExecutions: 0, newSteps: 0, cacheHits: 0, infeasible: 0, boundReached: false, maxDepth: 0 };
  /** States explored, when the state cache is on. */
  readonly visited: VisitedStates | undefined;
  private hasher: StateHasher | undefined;

  constructor(
    private readonly backend: InlineBackend,
    private readonly o: DporOptions,
  ) {
    backend.recordFootprints = true;
    this.visited = o.stateCache ? new VisitedStates() : undefined;
  }

  async run(): Promise<DporOutcome> {
    const version = this.o.visible.version;
    for (;;) {
      if (this.o.shouldStop()) return { status: 'stopped', stats: this.stats };
      const r = await this.execute();
      if (this.o.visible.version !== version) return { status: 'restart', stats: this.stats };
      if (r?.violation) return { status: 'violation', stats: this.stats, violation: r };
      if (!this.backtrack()) return { status: 'complete', stats: this.stats };
    }
  }

  /** A rough share of the tree explored so far, treating the branches of a point as equal. */
  progress(): number {
    let weight = 1;
    let p = 0;
    for (const node of this.stack) {
      if (node.fixed) continue;
      const total = [...node.backtrack].filter((q) => !node.sleep.has(q) || node.done.has(q)).length || 1;
      p += (weight * node.done.size) / total;
      weight /= total;
    }
    return Math.min(1, p);
  }

  private execute(): Promise<RunResult | undefined> {
    const world = this.backend.world;
    this.hb = new HappensBefore(world.actors.length);
    this.states = world.programs.map((p) => p.initial);
    // Stateful search (the state cache): come back to the point to explore from, rather than
    // running the path to it again.
    const from = this.visited && this.firstNew > 0 ? this.stack[this.firstNew] : undefined;
    let resume: RunOptions['resume'];
    if (from?.snapshot) {
      this.backend.restore(from.snapshot.backend);
      this.hasher!.restore(from.snapshot.hasher);
      this.states = [...from.snapshot.states];
      this.audit = this.stats.executions < AUDITED_EXECUTIONS ? this.backend.world.memory.i32.slice(0, this.initial!.length) : undefined;
      resume = { states: from.snapshot.states, prior: this.stack.slice(0, this.firstNew).map((n) => n.taken!) };
    }
    const scheduler: Scheduler = { name: 'dpor', beginRun: () => (resume ? undefined : this.noteInitialMemory()), pick: (enabled, step) => this.pick(enabled, step) };
    return runOnce(this.backend, scheduler, { schedule: new Rng(0), steps: new Rng(0) }, {
      resume,
      stepLimit: this.o.stepLimit,
      daemonOnlySteps: this.o.daemonOnlySteps,
      only: this.o.only,
      seedFor: () => 0,
      choicesFor: (step) => this.stack[step].cursor.choices,
      onInvariantReads: (reads, writes) => {
        this.o.visible.add(reads);
        this.auditInvariantWrites(writes);
      },
      afterStep: (step, record) => this.afterStep(step, record),
    }).then(
      (r) => {
        this.stats.executions++;
        this.stats.steps += r.steps.length - (resume?.prior.length ?? 0);
        this.stats.maxDepth = Math.max(this.stats.maxDepth, r.steps.length);
        if (r.end === 'step-limit') this.stats.stepLimitExecutions++;
        if (!r.violation && this.o.reduction && !this.visited) this.probePending();
        this.firstNew = this.stack.length;
        if (this.o.onExecution) this.o.onExecution(r, this.hasher!.fingerprint(-1).join(':'));
        return r;
      },
      (e: unknown) => {
        if (e instanceof Infeasible) {
          // arm64: a promise could not be kept; not an execution, nothing to analyse.
          this.stats.executions++;
          this.stats.infeasible++;
          // Its steps' races were analysed as they ran; the steps still pending at its end race too.
          if (this.o.reduction && !this.visited) this.probePending();
          this.firstNew = this.stack.length;
          this.o.onExecution?.(undefined, undefined);
          return undefined;
        }
        if (!(e instanceof Pruned)) throw e;
        if (e.why !== 'cut') this.stats.executions++;
        if (e.why === 'sleep') {
          this.stats.sleepBlocked++;
          if (this.o.reduction && !this.visited) this.probePending();
        }
        if (e.why === 'cache') this.stats.cacheHits++;
        this.firstNew = this.stack.length;
        this.o.onExecution?.(undefined, undefined);
        return undefined;
      },
    );
  }

  private pick(enabled: readonly number[], step: number): number {
    if (step < this.stack.length) {
      const node = this.stack[step];
      if (!sameActors(node.enabled, enabled)) {
        const names = (xs: readonly number[]) => xs.map((a) => this.backend.world.actors[a].name).join(', ') || 'nobody';
        throw new NondeterministicDesign(`step ${step} can run ${names(enabled)} now but could run ${names(node.enabled)} when first reached along the same path: the design is not deterministic`);
      }
      this.noteWait(node.actor);
      return node.actor;
    }
    if (step === this.o.cutAt) {
      this.o.onCut?.(this.path());
      throw PRUNED_CUT;
    }
    const parent = step > 0 ? this.stack[step - 1] : undefined;
    const rootStep = this.o.root?.[step];
    const node: Node = {
      enabled: [...enabled],
      prevActor: parent ? parent.actor : -1,
      preemptions: parent ? parent.preemptions + (this.isPreemption(parent, parent.actor) ? 1 : 0) : 0,
      backtrack: new Set(),
      done: new Map(),
      sleep: this.sleepAfter(parent),
      actor: -1,
      cursor: new ChoiceCursor(),
      variants: EMPTY_FOOTPRINT,
      fixed: rootStep !== undefined,
    };
    if (parent && this.o.reduction && !this.visited) this.racesOfDisabling(step - 1, parent, enabled);
    if (this.visited && !node.fixed) {
      node.record = this.lookUp(node);
      node.snapshot = { backend: this.backend.save(), hasher: this.hasher!.save(), states: [...this.states] };
    }
    let actor: number;
    if (rootStep) {
      if (!enabled.includes(rootStep.actor)) throw new NondeterministicDesign(`the job's root step ${step} runs an actor that cannot run there`);
      actor = rootStep.actor;
      node.cursor.ran({ values: [...rootStep.choices], arities: rootStep.choices.map((v) => v + 1) });
    } else {
      const allowed = enabled.filter((q) => !node.sleep.has(q) && this.withinBound(node, q));
      if (allowed.length === 0) throw PRUNED_SLEEP;
      actor = this.defaultNext(node.prevActor, allowed);
    }
    node.actor = actor;
    node.backtrack.add(actor);
    if ((!this.o.reduction || this.visited) && !node.fixed) {
      for (const q of enabled) {
        if (this.withinBound(node, q)) node.backtrack.add(q);
        else this.stats.boundReached = true;
      }
    }
    this.stack.push(node);
    this.noteWait(actor);
    return actor;
  }

  /**
   * The state cache at a new point: a state explored before, from a point that covers this one
   * (as many actors asleep or fewer; as many preemptions left or more), is not explored again.
   * With the cache on, every point tries every runnable actor (no races are needed, only sleep
   * sets): a cached subtree's steps might race with this path's, which plain expansion makes moot
   * (sleep sets with a cache: Godefroid, Holzmann and Pirottin, "State-space caching revisited",
   * CAV 1992). A state revisited with fewer actors asleep is explored again.
   */
  private lookUp(node: Node): StateRecord | undefined {
    const bounded = this.o.preemptionBound !== null;
    const key = this.hasher!.fingerprint(bounded ? node.prevActor : -1);
    const sleep = [...node.sleep.keys()].sort((a, b) => a - b);
    const seen = this.visited!.get(key);
    if (!seen) {
      const record: StateRecord = { onStack: true, sleep, preemptions: node.preemptions };
      this.visited!.add(key, record);
      return record;
    }
    // Covered: explored (or being explored, further up this path: a cycle) with at least as much
    // allowed from it. Every point tries every runnable actor here, so whatever the revisit could
    // reach, that exploration reaches.
    if (bounded ? seen.preemptions <= node.preemptions : subsetOf(seen.sleep, sleep)) throw PRUNED_CACHE;
    if (seen.onStack) return undefined; // a cycle that allows more this time: explore on, within the step limit
    seen.onStack = true;
    seen.sleep = seen.sleep.filter((q) => sleep.includes(q));
    seen.preemptions = Math.min(seen.preemptions, node.preemptions);
    return seen;
  }

  /**
   * A step that makes another actor unable to run (it writes what that actor's wait reads) races
   * with that actor's next step, which then never shows up in the execution to be analysed: the
   * other order starts with the disabled actor, before the step.
   */
  private racesOfDisabling(i: number, at: Node, enabledNow: readonly number[]): void {
    for (const q of at.enabled) if (q !== at.actor && !enabledNow.includes(q)) this.addInitial(i, [q]);
  }

  /**
   * Who runs next when no race asks for anyone: the actor that just ran (no context switch), or
   * the first other one; daemons (which may always be able to run) only when nobody else can.
   */
  private defaultNext(prev: number, allowed: readonly number[]): number {
    const actors = this.backend.world.actors;
    if (allowed.includes(prev) && !actors[prev].daemon) return prev;
    return allowed.find((q) => !actors[q].daemon) ?? allowed[0];
  }

  /** Sleep set of the point after `parent`'s step: what slept or was done there, unless woken. */
  private sleepAfter(parent: Node | undefined): Map<number, Footprint> {
    const sleep = new Map<number, Footprint>();
    if (!parent || !this.o.reduction || this.o.preemptionBound !== null || !parent.step) return sleep;
    const f = parent.step.footprint;
    for (const [q, fq] of parent.sleep) if (q !== parent.actor && !dependent(fq, f)) sleep.set(q, fq);
    for (const [q, fq] of parent.done) if (q !== parent.actor && !dependent(fq, f)) sleep.set(q, fq);
    return sleep;
  }

  private noteInitialMemory(): void {
    const m = this.backend.world.memory;
    this.initial ??= m.i32.slice(0, Math.ceil(this.backend.world.hostBytes / 4));
    this.audit = this.stats.executions < AUDITED_EXECUTIONS ? this.initial.slice() : undefined;
    if (this.visited || this.o.onExecution) {
      this.hasher ??= new StateHasher(this.initial, this.backend.world.actors.length, (a, seed) => this.backend.actorHash(a, seed));
      this.hasher.reset();
    }
  }

  /** What the chosen actor's wait reads decides whether it may run: part of its step. */
  private noteWait(actor: number): void {
    const seen = withFootprint(() => {
      const w = this.backend.waitOf(actor);
      w?.ready();
      return w;
    });
    this.wait = seen.value;
    this.waitReads = seen.reads;
  }

  private afterStep(step: number, record: StepRecord): void {
    this.states[record.actor] = record.to;
    const node = this.stack[step];
    node.taken = record;
    const i32 = this.backend.world.memory.i32;
    if (this.audit) this.auditStep(record);
    if (step < this.firstNew) {
      if (!this.visited) this.hb.pushKnown(node.step!);
      this.hasher?.stepped(record.actor, node.step!.footprint.writes, i32);
      return;
    }
    this.stats.newSteps++;
    const fp = this.backend.lastFootprint;
    const f = this.footprintOf(record.actor, this.waitReads.length ? [...this.waitReads, ...fp.reads] : fp.reads, fp.writes);
    if (!node.fixed) node.cursor.ran(this.backend.lastDrawn(record.actor));
    // With the state cache there are no races to find: only sleep sets need the footprint.
    if (this.visited) node.step = { actor: record.actor, footprint: f, clock: NO_WORDS, local: 0, written: NO_WORDS };
    else {
      this.race(f, record.actor, this.wait);
      node.step = this.hb.push(record.actor, f, Int32Array.from(f.writes, (w) => i32[w]));
    }
    node.variants = joinFootprints(node.variants, f);
    this.hasher?.stepped(record.actor, f.writes, i32);
  }

  /**
   * A step's footprint. Under arm64 with promises, a promise step looks ahead at its owner's
   * future steps, so it depends on the owner's own state (its context, not shared memory): every
   * step of the owner writes a word standing for that state, and its promise steps read it.
   */
  private footprintOf(actor: number, reads: number[], writes: number[]): Footprint {
    const owners = this.backend.world.promiseOwners;
    if (owners !== undefined) {
      if (actor < owners) writes = [...writes, OWNER_STATE + actor];
      else reads = [...reads, OWNER_STATE + actor - owners];
    }
    return makeFootprint(reads, writes, this.o.visible.words);
  }

  /** An invariant's memo (a ghost word it writes through the accessors) is no step's change. */
  private auditInvariantWrites(writes: readonly number[]): void {
    if (!this.audit) return;
    const now = this.backend.world.memory.i32;
    for (const w of writes) if (w < this.audit.length) this.audit[w] = now[w];
  }

  /** Every word the step changed must be one it recorded writing (or a statistic it bumped). */
  private auditStep(record: StepRecord): void {
    const before = this.audit!;
    const now = this.backend.world.memory.i32;
    const fp = this.backend.lastFootprint;
    const known = new Set([...fp.writes, ...fp.statistics]);
    for (let w = 0; w < before.length; w++) {
      if (before[w] === now[w]) continue;
      if (!known.has(w)) {
        const world = this.backend.world;
        const region = world.regions.find((r) => w >= r.byteOffset / 4 && w < Math.ceil((r.byteOffset + r.byteLength) / 4));
        throw new UnrecordedAccess(
          `${world.actors[record.actor].name}'s step from '${world.programs[record.actor].stateIds[record.from]}' changed shared memory (${region ? `'${region.name}'` : `word ${w}`}) ` +
            'without going through hyprace\'s accessors (Word, WordArray, BigWordArray, locks, Tlbs, Ipis): verify cannot see what depends on it',
        );
      }
      before[w] = now[w];
    }
  }

  /**
   * Source-DPOR's race handling (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 1) for a
   * step of `actor` with footprint `f`, next after the execution so far. Its races are the earlier
   * conflicting steps of other actors that happen immediately before it (not through a third step
   * or the actor's own earlier step) and without which it could still have run (an unlock is not a
   * race of the lock that waited for it). For each race e, the steps after e that do not depend on
   * it, then this one, could run from the point before e instead: if none of the actors that could
   * begin that sequence (its initials) is to be tried there, one is added.
   */
  private race(f: Footprint, actor: number, wait: Wait | undefined): void {
    if (!this.o.reduction || this.visited) return;
    const hb = this.hb;
    const n = hb.steps.length;
    const clock = hb.clockOf(actor, f);
    const conflicts = [...hb.conflictsLatestFirst(f, actor)];
    // Conflicts this step could not have gone before (the unlock that let its lock run): they
    // order it without being races, and a path through them does not make an earlier race mediate.
    const enabling = conflicts.map((c) => !!wait && !this.readyWithout(c, wait));
    for (let k = 0; k < conflicts.length; k++) {
      const e = conflicts[k];
      if (enabling[k] || hb.happensBeforeActor(e, actor)) continue;
      // Immediate: e does not reach this step through a later conflicting step.
      let through = false;
      for (let l = 0; l < k && !through; l++) through = !enabling[l] && hb.happensAfter(e, conflicts[l]);
      if (through) continue;
      this.addInitial(e, this.initialsAfter(e, n, actor, clock));
    }
  }

  /**
   * The actors that could begin notdep(e).step: the steps after e that do not happen after it,
   * then the new step (of `actor`, clock `clock`), those with no predecessor among them.
   */
  private initialsAfter(e: number, n: number, actor: number, clock: Int32Array): number[] {
    const hb = this.hb;
    const firstLocal = new Int32Array(this.backend.world.actors.length); // 0: none of the actor's steps yet
    const initials: number[] = [];
    const consider = (a: number, c: Int32Array, local: number) => {
      if (firstLocal[a] === 0) {
        let free = true;
        for (let b = 0; b < firstLocal.length && free; b++) if (firstLocal[b] !== 0 && c[b] >= firstLocal[b]) free = false;
        if (free) initials.push(a);
        firstLocal[a] = local;
      }
    };
    for (let k = e + 1; k < n; k++) {
      if (hb.happensAfter(e, k)) continue;
      const st = hb.steps[k];
      consider(st.actor, st.clock, st.local);
    }
    consider(actor, clock, clock[actor]);
    return initials;
  }

  private addInitial(i: number, initials: readonly number[]): void {
    const at = (node: Node) => {
      if (node.fixed || initials.some((q) => node.backtrack.has(q))) return;
      const awake = initials.filter((q) => node.enabled.includes(q) && !node.sleep.has(q));
      const q = awake.find((a) => this.withinBound(node, a)) ?? initials.find((a) => node.enabled.includes(a) && this.withinBound(node, a));
      if (q !== undefined) node.backtrack.add(q);
      else if (initials.some((a) => node.enabled.includes(a))) this.stats.boundReached = true;
      else for (const a of node.enabled) this.addAt(node, a);
    };
    at(this.stack[i]);
    if (this.o.preemptionBound === null || i === 0) return;
    // The conservative point: the start of the block of steps the actor before i belongs to.
    let j = i - 1;
    while (j > 0 && this.stack[j - 1].actor === this.stack[j].actor) j--;
    at(this.stack[j]);
  }

  /**
   * Whether `wait` would let its actor run had step c and its happens-before successors not
   * happened (the other steps in their order): the words it reads are set to their values in that
   * order, it is asked, and memory is put back. No: c is what let it run (an unlock before the
   * lock that waited), so the race is with an earlier step.
   */
  private readyWithout(c: number, wait: Wait): boolean {
    const i32 = this.backend.world.memory.i32;
    const saved = new Map<number, number>();
    try {
      for (;;) {
        const seen = withFootprint(() => wait.ready());
        let grew = false;
        for (const w of seen.reads) {
          if (saved.has(w)) continue;
          saved.set(w, i32[w]);
          i32[w] = this.hb.valueWithout(c, w, this.initial!);
          grew = true;
        }
        if (!grew) return seen.value;
      }
    } finally {
      for (const [w, v] of saved) i32[w] = v;
    }
  }

  private addBacktrack(i: number, actor: number): void {
    this.addAt(this.stack[i], actor);
    if (this.o.preemptionBound === null || i === 0) return;
    // The conservative point: the start of the block of steps the actor before i belongs to.
    let j = i - 1;
    while (j > 0 && this.stack[j - 1].actor === this.stack[j].actor) j--;
    this.addAt(this.stack[j], actor);
  }

  private addAt(node: Node, actor: number): void {
    if (node.fixed) return;
    const candidates = node.enabled.includes(actor) ? [actor] : node.enabled;
    for (const q of candidates) {
      if (node.backtrack.has(q)) continue;
      if (!this.withinBound(node, q)) {
        this.stats.boundReached = true;
        continue;
      }
      node.backtrack.add(q);
    }
  }

  private isPreemption(node: Node, actor: number): boolean {
    const prev = node.prevActor;
    // Switching away from a daemon (an interrupt handler, a hardware walker) is its return.
    return prev >= 0 && actor !== prev && node.enabled.includes(prev) && !this.backend.world.actors[prev].daemon;
  }

  private withinBound(node: Node, actor: number): boolean {
    const bound = this.o.preemptionBound;
    return bound === null || !this.isPreemption(node, actor) || node.preemptions + 1 <= bound;
  }

  /**
   * The next step of every actor still able to run when an execution ends is not part of it, but
   * it could have run earlier: try each of its variants from the final state (then undo them) and
   * add the backtrack points its races ask for.
   */
  private probePending(): void {
    const world = this.backend.world;
    const saved = this.backend.save();
    try {
      for (let a = 0; a < world.actors.length; a++) {
        const program = world.programs[a];
        const state = this.states[a];
        if (program.final[state]) continue;
        // Every actor's wait is judged in the final state, not after another actor's trial step.
        this.backend.restore(saved);
        const wait = withFootprint(() => {
          const w = this.backend.waitOf(a);
          return { w, ready: w ? w.ready() : true };
        });
        if (!wait.value.ready) continue;
        const cursor = new ChoiceCursor();
        do {
          this.backend.restore(saved);
          let failed = false;
          try {
            this.backend.step(a, 0, cursor.choices);
          } catch (e) {
            if (e instanceof ChoiceError) throw e;
            failed = true;
          }
          const fp = this.backend.lastFootprint;
          const f = this.footprintOf(a, [...wait.reads, ...fp.reads], fp.writes);
          this.race(f, a, wait.value.w);
          if (failed) break;
          cursor.ran(this.backend.lastDrawn(a));
        } while (cursor.next());
      }
    } finally {
      this.backend.restore(saved);
    }
  }

  /** Moves to the next unexplored branch, deepest first; false when the tree is exhausted. */
  private backtrack(): boolean {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const node = this.stack[i];
      if (node.fixed) break;
      if (node.cursor.next()) return this.resumeAt(i);
      node.done.set(node.actor, node.variants);
      const next = [...node.backtrack].find((q) => !node.done.has(q) && !node.sleep.has(q));
      if (next !== undefined) {
        node.actor = next;
        node.cursor = new ChoiceCursor();
        node.variants = EMPTY_FOOTPRINT;
        return this.resumeAt(i);
      }
      this.finish(i);
      this.stack.length = i;
    }
    return false;
  }

  /** Point i's subtree is explored: its cache entry now covers what it says. */
  private finish(i: number): void {
    const record = this.stack[i].record;
    if (record) record.onStack = false;
  }

  private resumeAt(i: number): boolean {
    this.stack[i].step = undefined;
    this.stack.length = i + 1;
    this.firstNew = i;
    return true;
  }

  /** The path of the current execution (actors and draws), e.g. to hand a subtree to a job. */
  path(): PathStep[] {
    return this.stack.map((n) => ({ actor: n.actor, choices: [...n.cursor.choices] }));
  }
}

function sameActors(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
