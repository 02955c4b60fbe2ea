// One actor in its own worker thread: it builds the same world over the shared buffer, then
// waits on its turn slot and runs one step per turn the scheduler hands it.
import type { MessagePort } from 'node:worker_threads';
import { execution } from '../host/execution.ts';
import { recorder } from '../host/recorder.ts';
import { createStepper, stepAs, type Interpreter } from './actor-runtime.ts';
import { BRANCH, Cmd, CMD, ERROR, READY, SEED, STATE, STEP_INDEX, TRANSITION } from './control.ts';
import { loadScenario, type ScenarioRef } from './scenario-loader.ts';
import { buildWorld } from './world.ts';
import { awaitChange } from './handoff.ts';
import type { FailureKind } from './backend.ts';
import { failure } from './inline-backend.ts';

export interface ActorTask {
  scenario: ScenarioRef;
  design: string;
  options?: Record<string, unknown>;
  sab: SharedArrayBuffer;
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

export default async function runActor(t: ActorTask): Promise<number> {
  execution.mode = 'controlled';
  const scenario = await loadScenario(t.scenario);
  const world = buildWorld(scenario, t.design, t.options, t.sab);
  const { control } = world;
  const a = control.a;
  const stepper = createStepper(world.actors[t.actor], t.actor, t.interpreter);
  const cmdIndex = control.at(t.actor, CMD);
  let log: [number, string[]][] = [];
  let steps = 0;
  control.set(t.actor, READY, 1);
  Atomics.notify(a, control.at(t.actor, READY));

  for (;;) {
    awaitChange(a, cmdIndex, Cmd.Idle);
    const cmd = Atomics.load(a, cmdIndex);
    if (cmd === Cmd.Stop) break;
    try {
      if (cmd === Cmd.Step) {
        execution.step = control.get(t.actor, STEP_INDEX);
        if (t.record) {
          recorder.touches = [];
          recorder.on = true;
        }
        try {
          control.set(t.actor, TRANSITION, stepAs(stepper, t.actor, control.get(t.actor, SEED)));
        } finally {
          if (t.record) {
            recorder.on = false;
            log.push([control.get(t.actor, STEP_INDEX), recorder.touches]);
          }
        }
        steps++;
      } else if (cmd === Cmd.Reset) {
        stepper.reset();
        log = [];
      } else if (cmd === Cmd.Dump) {
        t.port.postMessage({ type: 'log', actor: t.actor, entries: log } satisfies WorkerMessage);
      }
      control.set(t.actor, STATE, stepper.state);
      control.set(t.actor, BRANCH, stepper.lastBranch());
      // The scheduling thread evaluates waits: one that reads the context needs it there.
      if (cmd !== Cmd.Dump && world.programs[t.actor].waitUsesContext[stepper.state]) t.contextPort.postMessage(stepper.context());
    } catch (e) {
      const f = failure(e, world.actors[t.actor].name, world.programs[t.actor].stateIds[stepper.state]);
      t.port.postMessage({ type: 'error', actor: t.actor, message: f.message, kind: f.kind } satisfies WorkerMessage);
      control.set(t.actor, ERROR, 1);
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
