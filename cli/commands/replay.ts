// hyprace replay: re-execute a trace step for step and show it as a per-CPU timeline.
import type { Mode } from '../../actors/backend.ts';
import { InlineBackend } from '../../actors/inline-backend.ts';
import { replayTrace } from '../../actors/replay.ts';
import { ReplayDivergence } from '../../actors/schedulers/index.ts';
import { ThreadsBackend } from '../../actors/threads-backend.ts';
import { TraceFormatError, readTrace, type Trace } from '../../actors/trace.ts';
import { buildWorld } from '../../actors/world.ts';
import { renderTimeline } from '../../report/timeline.ts';
import { toChromeTrace } from '../../report/perfetto.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { integer, oneOf } from '../args.ts';
import { EXIT, UsageError } from '../exit.ts';
import { printJson } from '../format.ts';
import { blamingUserFile, checkDesign, resolveScenario } from '../resolve.ts';
import { MODES } from './explore.ts';

export interface ReplayFlags {
  mode?: string;
  tail?: string;
  touches?: boolean;
  json?: boolean;
  typecheck?: boolean;
  /** Also write the replayed trace as Chrome trace-event JSON (for Perfetto UI) here. */
  perfetto?: string;
}

export class Nondeterminism extends Error {}

export async function replayCommand(file: string, f: ReplayFlags): Promise<number> {
  let trace: Trace;
  try {
    trace = readTrace(file);
  } catch (e) {
    if (e instanceof TraceFormatError) throw new UsageError(e.message);
    throw e;
  }
  const mode = oneOf<Mode>('--mode', f.mode, MODES) ?? 'inline';
  const tail = integer('--tail', f.tail, 1);
  const { ref, scenario, file: scenarioFile } = await resolveScenario(trace.scenarioFile ?? trace.scenario, { typecheck: f.typecheck });
  checkDesign(scenario, trace.design);
  let world;
  try {
    world = buildWorld(scenario, trace.design, trace.options);
  } catch (e) {
    throw new UsageError(`the trace's options do not fit ${scenario.name}/${trace.design}: ${(e as Error).message}`);
  }
  const backend = mode === 'threads' ? await ThreadsBackend.start(world, ref) : new InlineBackend(world);
  let replayed;
  try {
    replayed = await blamingUserFile(scenarioFile, () => replayTrace(backend, trace));
  } catch (e) {
    if (e instanceof ReplayDivergence) throw new Nondeterminism(`replay diverged from ${file} (nondeterminism): ${e.message}`);
    throw e;
  } finally {
    await backend.close();
  }
  const v = replayed.run.violation;
  const shown: Trace = { ...trace, steps: trace.steps.map((s, i) => ({ ...s, touched: replayed.touches[i] ?? s.touched })) };
  if (f.perfetto) {
    mkdirSync(dirname(resolve(f.perfetto)), { recursive: true });
    writeFileSync(f.perfetto, JSON.stringify(toChromeTrace(shown)) + '\n');
  }
  if (f.json) {
    printJson({ trace: file, scenario: trace.scenario, design: trace.design, mode, steps: replayed.run.steps.length, reproduced: true, violation: v, ...(f.perfetto ? { perfetto: f.perfetto } : {}) });
  } else {
    console.log(renderTimeline(shown, { tail, touches: f.touches, columns: process.stdout.columns }));
    console.log();
    console.log(`replayed ${replayed.run.steps.length} steps of ${trace.scenario}/${trace.design} (${mode}): every step landed in its recorded state`);
    if (v) console.log(`VIOLATION of ${v.invariant} at step ${v.step}: ${v.message}`);
    if (f.perfetto) console.log(`Chrome trace-event JSON for Perfetto UI (ui.perfetto.dev): ${f.perfetto}`);
  }
  return v ? EXIT.VIOLATION : EXIT.OK;
}
