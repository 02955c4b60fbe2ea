// Shrinking: a found schedule gets shorter (in steps or context switches), still breaks the same
// invariant, and replays step for step from its trace.
import { expect } from 'chai';
import { explore } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import { replayTrace } from '../actors/trace/index.ts';
import type { AnyScenario } from '../actors/engine/index.ts';
import { readTrace } from '../actors/trace/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import allocator from '../scenarios/vmid-allocator.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import { tempDir } from './temp-dirs.ts';

const cases: [AnyScenario, string, 'pct' | 'random'][] = [
  [rollover, 'v2012-merged', 'pct'],
  [rollover, 'v2018-rwlock', 'pct'],
  [rollover, 'v2022-vmid-vhe', 'pct'],
  [allocator, 'v2022-vmid-xchg', 'random'],
];

describe('shrinking', function () {
  this.timeout(120_000);
  for (const [scenario, design, strategy] of cases) {
    it(`shortens ${scenario.name}/${design} and the shrunk trace replays to the same invariant`, async () => {
      const o = { strategy, depth: 4, iterations: 40_000, timeSeconds: 120, seed: 1, stepLimit: 3000, traceDir: tempDir() };
      const raw = await explore(new InlineBackend(buildWorld(scenario, design)), o);
      const shrunk = await explore(new InlineBackend(buildWorld(scenario, design)), { ...o, shrinkMs: 10_000 });
      const v = shrunk.violation!;
      expect(v.invariant).to.equal(raw.violation!.invariant);
      expect(v.shrunk!.originalSteps).to.equal(raw.violation!.steps);
      expect(v.steps < v.shrunk!.originalSteps || v.shrunk!.switches < v.shrunk!.originalSwitches, 'shorter or fewer switches').to.equal(true);
      expect(v.steps).to.be.at.most(v.shrunk!.originalSteps);
      const trace = readTrace(v.trace!);
      expect(trace.originalSteps).to.equal(v.shrunk!.originalSteps);
      expect(trace.steps).to.have.length(v.steps);
      const replayed = await replayTrace(new InlineBackend(buildWorld(scenario, design)), trace);
      expect(replayed.run.violation?.invariant).to.equal(v.invariant);
    });
  }

  it('shrinks the merged design to fewer steps', async () => {
    const r = await explore(new InlineBackend(buildWorld(rollover, 'v2012-merged')), { strategy: 'pct', depth: 4, iterations: 40_000, timeSeconds: 120, seed: 1, stepLimit: 3000, traceDir: tempDir(), shrinkMs: 10_000 });
    expect(r.violation!.steps).to.be.lessThan(r.violation!.shrunk!.originalSteps);
  });
});
