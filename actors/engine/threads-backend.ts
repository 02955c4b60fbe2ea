// Every actor on its own worker thread (piscina), all over one SharedArrayBuffer. A run's turn
// travels between the workers (direct handoff): the worker that took a step decides the next
// one (actors/engine/turn-loop.ts) and runs it or wakes its actor, so this thread only starts a run
// and collects it. Runs the workers cannot take whole (replay, shrinking's schedules, a
// scheduler other than random/pct/rr, verify's scripted choices, the arm64 memory model, a design
// with then-branches or waits that read the actor's context) are
// stepped from here under run.ts's loop, one command per step, as is every run with handoff
// 'central'. Workers are created once and reused across runs.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Wait } from '../../host/wait.ts';
import { Piscina } from 'piscina';
import { execution } from '../../host/execution.ts';
import type { Interpreter } from './actor-runtime.ts';
import { ActorFailure, type Backend } from './backend.ts';
import { BRANCH, Cmd, CMD, ERROR, READY, SEED, STATE, STEP_INDEX, TRANSITION } from './control.ts';
import { awaitChangeFor, post, spinWhile } from './handoff.ts';
import type { ActorTask, AttachMessage, WorkerMessage } from './actor-worker.ts';
import { DONE, END, EndCode, FAILURE_ACTOR, RUN, RunBlock, STEP, TURN, VIOLATION_STEP } from './run-block.ts';
import { DAEMON_ONLY_STEPS, InvariantError, type RunEnd, type RunOptions, type RunResult, type StepRecord } from './run.ts';
import type { Rng } from './rng.ts';
import type { ScenarioRef } from './scenario-loader.ts';
import { isPortable, type PortableScheduler, type Scheduler } from './schedulers/scheduler.ts';
import { TurnLoop } from './turn-loop.ts';
import { resetHost, type World } from './world.ts';

const WORKER_ENTRY = new URL('./actor-worker.mjs', import.meta.url).href;

export interface ThreadsOptions {
  record: boolean;
  interpreter: Interpreter;
  /** A step that takes longer than this means the worker hung. */
  stepTimeoutMs: number;
  /** Time allowed for every worker to load the scenario and report ready. */
  startTimeoutMs: number;
  /** direct: the turn travels between workers; central: this thread hands out every step. */
  handoff: 'direct' | 'central';
  /** While the workers carry a run, this thread spins (keeping a core awake for them) or sleeps. */
  mainWhileRunning: 'spin' | 'sleep';
}

export const THREADS_DEFAULTS: ThreadsOptions = { record: true, interpreter: 'compiled', stepTimeoutMs: 10_000, startTimeoutMs: 60_000, handoff: 'direct', mainWhileRunning: 'spin' };

/** Steps the run block first has room for; it grows for longer step bounds. */
const INITIAL_LOG = 4096;
/** Longer runs are stepped from the main thread (the log would take 24 bytes a step). */
const MAX_LOGGED_STEPS = 1 << 20;

/**
 * The run options the workers' loop implements (actors/engine/turn-loop.ts). refuseUnkeepable
 * only acts under arm64 with promises, which never runs whole (runWhole), so it is no reason to
 * step from here.
 */
const DIRECT_OPTIONS: ReadonlySet<string> = new Set(['stepLimit', 'daemonOnlySteps', 'only', 'coverage', 'refuseUnkeepable'] satisfies (keyof RunOptions)[]);

const END_NAMES: Partial<Record<EndCode, RunEnd>> = {
  [EndCode.Done]: 'done',
  [EndCode.StepLimit]: 'step-limit',
  [EndCode.Violation]: 'violation',
  [EndCode.Stuck]: 'stuck',
};

/** Worker threads alive right now, across all backends: a command must leave none behind. */
let liveWorkers = 0;
export function liveActorWorkers(): number {
  return liveWorkers;
}

export class ThreadsBackend implements Backend {
  readonly mode = 'threads' as const;
  private readonly a: Int32Array;
  private readonly ports: MessagePort[] = [];
  /** Per actor: the port its worker sends its context on, when the state it is in waits on a function of it. */
  private readonly contextPorts: MessagePort[] = [];
  /** Per actor: its context as of its last step, for waits that read it (see waitOf). */
  private readonly contexts: Record<string, unknown>[] = [];
  private readonly messages: WorkerMessage[] = [];
  private readonly tasks: Promise<unknown>[] = [];
  private crashed: { actor: number; error: unknown } | undefined;
  private stepIndex = 0;
  private exited: Promise<unknown>[] = [];
  private block: RunBlock;
  private readonly loop: TurnLoop;
  /** Runs the workers took whole, the turn travelling between them (the rest ran step by step). */
  wholeRuns = 0;
  /** Times the turn passed from one thread to another in those runs (main thread included). */
  turnPasses = 0;
  /** Actors with initial actions: reset by command, in order, before each run. */
  private readonly resetFirst: number[];

