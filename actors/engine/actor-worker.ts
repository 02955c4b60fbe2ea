// One actor in its own worker thread: it builds the same world over the shared buffer, then
// waits on its turn slot. A Step command runs one step for the scheduling thread; a Continue
// hands it the turn of a whole run (actors/engine/turn-loop.ts): it steps, decides who runs next,
// steps again while that is itself, and passes the turn to the next actor or back to the main
// thread.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { execution } from '../../host/execution.ts';
import { recorder } from '../../host/recorder.ts';
import { createStepper, stepAs, type Interpreter } from './actor-runtime.ts';
import { BRANCH, Cmd, CMD, ERROR, READY, SEED, STATE, STEP_INDEX, TRANSITION } from './control.ts';
import { awaitChange, post } from './handoff.ts';
import { DONE, EndCode, NEXT_SEED, RUN, RunBlock, STEP, TURN } from './run-block.ts';
import { InvariantError } from './run.ts';
import { loadScenario, type ScenarioRef } from './scenario-loader.ts';
import { TurnLoop } from './turn-loop.ts';
import { buildWorld } from './world.ts';
import type { FailureKind } from './backend.ts';
import { failure } from './inline-backend.ts';

export interface ActorTask {
  scenario: ScenarioRef;
  design: string;
  options?: Record<string, unknown>;
  sab: SharedArrayBuffer;
  /** The run block and the steps it has room for. */
  block: SharedArrayBuffer;
  blockCapacity: number;
  actor: number;
  port: MessagePort;
  /** Where the actor's context goes after a step into a state whose wait is a function of it. */
  contextPort: MessagePort;
  record: boolean;
  interpreter: Interpreter;
}

export type WorkerMessage =
  | { type: 'error'; actor: number; message: string; kind: FailureKind }
  | { type: 'log'; actor: number; entries: [number, string[]][] };

/** Sent on an actor's port before Cmd.Attach. */
export interface AttachMessage {
  block: SharedArrayBuffer;
  capacity: number;
}

export default async function runActor(t: ActorTask): Promise<number> {
  execution.mode = 'controlled';
  const scenario = await loadScenario(t.scenario);
  const world = buildWorld(scenario, t.design, t.options, t.sab);
  const { control } = world;
  const a = control.a;
  const me = t.actor;
  const stepper = createStepper(world.actors[me], me, t.interpreter);
  const cmdIndex = control.at(me, CMD);
  let block = new RunBlock(t.blockCapacity, t.block);
  const loop = new TurnLoop(world, block);
  // An actor without initial actions touches only its own locals when reset, so it is reset
  // here, when it first gets the turn in a run, rather than by a round trip to the main thread.
  let resetForRun = -1;
  let log: [number, string[]][] = [];
  let steps = 0;

  const stepOnce = (seed: number, index: number): number => {
    execution.step = index;
    if (t.record) {
      recorder.touches = [];
      recorder.on = true;
    }
    try {
      return stepAs(stepper, me, seed);
    } finally {
      if (t.record) {
        recorder.on = false;
        log.push([index, recorder.touches]);
      }
      steps++;
    }
  };
  const actorFailure = (e: unknown) => failure(e, world.actors[me].name, world.programs[me].stateIds[stepper.state]);
  /** A step or reset of this actor failed: the run ends with the failure, as inline's would. */
  const failRun = (e: unknown) => {
    const f = actorFailure(e);
    loop.fail(f.kind === 'exited' ? EndCode.ActorExited : EndCode.ActorThrew, me, f.message);
  };
  const reset = () => {
    stepper.reset();
    log = [];
    resetForRun = block.w[RUN];
  };

  // Holds the turn until it goes to another actor or back to the main thread.
  const takeTurn = (): void => {
    const w = block.w;
    let next = -1;
    if (resetForRun !== w[RUN]) {
      try {
        reset();
      } catch (e) {
        failRun(e);
        w[TURN] = -1;
        post(w, DONE, 1);
        return;
      }
    }
    try {
      loop.take();
      for (let step = w[STEP]; ; step++) {
        const seed = w[NEXT_SEED] >>> 0;
        const from = stepper.state;
        // A step is drawn in the lane where it began (run.ts: startedOn ?? where() ?? lane).
        const startedOn = world.actors[me].where?.();
        let transition: number;
        try {
          transition = stepOnce(seed, step);
        } catch (e) {
          failRun(e);
          next = -1;
          break;
        }
        loop.record(step, me, seed, from, stepper.state, transition, startedOn);
        w[STEP] = step + 1;
        loop.check(step);
        next = loop.decide(step + 1);
        if (next !== me) break;
      }
      loop.release();
    } catch (e) {
      next = -1;
      loop.fail(e instanceof InvariantError ? EndCode.InvariantThrew : EndCode.EngineThrew, me, e instanceof Error ? e.message : String(e));
    }
    if (next >= 0) {
      w[TURN] = next;
      post(a, control.at(next, CMD), Cmd.Continue);
      return;
    }
    w[TURN] = -1;
    post(w, DONE, 1);
  };

  control.set(me, READY, 1);
  Atomics.notify(a, control.at(me, READY));

  for (;;) {
    awaitChange(a, cmdIndex, Cmd.Idle);
    const cmd = Atomics.load(a, cmdIndex);
    if (cmd === Cmd.Stop) break;
    if (cmd === Cmd.Continue) {
      // Idle before passing the turn on: the turn may come back before this thread sleeps.
      Atomics.store(a, cmdIndex, Cmd.Idle);
      takeTurn();
      continue;
    }
    try {
      if (cmd === Cmd.Step) {
        control.set(me, TRANSITION, stepOnce(control.get(me, SEED), control.get(me, STEP_INDEX)));
      } else if (cmd === Cmd.Reset) {
        reset();
      } else if (cmd === Cmd.Dump) {
        const entries = resetForRun === block.w[RUN] ? log : [];
        t.port.postMessage({ type: 'log', actor: me, entries } satisfies WorkerMessage);
      } else if (cmd === Cmd.Attach) {
        const m = receiveMessageOnPort(t.port)?.message as AttachMessage | undefined;
        if (!m) throw new Error('no run block was sent with Attach');
        block = new RunBlock(m.capacity, m.block);
        loop.attach(block);
      }
      control.set(me, STATE, stepper.state);
      control.set(me, BRANCH, stepper.lastBranch());
      // The scheduling thread evaluates waits: one that reads the context needs it there.
      if (cmd !== Cmd.Dump && world.programs[me].waitUsesContext[stepper.state]) t.contextPort.postMessage(stepper.context());
    } catch (e) {
      const f = actorFailure(e);
      t.port.postMessage({ type: 'error', actor: me, message: f.message, kind: f.kind } satisfies WorkerMessage);
      control.set(me, ERROR, 1);
    }
    Atomics.store(a, cmdIndex, Cmd.Idle);
    Atomics.notify(a, cmdIndex);
  }
  Atomics.store(a, cmdIndex, Cmd.Idle);
  Atomics.notify(a, cmdIndex);
  t.port.close();
  t.contextPort.close();
  return steps;
}
