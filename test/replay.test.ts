// A found violation replays step for step; a tampered trace is reported as divergence; the same
// seed gives the same trace in threads mode and inline.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadScenario } from '../actors/engine/index.ts';
import { explore } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import { replayTrace } from '../actors/trace/index.ts';
import { ReplayDivergence, STRATEGIES, createScheduler } from '../actors/engine/index.ts';
import { runOnce, runRngs, type StepRecord } from '../actors/engine/index.ts';
import { ThreadsBackend, liveActorWorkers } from '../actors/engine/index.ts';
import { readTrace, type Trace } from '../actors/trace/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import { renderTimeline } from '../report/timeline.ts';
import { tempDir } from './temp-dirs.ts';

const options = { strategy: 'pct' as const, depth: 4, iterations: 5000, timeSeconds: 60, seed: 7, stepLimit: 3000 };

async function findTrace(design: string, dir: string): Promise<Trace> {
  const r = await explore(new InlineBackend(buildWorld(rollover, design)), { ...options, traceDir: dir });
  expect(r.violation, 'a violation to replay').to.not.equal(null);
  return readTrace(r.violation!.trace!);
}

describe('trace and replay', function () {
  this.timeout(120_000);

  it('writes a trace with every decision and step, and replays it to the same violation', async () => {
    const dir = tempDir();
    const trace = await findTrace('v2012-posted', dir);
    expect(trace.format).to.equal('hyprace-trace');
    expect(trace.steps.length).to.be.greaterThan(5);
    expect(trace.steps.every((s) => typeof s.seed === 'number' && s.event === 'STEP')).to.equal(true);
    expect(trace.steps.some((s) => s.touched.some((t) => t.includes('kvm_vmid_gen')))).to.equal(true);
    const replayed = await replayTrace(new InlineBackend(buildWorld(rollover, trace.design, trace.options)), trace);
    expect(replayed.run.violation).to.deep.equal(trace.violation);
    expect(replayed.touches).to.deep.equal(trace.steps.map((s) => s.touched));
  });

  it('reports a trace whose recorded state differs as divergence', async () => {
    const trace = await findTrace('v2012-merged', tempDir());
    const k = Math.floor(trace.steps.length / 2);
    const tampered: Trace = { ...trace, steps: trace.steps.map((s, i) => (i === k ? { ...s, to: 'enter_guest' === s.to ? 'vcpu_put' : 'enter_guest' } : s)) };
    let err: unknown;
    try {
      await replayTrace(new InlineBackend(buildWorld(rollover, trace.design, trace.options)), tampered);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ReplayDivergence);
    expect((err as Error).message).to.match(new RegExp(`^step ${k}: `));
  });

  it('shows the steps in per-CPU lanes and marks the violating step', async () => {
    const trace = await findTrace('v2012-posted', tempDir());
    const text = renderTimeline(trace);
    const lanes = text.split('\n')[0].trim().split(/\s+/);
    const used = [...new Set(trace.steps.map((s) => s.where))];
    expect([...lanes].sort()).to.deep.equal([...used].sort());
    const cpus = lanes.filter((l) => /^CPU\d$/.test(l));
    expect(lanes.slice(0, cpus.length), 'CPU lanes first, in order').to.deep.equal([...cpus].sort());
    expect(text).to.include(`✗ ${trace.violation!.invariant}: ${trace.violation!.message}`);
    const violationLine = text.split('\n').findIndex((l) => l.includes('✗'));
    expect(text.split('\n')[violationLine - 1]).to.match(new RegExp(`^\\s*${trace.violation!.step}\\s`));
  });

  it('draws a step in the lane where it ran: vcpu_load and vcpu_put on their CPU, VMM ioctls in the VMM lane', async () => {
    const world = buildWorld(rollover, 'v2018-lockless', { runs: 2 });
    const backend = new InlineBackend(world);
    const steps: StepRecord[] = [];
    for (let run = 0; run < 5; run++) steps.push(...(await runOnce(backend, createScheduler('random', 3), runRngs(1, run), { stepLimit: 3000 })).steps);
    const ids = (a: number) => world.programs[a].stateIds;
    const lanes = (from: string) => [...new Set(steps.filter((s) => ids(s.actor)[s.from] === from).map((s) => s.where))];
    for (const from of ['vcpu_load', 'vcpu_put']) {
      expect(lanes(from).length, from).to.be.greaterThan(0);
      expect(lanes(from).every((w) => /^CPU\d$/.test(w ?? '')), `${from} runs on a CPU: ${lanes(from)}`).to.equal(true);
    }
    expect(lanes('vmm_init')).to.deep.equal(['VMM']);
    // vcpu_load is drawn on the CPU the vCPU's next step runs on; vcpu_put on the one its step before ran on.
    let checked = 0;
    steps.forEach((s, i) => {
      const from = ids(s.actor)[s.from];
      if (from !== 'vcpu_load' && from !== 'vcpu_put') return;
      const same = (j: number) => steps[j].actor === s.actor;
      let neighbour = -1;
      if (from === 'vcpu_load') neighbour = steps.findIndex((_, j) => j > i && same(j));
      else for (let j = i - 1; j >= 0 && neighbour < 0; j--) if (same(j)) neighbour = j;
      if (neighbour < 0 || steps[neighbour].where === 'VMM') return;
      expect(s.where, `${from} at step ${i}`).to.equal(steps[neighbour].where);
      checked++;
    });
    expect(checked).to.be.greaterThan(20);
  });
});