  private constructor(
    readonly world: World,
    private readonly pool: Piscina,
    private readonly o: ThreadsOptions,
  ) {
    this.a = world.control.a;
    this.block = new RunBlock(INITIAL_LOG);
    this.loop = new TurnLoop(world, this.block);
    this.resetFirst = world.programs.flatMap((p, i) => (p.initialActions.length ? [i] : []));
  }

  static async start(world: World, scenario: ScenarioRef, options?: Partial<ThreadsOptions>): Promise<ThreadsBackend> {
    const o = { ...THREADS_DEFAULTS, ...options };
    const n = world.actors.length;
    // Long-lived tasks, one per actor: the pool must have exactly one thread per actor or
    // tasks queue behind each other and the run deadlocks.
    const pool = new Piscina({ filename: WORKER_ENTRY, minThreads: n, maxThreads: n, concurrentTasksPerWorker: 1, idleTimeout: 60_000, atomics: 'disabled' });
    const backend = new ThreadsBackend(world, pool, o);
    // A worker that dies with no task (out of memory after its task ended, say) is reported here.
    pool.on('error', (error: unknown) => {
      backend.crashed ??= { actor: -1, error };
    });
    const sab = world.memory.sab;
    for (let i = 0; i < n; i++) {
      const { port1, port2 } = new MessageChannel();
      port1.on('message', (m: WorkerMessage) => backend.messages.push(m));
      port1.unref();
      backend.ports.push(port1);
      const contexts = new MessageChannel();
      contexts.port1.unref();
      backend.contextPorts.push(contexts.port1);
      backend.contexts.push({});
      const task: ActorTask = {
        scenario,
        design: world.design.name,
        options: world.design.options,
        sab,
        block: backend.block.sab,
        blockCapacity: backend.block.capacity,
        actor: i,
        port: port2,
        contextPort: contexts.port2,
        record: o.record,
        interpreter: o.interpreter,
      };
      const p = pool.run(task, { transferList: [port2, contexts.port2] as never });
      p.catch((error: unknown) => {
        backend.crashed ??= { actor: i, error };
      });
      backend.tasks.push(p);
    }
    backend.trackWorkers();
    try {
      await backend.waitReady();
    } catch (e) {
      await backend.close();
      throw e;
    }
    return backend;
  }

  private trackWorkers(): void {
    for (const w of this.pool.threads as Worker[]) {
      liveWorkers++;
      this.exited.push(new Promise((resolve) => w.once('exit', () => resolve((liveWorkers--, undefined)))));
    }
  }

  private async waitReady(): Promise<void> {
    const { control, actors } = this.world;
    const deadline = performance.now() + this.o.startTimeoutMs;
    for (let i = 0; i < actors.length; i++) {
      while (control.get(i, READY) !== 1) {
        this.throwIfCrashed();
        if (performance.now() > deadline) throw new ActorFailure(`the worker of ${actors[i].name} did not start within ${this.o.startTimeoutMs} ms`, actors[i].name, 'hung');
        await sleep(5);
      }
    }
  }

  private throwIfCrashed(): void {
    if (!this.crashed) return;
    const name = this.world.actors[this.crashed.actor]?.name ?? 'an actor';
    const e = this.crashed.error;
    throw new ActorFailure(`the worker of ${name} crashed: ${e instanceof Error ? e.message : String(e)}`, name, 'crashed');
  }

  /** Hands actor `i` a command and waits for it to finish; sync while fast, async if slow. */
  private command(i: number, cmd: Cmd): void | Promise<void> {
    const idx = this.world.control.at(i, CMD);
    post(this.a, idx, cmd);
    if (awaitChangeFor(this.a, idx, cmd, 20)) return this.checkError(i);
    return this.slowCommand(i, idx, cmd);
  }

  private async slowCommand(i: number, idx: number, cmd: Cmd): Promise<void> {
    const deadline = performance.now() + this.o.stepTimeoutMs;
    for (;;) {
      await sleep(0);
      this.throwIfCrashed();
      if (awaitChangeFor(this.a, idx, cmd, 20)) return this.checkError(i);
      if (performance.now() > deadline) {
        const name = this.world.actors[i].name;
        const state = this.world.programs[i].stateIds[this.world.control.get(i, STATE)];
        throw new ActorFailure(`the worker of ${name} did not finish its step from state '${state}' within ${this.o.stepTimeoutMs} ms: hung`, name, 'hung');
      }
    }
  }

