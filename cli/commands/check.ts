// hyprace check: every design of each scenario within its budget, against its expected verdict.
import { availableParallelism } from 'node:os';
import type { Mode } from '../../actors/backend.ts';
import { budgetOf } from '../../actors/scenario.ts';
import { exploreUnderBudget } from '../budgeted.ts';
import { integer, oneOf, seconds } from '../args.ts';
import { EXIT } from '../exit.ts';
import { duration, printJson, table } from '../format.ts';
import { Progress } from '../progress.ts';
import { allScenarios, blamingUserFile, resolveScenario } from '../resolve.ts';
import { DEFAULT_SHRINK_SECONDS, MODES } from './explore.ts';

export interface CheckFlags {
  mode?: string;
  jobs?: string;
  time?: string;
  seed?: string;
  traceDir: string;
  json?: boolean;
  typecheck?: boolean;
  shrink?: boolean;
}

export interface CheckRow {
  scenario: string;
  design: string;
  expected: 'caught' | 'holds';
  got: 'caught' | 'holds';
  ok: boolean;
  invariant: string | null;
  message: string | null;
  schedules: number;
  steps: number;
  elapsedMs: number;
  trace: string | null;
}

export async function checkCommand(names: string[], f: CheckFlags): Promise<number> {
  const mode = oneOf<Mode>('--mode', f.mode, MODES) ?? 'inline';
  const jobs = integer('--jobs', f.jobs, 1, 256) ?? (mode === 'inline' ? Math.min(2, availableParallelism()) : 1);
  const time = seconds('--time', f.time);
  const seed = integer('--seed', f.seed, 0, 2 ** 32 - 1) ?? 1;
  const scenarios = names.length ? await Promise.all(names.map((n) => resolveScenario(n, { typecheck: f.typecheck }))) : await allScenarios();
  const progress = Progress.forOutput(!!f.json);
  const rows: CheckRow[] = [];
  for (const resolved of scenarios) {
    const { scenario } = resolved;
    const budget = budgetOf(scenario);
    for (const [design, d] of Object.entries(scenario.designs)) {
      const r = await blamingUserFile(resolved.file, () => exploreUnderBudget(resolved, design, {
        mode,
        jobs,
        seed,
        traceDir: f.traceDir,
        iterations: time ? Number.MAX_SAFE_INTEGER : budget.iterations,
        timeSeconds: time ?? budget.timeSeconds,
        progress,
        shrinkMs: f.shrink === false ? 0 : DEFAULT_SHRINK_SECONDS * 1000,
      }));
      const got = r.violation ? 'caught' : 'holds';
      const invariantOk = !r.violation || !d.expectInvariants || d.expectInvariants.includes(r.violation.invariant);
      rows.push({
        scenario: scenario.name,
        design,
        expected: d.expect,
        got,
        ok: got === d.expect && invariantOk,
        invariant: r.violation?.invariant ?? null,
        message: r.violation?.message ?? null,
        schedules: r.iterations,
        steps: r.steps,
        elapsedMs: r.elapsedMs,
        trace: r.violation?.trace ?? null,
      });
    }
  }
  const ok = rows.every((r) => r.ok);
  if (f.json) {
    printJson({ ok, mode, seed, results: rows });
  } else {
    console.log(
      table(
        ['scenario', 'design', 'expected', 'got', '', 'schedules', 'time', 'invariant'],
        rows.map((r) => [r.scenario, r.design, r.expected, r.got, r.ok ? 'ok' : 'UNEXPECTED', String(r.schedules), duration(r.elapsedMs), r.invariant ?? '']),
      ),
    );
    console.log();
    console.log(ok ? `all ${rows.length} verdicts as expected (${mode}, seed ${seed})` : `${rows.filter((r) => !r.ok).length} of ${rows.length} verdicts NOT as expected`);
  }
  return ok ? EXIT.OK : EXIT.VIOLATION;
}
