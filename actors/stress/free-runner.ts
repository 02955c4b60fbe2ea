// One actor on a free-running thread: no turns. The worker loops: take the machine's next step
// as soon as its wait allows, with the lock paths of free mode doing the waiting on real locks.
// Locks' hooks feed the torture statistics; each step takes numbers from the global sequence
// and goes into the actor's ring, the only record of the order the OS chose.
import { execution } from '../../host/execution.ts';
import type { Wait } from '../../host/wait.ts';
import { createStepper, stepAs } from '../engine/index.ts';
import { lockOfWait } from '../engine/index.ts';
import { Rng, deriveSeed } from '../engine/index.ts';
import { C, G, H, type StressBlock } from './stress-control.ts';
import { raiseFirstBroken, type World } from '../engine/index.ts';

export interface FreeRunOptions {
  actor: number;
  /** Keep each step whole under the block's step lock (models whose labels are atomic). */
  atomic: boolean;
  daemon: boolean;
  /** Non-daemon actors: daemons run until all of them have stopped. */
  nonDaemons: number;
  locks: readonly string[];
  seed: number;
}

export function runFree(world: World, block: StressBlock, o: FreeRunOptions): number {
  const { actor } = o;
  const program = world.programs[actor];
  const stepper = createStepper(world.actors[actor], actor);
  const rng = new Rng(deriveSeed(o.seed, actor));
  const lockIndex = new Map(o.locks.map((n, i) => [n, i]));
  let held = 0;
  let attemptStart = 0;
  const holdStart = new Map<number, number>();

  execution.mode = 'free';
  execution.lockHook = (name, event, read) => {
    // Every lock counts for stopping: an actor never stops holding one, whatever the figures.
    held += event === 'acquire' ? 1 : -1;
    const lock = lockIndex.get(name);
    if (lock === undefined) return;
    const now = performance.now();
    if (event === 'acquire') {
      block.bump(lock, actor, read ? C.R_ACQ : C.W_ACQ);
      if (attemptStart) block.record(lock, actor, read ? H.R_LAT : H.W_LAT, now - attemptStart);
      attemptStart = 0;
      holdStart.set(lock * 2 + (read ? 1 : 0), now);
    } else {
      const t = holdStart.get(lock * 2 + (read ? 1 : 0));
      if (t !== undefined) block.record(lock, actor, read ? H.R_HOLD : H.W_HOLD, now - t);
    }
  };

  execution.sleep = (ms) => {
    const end = performance.now() + ms;
    for (let left = ms; left > 0 && !block.get(G.STOP); left = end - performance.now()) Atomics.wait(block.i32, G.STOP, 0, left);
  };

  const mayStop = () => {
    if (held !== 0 || !block.get(G.STOP)) return false;
    return !o.daemon || block.get(G.QUIESCED) >= o.nonDaemons;
  };

  execution.actor = actor;
  stepper.reset();
  execution.actor = -1;
  let steps = 0;
  let justArrived = false;
  for (;;) {
    if (mayStop() || stepper.done) break;
    if (held === 0 && block.get(G.PAUSE)) {
      // stutter_wait(): everybody pauses between iterations, never while holding a lock.
      Atomics.wait(block.i32, G.PAUSE, 1, 50);
      continue;
    }
    const w: Wait | undefined = stepper.waitOf();
    const target = w ? lockOfWait(w.what, lockIndex) : undefined;
    if (target && !attemptStart) {
      attemptStart = performance.now();
      block.bump(target.lock, actor, target.read ? C.R_ATT : C.W_ATT);
    }
    // A lock's own free-mode path waits for it (spinning, or sleeping on the lock word);
    // any other wait is polled here, sleeping until some other step changes something.
    const onLock = !!w && w.holder !== undefined;
    if (w && !onLock && (justArrived || !w.ready())) {
      // An actor that has just blocked goes to the back, as a thread that blocks does: the
      // others already waiting get the first look at what its step freed.
      const seen = Atomics.load(block.i32, G.CHANGE);
      if (justArrived || !w.ready()) block.sleepOnChange(seen, 1);
      justArrived = false;
      continue;
    }
    const whole = o.atomic && !onLock;
    if (whole) {
      block.stepLock();
      if (w && !w.ready()) {
        block.stepUnlock();
        continue;
      }
    }
    const from = stepper.state;
    let startSeq = 0;
    let transition = -1;
    try {
      startSeq = block.add(G.SEQ, 1);
      transition = stepAs(stepper, actor, rng.nextU32());
      // The actors check the invariants after each of their steps; in a whole-step model, under
      // the step lock (taken now if the step waited on a lock outside it), so that no other
      // step is half-way through.
      const checkWhole = o.atomic && !whole;
      if (checkWhole) block.stepLock();
      try {
        if (!world.violations.peek()) raiseFirstBroken(world);
        const endSeq = block.add(G.SEQ, 1);
        if (!block.get(G.VIOLATOR)) block.log(actor, { startSeq, endSeq, from, to: stepper.state, transition });
      } finally {
        if (checkWhole) block.stepUnlock();
      }
    } finally {
      if (whole) block.stepUnlock();
    }
    steps++;
    block.add(G.STEPS, 1);
    justArrived = stepper.state !== from && program.waits[stepper.state] !== undefined;
    block.changed();
    if (world.violations.peek()) {
      Atomics.compareExchange(block.i32, G.VIOLATOR, 0, actor + 1);
      block.set(G.STOP, 1);
    }
  }
  if (!o.daemon) block.add(G.QUIESCED, 1);
  execution.lockHook = undefined;
  execution.sleep = undefined;
  return steps;
}
