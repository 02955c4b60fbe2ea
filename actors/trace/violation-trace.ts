// A found violation, made into the trace a person replays: shrunk (inline, over this world or a
// copy of it), its touches recorded, and written to disk before anything is printed. explore and
// verify both end here. A shrinking failure is hyprace's (the trace keeps the schedule as found),
// and a trace that cannot be written still leaves the violation to print.
import type { Backend, Mode } from '../engine/index.ts';
import { InlineBackend } from '../engine/index.ts';
import { Rng } from '../engine/index.ts';
import { runOnce, type RunResult, type RunViolation } from '../engine/index.ts';
import { ReplayScheduler } from '../engine/index.ts';
import { ShrinkError, shrinkRun, switches } from './shrink.ts';
import { buildTrace } from './trace-builder.ts';
import { writeTrace } from './trace.ts';
import { buildWorld, type World } from '../engine/index.ts';

export interface FoundViolation extends RunViolation {
  iteration: number;
  /** Path of the trace file, if one was written. */
  trace: string | null;
  /** Steps of the schedule in the trace (after shrinking, if it was shrunk). */
  steps: number;
  /** When shrunk: the schedule as found, and what shrinking made of it. */
  shrunk?: { originalSteps: number; originalSwitches: number; switches: number; candidates: number; elapsedMs: number };
  /** Shrinking failed (hyprace's fault): why. The trace holds the schedule as found. */
  shrinkFailed?: string;
  /** Writing the trace failed: why (the violation stands; `trace` is null). */
  traceFailed?: string;
}

export interface ViolationTraceOptions {
  traceDir?: string;
  /** The trace file's name without its directory and extension (a content hash is added). */
  stem: string;
  stepLimit: number;
  daemonOnlySteps: number;
  only?: ReadonlySet<string>;
  shrinkMs?: number;
  mode: Mode;
  strategy: string;
  depth?: number;
  seed: number;
  iteration: number;
  scenarioFile?: string;
}

/** An inline backend over `world`'s design that records touches: `backend` if it is one, else a fresh world's. */
function recordingInline(world: World, backend?: Backend): InlineBackend {
  if (backend instanceof InlineBackend && backend.records) return backend;
  return new InlineBackend(buildWorld(world.scenario, world.design.name, world.design.options as Record<string, unknown>, undefined, { memoryModel: world.memoryModel, promises: world.promises }));
}

/** `run`'s schedule again, exactly (actors, seeds, choices), with every touch recorded. */
async function rerunRecorded(inline: InlineBackend, run: RunResult, o: ViolationTraceOptions): Promise<{ run: RunResult; touches: string[][] }> {
  const steps = run.steps;
  const again = await runOnce(inline, new ReplayScheduler(steps.map((s) => s.actor)), { schedule: new Rng(0), steps: new Rng(0) }, {
    stepLimit: steps.length,
    daemonOnlySteps: o.daemonOnlySteps,
    only: o.only,
    seeds: steps.map((s) => s.seed),
    choicesFor: (i) => steps[i]?.choices,
  });
  return { run: again, touches: await inline.touches() };
}

export async function recordViolation(world: World, found: RunResult, o: ViolationTraceOptions, backend?: Backend): Promise<FoundViolation> {
  let run = found;
  let touches: string[][] | undefined;
  let shrunk: FoundViolation['shrunk'];
  let shrinkFailed: string | undefined;
  let trace: string | null = null;
  let traceFailed: string | undefined;
  if (o.traceDir) {
    if (o.shrinkMs) {
      try {
        const s = await shrinkRun(recordingInline(world, backend), found, { stepLimit: o.stepLimit, daemonOnlySteps: o.daemonOnlySteps, only: o.only, timeMs: o.shrinkMs });
        run = s.run;
        touches = s.touches;
        shrunk = { originalSteps: s.originalSteps, originalSwitches: s.originalSwitches, switches: switches(run.steps), candidates: s.candidates, elapsedMs: s.elapsedMs };
      } catch (e) {
        if (!(e instanceof ShrinkError)) throw e;
        shrinkFailed = e.message;
      }
    }
    if (!touches) {
      if (backend && (backend.mode === 'threads' || (backend instanceof InlineBackend && backend.records)) && !shrinkFailed) touches = await backend.touches();
      else {
        const again = await rerunRecorded(recordingInline(world), found, o);
        touches = again.touches;
      }
    }
    const t = buildTrace(world, run, touches, {
      mode: o.mode,
      only: o.only,
      stepLimit: o.stepLimit,
      daemonOnlySteps: o.daemonOnlySteps,
      strategy: o.strategy,
      depth: o.depth,
      seed: o.seed,
      iteration: o.iteration,
      scenarioFile: o.scenarioFile,
      originalSteps: shrunk?.originalSteps,
    });
    try {
      trace = writeTrace(o.traceDir, o.stem, t);
    } catch (e) {
      traceFailed = `cannot write the trace into ${o.traceDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  return { ...run.violation!, iteration: o.iteration, trace, steps: run.steps.length, ...(shrunk ? { shrunk } : {}), ...(shrinkFailed ? { shrinkFailed } : {}), ...(traceFailed ? { traceFailed } : {}) };
}
