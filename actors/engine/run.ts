// One run: reset the world, then let the scheduler hand out steps until every (non-daemon)
// actor is done, the step bound is reached, or an invariant breaks. Waits are evaluated here,
// so blocking is explicit: nobody runnable while someone is unfinished is a deadlock, and so is
// only daemons running, for long, while every unfinished non-daemon actor waits. Who can run is
// looked at after every step, the last one included, so a deadlock belongs to the step that
// made it.
import { withFootprint } from '../../host/access.ts';
import { actorName, execution } from '../../host/execution.ts';
import { LOCK_DISCIPLINE } from '../../host/locks.ts';
import type { Wait } from '../../host/wait.ts';
import type { Backend } from './backend.ts';
import { DAEMON_FAIR_STEPS, DAEMON_ONLY_STEPS, DEADLOCK } from './built-in-invariants.ts';
import type { CoverageRecorder } from '../explore/index.ts';
import { Rng, deriveSeed } from './rng.ts';
import type { Scheduler } from './schedulers/scheduler.ts';
import { resetHost } from './world.ts';
import { Infeasible } from './promises.ts';

export { DAEMON_ONLY_STEPS, DEADLOCK };

/** An invariant's check threw, or a step raised one nobody declared: a fault in the scenario, not a verdict. */
export class InvariantError extends Error {}

export interface StepRecord {
  actor: number;
  seed: number;
  /** The values the step drew, when they were scripted (verify) rather than seeded. */
  choices?: number[];
  from: number;
  to: number;
  transition: number;
  /** The branch taken out of the choice state the transition entered (absent if it entered none). */
  branch?: number;
  /** The lane the step ran in (see ActorDefinition.where). */
  where?: string;
}

export interface RunViolation {
  invariant: string;
  message: string;
  step: number;
}

/** stuck: nobody (or only daemons) could run, but deadlock was not among the invariants checked. */
export type RunEnd = 'done' | 'step-limit' | 'violation' | 'stuck';

export interface RunResult {
  steps: StepRecord[];
  end: RunEnd;
  violation: RunViolation | null;
  /** Steps during which some actor waited, by what it waited for. */
  blockedSteps: Record<string, number>;
  figures: Record<string, number>;
  /**
   * At the step limit: the unfinished non-daemon actors that took a step within the last
   * `daemonOnlySteps` steps, kept busy without finishing (a possible livelock). Empty otherwise.
   */
  stillStepping: number[];
  /** arm64 sampling (refuseUnkeepable): steps picked but not taken, as the model did not allow them there. */
  refusedSteps?: number;
}

