// hyprace stress: a design on free-running worker threads for a bounded time, locktorture-style.
import { availableParallelism } from 'node:os';
import { writeFreeTrace } from '../../actors/stress/index.ts';
import { designContext } from '../../actors/engine/index.ts';
import { buildWorld } from '../../actors/engine/index.ts';
import { runStress, STRESS_DEFAULTS, type StressSnapshot } from '../../actors/stress/index.ts';
import { CATALOGUE } from '../../scenarios/index.ts';
import { lockJson, snapshotLines } from '../../report/torture-stats.ts';
import { checkedOptions, integer, memorySettings, optionOverrides, seconds } from '../args.ts';
import { EXIT, UsageError } from '../exit.ts';
import { printJson } from '../format.ts';
import { checkTraceDir } from '../trace-dir.ts';
import { blamingUserFile, checkDesign, resolveScenario } from '../resolve.ts';

export interface StressFlags {
  design?: string;
  workers?: string;
  duration?: string;
  statInterval?: string;
  longHold?: boolean;
  stutter?: string | boolean;
  seed?: string;
  set?: string[];
  traceDir: string;
  json?: boolean;
  typecheck?: boolean;
  memory?: string;
}

/** --stutter without a value: run half a second, pause half a second. */
const DEFAULT_STUTTER_S = 0.5;

export async function stressCommand(scenarioArg: string, f: StressFlags): Promise<number> {
  // Free threads interleave on the real machine: no step of theirs goes through a modelled memory.
  if (memorySettings(f).memoryModel !== 'sc') throw new UsageError('stress runs free real threads, whose memory is the machine\'s own: --memory arm64 needs controlled steps (use explore, check or verify --memory arm64)');
  const { ref, scenario, file } = await resolveScenario(scenarioArg, { typecheck: f.typecheck });
  const profile = scenario.stress;
  if (!profile) {
    const able = Object.keys(CATALOGUE).length ? ` (built-in scenarios with one: ${await stressable()})` : '';
    throw new UsageError(`scenario ${scenario.name} has no stress profile${able}`);
  }
  const design = checkDesign(scenario, f.design);
  const workers = integer('--workers', f.workers, 1, 62) ?? profile.defaultWorkers;
  const durationS = seconds('--duration', f.duration) ?? 10;
  const statIntervalS = seconds('--stat-interval', f.statInterval) ?? Math.max(1, durationS / 5);
  const stutterS = f.stutter === undefined || f.stutter === false ? 0 : f.stutter === true ? DEFAULT_STUTTER_S : seconds('--stutter', f.stutter)!;
  const seed = integer('--seed', f.seed, 0, 2 ** 32 - 1) ?? 1;
  const longHold = !!f.longHold;
  checkTraceDir(f.traceDir);
  const base = designContext(scenario, design).options as Record<string, unknown>;
  const options = checkedOptions(scenario, design, { ...profile.options(workers, { longHold }, base), ...optionOverrides(f.set, scenario) });

  // One worker thread per actor: what --workers asks for, as the profile and --set shape it.
  const threads = await blamingUserFile(file, async () => buildWorld(scenario, design, options).actors.length);
  const params = { scenario: scenario.name, design, workers: threads, duration: durationS, stat_interval: statIntervalS, long_hold: longHold ? 1 : 0, stutter: stutterS, seed, cores: availableParallelism() };
  const paramLine = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
  const log = (s: string) => (f.json ? undefined : process.stderr.write(s + '\n'));
  log(`--- Start of test: ${paramLine}`);

  const r = await blamingUserFile(file, () => runStress(ref, scenario, design, options, {
    ...STRESS_DEFAULTS,
    durationS,
    statIntervalS,
    stutterS,
    seed,
    onStats: (s) => log(progressBlock(s)),
  }));

  if (r.violation && !r.world.knownInvariants.has(r.violation.invariant)) {
    const why = `a step raised invariant '${r.violation.invariant}', which is neither declared nor built in (known: ${[...r.world.knownInvariants].join(', ')})`;
    throw file ? new UsageError(`scenario file ${file}: ${why}`) : new Error(why);
  }
  // The evidence goes to disk before anything about it is printed.
  const explore = `hyprace explore ${scenarioArg} --design ${design}${(f.set ?? []).map((s) => ` --set ${s}`).join('')}`;
  let trace: string | null = null;
  if (r.violation) {
    try {
      trace = writeFreeTrace(f.traceDir, r.world, r.violation, r.ordering, { scenario: scenario.name, design, options, seed, explore });
    } catch (e) {
      // The violation is still printed below; the run ends as an internal failure.
      r.failure ??= `the recorded order of the violation could not be written into ${f.traceDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  }
  const fails = r.final.locks.reduce((a, l) => a + l.fails, 0);
  const success = !r.violation && fails === 0 && !r.failure;
  const code = r.failure ? EXIT.INTERNAL : success ? EXIT.OK : EXIT.VIOLATION;

  if (f.json) {
    printJson({
      scenario: scenario.name,
      design,
      params,
      elapsedMs: Math.round(r.final.elapsedMs),
      startupMs: Math.round(r.startupMs),
      steps: r.final.steps,
      locks: r.final.locks.map(lockJson),
      figures: r.final.figures,
      rates: r.final.rates,
      violation: r.violation ? { ...r.violation, trace, replayable: false, explore } : null,
      failure: r.failure,
      result: success ? 'SUCCESS' : 'FAILURE',
    });
    return code;
  }
  console.log(`${scenario.name} / ${design}: ${threads} workers for ${(r.final.elapsedMs / 1000).toFixed(2)} s (free mode), ${r.final.steps} steps`);
  for (const line of snapshotLines(r.final)) console.log(line);
  if (r.violation) {
    const v = r.violation;
    console.log(`VIOLATION of ${v.invariant} seen by ${v.seenBy} after ${(v.atMs / 1000).toFixed(2)} s:`);
    console.log(`  ${v.message}`);
    if (trace) console.log(`  trace: ${trace} (the order the actors recorded; not replayable: the OS chose the interleaving)`);
    console.log(`  search for it under control: ${explore}`);
  }
  if (r.failure) console.log(`internal failure: ${r.failure}`);
  console.log(`--- End of test: ${success ? 'SUCCESS' : 'FAILURE'}: ${paramLine}`);
  return code;
}

function progressBlock(s: StressSnapshot): string {
  const lines = snapshotLines(s);
  return [`[${(s.elapsedMs / 1000).toFixed(1)} s] ${s.steps} steps`, ...lines.map((l) => `  ${l}`)].join('\n');
}

async function stressable(): Promise<string> {
  const names: string[] = [];
  for (const name of Object.keys(CATALOGUE)) if ((await resolveScenario(name)).scenario.stress) names.push(name);
  return names.join(', ');
}

