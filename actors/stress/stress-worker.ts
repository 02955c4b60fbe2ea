// A worker thread of `hyprace stress`: builds the same world over the shared buffer, reports
// ready, waits for the start signal, and runs its actor freely until the stop flag.
import { parentPort } from 'node:worker_threads';
import { runFree } from './free-runner.ts';
import { loadScenario, type ScenarioRef } from '../engine/index.ts';
import { G, StressBlock } from './stress-control.ts';
import { buildWorld } from '../engine/index.ts';

export interface StressTask {
  scenario: ScenarioRef;
  design: string;
  options: Record<string, unknown>;
  sab: SharedArrayBuffer;
  blockSab: SharedArrayBuffer;
  maxSab: SharedArrayBuffer;
  locks: string[];
  actor: number;
  atomic: boolean;
  nonDaemons: number;
  seed: number;
}

export type StressMessage = { type: 'done'; actor: number; steps: number } | { type: 'error'; actor: number; message: string };

export default async function stressWorker(t: StressTask): Promise<void> {
  const world = buildWorld(await loadScenario(t.scenario), t.design, t.options, t.sab);
  const block = new StressBlock(world.actors.length, t.locks.length, t.blockSab, t.maxSab);
  block.add(G.READY, 1);
  Atomics.notify(block.i32, G.READY);
  while (!block.get(G.GO)) Atomics.wait(block.i32, G.GO, 0, 100);
  try {
    const steps = runFree(world, block, {
      actor: t.actor,
      atomic: t.atomic,
      daemon: world.daemon[t.actor],
      nonDaemons: t.nonDaemons,
      locks: t.locks,
      seed: t.seed,
    });
    parentPort?.postMessage({ type: 'done', actor: t.actor, steps } satisfies StressMessage);
  } catch (e) {
    const message = `${world.actors[t.actor].name} threw: ${e instanceof Error ? e.message : String(e)}`;
    block.set(G.FAILED, 1);
    block.set(G.STOP, 1);
    if (!world.daemon[t.actor]) block.add(G.QUIESCED, 1);
    parentPort?.postMessage({ type: 'error', actor: t.actor, message } satisfies StressMessage);
  }
}
