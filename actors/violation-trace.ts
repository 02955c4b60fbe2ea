// A found violation, made into the trace a person replays: shrunk (inline, over this world or a
// copy of it), run once more exactly with every touch recorded, and written to disk before
// anything is printed. explore and verify both end here.
import { join } from 'node:path';
import type { Backend, Mode } from './backend.ts';
import { InlineBackend } from './inline-backend.ts';
import { Rng } from './rng.ts';
import { runOnce, type RunResult, type RunViolation } from './run.ts';
import { ReplayScheduler } from './schedulers/replay.ts';
import { shrinkRun, switches } from './shrink.ts';
import { buildTrace } from './trace-builder.ts';
import { writeTrace } from './trace.ts';
import { buildWorld, type World } from './world.ts';

export interface ShrinkSummary {
  originalSteps: number;
  originalSwitches: number;
  switches: number;
  candidates: number;
  elapsedMs: number;
}

export interface FoundViolation extends RunViolation {
  iteration: number;
  /** Path of the trace file, if one was written. */
  trace: string | null;
  /** Steps of the schedule in the trace (after shrinking, if it was shrunk). */
  steps: number;
  /** When shrunk: the schedule as found, and what shrinking made of it. */
  shrunk?: ShrinkSummary;
}

export interface ViolationTraceOptions {
  traceDir?: string;
  /** Trace file name without the directory. */
  fileName: string;
  stepLimit: number;
  only?: ReadonlySet<string>;
  shrinkMs?: number;
  mode: Mode;
  strategy: string;
  depth?: number;
  seed: number;
  iteration: number;
  scenarioFile?: string;
}

/** An inline backend over `world`'s design that records touches (a fresh world unless `backend` is one). */
function recordingInline(world: World, backend?: Backend): InlineBackend {
  if (backend instanceof InlineBackend && backend.records) return backend;
  return new InlineBackend(buildWorld(world.scenario, world.design.name, world.design.options as Record<string, unknown>));
}

/** Runs `run`'s schedule again exactly (actors, seeds, choices) and returns its touches. */
async function rerunRecorded(inline: InlineBackend, run: RunResult, o: ViolationTraceOptions): Promise<{ run: RunResult; touches: string[][] }> {
  const steps = run.steps;
  const again = await runOnce(inline, new ReplayScheduler(steps.map((s) => s.actor)), { schedule: new Rng(0), steps: new Rng(0) }, {
    stepLimit: steps.length,
    only: o.only,
    seeds: steps.map((s) => s.seed),
    choicesFor: (i) => steps[i]?.choices,
  });
  return { run: again, touches: await inline.touches() };
}

export async function recordViolation(world: World, found: RunResult, o: ViolationTraceOptions, backend?: Backend): Promise<FoundViolation> {
  let run = found;
  let shrunk: ShrinkSummary | undefined;
  let tracePath: string | null = null;
  if (o.traceDir) {
    let touches: string[][];
    if (o.shrinkMs) {
      const s = await shrinkRun(recordingInline(world, backend), found, { stepLimit: o.stepLimit, only: o.only, timeMs: o.shrinkMs });
      run = s.run;
      touches = s.touches;
      shrunk = { originalSteps: s.originalSteps, originalSwitches: s.originalSwitches, switches: switches(run.steps), candidates: s.candidates, elapsedMs: s.elapsedMs };
    } else if (backend && backend.mode === 'threads') {
      touches = await backend.touches();
    } else if (backend instanceof InlineBackend && backend.records) {
      touches = await backend.touches();
    } else {
      const again = await rerunRecorded(recordingInline(world, backend), found, o);
      run = again.run;
      touches = again.touches;
    }
    const trace = buildTrace(world, run, touches, {
      mode: o.mode,
      strategy: o.strategy,
      depth: o.depth,
      seed: o.seed,
      iteration: o.iteration,
      scenarioFile: o.scenarioFile,
      originalSteps: shrunk?.originalSteps,
    });
    tracePath = join(o.traceDir, o.fileName);
    writeTrace(tracePath, trace);
  }
  return { ...run.violation!, iteration: o.iteration, trace: tracePath, steps: run.steps.length, ...(shrunk ? { shrunk } : {}) };
}
