// What a new user runs into, through the command line: a guard that never returns, an action that
// calls process.exit() or exhausts memory (exit 3, one line, in every mode); flags that would be
// silently rounded or ignored; option values outside their declared ranges; two coverage runs
// into one folder; stress with many workers or a long sleep; list's options.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE, VERDICTS, expectOneLine, faultFile, hyprace, hypraceAsync } from './cli-run.ts';
import { tempDir } from './temp-dirs.ts';

describe('robustness', function () {
  this.timeout(600_000);
  const dir = tempDir();

  it('ends a guard that never returns with exit 3 naming the file and the state, in explore, check, compare and coverage', () => {
    const file = faultFile(dir, 'guard-loops');
    const hang = new RegExp(`internal failure: t did not finish its step from state 'check_ret' within 1000 ms: a guard or action that never returns\\? \\(scenario file ${file}\\)`);
    for (const args of [
      ['explore', file, '--mode', 'inline', '--trace-dir', dir],
      ['explore', file, '--mode', 'inline', '--jobs', '2', '--trace-dir', dir],
      ['check', file, '--trace-dir', dir],
      ['compare', file, '--trace-dir', dir],
      ['coverage', file, '--out', join(dir, 'coverage-hang')],
    ]) {
      expectOneLine(hyprace([...args, '--step-timeout', '1', '--no-typecheck']), 3, hang);
    }
    // Threads mode has its own step timeout, and names the state too.
    expectOneLine(hyprace(['explore', file, '--mode', 'threads', '--step-timeout', '1', '--trace-dir', dir, '--no-typecheck']), 3, /the worker of t did not finish its step from state 'check_ret' within 1000 ms: hung \(scenario file /);
  });

  it('ends a step that calls process.exit() with exit 3 and one line, in every mode', () => {
    const file = faultFile(dir, 'exits');
    const exited = new RegExp(`internal failure: t called process.exit\\(7\\) in state 'ioctl': a step must not end the process \\(scenario file ${file}\\)`);
    for (const mode of [['--mode', 'inline'], ['--mode', 'threads'], ['--mode', 'inline', '--jobs', '2']]) {
      expectOneLine(hyprace(['explore', file, ...mode, '--trace-dir', dir, '--no-typecheck']), 3, exited);
    }
    expectOneLine(hyprace(['check', file, '--trace-dir', dir, '--no-typecheck']), 3, exited);
  });

  it('reports a worker out of memory in check as exit 3 with one line', () => {
    const file = faultFile(dir, 'hoards');
    // A small heap, so that running out of it is quick (worker threads inherit the limit; V8's
    // last collections before giving up take longer the larger it is: 300 MB took twice as long).
    const r = hyprace(['check', file, '--trace-dir', dir, '--no-typecheck', '--step-timeout', '300'], ['--max-old-space-size=150']);
    expectOneLine(r, 3, /internal failure: the worker running hoards ran out of memory while t stepped from state 'ioctl' \(scenario file /);
  });

  it('makes exactly the runs --iterations asks for, whatever --jobs', () => {
    for (const [iterations, jobs] of [
      [5, 2],
      [3, 4],
    ]) {
      const r = hyprace(['explore', VERDICTS, '--design', 'ordered', '--mode', 'inline', '--iterations', String(iterations), '--jobs', String(jobs), '--no-typecheck', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).iterations, `${iterations} runs in ${jobs} jobs`).to.equal(iterations);
    }
  });

  it('refuses flags that would be ignored: --depth without PCT, check --jobs in threads mode', () => {
    expectOneLine(hyprace(['explore', 'spe-finalize', '--depth', '5']), 2, /--depth is PCT's bug depth; this search uses strategy random \(add --strategy pct\)/);
    expectOneLine(hyprace(['explore', 'vmid-rollover', '--strategy', 'rr', '--depth', '2']), 2, /this search uses strategy rr/);
    expectOneLine(hyprace(['check', 'idregs', '--mode', 'threads', '--jobs', '2']), 2, /--jobs runs independent runs inline in parallel workers; it does not apply to --mode threads/);
  });

  it('refuses option values outside their declared ranges or choices (exit 2)', () => {
    for (const [set, message] of [
      ['cpus=0', /option 'cpus' of vmid-rollover must be an integer from 1 to 8, got '0'/],
      ['cpus=-1', /option 'cpus' of vmid-rollover must be an integer from 1 to 8, got '-1'/],
      ['cpus=1.5', /option 'cpus' of vmid-rollover must be an integer from 1 to 8, got '1.5'/],
      ['cpus=1e9', /option 'cpus' of vmid-rollover must be an integer from 1 to 8, got '1e9'/],
      ['speculation=bogus', /option 'speculation' of vmid-rollover must be one of "none", "in-guest", "loaded", got 'bogus'/],
      ['vcpusPerVm=[]', /option 'vcpusPerVm' of vmid-rollover must have 1 to 64 elements, got '\[\]'/],
      ['vcpusPerVm=[1,0]', /option 'vcpusPerVm' of vmid-rollover element 1 must be an integer from 1 to 4/],
    ] as const) {
      expectOneLine(hyprace(['explore', 'vmid-rollover', '--set', set, '--iterations', '1']), 2, message);
    }
    expectOneLine(hyprace(['explore', 'vmid-rollover', '--design', 'v2022-vmid', '--set', 'cpus=3']), 2, /options of vmid-rollover: vmid.c needs more VMIDs than CPUs plus one: vmidBits=2 gives 3 for 3 CPUs/);
    expectOneLine(hyprace(['stress', 'locktorture', '--set', 'writers=-3', '--duration', '1']), 2, /option 'writers' of locktorture must be an integer from 1 to 62, got '-3'/);
    expectOneLine(hyprace(['explore', EXAMPLE, '--set', 'slots=0', '--no-typecheck']), 2, /option 'slots' of lost-update must be an integer from 1 to 100, got '0'/);
  });

  it('lists each scenario\'s options with their defaults and ranges in text', () => {
    const r = hyprace(['list']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/options \(--set key=value; default, then what it takes\):\n\s+allocator\s+"2012"\s+one of 2012, 2022: /);
    expect(r.stdout).to.match(/\n\s+cpus\s+3\s+an integer from 1 to 8: physical CPUs\n/);
    expect(r.stdout).to.match(/\n\s+starveMs\s+0\s+a number from 0 to 10000: writer 0 sleeps/);
  });

  it('merges two coverage runs into one --out at the same time without losing counts', async () => {
    const out = join(dir, 'coverage-twice');
    const run = () => hypraceAsync(['coverage', EXAMPLE, '--design', 'locked', '--iterations', '40', '--out', out, '--no-typecheck', '--json']);
    const results = await Promise.all([run(), run()]);
    for (const r of results) expect(r.code, r.stderr).to.equal(0);
    const data = JSON.parse(readFileSync(join(out, 'coverage.json'), 'utf8'));
    expect(data.runs['lost-update/locked']).to.equal(80);
    const again = hyprace(['coverage', EXAMPLE, '--design', 'locked', '--iterations', '40', '--out', out, '--no-typecheck', '--json']);
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(join(out, 'coverage.json'), 'utf8')).runs['lost-update/locked']).to.equal(120);
  });

  describe('stress', () => {
    const params = (r: { stderr: string }) => r.stderr.split('\n').find((l) => l.startsWith('--- Start of test:')) ?? '';

    it('starts and stops 62 workers on a small machine', () => {
      const r = hyprace(['stress', 'locktorture', '--design', 'mutex', '--workers', '62', '--duration', '1', '--trace-dir', dir]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(params(r)).to.include(' workers=62 ');
      expect(r.stdout).to.not.include('did not stop');
    });

    it('stops on time while a writer sleeps for seconds (--set starveMs=3000)', () => {
      const r = hyprace(['stress', 'locktorture', '--set', 'starveMs=3000', '--duration', '1', '--trace-dir', dir]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.include('--- End of test: SUCCESS');
    });

    it('prints the number of worker threads that ran', () => {
      expect(params(hyprace(['stress', 'locktorture', '--set', 'writers=6', '--duration', '0.5', '--trace-dir', dir]))).to.include(' workers=6 ');
      // spe-finalize runs three threads besides its vCPUs, at least one.
      expect(params(hyprace(['stress', 'spe-finalize', '--workers', '2', '--duration', '0.5', '--trace-dir', dir]))).to.include(' workers=4 ');
    });
  });
});
