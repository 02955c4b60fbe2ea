// One run: reset the world, then let the scheduler hand out steps until every (non-daemon)
// actor is done, the step bound is reached, or an invariant breaks. Waits are evaluated here,
// so blocking is explicit: nobody runnable while someone is unfinished is a deadlock.
import { actorName, execution } from '../host/execution.ts';
import { LOCK_DISCIPLINE } from '../host/locks.ts';
import type { Wait } from '../host/wait.ts';
import type { Backend } from './backend.ts';
import type { CoverageRecorder } from './coverage.ts';
import { Rng, deriveSeed } from './rng.ts';
import type { Scheduler } from './schedulers/scheduler.ts';
import { resetHost } from './world.ts';

export const DEADLOCK = 'deadlock';

/** An invariant's check threw instead of answering: a fault in the scenario, not a verdict. */
export class InvariantError extends Error {}

export interface StepRecord {
  actor: number;
  seed: number;
  from: number;
  to: number;
  transition: number;
  where?: string;
}

export interface RunViolation {
  invariant: string;
  message: string;
  step: number;
}

/** stuck: nobody could run but deadlock was not among the invariants checked. */
export type RunEnd = 'done' | 'step-limit' | 'violation' | 'stuck';

export interface RunResult {
  steps: StepRecord[];
  end: RunEnd;
  violation: RunViolation | null;
  /** Steps during which some actor waited, by what it waited for. */
  blockedSteps: Record<string, number>;
  figures: Record<string, number>;
}

export interface RunOptions {
  stepLimit: number;
  /** Check only these invariants (all the design's, if omitted). */
  only?: ReadonlySet<string>;
  /** Step seeds to use instead of drawing them (replay). */
  seeds?: readonly number[];
  /** The seed for the step the scheduler just gave `actor` (schedules that carry their seeds). */
  seedFor?: (step: number, actor: number) => number;
  /** Records each step taken, for state-machine coverage. */
  coverage?: CoverageRecorder;
  /** Called after each step (replay checks each lands where the recording says). */
  afterStep?: (step: number, record: StepRecord) => void;
}

/** Seeds of one run: scheduling and the actors' step seeds draw from separate streams. */
export function runRngs(seed: number, iteration: number): { schedule: Rng; steps: Rng } {
  const run = deriveSeed(seed, iteration);
  return { schedule: new Rng(deriveSeed(run, 1)), steps: new Rng(deriveSeed(run, 2)) };
}

export async function runOnce(backend: Backend, scheduler: Scheduler, rngs: { schedule: Rng; steps: Rng }, opts: RunOptions): Promise<RunResult> {
  // Threads mode runs this loop in its workers, the turn passing between them
  // (actors/turn-loop.ts mirrors every rule below; the cross-mode tests compare the two).
  const whole = backend.runWhole?.(scheduler, rngs, opts);
  if (whole) return whole;
  const world = backend.world;
  const { actors, programs } = world;
  execution.step = -1;
  const n = actors.length;
  resetHost(world);
  const reset = backend.resetActors();
  const state = Array.isArray(reset) ? reset : await reset;
  scheduler.beginRun({ rng: rngs.schedule, actors: n, stepLimit: opts.stepLimit });
  opts.coverage?.beginRun(state);
  const steps: StepRecord[] = [];
  const blockedSteps: Record<string, number> = {};
  const invariants = world.invariants.filter((inv) => inv.check && (!opts.only || opts.only.has(inv.name)));
  const enabled: number[] = [];
  const blocked: { actor: number; wait: Wait }[] = [];
  let violation: RunViolation | null = null;
  let end: RunEnd = 'step-limit';

  const wanted = (invariant: string) => !opts.only || opts.only.has(invariant);
  const checkViolations = (step: number): RunViolation | null => {
    const raised = world.violations.peek();
    if (raised) {
      if (wanted(raised.invariant)) return { ...raised, step };
      world.violations.clear();
    }
    for (const inv of invariants) {
      let msg: string | null | undefined;
      try {
        msg = inv.check!(world.host);
      } catch (e) {
        throw new InvariantError(`invariant '${inv.name}' threw ${step < 0 ? 'before the first step' : `after step ${step}`}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (msg) return { invariant: inv.name, message: msg, step };
    }
    return null;
  };

  violation = checkViolations(-1);
  for (let step = 0; !violation && step < opts.stepLimit; step++) {
    enabled.length = 0;
    blocked.length = 0;
    let unfinished = 0;
    for (let a = 0; a < n; a++) {
      const program = programs[a];
      if (program.final[state[a]]) continue;
      if (!actors[a].daemon) unfinished++;
      const waitFn = program.waits[state[a]];
      const wait = waitFn?.();
      if (!wait || wait.ready()) enabled.push(a);
      else blocked.push({ actor: a, wait });
    }
    if (unfinished === 0) {
      end = 'done';
      break;
    }
    for (const b of blocked) {
      blockedSteps[b.wait.what] = (blockedSteps[b.wait.what] ?? 0) + 1;
      if (!violation && b.wait.holder?.() === b.actor && wanted(LOCK_DISCIPLINE)) {
        violation = { invariant: LOCK_DISCIPLINE, message: `${actorName(b.actor)} waits for ${b.wait.what}, which it holds itself: self-deadlock`, step: step - 1 };
      }
    }
    if (violation) break;
    if (enabled.length === 0) {
      if (wanted(DEADLOCK)) violation = { invariant: DEADLOCK, message: describeDeadlock(blocked), step: step - 1 };
      else end = 'stuck';
      break;
    }
    const actor = scheduler.pick(enabled, step);
    const seed = opts.seeds ? (opts.seeds[step] ?? 0) : opts.seedFor ? opts.seedFor(step, actor) : rngs.steps.nextU32();
    const from = state[actor];
    execution.step = step;
    const r = backend.step(actor, seed);
    const to = typeof r === 'number' ? r : await r;
    state[actor] = to;
    const record: StepRecord = { actor, seed, from, to, transition: backend.lastTransition(actor), where: actors[actor].where?.() };
    steps.push(record);
    opts.coverage?.record(record);
    opts.afterStep?.(step, record);
    violation = checkViolations(step);
  }
  if (violation) end = 'violation';
  scheduler.endRun?.(steps.length);
  opts.coverage?.endRun();
  const figures = world.scenario.figures?.(world.host, world.design) ?? {};
  return { steps, end, violation, blockedSteps, figures };
}

export function describeDeadlock(blocked: { actor: number; wait: Wait }[]): string {
  const parts = blocked.map(({ actor, wait }) => {
    const h = wait.holder?.();
    return `${actorName(actor)} waits for ${wait.what}${h !== undefined && h >= 0 ? ` (held by ${actorName(h)})` : ''}`;
  });
  return `nobody can run: ${parts.join('; ')}`;
}