export interface RunOptions {
  stepLimit: number;
  /** How long only daemons may run while the others wait before it is a deadlock (default DAEMON_ONLY_STEPS). */
  daemonOnlySteps?: number;
  /** Check only these invariants (all the design's, if omitted). */
  only?: ReadonlySet<string>;
  /** Step seeds to use instead of drawing them (replay). */
  seeds?: readonly number[];
  /** The seed for the step the scheduler just gave `actor` (schedules that carry their seeds). */
  seedFor?: (step: number, actor: number) => number;
  /** Scripted values for the step's random draws instead of a seed (verify, and its traces). */
  choicesFor?: (step: number, actor: number) => readonly number[] | undefined;
  /**
   * Continue a run from the middle instead of starting one (verify's stateful search): the
   * backend has been put back in the state after `prior`, whose last step left the actors in `states`.
   */
  resume?: { states: readonly number[]; prior: readonly StepRecord[] };
  /**
   * Told every shared word the invariant checks read (verify: steps writing them are visible), and
   * the ghost words they wrote (an invariant's memo).
   */
  onInvariantReads?: (reads: readonly number[], writes: readonly number[]) => void;
  /** Records each step taken, for state-machine coverage. */
  coverage?: CoverageRecorder;
  /**
   * arm64 with promises (sampling): pick another step instead of one after which an actor (its own or
   * another) could no longer keep its promises. Schedules given in advance (replay, verify) never set it.
   */
  refuseUnkeepable?: boolean;
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
  // (actors/engine/turn-loop.ts mirrors every rule below; the cross-mode tests compare the two).
  const whole = backend.runWhole?.(scheduler, rngs, opts);
  if (whole) return whole;
  const world = backend.world;
  const { actors, programs } = world;
  execution.step = -1;
  const n = actors.length;
  let state: number[];
  if (opts.resume) state = [...opts.resume.states];
  else {
    resetHost(world);
    const reset = backend.resetActors();
    state = Array.isArray(reset) ? reset : await reset;
  }
  scheduler.beginRun({ rng: rngs.schedule, actors: n, stepLimit: opts.stepLimit });
  opts.coverage?.beginRun(state);
  const steps: StepRecord[] = opts.resume ? [...opts.resume.prior] : [];
  const blockedSteps: Record<string, number> = {};
  const invariants = world.invariants.filter((inv) => inv.check && (!opts.only || opts.only.has(inv.name)));
  const enabled: number[] = [];
  const blocked: { actor: number; wait: Wait }[] = [];
  let violation: RunViolation | null = null;
  let end: RunEnd = 'step-limit';
  const wanted = (invariant: string) => !opts.only || opts.only.has(invariant);
  const checkViolations = (step: number): RunViolation | null => {
    if (!opts.onInvariantReads) return findViolation(step);
    const seen = withFootprint(() => findViolation(step));
    opts.onInvariantReads(seen.reads, seen.writes);
    return seen.value;
  };
  const findViolation = (step: number): RunViolation | null => {
    const raised = world.violations.peek();
    if (raised) {
      if (!world.knownInvariants.has(raised.invariant)) {
        throw new InvariantError(`a step raised invariant '${raised.invariant}', which is neither declared nor built in (known: ${[...world.knownInvariants].join(', ')})`);
      }
      if (wanted(raised.invariant)) return { ...raised, step };
      world.violations.clear();
    }
    // arm64: while a store some actor promised is still to be made, the memory is between two
    // of that actor's program points; the state invariants are judged once every promise is kept.
    if (backend.promisesOutstanding?.()) return null;
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

  let refusedSteps = 0;
  const stall = opts.daemonOnlySteps ?? DAEMON_ONLY_STEPS;
  const lastStep = new Array<number>(n).fill(-1);
  /** The step from which only daemons could run (-1: a non-daemon can run), and each actor's steps since. */
  let daemonsOnlySince = -1;
  const stepsSince = new Array<number>(n).fill(0);
  violation = opts.resume ? null : checkViolations(-1);
  // Each pass looks at who can run after the previous step (a deadlock is that step's), then,
  // within the limit, takes the next step.
  for (let step = steps.length; !violation; step++) {
    enabled.length = 0;
    blocked.length = 0;
    let unfinished = 0;
    let nonDaemonEnabled = false;
    for (let a = 0; a < n; a++) {
      const program = programs[a];
      if (program.final[state[a]]) continue;
      if (!world.daemon[a]) unfinished++;
      const wait = backend.waitOf(a);
      if (!wait || wait.ready()) {
        enabled.push(a);
        if (!world.daemon[a]) nonDaemonEnabled = true;
      } else blocked.push({ actor: a, wait });
    }
    if (unfinished === 0) {
      end = 'done';
      break;
    }
    for (const b of blocked) {
      if (step < opts.stepLimit) blockedSteps[b.wait.what] = (blockedSteps[b.wait.what] ?? 0) + 1;
      if (!violation && b.wait.holder?.() === b.actor && wanted(LOCK_DISCIPLINE)) {
        violation = { invariant: LOCK_DISCIPLINE, message: `${actorName(b.actor)} waits for ${b.wait.what}, which it holds itself: self-deadlock`, step: step - 1 };
      }
    }
    if (violation) break;
    if (enabled.length === 0) {
      if (wanted(DEADLOCK)) violation = { invariant: DEADLOCK, message: `nobody can run: ${describeWaits(blocked)}`, step: step - 1 };
      else end = 'stuck';
      break;
    }
    if (nonDaemonEnabled) daemonsOnlySince = -1;
    else if (daemonsOnlySince < 0) {
      daemonsOnlySince = step;
      stepsSince.fill(0);
    } else if (step - daemonsOnlySince >= stall && enabled.every((a) => stepsSince[a] >= DAEMON_FAIR_STEPS)) {
      const waiting = blocked.filter((b) => !world.daemon[b.actor]);
      if (wanted(DEADLOCK)) violation = { invariant: DEADLOCK, message: `only daemons ran for ${step - daemonsOnlySince} steps while the others waited: ${describeWaits(waiting)}`, step: step - 1 };
      else end = 'stuck';
      break;
    }
    if (step >= opts.stepLimit) break;
    let actor: number;
    let seed: number;
    let choices: readonly number[] | undefined;
    let from: number;
    let startedOn: string | undefined;
    let to: number;
    for (;;) {
      actor = scheduler.pick(enabled, step);
      seed = opts.seeds ? (opts.seeds[step] ?? 0) : opts.seedFor ? opts.seedFor(step, actor) : rngs.steps.nextU32();
      choices = opts.choicesFor?.(step, actor);
      from = state[actor];
      startedOn = actors[actor].where?.();
      execution.step = step;
      if (!opts.refuseUnkeepable || !backend.stepIfAllowed) {
        const r = backend.step(actor, seed, choices);
        to = typeof r === 'number' ? r : await r;
        break;
      }
      // arm64 sampling: a step after which an actor could not keep its promises is not one the
      // model allows here; it is not taken, and another is picked (none left: not an execution).
      const allowed = backend.stepIfAllowed(actor, seed);
      if (allowed !== null) {
        to = allowed;
        break;
      }
      refusedSteps++;
      enabled.splice(enabled.indexOf(actor), 1);
      if (enabled.length === 0) throw new Infeasible(actor);
    }
    state[actor] = to;
    lastStep[actor] = step;
    stepsSince[actor]++;
    const record: StepRecord = { actor, seed, from, to, transition: backend.lastTransition(actor), where: startedOn ?? actors[actor].where?.() ?? actors[actor].lane };
    const branch = backend.lastBranch(actor);
    if (branch >= 0) record.branch = branch;
    // arm64 sampling may take a step with scripted draws (InlineBackend.sampledStep): they are recorded.
    const scripted = choices || opts.refuseUnkeepable ? backend.lastChoices(actor) : undefined;
    if (scripted) record.choices = scripted;
    steps.push(record);
    opts.coverage?.record(record);
    opts.afterStep?.(step, record);
    violation = checkViolations(step);
  }
  if (violation) {
    backend.completable?.();
    end = 'violation';
  }
  scheduler.endRun?.(steps.length);
  opts.coverage?.endRun();
  const figures = world.scenario.figures?.(world.host, world.design) ?? {};
  const stillStepping = end !== 'step-limit' ? [] : lastStep.flatMap((last, a) => (!world.daemon[a] && !programs[a].final[state[a]] && last >= steps.length - stall ? [a] : []));
  return { steps, end, violation, blockedSteps, figures, stillStepping, ...(refusedSteps ? { refusedSteps } : {}) };
}

export function describeWaits(blocked: { actor: number; wait: Wait }[]): string {
  const parts = blocked.map(({ actor, wait }) => {
    const h = wait.holder?.();
    return `${actorName(actor)} waits for ${wait.what}${h !== undefined && h >= 0 ? ` (held by ${actorName(h)})` : ''}`;
  });
  return parts.join('; ');
}