  private checkError(i: number): void | Promise<void> {
    if (this.world.control.get(i, ERROR) === 0) return;
    return (async () => {
      const name = this.world.actors[i].name;
      for (let waited = 0; waited < 2000; waited += 5) {
        const m = this.messages.find((x) => x.type === 'error' && x.actor === i);
        if (m && m.type === 'error') throw new ActorFailure(m.message, name, m.kind);
        await sleep(5);
      }
      throw new ActorFailure(`${name} threw in its worker`, name, 'threw');
    })();
  }

  resetActors(): Promise<number[]> {
    this.stepIndex = 0;
    this.block.w[RUN]++;
    return (async () => {
      for (let i = 0; i < this.world.actors.length; i++) {
        await this.command(i, Cmd.Reset);
        this.receiveContext(i);
      }
      return this.world.actors.map((_, i) => this.world.control.get(i, STATE));
    })();
  }

  runWhole(scheduler: Scheduler, rngs: { schedule: Rng; steps: Rng }, opts: RunOptions): Promise<RunResult> | undefined {
    if (this.o.handoff !== 'direct' || !isPortable(scheduler) || !TurnLoop.fits(scheduler, this.world.actors.length)) return undefined;
    // Schedules fixed in advance (replay, shrinking), scripted choices, resumed runs, per-step
    // callbacks and any option the workers' loop does not know stay step by step, under run.ts's
    // own loop; so does a world under the arm64 memory model (its promises are inline's).
    if (this.world.arm64 || this.world.promiseOwners !== undefined) return undefined;
    // Then-branches and waits of the context: run.ts's loop records the branch and evaluates
    // such a wait here with the context the actor's worker sent; the turn loop does neither.
    if (this.world.programs.some((p) => p.choice.some(Boolean) || p.waitUsesContext.some(Boolean))) return undefined;
    const unknown = Object.entries(opts).some(([k, v]) => v !== undefined && !DIRECT_OPTIONS.has(k));
    if (unknown || opts.stepLimit > MAX_LOGGED_STEPS) return undefined;
    this.wholeRuns++;
    return this.runDirect(scheduler, rngs, opts);
  }

  /** run.ts's runOnce, with the loop carried by the workers between the first and last step. */
  private async runDirect(scheduler: PortableScheduler, rngs: { schedule: Rng; steps: Rng }, opts: RunOptions): Promise<RunResult> {
    if (opts.stepLimit > this.block.capacity) await this.growBlock(opts.stepLimit);
    const { world, loop } = this;
    const { control, programs, actors } = world;
    const w = this.block.w;
    execution.step = -1;
    resetHost(world);
    w[RUN]++;
    w[STEP] = 0;
    w[DONE] = 0;
    for (const i of this.resetFirst) await this.command(i, Cmd.Reset);
    const state = programs.map((p, i) => (p.initialActions.length ? control.get(i, STATE) : p.initial));
    state.forEach((s, i) => control.set(i, STATE, s));
    scheduler.beginRun({ rng: rngs.schedule, actors: actors.length, stepLimit: opts.stepLimit });
    opts.coverage?.beginRun(state);
    const stall = opts.daemonOnlySteps ?? DAEMON_ONLY_STEPS;
    loop.beginRun(scheduler, rngs.steps, opts.stepLimit, stall, opts.only);
    loop.check(-1);
    const first = loop.decide(0);
    loop.release();
    if (first >= 0) {
      w[TURN] = first;
      post(this.a, control.at(first, CMD), Cmd.Continue);
      await this.awaitRunEnd();
    }
    loop.endRun(rngs.steps);
    const n = w[STEP];
    this.stepIndex = n;
    const code = w[END] as EndCode;
    if (code === EndCode.ActorThrew || code === EndCode.ActorExited) {
      const name = actors[w[FAILURE_ACTOR]].name;
      throw new ActorFailure(this.block.result(), name, code === EndCode.ActorExited ? 'exited' : 'threw');
    }
    if (code === EndCode.InvariantThrew) throw new InvariantError(this.block.result());
    if (code === EndCode.EngineThrew) throw new Error(`threads mode: ${this.block.result()}`);
    const steps: StepRecord[] = [];
    // To the first actor and back to this thread, and each switch of actor between.
    if (first >= 0) this.turnPasses += 2;
    for (let i = 0; i < n; i++) {
      const record: StepRecord = loop.stepRecord(i);
      if (i > 0 && record.actor !== steps[i - 1].actor) this.turnPasses++;
      steps.push(record);
      opts.coverage?.record(record);
    }
    const violation = code === EndCode.Violation ? { ...(JSON.parse(this.block.result()) as { invariant: string; message: string }), step: w[VIOLATION_STEP] } : null;
    const blockedSteps = loop.blockedSteps();
    execution.step = n - 1;
    scheduler.endRun?.(steps.length);
    opts.coverage?.endRun();
    const figures = world.scenario.figures?.(world.host, world.design) ?? {};
    const end = END_NAMES[code]!;
    // run.ts's: at the step limit, the unfinished non-daemon actors that stepped lately.
    const stillStepping = end !== 'step-limit' ? [] : loop.lastSteps().flatMap((last, a) => (!world.daemon[a] && !programs[a].final[control.get(a, STATE)] && last >= n - stall ? [a] : []));
    return { steps, end, violation, blockedSteps, figures, stillStepping };
  }

