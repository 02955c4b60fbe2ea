// Threads mode passes the turn from worker to worker, each taking the scheduling decision
// after its own step (actors/engine/turn-loop.ts); inline mode runs run.ts's loop in one thread. For
// every strategy and a design of every scenario, the same seed must give the same runs: the
// same steps, ends, verdicts, blocked steps, figures and coverage. Bounded by run counts.
import { expect } from 'chai';
import type { Backend } from '../actors/engine/index.ts';
import { CoverageRecorder, explore, type CoverageData } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import type { AnyScenario } from '../actors/engine/index.ts';
import type { ScenarioRef } from '../actors/engine/index.ts';
import { runOnce, runRngs, type RunResult } from '../actors/engine/index.ts';
import type { StrategyName } from '../actors/engine/index.ts';
import { STRATEGIES, createScheduler } from '../actors/engine/index.ts';
import { ThreadsBackend, liveActorWorkers } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import idregs from '../scenarios/idregs.ts';
import locktorture from '../scenarios/locktorture.ts';
import speFinalize from '../scenarios/spe-finalize.ts';
import spePinning from '../scenarios/spe-pinning.ts';
import stage2 from '../scenarios/stage2-coalesce.ts';
import allocator from '../scenarios/vmid-allocator.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import fixture from './fixtures/locks-scenario.ts';
import verdicts from './fixtures/verdicts-scenario.ts';
import { VERDICTS } from './cli-run.ts';
import { FIXTURE_REF } from './helpers.ts';
import { pathToFileURL } from 'node:url';

// In this process scenarios come from static imports, so that they share the engine's module
// instances (host state such as the running actor is per module instance); workers load them
// by reference.
const scenarios: Record<string, [AnyScenario, ScenarioRef]> = {
  'vmid-rollover': [rollover, CATALOGUE['vmid-rollover']],
  'vmid-allocator': [allocator, CATALOGUE['vmid-allocator']],
  idregs: [idregs, CATALOGUE.idregs],
  'stage2-coalesce': [stage2, CATALOGUE['stage2-coalesce']],
  'spe-finalize': [speFinalize, CATALOGUE['spe-finalize']],
  'spe-pinning': [spePinning, CATALOGUE['spe-pinning']],
  locktorture: [locktorture, CATALOGUE.locktorture],
  'locks-fixture': [fixture, FIXTURE_REF],
  verdicts: [verdicts, { module: pathToFileURL(VERDICTS).href }],
};

interface Case {
  name: string;
  design: string;
  runs: number;
  stepLimit?: number;
  daemonOnlySteps?: number;
  only?: string[];
}

const cases: Case[] = [
  { name: 'vmid-rollover', design: 'v2018-lockless', runs: 40 },
  { name: 'vmid-rollover', design: 'v2022-vmid-vhe', runs: 40 },
  { name: 'vmid-allocator', design: 'v2022-vmid', runs: 30 },
  { name: 'idregs', design: 'per-vm', runs: 40 },
  { name: 'stage2-coalesce', design: 'bbm-locked', runs: 40 },
  { name: 'stage2-coalesce', design: 'install-first', runs: 40 },
  { name: 'spe-finalize', design: 'pin-all', runs: 30 },
  { name: 'spe-pinning', design: 'pin-on-enable', runs: 20 },
  { name: 'locktorture', design: 'rwlock', runs: 30 },
  // The engine's own verdicts: deadlock, self-deadlock, a raised lock-discipline violation,
  // and 'stuck' when deadlock is filtered out.
  { name: 'locks-fixture', design: 'abba', runs: 40 },
  { name: 'locks-fixture', design: 'abba', runs: 40, only: ['lock-discipline'] },
  { name: 'locks-fixture', design: 'double-lock', runs: 40 },
  { name: 'locks-fixture', design: 'stray-unlock', runs: 40 },
  // Runs cut by the step bound, and a bound beyond the first run block (it grows).
  { name: 'vmid-rollover', design: 'v2022-vmid', runs: 30, stepLimit: 25 },
  { name: 'vmid-rollover', design: 'v2022-vmid', runs: 30, stepLimit: 10_000 },
  // Liveness: only daemons running while the others wait (at the default stall and a short
  // one), an actor without a final state, a livelock cut at the limit (who was still stepping),
  // a raised invariant, and 'stuck' when deadlock is filtered out with daemons running.
  { name: 'verdicts', design: 'abba-daemon', runs: 12 },
  { name: 'verdicts', design: 'abba-daemon', runs: 12, daemonOnlySteps: 12 },
  { name: 'verdicts', design: 'abba-daemon', runs: 20, daemonOnlySteps: 12, only: ['handover'] },
  { name: 'verdicts', design: 'ordered-endless', runs: 12 },
  { name: 'verdicts', design: 'livelock', runs: 10, stepLimit: 400, daemonOnlySteps: 30 },
  { name: 'verdicts', design: 'handover', runs: 12 },
];

