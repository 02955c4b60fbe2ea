// Re-executes a trace: the same actor and the same seed at every step, under the options,
// invariants and bounds it records, checking that each step takes the recorded transition to
// the recorded state and that the same invariant breaks at the same step. A trace that does not
// fit the model (other actors, other states) cannot be replayed; any difference while running
// one that fits is nondeterminism in the design or the engine, and is reported as such.
import type { Backend } from '../engine/index.ts';
import { runOnce, type RunResult } from '../engine/index.ts';
import { ReplayDivergence, ReplayScheduler } from '../engine/index.ts';
import { Rng } from '../engine/index.ts';
import type { Trace } from './trace.ts';
import type { World } from '../engine/index.ts';

export interface ReplayResult {
  run: RunResult;
  /** Each step's touches, as this replay saw them. */
  touches: string[][];
  /** The violation the replay had to reach: the trace's, unless `only` leaves it out. */
  expected: Trace['violation'];
}

/** The trace was recorded from another model of the scenario: replaying it means nothing. */
export class TraceMismatch extends Error {}

export function checkModel(world: World, trace: Trace): void {
  const where = `${world.scenario.name}/${world.design.name}`;
  if (trace.actors.length !== world.actors.length) throw new TraceMismatch(`the trace has ${trace.actors.length} actors, ${where} has ${world.actors.length}`);
  trace.actors.forEach((a, i) => {
    if (a.name !== world.actors[i].name) throw new TraceMismatch(`actor ${i} is '${a.name}' in the trace but '${world.actors[i].name}' in ${where}`);
    const states = world.programs[i].stateIds;
    if (a.states.length !== states.length || a.states.some((s, k) => s !== states[k])) {
      const missing = a.states.find((s) => !states.includes(s));
      throw new TraceMismatch(`${a.name}'s machine differs from the one the trace was recorded with${missing ? ` (it has no state '${missing}')` : ' (its states are not the same)'}`);
    }
  });
}

export interface ReplayOptions {
  /** Check only these invariants: the trace's own filter, or narrower. */
  only?: ReadonlySet<string>;
}

export async function replayTrace(backend: Backend, trace: Trace, o: ReplayOptions = {}): Promise<ReplayResult> {
  const world = backend.world;
  checkModel(world, trace);
  const only = o.only ?? (trace.only ? new Set(trace.only) : undefined);
  const scheduler = new ReplayScheduler(trace.steps.map((s) => s.actor));
  const ids = world.programs;
  const run = await runOnce(backend, scheduler, { schedule: new Rng(0), steps: new Rng(0) }, {
    stepLimit: trace.steps.length,
    daemonOnlySteps: trace.daemonOnlySteps,
    only,
    seeds: trace.steps.map((s) => s.seed),
    choicesFor: (step) => trace.steps[step]?.choices,
    afterStep: (i, r) => {
      const want = trace.steps[i];
      const got = ids[r.actor].stateIds[r.to];
      if (got !== want.to) {
        throw new ReplayDivergence(`step ${i}: ${world.actors[r.actor].name} went ${want.from} -> ${got}, but the trace recorded ${want.from} -> ${want.to}`);
      }
      if (want.transition >= 0 && r.transition >= 0 && r.transition !== want.transition) {
        throw new ReplayDivergence(`step ${i}: ${world.actors[r.actor].name} took transition ${r.transition} of ${want.from} (to ${got}), but the trace recorded transition ${want.transition} (to ${want.to})`);
      }
      if (want.branch !== undefined && r.branch !== undefined && r.branch !== want.branch) {
        throw new ReplayDivergence(`step ${i}: ${world.actors[r.actor].name} left its choice state by branch ${r.branch} (to ${got}), but the trace recorded branch ${want.branch} (to ${want.to})`);
      }
    },
  });
  const recorded = trace.violation;
  const expected = recorded && (!only || only.has(recorded.invariant)) ? recorded : null;
  const got = run.violation;
  if (expected && (!got || got.invariant !== expected.invariant || got.step !== expected.step)) {
    throw new ReplayDivergence(
      `the trace ends in a violation of ${expected.invariant} at step ${expected.step}, the replay ${got ? `in ${got.invariant} at step ${got.step}` : `in none (${run.end})`}`,
    );
  }
  if (!expected && got) throw new ReplayDivergence(`the replay breaks ${got.invariant} at step ${got.step}, the trace recorded ${recorded ? `${recorded.invariant}, which is not checked here` : 'no violation'}`);
  if (run.steps.length !== trace.steps.length) throw new ReplayDivergence(`the replay ran ${run.steps.length} steps, the trace has ${trace.steps.length}`);
  return { run, touches: await backend.touches(), expected };
}