  /** Sleeps until the run ends, looking now and then for a worker that died or hangs. */
  private async awaitRunEnd(): Promise<void> {
    const w = this.block.w;
    let lastStep = -1;
    let lastProgress = performance.now();
    for (;;) {
      // Between slices of 20 ms: the event loop, to hear of a crashed worker, and the hang check.
      if (this.o.mainWhileRunning === 'spin') spinWhile(w, DONE, 0, 20);
      else Atomics.wait(w, DONE, 0, 20);
      if (Atomics.load(w, DONE) === 1) return;
      await new Promise((r) => setImmediate(r));
      this.throwIfCrashed();
      const step = Atomics.load(w, STEP);
      const now = performance.now();
      if (step !== lastStep) {
        lastStep = step;
        lastProgress = now;
      } else if (now - lastProgress > this.o.stepTimeoutMs) {
        const turn = Math.max(0, Atomics.load(w, TURN));
        const name = this.world.actors[turn].name;
        const state = this.world.programs[turn].stateIds[this.world.control.get(turn, STATE)];
        throw new ActorFailure(`the worker of ${name} did not finish its step from state '${state}' within ${this.o.stepTimeoutMs} ms: hung`, name, 'hung');
      }
    }
  }

  /** A bigger run block for longer runs, sent to every worker. */
  private async growBlock(steps: number): Promise<void> {
    const block = new RunBlock(Math.max(steps, this.block.capacity * 2));
    block.copyFrom(this.block);
    for (let i = 0; i < this.world.actors.length; i++) {
      this.ports[i].postMessage({ block: block.sab, capacity: block.capacity } satisfies AttachMessage);
      await this.command(i, Cmd.Attach);
    }
    this.block = block;
    this.loop.attach(block);
  }

  lastChoices(): number[] | undefined {
    return undefined;
  }

  step(actor: number, seed: number, choices?: readonly number[]): number | Promise<number> {
    if (choices) throw new Error('threads mode does not run steps with scripted choices (a verify trace): replay it with --mode inline');
    const c = this.world.control;
    c.set(actor, SEED, seed);
    c.set(actor, STEP_INDEX, this.stepIndex++);
    const r = this.command(actor, Cmd.Step);
    if (r) return r.then(() => (this.receiveContext(actor), c.get(actor, STATE)));
    this.receiveContext(actor);
    return c.get(actor, STATE);
  }

  /**
   * The worker posts the actor's context before it finishes a step (or reset) that leaves it in a
   * state whose wait is a function: the message is queued by then, so it is read here at once.
   */
  private receiveContext(actor: number): void {
    const state = this.world.control.get(actor, STATE);
    if (!this.world.programs[actor].waitUsesContext[state]) return;
    const m = receiveMessageOnPort(this.contextPorts[actor]);
    if (!m) throw new Error(`the worker of ${this.world.actors[actor].name} did not send its context for the wait of state '${this.world.programs[actor].stateIds[state]}'`);
    this.contexts[actor] = m.message as Record<string, unknown>;
  }

  waitOf(actor: number): Wait | undefined {
    const state = this.world.control.get(actor, STATE);
    return this.world.programs[actor].waits[state]?.(this.contexts[actor]);
  }

  lastTransition(actor: number): number {
    return this.world.control.get(actor, TRANSITION);
  }

  lastBranch(actor: number): number {
    return this.world.control.get(actor, BRANCH);
  }

  async touches(): Promise<string[][]> {
    const out: string[][] = Array.from({ length: this.stepIndex }, () => []);
    if (!this.o.record) return out;
    this.messages.length = 0;
    for (let i = 0; i < this.world.actors.length; i++) await this.command(i, Cmd.Dump);
    const deadline = performance.now() + 5000;
    while (this.messages.filter((m) => m.type === 'log').length < this.world.actors.length) {
      if (performance.now() > deadline) throw new ActorFailure('workers did not send their step logs', 'all', 'hung');
      await sleep(1);
    }
    for (const m of this.messages) if (m.type === 'log') for (const [step, t] of m.entries) out[step] = t;
    return out;
  }

  async close(): Promise<void> {
    const c = this.world.control;
    for (let i = 0; i < this.world.actors.length; i++) post(this.a, c.at(i, CMD), Cmd.Stop);
    await Promise.race([Promise.allSettled(this.tasks), sleep(2000)]);
    await this.pool.destroy();
    await Promise.all(this.exited);
    for (const p of [...this.ports, ...this.contextPorts]) p.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
