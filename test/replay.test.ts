// A found violation replays step for step; a tampered trace is reported as divergence; the same
// seed gives the same trace in threads mode and inline.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explore } from '../actors/explore.ts';
import { InlineBackend } from '../actors/inline-backend.ts';
import { replayTrace } from '../actors/replay.ts';
import { ReplayDivergence, STRATEGIES } from '../actors/schedulers/index.ts';
import { ThreadsBackend, liveActorWorkers } from '../actors/threads-backend.ts';
import { readTrace, type Trace } from '../actors/trace.ts';
import { buildWorld } from '../actors/world.ts';
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
});

describe('threads and inline', function () {
  this.timeout(180_000);

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
