// Re-executes a trace: the same actor and the same seed at every step, checking that each step
// lands in the recorded state and that the same invariant breaks at the same step. Any
// difference is nondeterminism in the design or the engine, and is reported as such.
import type { Backend } from './backend.ts';
import { runOnce, type RunResult } from './run.ts';
import { ReplayDivergence, ReplayScheduler } from './schedulers/index.ts';
import { Rng } from './rng.ts';
import type { Trace } from './trace.ts';

export interface ReplayResult {
  run: RunResult;
  /** Each step's touches, as this replay saw them. */
  touches: string[][];
}

export async function replayTrace(backend: Backend, trace: Trace): Promise<ReplayResult> {
  const world = backend.world;
  if (trace.actors.length !== world.actors.length) {
    throw new ReplayDivergence(`the trace has ${trace.actors.length} actors, the design has ${world.actors.length}`);
  }
  trace.actors.forEach((a, i) => {
    if (a.name !== world.actors[i].name) throw new ReplayDivergence(`actor ${i} is '${a.name}' in the trace but '${world.actors[i].name}' in the design`);
  });
  const scheduler = new ReplayScheduler(trace.steps.map((s) => s.actor));
  const ids = world.programs;
  const run = await runOnce(backend, scheduler, { schedule: new Rng(0), steps: new Rng(0) }, {
    stepLimit: trace.steps.length,
    seeds: trace.steps.map((s) => s.seed),
    choicesFor: (step) => trace.steps[step]?.choices,
    afterStep: (i, r) => {
      const want = trace.steps[i];
      const got = ids[r.actor].stateIds[r.to];
      if (got !== want.to) {
        throw new ReplayDivergence(`step ${i}: ${world.actors[r.actor].name} went ${want.from} -> ${got}, but the trace recorded ${want.from} -> ${want.to}`);
      }
    },
  });
  const expected = trace.violation;
  const got = run.violation;
  if (expected && (!got || got.invariant !== expected.invariant || got.step !== expected.step)) {
    throw new ReplayDivergence(
      `the trace ends in a violation of ${expected.invariant} at step ${expected.step}, the replay ${got ? `in ${got.invariant} at step ${got.step}` : `in none (${run.end})`}`,
    );
  }
  if (!expected && got) throw new ReplayDivergence(`the replay breaks ${got.invariant} at step ${got.step}, the trace recorded no violation`);
  if (run.steps.length !== trace.steps.length) throw new ReplayDivergence(`the replay ran ${run.steps.length} steps, the trace has ${trace.steps.length}`);
  return { run, touches: await backend.touches() };
}
