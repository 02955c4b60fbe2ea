// State-machine coverage: exact counts on a small machine with a known graph, merging of coverage
// files, the --min-transitions bound, and DOT/SVG/Mermaid/JSON for every machine of the catalogue.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { designMachines } from '../actors/explore/index.ts';
import { emptyCoverage, mergeCoverage } from '../actors/explore/index.ts';
import { machineGraph, pathsToUncovered, summarize } from '../actors/explore/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import { loadScenario } from '../actors/engine/index.ts';
import fixture from './fixtures/locks-scenario.ts';
import { exploreInline } from './helpers.ts';
import { tempDir } from './temp-dirs.ts';

const BIN = new URL('../bin/hyprace.mjs', import.meta.url).pathname;
const FIXTURE = new URL('./fixtures/locks-scenario.ts', import.meta.url).pathname;

function hyprace(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('coverage', function () {
  this.timeout(300_000);

  it('counts exactly the visits and transitions of a small machine with a known graph', async () => {
    const r = await exploreInline(fixture, 'ordered', { strategy: 'rr', iterations: 7 });
    const m = r.coverage.machines['locks-fixture/ordered/thread0'];
    expect(m.states).to.deep.equal({ lock_first: 7, lock_second: 7, fault: 7, unlock: 7, done: 7 });
    expect(m.transitions).to.deep.equal({ 'lock_first#0': 7, 'lock_second#0': 7, 'fault#0': 7, 'unlock#0': 7 });
    expect(r.coverage.runs).to.deep.equal({ 'locks-fixture/ordered': 7 });
    const graph = designMachines(fixture, 'ordered').graphs.find((g) => g.machine === 'thread0')!;
    expect(graph.states).to.deep.equal(['lock_first', 'lock_second', 'fault', 'relock', 'unlock', 'done']);
    expect(graph.transitions.map((t) => `${t.key} ${t.source}->${t.target}`)).to.deep.equal([
      'lock_first#0 lock_first->lock_second',
      'lock_second#0 lock_second->fault',
      'fault#0 fault->unlock',
      'relock#0 relock->unlock',
      'unlock#0 unlock->done',
    ]);
    expect(summarize(graph, m)).to.deep.equal({ machine: 'thread0', states: { covered: 5, total: 6 }, transitions: { covered: 4, total: 5 } });
    expect(pathsToUncovered(graph, m)).to.deep.equal({ relock: ['(unreachable in the graph)'] });
  });

  it('gives the shortest path in the graph to a state no run reached', async () => {
    const r = await exploreInline(fixture, 'double-lock', { strategy: 'rr', iterations: 1 });
    const world = buildWorld(fixture, 'double-lock');
    const graph = machineGraph(world.programs[1].machine);
    const partial = { ...r.coverage.machines['locks-fixture/double-lock/thread1'], states: { lock_first: 1 } };
    expect(pathsToUncovered(graph, partial).done).to.deep.equal(['lock_first -> lock_second', 'lock_second -> fault', 'fault -> unlock', 'unlock -> done']);
  });

  it('merges coverage records by adding counts, and rebuilds the growth curve over the union', async () => {
    const a = (await exploreInline(fixture, 'ordered', { strategy: 'rr', iterations: 3 })).coverage;
    const b = (await exploreInline(fixture, 'ordered', { strategy: 'rr', iterations: 4 })).coverage;
    const m = mergeCoverage(mergeCoverage(emptyCoverage(), a), b);
    expect(m.runs['locks-fixture/ordered']).to.equal(7);
    expect(m.machines['locks-fixture/ordered/thread1'].transitions['unlock#0']).to.equal(7);
    expect(m.machines['locks-fixture/ordered/thread1'].firstRun['unlock#0']).to.equal(1);
    expect(m.steps).to.equal(a.steps + b.steps);
  });

  it('merges later runs into the coverage file and fails below --min-transitions', () => {
    const out = tempDir();
    const first = hyprace('coverage', FIXTURE, '--design', 'ordered', '--out', out, '--iterations', '5', '--json', '--no-typecheck');
    expect(first.code, first.stderr).to.equal(0);
    const before = JSON.parse(readFileSync(join(out, 'coverage.json'), 'utf8'));
    const again = hyprace('coverage', FIXTURE, '--design', 'ordered', '--out', out, '--iterations', '5', '--min-transitions', '100', '--json', '--no-typecheck');
    expect(again.code, 'relock is never taken in "ordered": below 100%').to.equal(1);
    expect(JSON.parse(again.stdout).below).to.include('locks-fixture/ordered/thread0');
    const after = JSON.parse(readFileSync(join(out, 'coverage.json'), 'utf8'));
    expect(after.runs['locks-fixture/ordered']).to.equal(2 * before.runs['locks-fixture/ordered']);
    expect(after.machines['locks-fixture/ordered/thread0'].transitions['lock_first#0']).to.equal(2 * before.machines['locks-fixture/ordered/thread0'].transitions['lock_first#0']);
    expect(hyprace('coverage', FIXTURE, '--design', 'ordered', '--out', out, '--iterations', '5', '--min-transitions', '50', '--no-typecheck').code).to.equal(0);
    expect(hyprace('coverage', FIXTURE, '--out', out, '--min-transitions', '120').code).to.equal(2);
  });

  it('draws DOT, SVG, Mermaid and JSON for every machine of every built-in design', async () => {
    const out = tempDir();
    const r = hyprace('coverage', '--out', out, '--iterations', '20', '--mode', 'inline', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const reported = JSON.parse(r.stdout).machines as { scenario: string; design: string; machine: string }[];
    let machines = 0;
    for (const [name, ref] of Object.entries(CATALOGUE)) {
      const scenario = await loadScenario(ref);
      for (const design of Object.keys(scenario.designs)) {
        for (const g of designMachines(scenario, design).graphs) {
          machines++;
          const base = join(out, name, design, g.machine);
          for (const ext of ['dot', 'svg', 'mmd', 'json']) expect(existsSync(`${base}.${ext}`), `${base}.${ext}`).to.equal(true);
          expect(readFileSync(`${base}.svg`, 'utf8')).to.match(/<svg[\s\S]*<g id="node/);
          expect(readFileSync(`${base}.dot`, 'utf8')).to.match(/^digraph /);
          expect(readFileSync(`${base}.mmd`, 'utf8')).to.match(/^stateDiagram-v2\n/);
          expect(reported.some((m) => m.scenario === name && m.design === design && m.machine === g.machine)).to.equal(true);
        }
      }
    }
    expect(reported).to.have.length(machines);
  });

  it('reports coverage in explore --json', () => {
    const r = hyprace('explore', 'vmid-allocator', '--design', 'v2022-vmid', '--mode', 'inline', '--iterations', '50', '--json');
    const c = JSON.parse(r.stdout).coverage;
    expect(c.transitions.total).to.equal(26);
    expect(c.transitions.covered).to.be.within(20, 26);
    expect(c.machines[0].machine).to.equal('vmid-sched-loop');
  });
});