async function runAll(backend: Backend, strategy: StrategyName, c: Case): Promise<{ results: RunResult[]; coverage: CoverageData }> {
  const scheduler = createScheduler(strategy, 3);
  const coverage = new CoverageRecorder(backend.world);
  const only = c.only ? new Set(c.only) : undefined;
  const results: RunResult[] = [];
  for (let i = 0; i < c.runs; i++) results.push(await runOnce(backend, scheduler, runRngs(11, i), { stepLimit: c.stepLimit ?? 3000, daemonOnlySteps: c.daemonOnlySteps, only, coverage }));
  return { results, coverage: coverage.toData() };
}

const label = (c: Case) =>
  `${c.name}/${c.design}${c.only ? ` (only ${c.only.join(', ')})` : ''}${c.stepLimit ? ` (step limit ${c.stepLimit})` : ''}${c.daemonOnlySteps ? ` (daemons only for ${c.daemonOnlySteps} steps)` : ''}`;

describe('threads and inline, run for run', function () {
  this.timeout(300_000);

  // Cases of one scenario and design share one threads backend (starting its workers is most of
  // a small case's time), as the strategies of one case do; the last case to use it closes it,
  // and then no worker may be left.
  const key = (c: Case) => `${c.name}/${c.design}`;
  const left = new Map<string, number>();
  for (const c of cases) left.set(key(c), (left.get(key(c)) ?? 0) + 1);
  const started = new Map<string, Promise<ThreadsBackend>>();
  const threadsFor = (c: Case) => {
    const [scenario, ref] = scenarios[c.name];
    if (!started.has(key(c))) started.set(key(c), ThreadsBackend.start(buildWorld(scenario, c.design), ref));
    return started.get(key(c))!;
  };
  const release = async (c: Case) => {
    left.set(key(c), left.get(key(c))! - 1);
    if (left.get(key(c))! > 0) return false;
    await (await started.get(key(c))!).close();
    started.delete(key(c));
    return true;
  };
  after(async () => {
    // Cases left out (-g) leave theirs open.
    for (const b of started.values()) await (await b).close();
    started.clear();
  });

  for (const c of cases) {
    it(`${label(c)}: the same runs for every strategy`, async () => {
      const threads = await threadsFor(c);
      const inline = new InlineBackend(buildWorld(scenarios[c.name][0], c.design));
      let closed: boolean;
      try {
        for (const strategy of STRATEGIES) {
          const a = await runAll(inline, strategy, c);
          const whole = threads.wholeRuns;
          const b = await runAll(threads, strategy, c);
          expect(threads.wholeRuns - whole, 'runs the workers took whole').to.equal(c.runs);
          expect(a.results.some((r) => r.steps.length > 0), 'runs took steps').to.equal(true);
          b.results.forEach((r, i) => expect(r, `${label(c)}, ${strategy}, run ${i}`).to.deep.equal(a.results[i]));
          expect(b.coverage, `${label(c)}, ${strategy}: coverage`).to.deep.equal(a.coverage);
        }
      } finally {
        closed = await release(c);
      }
      if (closed) expect(liveActorWorkers()).to.equal(0);
    });
  }

  it('explore in threads mode lets the workers take its runs whole', async () => {
    // explore passes options of its own (arm64 sampling's refuseUnkeepable); none of them may
    // send a plain sc run back to being stepped from the main thread, as happened once.
    const [scenario, ref] = scenarios['vmid-rollover'];
    const threads = await ThreadsBackend.start(buildWorld(scenario, 'v2018-lockless'), ref);
    try {
      const r = await explore(threads, { strategy: 'pct', depth: 3, iterations: 25, timeSeconds: 600, seed: 3, stepLimit: 3000 });
      expect(r.iterations).to.equal(25);
      expect(threads.wholeRuns).to.equal(25);
    } finally {
      await threads.close();
    }
  });

  it('between them reach every end a run can have', async () => {
    // Otherwise the comparisons above check less than they say.
    const ends = new Set<string>();
    for (const c of cases.filter((x) => x.name === 'locks-fixture' || x.stepLimit === 25)) {
      const { results } = await runAll(new InlineBackend(buildWorld(scenarios[c.name][0], c.design)), 'random', c);
      for (const r of results) ends.add(r.violation ? `${r.end}: ${r.violation.invariant}` : r.end);
    }
    expect([...ends].sort()).to.deep.equal(['done', 'step-limit', 'stuck', 'violation: deadlock', 'violation: lock-discipline']);
  });

  it('between them reach every liveness verdict', async () => {
    const seen = new Set<string>();
    for (const c of cases.filter((x) => x.name === 'verdicts')) {
      const { results } = await runAll(new InlineBackend(buildWorld(scenarios[c.name][0], c.design)), 'random', c);
      for (const r of results) {
        if (r.violation) seen.add(`${r.violation.invariant}: ${r.violation.message.replace(/:.*/, '')}`);
        else seen.add(r.stillStepping.length ? `${r.end}, still stepping` : r.end);
      }
    }
    expect([...seen].sort()).to.deep.equal(['deadlock: only daemons ran for 100 steps while the others waited', 'deadlock: only daemons ran for 12 steps while the others waited', 'done', 'handover: slots_lock handed over to mmu_lock in one step', 'step-limit, still stepping', 'stuck']);
  });
});
