// hyprace replay: re-execute a trace step for step and show it as a per-CPU timeline.
import type { Mode } from '../../actors/engine/index.ts';
import { InlineBackend } from '../../actors/engine/index.ts';
import { optionsProblem } from '../../actors/engine/index.ts';
import { TraceMismatch, checkModel, replayTrace } from '../../actors/trace/index.ts';
import { ReplayDivergence } from '../../actors/engine/index.ts';
import { ThreadsBackend } from '../../actors/engine/index.ts';
import { TraceFormatError, readTrace, type Trace } from '../../actors/trace/index.ts';
import { buildWorld } from '../../actors/engine/index.ts';
import { renderTimeline } from '../../report/timeline.ts';
import { toChromeTrace } from '../../report/perfetto.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { integer, oneOf } from '../args.ts';
import { EXIT, UsageError } from '../exit.ts';
import { printJson } from '../format.ts';
import { invariantFilter } from '../invariants.ts';
import { blamingUserFile, checkDesign, resolveScenario } from '../resolve.ts';
import { MODES } from './explore.ts';

export interface ReplayFlags {
  mode?: string;
  tail?: string;
  touches?: boolean;
  json?: boolean;
  typecheck?: boolean;
  /** Check only these invariants: the trace's own filter, or narrower. */
  invariant?: string[];
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
  if (trace.memory === 'arm64' && mode === 'threads') throw new UsageError(`${file} was recorded under --memory arm64, which runs inline only (promises are certified by running an actor alone): drop --mode threads`);
  const tail = integer('--tail', f.tail, 1);
  const { ref, scenario, file: scenarioFile } = await resolveScenario(trace.scenarioFile ?? trace.scenario, { typecheck: f.typecheck });
  checkDesign(scenario, trace.design);
  const unfit = (why: string) => new UsageError(`${file} cannot be replayed against ${scenario.name}/${trace.design} as it is now: ${why}`);
  const optionsWrong = optionsProblem(scenario, trace.options);
  if (optionsWrong) throw unfit(optionsWrong);
  const only = narrowedFilter(scenario, trace, f.invariant);
  const world = buildWorld(scenario, trace.design, trace.options, undefined, { memoryModel: trace.memory, promises: trace.promises });
  try {
    checkModel(world, trace);
  } catch (e) {
    if (e instanceof TraceMismatch) throw unfit(e.message);
    throw e;
  }
  const backend = mode === 'threads' ? await ThreadsBackend.start(world, ref) : new InlineBackend(world);
  let replayed;
  try {
    replayed = await blamingUserFile(scenarioFile, () => replayTrace(backend, trace, { only }));
  } catch (e) {
    if (e instanceof ReplayDivergence) throw new Nondeterminism(`replay diverged from ${file} (nondeterminism): ${e.message}`);
    throw e;
  } finally {
    await backend.close();
  }
  const v = replayed.run.violation;
  const shown: Trace = { ...trace, violation: v, steps: trace.steps.map((s, i) => ({ ...s, touched: replayed.touches[i] ?? s.touched })) };
  if (f.perfetto) {
    mkdirSync(dirname(resolve(f.perfetto)), { recursive: true });
    writeFileSync(f.perfetto, JSON.stringify(toChromeTrace(shown)) + '\n');
  }
  const unchecked = trace.violation && !v ? trace.violation.invariant : null;
  if (f.json) {
    printJson({ trace: file, scenario: trace.scenario, design: trace.design, mode, steps: replayed.run.steps.length, reproduced: true, violation: v, ...(only ? { only: [...only] } : {}), ...(f.perfetto ? { perfetto: f.perfetto } : {}) });
  } else {
    console.log(renderTimeline(shown, { tail, touches: f.touches, columns: process.stdout.columns }));
    console.log();
    console.log(`replayed ${replayed.run.steps.length} steps of ${trace.scenario}/${trace.design} (${mode}): every step took its recorded transition to its recorded state`);
    if (v) console.log(`VIOLATION of ${v.invariant} at step ${v.step}: ${v.message}`);
    if (unchecked) console.log(`the trace's violation of ${unchecked} is not among the invariants checked (--invariant)`);
    if (f.perfetto) console.log(`Chrome trace-event JSON for Perfetto UI (ui.perfetto.dev): ${f.perfetto}`);
  }
  return v ? EXIT.VIOLATION : EXIT.OK;
}

/** The trace's invariant filter, narrowed by --invariant (which may not widen it). */
function narrowedFilter(scenario: Parameters<typeof invariantFilter>[0], trace: Trace, names: string[] | undefined): ReadonlySet<string> | undefined {
  const asked = invariantFilter(scenario, names);
  if (!asked) return trace.only ? new Set(trace.only) : undefined;
  const outside = trace.only ? [...asked].filter((n) => !trace.only!.includes(n)) : [];
  if (outside.length) throw new UsageError(`the trace was recorded checking only ${trace.only!.join(', ')}; --invariant can narrow that, not add ${outside.join(', ')}`);
  return asked;
}
