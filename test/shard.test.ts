// Sharding: N shard processes run locally (as a batch engine would run them), their files merged,
// and the merge compared with one process doing the same work; merge's refusals; the shard from a
// Kubernetes Indexed Job's environment; the container and Job manifest of deploy/.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { EXAMPLE, expectOneLine, hyprace, hypraceAsync, type CliResult } from './cli-run.ts';
import { tempDir } from './temp-dirs.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** Shards 1..n of `args` run as n processes at once, each writing into `out`. */
async function shards(args: string[], n: number, out: string): Promise<CliResult[]> {
  const runs = await Promise.all(Array.from({ length: n }, (_, i) => hypraceAsync([...args, '--shard', `${i + 1}/${n}`, '--out', out, '--trace-dir', join(out, `traces-${i + 1}`)])));
  for (const r of runs) expect(r.code, r.stdout + r.stderr).to.equal(0);
  return runs;
}

const json = (r: CliResult) => JSON.parse(r.stdout);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const readShards = (dir: string): any[] => [1, 2].map((i) => JSON.parse(readFileSync(join(dir, `shard-${i}-of-2.json`), 'utf8')));

describe('sharding: --shard I/N, --out and hyprace merge', function () {
  this.timeout(180_000);

  it('verify: two shards merged give the executions and verdict of one process over the same split (--jobs 2)', async () => {
    const out = tempDir();
    const args = ['verify', EXAMPLE, '--design', 'locked', '--no-typecheck', '--json'];
    const parts = (await shards(args, 2, out)).map(json);
    const merged = hyprace(['merge', out, '--json', '--no-typecheck', '--trace-dir', join(out, 'merged')]);
    expect(merged.code, merged.stderr).to.equal(0);
    const single = hyprace([...args, '--jobs', '2']);
    expect(single.code, single.stderr).to.equal(0);
    const m = json(merged);
    const s = json(single);
    expect(m.verdict).to.equal('verified').and.equal(s.verdict);
    expect(m.executions).to.equal(s.executions);
    expect(m.steps).to.equal(s.steps);
    expect(m.preemptionBound).to.equal(s.preemptionBound);
    // Each shard did only part of it: the merge is not one shard's count passed through.
    for (const p of parts) expect(p.executions).to.be.above(0).and.below(m.executions);
    expect(m.shards).to.equal(2);
  });

  it('verify: a violation one shard finds is the merged verdict (exit 1), and its trace replays', async () => {
    const out = tempDir();
    await shards(['verify', EXAMPLE, '--design', 'unlocked-path', '--no-typecheck'], 2, out);
    const traces = join(out, 'merged');
    const merged = hyprace(['merge', out, '--json', '--no-typecheck', '--trace-dir', traces]);
    expect(merged.code, merged.stderr).to.equal(1);
    const m = json(merged);
    expect(m.verdict).to.equal('violation');
    expect(m.violation.invariant).to.equal('pages-accounted');
    expect(m.violation.trace.startsWith(traces)).to.equal(true);
    const replay = hyprace(['replay', m.violation.trace, '--json', '--no-typecheck']);
    expect(replay.code, replay.stderr).to.equal(1);
    expect(json(replay).violation.invariant).to.equal('pages-accounted');
  });

  it('explore: the violation only one shard found is merged into exactly the single run, and its trace replays', async () => {
    // Seed 2: runs 0-3 hold, run 4 breaks the invariant; shard 1/2 makes runs 0, 2, 4 and shard 2/2 runs 1, 3.
    const out = tempDir();
    const args = ['explore', EXAMPLE, '--design', 'unlocked-path', '--mode', 'inline', '--iterations', '5', '--seed', '2', '--no-shrink', '--no-typecheck', '--json'];
    const [one, two] = (await shards(args, 2, out)).map(json);
    expect(one.violation?.iteration).to.equal(4);
    expect(two.violation).to.equal(null);
    const traces = join(out, 'merged');
    const merged = hyprace(['merge', out, '--json', '--no-typecheck', '--trace-dir', traces]);
    expect(merged.code, merged.stderr).to.equal(1);
    const single = hyprace([...args, '--trace-dir', join(out, 'single')]);
    expect(single.code).to.equal(1);
    const m = json(merged);
    const s = json(single);
    expect(m.iterations).to.equal(5).and.equal(s.iterations);
    expect(m.steps).to.equal(s.steps);
    expect(m.violation.iteration).to.equal(4);
    expect(m.violation.trace.startsWith(traces)).to.equal(true);
    // The trace is the single process's, byte for byte.
    expect(readFileSync(m.violation.trace, 'utf8')).to.equal(readFileSync(s.violation.trace, 'utf8'));
    const replay = hyprace(['replay', m.violation.trace, '--no-typecheck']);
    expect(replay.code, replay.stderr).to.equal(1);
    expect(replay.stdout).to.match(/every step took its recorded transition/).and.match(/VIOLATION of pages-accounted/);
    const human = hyprace(['merge', out, '--no-typecheck', '--trace-dir', traces]);
    expect(human.code).to.equal(1);
    expect(human.stdout).to.match(/merged from 2 shards/).and.match(/VIOLATION of pages-accounted in run 4/).and.match(/replay it step by step: hyprace replay /);
  });

  it('check and coverage: the shards of a holding design merge into the single run', async () => {
    const out = tempDir();
    const runs = ['--iterations', '20', '--no-typecheck'];
    await shards(['check', EXAMPLE, ...runs, '--no-verify', '--json'], 2, out);
    const merged = hyprace(['merge', out, '--json', '--no-typecheck', '--trace-dir', join(out, 'merged')]);
    expect(merged.code, merged.stderr).to.equal(0);
    const row = (r: { results: { design: string; schedules: number; steps: number; got: string }[] }) => r.results.find((x) => x.design === 'locked')!;
    const parts = (await Promise.resolve(readShards(out))).map((f) => f.result.designs.find((d: { design: string }) => d.design === 'locked').sample.result);
    expect(parts.map((p) => p.iterations)).to.deep.equal([10, 10]);
    expect(row(json(merged))).to.include({ schedules: 20, got: 'holds', steps: parts[0].steps + parts[1].steps });

    const cov = tempDir();
    const covShards = await Promise.all([1, 2].map((i) => hypraceAsync(['coverage', EXAMPLE, '--design', 'locked', ...runs, '--shard', `${i}/2`, '--out', cov])));
    for (const r of covShards) expect(r.code, r.stderr).to.equal(0);
    expect(hyprace(['merge', cov, '--no-typecheck']).code).to.equal(0);
    const whole = tempDir();
    expect(hyprace(['coverage', EXAMPLE, '--design', 'locked', ...runs, '--out', whole]).code).to.equal(0);
    const machines = (dir: string) => JSON.parse(readFileSync(join(dir, 'coverage.json'), 'utf8')).machines;
    expect(machines(cov)).to.deep.equal(machines(whole));
  });

  it('merge refuses a mixture of searches, a missing shard and a duplicate, in one line (exit 2)', () => {
    const a = tempDir();
    expect(hyprace(['explore', EXAMPLE, '--design', 'locked', '--mode', 'inline', '--iterations', '4', '--no-typecheck', '--shard', '1/2', '--out', a]).code).to.equal(0);
    expectOneLine(hyprace(['merge', a]), 2, /missing shard 2\/2/);
    const shard1 = JSON.parse(readFileSync(join(a, 'shard-1-of-2.json'), 'utf8'));
    /** A shard file like shard 1's, changed as `change` says, alone in a folder of its own. */
    const variant = (name: string, change: (f: typeof shard1) => void) => {
      const dir = tempDir();
      const f = structuredClone(shard1);
      change(f);
      writeFileSync(join(dir, name), JSON.stringify(f));
      return dir;
    };
    expectOneLine(hyprace(['merge', a, variant('shard-1-of-2.json', () => undefined)]), 2, /shard 1\/2 given twice/);
    const otherSeed = variant('shard-2-of-2.json', (f) => ((f.shard.index = 2), (f.settings.seed = '7')));
    expectOneLine(hyprace(['merge', a, otherSeed]), 2, /different searches: --seed is "1" in .* but "7" in /);
    const otherN = variant('shard-2-of-3.json', (f) => (f.shard = { index: 2, count: 3 }));
    expectOneLine(hyprace(['merge', a, otherN]), 2, /the number of shards N is 2 in .* but 3 in /);
    expectOneLine(hyprace(['merge', tempDir()]), 2, /no shard files/);
  });

  it('--shard is checked (1-based), and a Kubernetes Indexed Job\'s environment gives the shard (0-based index)', () => {
    for (const bad of ['3/2']) expectOneLine(hyprace(['explore', EXAMPLE, '--shard', bad, '--no-typecheck']), 2, /--shard must be I\/N with 1 <= I <= N/);
    const env = (extra: Record<string, string>) => spawnSync(process.execPath, [join(ROOT, 'bin/hyprace.mjs'), 'explore', EXAMPLE, '--design', 'locked', '--mode', 'inline', '--iterations', '5', '--json', '--no-typecheck', '--trace-dir', tempDir()], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...extra } });
    const r = env({ JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '2' });
    expect(r.status, r.stderr).to.equal(0);
    // Index 1 of 2 is shard 2/2: runs 1 and 3 of 5.
    expect(JSON.parse(r.stdout)).to.deep.include({ shard: { index: 2, count: 2 }, iterations: 2 });
    const bad = env({ JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '2' });
    expectOneLine({ code: bad.status ?? -1, stdout: bad.stdout, stderr: bad.stderr }, 2, /JOB_COMPLETION_INDEX \(0-based\) must be below JOB_COMPLETIONS/);
  });
});

