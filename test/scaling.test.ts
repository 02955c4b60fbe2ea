// The sizes the scaling benchmark measures (2 to 8 vCPUs, 2 to 8 CPUs) run in both modes
// without a crash, a hang or a run over the step limit, and give the same runs in both.
import { expect } from 'chai';
import { explore, type ExploreResult } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import { budgetOf } from '../actors/engine/index.ts';
import { ThreadsBackend, liveActorWorkers } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { SCALING_CONFIGS } from '../bench/scaling.ts';

// A few runs per size: most of a size's time is starting its workers and its first runs, and the
// sameness of threads and inline is tested run for run in test/threads-inline.test.ts.
const RUNS = 4;

describe('scaling sizes', function () {
  this.timeout(300_000);

  for (const c of SCALING_CONFIGS) {
    it(`${c.scenario.name} with ${c.vcpus} vCPUs on ${c.cpus} CPUs runs to completion in both modes`, async () => {
      const budget = budgetOf(c.scenario);
      const options = { ...(c.scenario.designs[c.holds].options ?? {}), ...c.options };
      const search = { strategy: budget.strategy, depth: budget.depth, iterations: RUNS, timeSeconds: 3600, seed: 1, stepLimit: budget.stepLimit };
      const inline = await explore(new InlineBackend(buildWorld(c.scenario, c.holds, options)), search);
      const world = buildWorld(c.scenario, c.holds, options);
      expect(world.actors.filter((a) => !a.daemon).length, 'vCPU threads (and the host thread)').to.be.at.least(c.vcpus);
      const threads = await ThreadsBackend.start(world, c.ref);
      let inThreads: ExploreResult;
      try {
        inThreads = await explore(threads, search);
      } finally {
        await threads.close();
      }
      for (const r of [inline, inThreads]) {
        expect(r.iterations, `${r.mode}: runs`).to.equal(RUNS);
        expect(r.stepLimitRuns, `${r.mode}: runs over the step limit`).to.equal(0);
        expect(r.violation, `${r.mode}: ${c.holds} holds`).to.equal(null);
      }
      expect(inThreads.steps).to.equal(inline.steps);
      expect(inThreads.figures).to.deep.equal(inline.figures);
      expect(liveActorWorkers()).to.equal(0);
    });
  }
});
