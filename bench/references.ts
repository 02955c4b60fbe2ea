// The two raw references the engine is compared with, measured in the same process run:
// a bare xstate transition loop, and a bare Atomics wait/notify ping-pong between two workers.
import { Worker } from 'node:worker_threads';
import { createActor, setup } from 'xstate';
import { median } from './stats.ts';

/** Transitions per second of a two-state xstate machine with a guard and an action. */
export function rawXstatePerSec(ms: number): number {
  let shared = 0;
  const m = setup({ actions: { touch: () => void shared++ }, guards: { ok: () => shared >= 0 } }).createMachine({
    initial: 'a',
    states: { a: { on: { STEP: { guard: 'ok', target: 'b', actions: 'touch' } } }, b: { on: { STEP: { target: 'a', actions: 'touch' } } } },
  });
  const actor = createActor(m).start();
  const ev = { type: 'STEP' as const };
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) actor.send(ev);
    n += 1000;
  }
  actor.stop();
  return n / (ms / 1000);
}

// Each worker sleeps in Atomics.wait until the word says it is its turn, then passes the turn
// back with a store and a notify.
const PING_PONG = `
const { workerData, parentPort } = require('node:worker_threads');
const a = new Int32Array(workerData.sab);
const me = workerData.me;
let rounds = 0;
for (;;) {
  for (;;) { const v = Atomics.load(a, 0); if (v === me || Atomics.load(a, 1) === 1) break; Atomics.wait(a, 0, v, 50); }
  if (Atomics.load(a, 1) === 1) break;
  if (me === 0) rounds++;
  Atomics.store(a, 0, 1 - me);
  Atomics.notify(a, 0);
}
parentPort.postMessage(rounds);
`;

/** Round trips per second between two workers passing a turn through one shared word. */
export async function rawPingPongPerSec(ms: number): Promise<number> {
  const sab = new SharedArrayBuffer(8);
  const a = new Int32Array(sab);
  const workers = [0, 1].map((me) => new Worker(PING_PONG, { eval: true, workerData: { sab, me } }));
  const rounds = new Promise<number>((resolve) => workers[0].once('message', resolve));
  await new Promise((r) => setTimeout(r, 50));
  const start = performance.now();
  const first = await new Promise<number>((r) => setTimeout(() => r(0), ms));
  void first;
  Atomics.store(a, 1, 1);
  Atomics.notify(a, 0);
  const n = await rounds;
  const elapsed = performance.now() - start + 50;
  await Promise.all(workers.map((w) => w.terminate()));
  return n / (elapsed / 1000);
}

// A worker asleep in Atomics.wait for half a millisecond (as an actor waiting for its turn is,
// while others step) is woken by a notify; it reads the time the notify was sent and answers.
const COLD_WAKE = `
const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData, 0, 4);
const sentAt = new Float64Array(workerData, 16, 1);
const latencies = [];
for (let seen = 0; ; ) {
  while (Atomics.load(a, 0) === seen) Atomics.wait(a, 0, seen);
  seen = Atomics.load(a, 0);
  if (seen < 0) break;
  latencies.push(performance.timeOrigin + performance.now() - sentAt[0]);
  Atomics.store(a, 1, seen);
  Atomics.notify(a, 1);
}
require('node:worker_threads').parentPort.postMessage(latencies);
`;

export interface ColdWake {
  /** Median microseconds from the notify to the woken worker running. */
  wakeUs: number;
  /** Median microseconds the notifying thread spends in Atomics.notify. */
  notifyUs: number;
}

/** What waking a sleeping worker costs on this machine (`wakes` samples; each sleeps `sleepMs` first). */
export async function coldWake(wakes: number, sleepMs = 0.5): Promise<ColdWake> {
  const sab = new SharedArrayBuffer(32);
  const a = new Int32Array(sab, 0, 4);
  const sentAt = new Float64Array(sab, 16, 1);
  const worker = new Worker(COLD_WAKE, { eval: true, workerData: sab });
  const latencies = new Promise<number[]>((resolve) => worker.once('message', resolve));
  await new Promise((r) => setTimeout(r, 50));
  const notifyMs: number[] = [];
  for (let k = 1; k <= wakes; k++) {
    // Busy, as the stepping actor is, while the worker sleeps.
    const until = performance.now() + sleepMs;
    while (performance.now() < until);
    sentAt[0] = performance.timeOrigin + performance.now();
    Atomics.store(a, 0, k);
    const before = performance.now();
    Atomics.notify(a, 0);
    notifyMs.push(performance.now() - before);
    while (Atomics.load(a, 1) !== k) Atomics.wait(a, 1, k - 1, 1000);
  }
  Atomics.store(a, 0, -1);
  Atomics.notify(a, 0);
  const wakeMs = await latencies;
  await worker.terminate();
  return { wakeUs: Math.round(median(wakeMs) * 10000) / 10, notifyUs: Math.round(median(notifyMs) * 10000) / 10 };
}