describe('deploy/: the container build file and the Kubernetes Indexed Job', () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/job.yaml'), 'utf8')).map((d) => d.toJS());
  const indexed = docs.find((d) => d.kind === 'Job' && d.spec.completionMode === 'Indexed');

  it('every object of the manifest is valid against the Kubernetes schema', () => {
    expect(docs.map((d) => d.kind)).to.deep.equal(['PersistentVolumeClaim', 'Job', 'Job']);
    for (const d of docs) (d.kind === 'Job' ? new Job(d) : new PersistentVolumeClaim(d)).validate();
  });

  it('the schema check refuses what Kubernetes would refuse', () => {
    expect(() => new Job({ ...indexed, spec: { ...indexed.spec, completionMode: 'Sharded' } }).validate()).to.throw(/completionMode/);
    expect(() => new Job({ ...indexed, spec: { ...indexed.spec, completions: 'four' } }).validate()).to.throw(/completions must be integer/);
  });

  it('the Indexed Job runs one shard per index into a shared volume, and tells hyprace N', () => {
    const spec = indexed.spec;
    expect(spec.completions).to.be.a('number').and.equal(spec.parallelism);
    const container = spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(Number(env.JOB_COMPLETIONS)).to.equal(spec.completions);
    const out = container.args[container.args.indexOf('--out') + 1];
    const mount = container.volumeMounts[0];
    expect(out.startsWith(mount.mountPath)).to.equal(true);
    const claim = spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name).persistentVolumeClaim.claimName;
    expect(docs.find((d) => d.kind === 'PersistentVolumeClaim').metadata.name).to.equal(claim);
    const merge = docs.find((d) => d.kind === 'Job' && d !== indexed).spec.template.spec.containers[0];
    expect(merge.args.slice(0, 2)).to.deep.equal(['merge', out]);
  });

  it('the container builds from node 20 with npm ci and runs hyprace', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
    expect(dockerfile).to.match(/^FROM node:20/m).and.match(/^RUN npm ci/m).and.match(/^ENTRYPOINT \["node", "[^"]*bin\/hyprace\.mjs"\]/m);
  });
});