describe('threads and inline', function () {
  this.timeout(180_000);

  it('agree on a design whose waits read the actor context and whose steps branch on what they read', async () => {
    const ref = { module: pathToFileURL(fileURLToPath(new URL('../examples/stage2-break-tlbi.ts', import.meta.url))).href };
    const scenario = await loadScenario(ref);
    const o = { strategy: 'random' as const, depth: 3, iterations: 40, timeSeconds: 600, seed: 3, stepLimit: 500 };
    const inline = await explore(new InlineBackend(buildWorld(scenario, 'range')), o);
    const threads = await ThreadsBackend.start(buildWorld(scenario, 'range'), ref);
    let b;
    try {
      b = await explore(threads, o);
    } finally {
      await threads.close();
    }
    expect(liveActorWorkers()).to.equal(0);
    expect(inline.violation).to.equal(null);
    expect(b.steps).to.equal(inline.steps);
    expect(b.coverage).to.deep.equal(inline.coverage);
    // The runs waited on LOCKED pages (a wait on the page in the context) and took both branches.
    expect(inline.blockedSteps).to.have.property('IPA page 0 not LOCKED');
    const host = Object.values(inline.coverage.machines).find((m) => m.machine === 'coalesce-range')!;
    expect(host.transitions).to.include.keys(['walk?#0', 'walk?#1']);
  });

  // A design each strategy catches with this seed, so every strategy's trace is compared.
  const caughtBy = { random: 'v2012-merged', pct: 'v2012-merged', rr: 'v2012-posted' } as const;
  for (const strategy of STRATEGIES) {
    it(`give the same trace for the same seed under ${strategy}, and leave no worker running`, async () => {
      const inlineDir = tempDir();
      const threadsDir = tempDir();
      const design = caughtBy[strategy];
      const o = { ...options, strategy };
      const a = await explore(new InlineBackend(buildWorld(rollover, design)), { ...o, traceDir: inlineDir });
      expect(a.violation, `${strategy} finds the violation inline`).to.not.equal(null);
      const world = buildWorld(rollover, design);
      const threads = await ThreadsBackend.start(world, CATALOGUE['vmid-rollover']);
      let b;
      try {
        b = await explore(threads, { ...o, traceDir: threadsDir });
      } finally {
        await threads.close();
      }
      expect(liveActorWorkers()).to.equal(0);
      expect(b.violation?.iteration).to.equal(a.violation?.iteration);
      const strip = (t: Trace) => ({ ...t, mode: 'x' });
      const ta = readTrace(a.violation!.trace!);
      const tb = readTrace(b.violation!.trace!);
      expect(tb.mode).to.equal('threads');
      expect(strip(tb)).to.deep.equal(strip(ta));
      // And a threads-mode trace replays inline.
      const file = join(threadsDir, 'copy.json');
      writeFileSync(file, readFileSync(b.violation!.trace!));
      const replayed = await replayTrace(new InlineBackend(buildWorld(rollover, design)), readTrace(file));
      expect(replayed.run.violation?.invariant).to.equal(tb.violation!.invariant);
    });
  }
});
