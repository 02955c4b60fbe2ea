// The command as a user runs it: exit codes, one-line errors, JSON shapes, and the trace.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir } from './temp-dirs.ts';

const BIN = new URL('../bin/hyprace.mjs', import.meta.url).pathname;

function hyprace(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function expectUsage(r: { code: number; stderr: string }, message: RegExp): void {
  expect(r.code, r.stderr).to.equal(2);
  expect(r.stderr.trim().split('\n')).to.have.length(1);
  expect(r.stderr).to.match(/^hyprace: /);
  expect(r.stderr).to.match(message);
}

describe('hyprace command', function () {
  this.timeout(180_000);
  const traces = tempDir();

  it('lists the catalogue as JSON', () => {
    const r = hyprace('list', '--json');
    expect(r.code).to.equal(0);
    const out = JSON.parse(r.stdout);
    const vmid = out.scenarios.find((s: { name: string }) => s.name === 'vmid-rollover');
    expect(vmid.designs.map((d: { name: string }) => d.name)).to.include.members(['v2012-posted', 'v2012-merged', 'v2018-rwlock', 'v2018-lockless', 'v2022-vmid']);
    const alloc = out.scenarios.find((s: { name: string }) => s.name === 'vmid-allocator');
    expect(alloc.designs.find((d: { name: string }) => d.name === 'v2022-vmid-xchg').expect).to.equal('caught');
    expect(vmid.invariants.length).to.be.greaterThan(4);
  });

  it('lists the scenarios named, a scenario file among them, and refuses an unknown one', () => {
    const example = new URL('../examples/lost-update.ts', import.meta.url).pathname;
    const r = hyprace('list', example, 'idregs', '--json', '--no-typecheck');
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout);
    expect(out.scenarios.map((s: { name: string }) => s.name)).to.deep.equal(['lost-update', 'idregs']);
    expect(out.scenarios[0].file).to.equal(example);
    expect(out.scenarios[0].designs.map((d: { name: string; expect: string }) => `${d.name}:${d.expect}`)).to.deep.equal(['locked:holds', 'unlocked-path:caught']);
    const text = hyprace('list', example, '--no-typecheck');
    expect(text.stdout).to.match(/^lost-update  kvm->nr_memslot_pages/);
    expect(text.stdout).to.include(`file: ${relative(process.cwd(), example)}`);
    expectUsage(hyprace('list', 'no-such-scenario'), /unknown scenario 'no-such-scenario'/);
    expectUsage(hyprace('list', './no/such/file.ts'), /scenario file \.\/no\/such\/file\.ts does not exist/);
  });

  // test/threads-inline.test.ts runs a design of each of these in threads mode, its workers loading
  // the scenario by its catalogue reference, and compares them run for run with inline mode; here,
  // through the command (one process each, about 6 s of CPU), every other built-in scenario.
  const THREADS_COMPARED = ['vmid-allocator', 'idregs', 'stage2-coalesce', 'spe-finalize', 'spe-pinning', 'locktorture'];

  it('runs every built-in scenario in threads mode, whose workers build their world from shared memory alone', () => {
    const scenarios = (JSON.parse(hyprace('list', '--json').stdout).scenarios as { name: string; designs: { name: string }[] }[]).filter((s) => !THREADS_COMPARED.includes(s.name));
    expect(scenarios.map((s) => s.name)).to.include.members(['vmid-rollover', 'litmus']);
    for (const s of scenarios) {
      const r = hyprace('explore', s.name, '--design', s.designs[0].name, '--mode', 'threads', '--iterations', '3', '--no-shrink', '--trace-dir', traces, '--json');
      expect(r.code, `${s.name}: ${r.stderr}`).to.be.oneOf([0, 1]);
      expect(JSON.parse(r.stdout).iterations, s.name).to.be.at.least(1);
    }
  });

  it('explores a design in threads mode and prints one JSON object with the violation and its trace', () => {
    const r = hyprace('explore', 'vmid-rollover', '--design', 'v2012-posted', '--seed', '3', '--trace-dir', traces, '--json');
    expect(r.code, r.stderr).to.equal(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).to.include.members(['scenario', 'design', 'strategy', 'mode', 'seed', 'iterations', 'steps', 'elapsedMs', 'violation']);
    expect(out).to.include({ scenario: 'vmid-rollover', design: 'v2012-posted', mode: 'threads', seed: 3 });
    expect(out.violation).to.include.keys(['invariant', 'message', 'iteration', 'step', 'trace']);

    const replay = hyprace('replay', out.violation.trace);
    expect(replay.code, replay.stderr).to.equal(1);
    expect(replay.stdout).to.include('every step took its recorded transition to its recorded state');
    expect(replay.stdout).to.include(`✗ ${out.violation.invariant}: ${out.violation.message}`);
    const json = JSON.parse(hyprace('replay', out.violation.trace, '--json', '--mode', 'threads').stdout);
    expect(json.violation.invariant).to.equal(out.violation.invariant);
  });

  it('exits 0 when a holding design shows no violation in its budget', () => {
    const r = hyprace('explore', 'vmid-rollover', '--design', 'v2018-lockless', '--mode', 'inline', '--iterations', '300', '--json');
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.include({ iterations: 300, violation: null });
  });

  it('checks designs for a run count, whatever time that takes', () => {
    const example = new URL('../examples/lost-update.ts', import.meta.url).pathname;
    const r = hyprace('check', example, '--iterations', '7', '--jobs', '1', '--trace-dir', traces, '--json', '--no-typecheck');
    expect(r.code, r.stderr).to.equal(0);
    const rows = JSON.parse(r.stdout).results as { design: string; got: string; schedules: number }[];
    expect(rows.map((x) => [x.design, x.got, x.schedules])).to.deep.equal([
      ['locked', 'holds', 7],
      ['unlocked-path', 'caught', 1],
    ]);
    expectUsage(hyprace('check', example, '--iterations', '0'), /--iterations must be an integer of at least 1, got '0'/);
  });

  it('runs parallel jobs inline', () => {
    const r = hyprace('explore', 'vmid-allocator', '--design', 'v2022-vmid-nomark', '--mode', 'inline', '--jobs', '2', '--trace-dir', traces, '--json');
    expect(r.code, r.stderr).to.equal(1);
    expect(JSON.parse(r.stdout).violation.invariant).to.be.a('string');
  });

  it('refuses bad input with exit 2 and one line', () => {
    expectUsage(hyprace('explore', 'no-such-scenario'), /unknown scenario 'no-such-scenario'/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--design', 'v1999'), /has no design 'v1999' \(designs: v2012-posted/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--strategy', 'dfs'), /--strategy.*dfs/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--iterations', 'many'), /--iterations must be an integer/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--time', '-3'), /--time must be a positive number/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--jobs', '2'), /--jobs .* --mode inline/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--set', 'cpus=lots'), /option 'cpus' of vmid-rollover takes a number/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--invariant', 'happiness'), /has no invariant 'happiness'/);
    expectUsage(hyprace('explore', 'vmid-rollover', '--frobnicate'), /unknown option '--frobnicate'/);
    expectUsage(hyprace('explode'), /unknown command 'explode'/);
  });

  it('refuses an unreadable or malformed trace with exit 2', () => {
    const dir = tempDir();
    const notJson = join(dir, 'a.json');
    writeFileSync(notJson, '{ nope');
    expectUsage(hyprace('replay', notJson), /is not JSON/);
    const wrong = join(dir, 'b.json');
    writeFileSync(wrong, JSON.stringify({ format: 'hyprace-trace', version: 2, scenario: 'vmid-rollover', design: 'v2012-posted', options: {}, memory: 'sc', stepLimit: 10, daemonOnlySteps: 100, mode: 'inline', strategy: 'pct', seed: 1, actors: [], steps: [{ actor: 4 }] }));
    expectUsage(hyprace('replay', wrong), /step 0 names no actor/);
    expectUsage(hyprace('replay', join(dir, 'missing.json')), /cannot read trace .*ENOENT/);
  });

  it('reports a replay that diverges as nondeterminism, exit 3', () => {
    const out = JSON.parse(hyprace('explore', 'vmid-rollover', '--design', 'v2012-merged', '--mode', 'inline', '--trace-dir', traces, '--json').stdout);
    const trace = JSON.parse(readFileSync(out.violation.trace, 'utf8'));
    trace.steps[1].to = 'done';
    const file = join(tempDir(), 'diverged.json');
    writeFileSync(file, JSON.stringify(trace));
    const r = hyprace('replay', file);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/^hyprace: replay diverged from .* \(nondeterminism\): step 1: /);
  });

  it('prints help that lists every command and the exit codes', () => {
    const r = hyprace('--help');
    expect(r.code).to.equal(0);
    for (const c of ['list', 'explore', 'replay', 'check']) expect(r.stdout).to.match(new RegExp(`\\n  ${c} `));
    expect(r.stdout).to.include('2 bad input, 3 internal failure');
  });
});
