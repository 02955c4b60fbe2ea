// Every actor on its own worker thread (piscina), all over one SharedArrayBuffer. The scheduler
// stays in this thread and hands out turns through each actor's slot; a step runs in the
// actor's worker while this thread waits. Workers are created once and reused across runs.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Wait } from '../host/wait.ts';
import { Piscina } from 'piscina';
import type { Interpreter } from './actor-runtime.ts';
import { ActorFailure, type Backend } from './backend.ts';
import { BRANCH, Cmd, CMD, ERROR, READY, SEED, STATE, STEP_INDEX, TRANSITION } from './control.ts';
import { awaitChangeFor, post } from './handoff.ts';
import type { ActorTask, WorkerMessage } from './actor-worker.ts';
import type { ScenarioRef } from './scenario-loader.ts';
import type { World } from './world.ts';

const WORKER_ENTRY = new URL('./actor-worker.mjs', import.meta.url).href;

export interface ThreadsOptions {
  record: boolean;
  interpreter: Interpreter;
  /** A step that takes longer than this means the worker hung. */
  stepTimeoutMs: number;
  /** Time allowed for every worker to load the scenario and report ready. */
  startTimeoutMs: number;
}

export const THREADS_DEFAULTS: ThreadsOptions = { record: true, interpreter: 'compiled', stepTimeoutMs: 10_000, startTimeoutMs: 60_000 };

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

  private constructor(
    readonly world: World,
    private readonly pool: Piscina,
    private readonly o: ThreadsOptions,
  ) {
    this.a = world.control.a;
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
      const task: ActorTask = { scenario, design: world.design.name, options: world.design.options, sab, actor: i, port: port2, contextPort: contexts.port2, record: o.record, interpreter: o.interpreter };
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
    return (async () => {
      for (let i = 0; i < this.world.actors.length; i++) {
        await this.command(i, Cmd.Reset);
        this.receiveContext(i);
      }
      return this.world.actors.map((_, i) => this.world.control.get(i, STATE));
    })();
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
