// Shrinks a failing schedule to a short story that still breaks the same invariant. A schedule
// is a list of (actor, seed): every step carries its own seed, so dropping or moving one step
// leaves the others' random choices as they were. Three passes, each keeping a candidate only if
// a run of it breaks the same invariant first:
//   0. fewer actors: drop every step of one actor;
//   1. fewer steps: remove chunks of steps, halving their size (delta debugging, Zeller 2002);
//   2. fewer context switches: pull an actor's next step back next to its previous one.
// Candidates run leniently (a step whose actor cannot run is skipped), and the result is run
// once more exactly, as replay would, before anyone sees it.
import type { Backend } from '../engine/index.ts';
import { ChoiceError, Infeasible } from '../engine/index.ts';
import { Rng } from '../engine/index.ts';
import { runOnce, type RunResult } from '../engine/index.ts';
import { ReplayScheduler } from '../engine/index.ts';
import type { RunStart, Scheduler } from '../engine/index.ts';

export interface Decision {
  actor: number;
  seed: number;
  /** Explicit values of the step's draws (verify's runs), used instead of the seed. */
  choices?: number[];
}

export interface ShrinkOptions {
  stepLimit: number;
  daemonOnlySteps: number;
  only?: ReadonlySet<string>;
  /** Stop shrinking after this long; the best schedule so far is kept. */
  timeMs: number;
}

export interface ShrinkResult {
  run: RunResult;
  touches: string[][];
  originalSteps: number;
  originalSwitches: number;
  candidates: number;
  elapsedMs: number;
}

class CandidateExhausted extends Error {}

/** Shrinking went wrong: a fault in hyprace, never in the design being shrunk. */
export class ShrinkError extends Error {}

/** Follows a candidate schedule, skipping entries whose actor cannot run at that point. */
class LenientScheduler implements Scheduler {
  readonly name = 'shrink';
  private next = 0;
  private seed = 0;
  private choices: number[] | undefined;
  constructor(private readonly decisions: readonly Decision[]) {}

  beginRun(_run: RunStart): void {
    this.next = 0;
  }

  pick(enabled: readonly number[]): number {
    while (this.next < this.decisions.length) {
      const d = this.decisions[this.next++];
      if (enabled.includes(d.actor)) {
        this.seed = d.seed;
        this.choices = d.choices;
        return d.actor;
      }
    }
    throw new CandidateExhausted();
  }

  seedOfLastPick(): number {
    return this.seed;
  }

  choicesOfLastPick(): number[] | undefined {
    return this.choices;
  }
}

function decisionOf(s: { actor: number; seed: number; choices?: number[] }): Decision {
  return s.choices ? { actor: s.actor, seed: s.seed, choices: s.choices } : { actor: s.actor, seed: s.seed };
}

export function switches(ds: readonly Decision[]): number {
  let n = 0;
  for (let i = 1; i < ds.length; i++) if (ds[i].actor !== ds[i - 1].actor) n++;
  return n;
}

export async function shrinkRun(backend: Backend, found: RunResult, o: ShrinkOptions): Promise<ShrinkResult> {
  const start = performance.now();
  const invariant = found.violation!.invariant;
  let best: Decision[] = found.steps.map(decisionOf);
  const original = best.length;
  const originalSwitches = switches(best);
  let candidates = 0;
  const timeLeft = () => performance.now() - start < o.timeMs;

  /** Runs a candidate; returns the steps actually taken if it breaks the same invariant. */
  const attempt = async (ds: readonly Decision[]): Promise<Decision[] | null> => {
    candidates++;
    const scheduler = new LenientScheduler(ds);
    try {
      const r = await runOnce(backend, scheduler, { schedule: new Rng(0), steps: new Rng(0) }, {
        stepLimit: Math.min(o.stepLimit, ds.length),
        daemonOnlySteps: o.daemonOnlySteps,
        only: o.only,
        seedFor: () => scheduler.seedOfLastPick(),
        choicesFor: () => scheduler.choicesOfLastPick(),
      });
      if (r.violation?.invariant !== invariant) return null;
      return r.steps.map(decisionOf);
    } catch (e) {
      // A candidate whose recorded draws no longer fit its steps (under arm64 a load's choices
      // depend on the writes before it, which a shorter schedule changes) is not one to take.
      if (e instanceof CandidateExhausted || e instanceof Infeasible || e instanceof ChoiceError) return null;
      throw e;
    }
  };
  const better = (c: Decision[] | null): c is Decision[] => !!c && (c.length < best.length || (c.length === best.length && switches(c) < switches(best)));

  // 0. Fewer actors.
  for (const actor of new Set(best.map((d) => d.actor))) {
    if (!timeLeft()) break;
    const c = await attempt(best.filter((d) => d.actor !== actor));
    if (better(c)) best = c;
  }

  // 1. Fewer steps.
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && timeLeft(); ) {
    let removed = false;
    for (let at = 0; at < best.length && timeLeft(); at += chunk) {
      const c = await attempt([...best.slice(0, at), ...best.slice(at + chunk)]);
      if (better(c)) {
        best = c;
        removed = true;
        at -= chunk;
      }
    }
    if (!removed) chunk >>= 1;
  }

  // 2. Fewer context switches: after a switch away from actor a, bring a's next step forward.
  for (let improved = true; improved && timeLeft(); ) {
    improved = false;
    for (let i = 1; i < best.length && timeLeft(); i++) {
      const prev = best[i - 1].actor;
      if (best[i].actor === prev) continue;
      const j = best.findIndex((d, k) => k > i && d.actor === prev);
      if (j < 0) continue;
      const c = await attempt([...best.slice(0, i), best[j], ...best.slice(i, j), ...best.slice(j + 1)]);
      if (better(c)) {
        best = c;
        improved = true;
      }
    }
  }

  // The shrunk schedule, run exactly: every step must be taken as listed.
  const exact = await runOnce(backend, new ReplayScheduler(best.map((d) => d.actor)), { schedule: new Rng(0), steps: new Rng(0) }, {
    stepLimit: best.length,
    daemonOnlySteps: o.daemonOnlySteps,
    only: o.only,
    seeds: best.map((d) => d.seed),
    choicesFor: (i) => best[i]?.choices,
  });
  if (exact.violation?.invariant !== invariant || exact.steps.length !== best.length || exact.steps.some((s, i) => s.actor !== best[i].actor)) {
    throw new ShrinkError(`shrinking produced a schedule that does not replay to ${invariant}`);
  }
  return { run: exact, touches: await backend.touches(), originalSteps: original, originalSwitches, candidates, elapsedMs: Math.round(performance.now() - start) };
}
