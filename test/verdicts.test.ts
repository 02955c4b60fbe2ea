// Verdicts a user can trust, through the command line: deadlocks and violations raised at a wait
// shrink and replay; a daemon that can always step does not hide a deadlock; runs cut at the step
// limit are a possible livelock, never 'holds'; a misspelt raised invariant is refused; a
// shrinking failure is hyprace's; the HTML timeline shows every lock operation of a step.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../actors/trace/index.ts';
import { VERDICTS, expectOneLine, faultFile, hyprace } from './cli-run.ts';
import { tempDir } from './temp-dirs.ts';

interface Explored {
  code: number;
  stderr: string;
  out: { violation: { invariant: string; message: string; step: number; steps: number; trace: string; shrunk?: { originalSteps: number } } | null; stepLimitRuns: number; livelock: { runs: number; actors: string[] } | null; iterations: number };
}

function explore(design: string, dir: string, ...more: string[]): Explored {
  const r = hyprace(['explore', VERDICTS, '--design', design, '--mode', 'inline', '--trace-dir', dir, '--no-typecheck', '--json', ...more]);
  return { code: r.code, stderr: r.stderr, out: JSON.parse(r.stdout || 'null') };
}

describe('verdicts', function () {
  this.timeout(600_000);
  const dir = tempDir();

  for (const [design, invariant, message] of [
    ['abba', 'deadlock', /^nobody can run: vmm0 waits for kvm->mmu_lock \(held by vmm1\); vmm1 waits for kvm->slots_lock \(held by vmm0\)$/],
    ['twice', 'lock-discipline', /^vmm0 waits for kvm->slots_lock, which it holds itself: self-deadlock$/],
  ] as const) {
    it(`shrinks a ${invariant} found at a wait, and its trace replays to it (${design})`, () => {
      const { code, stderr, out } = explore(design, dir);
      expect(code, stderr).to.equal(1);
      const v = out.violation!;
      expect(v.invariant).to.equal(invariant);
      expect(v.message).to.match(message);
      expect(v.shrunk, 'shrunk').to.not.equal(undefined);
      expect(v.step).to.equal(v.steps - 1);
      const replay = hyprace(['replay', v.trace, '--json', '--no-typecheck']);
      expect(replay.code, replay.stderr).to.equal(1);
      expect(JSON.parse(replay.stdout).violation).to.deep.include({ invariant, step: v.step });
      const text = hyprace(['replay', v.trace, '--no-typecheck']);
      expect(text.code, text.stderr).to.equal(1);
      expect(text.stdout).to.include(`✗ ${invariant}: ${v.message}`);
    });
  }

  it('reports a deadlock that a daemon able to always step would hide, naming the blocked actors', () => {
    const { code, stderr, out } = explore('abba-daemon', dir);
    expect(code, stderr).to.equal(1);
    const v = out.violation!;
    expect(v.invariant).to.equal('deadlock');
    expect(v.message).to.match(/^only daemons ran for 100 steps while the others waited: vmm0 waits for kvm->mmu_lock \(held by vmm1\); vmm1 waits for kvm->slots_lock \(held by vmm0\)$/);
    const trace = readTrace(v.trace);
    expect(trace.actors.find((a) => a.name === 'spinner')?.daemon).to.equal(true);
    expect(trace.daemonOnlySteps).to.equal(100);
    const replay = hyprace(['replay', v.trace, '--json', '--no-typecheck']);
    expect(replay.code, replay.stderr).to.equal(1);
    expect(JSON.parse(replay.stdout).violation.invariant).to.equal('deadlock');
  });

  it('counts an actor without a final state as a daemon: runs end when the others finish', () => {
    const { code, stderr, out } = explore('ordered-endless', dir, '--iterations', '50');
    expect(code, stderr).to.equal(0);
    expect(out).to.include({ iterations: 50, stepLimitRuns: 0, violation: null, livelock: null });
  });

  it('reports runs whose threads keep stepping to the step limit as a possible livelock', () => {
    const r = hyprace(['explore', VERDICTS, '--design', 'livelock', '--mode', 'inline', '--iterations', '20', '--no-typecheck']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('20 of 20 runs reached the step limit of 400 before every actor finished');
    expect(r.stdout).to.include('possible livelock: in 20 of them vmm1 kept stepping without finishing');
    const { out } = explore('livelock', dir, '--iterations', '20');
    expect(out.livelock).to.deep.equal({ runs: 20, actors: ['vmm1'] });
  });

  it('check calls the daemon deadlock caught, a livelocking design unfinished (not holds), and draws every lock operation of a step', () => {
    const report = join(dir, 'report');
    const r = hyprace(['check', VERDICTS, '--trace-dir', dir, '--no-typecheck', '--report', report, '--json']);
    expect(r.code, r.stderr).to.equal(1);
    const rows = JSON.parse(r.stdout).results as { design: string; got: string; ok: boolean; stepLimitRuns: number; livelock: unknown }[];
    const got = Object.fromEntries(rows.map((x) => [x.design, [x.got, x.ok]]));
    expect(got).to.deep.equal({
      ordered: ['holds', true],
      abba: ['caught', true],
      'abba-daemon': ['caught', true],
      'ordered-endless': ['holds', true],
      twice: ['caught', true],
      livelock: ['unfinished', false],
      handover: ['caught', true],
    });
    expect(rows.find((x) => x.design === 'livelock')!.livelock).to.deep.include({ actors: ['vmm1'] });
    const text = hyprace(['check', VERDICTS, '--trace-dir', dir, '--no-typecheck']);
    expect(text.stdout).to.match(/livelock\s+holds\s+unfinished\s+UNEXPECTED/);
    expect(text.stdout).to.match(/verdicts\/livelock: \d+ of \d+ runs reached the step limit before every actor finished; possible livelock: in \d+ of them vmm1 kept stepping/);
    // The handover step releases one mutex and takes the other: both are marked.
    const html = readFileSync(join(report, 'index.html'), 'utf8');
    expect(html).to.include('<span class="lock">mutex_unlock(kvm-&gt;slots_lock)</span> <span class="lock">mutex_lock(kvm-&gt;mmu_lock)</span>');
  });

  it('compare shows a design whose runs reach the step limit as unfinished', () => {
    const r = hyprace(['compare', VERDICTS, '--design', 'ordered', '--design', 'livelock', '--iterations', '20', '--trace-dir', dir, '--no-typecheck']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/verdict\s+holds\s+unfinished: 20 runs at the step limit \(livelock\?\)/);
    const json = JSON.parse(hyprace(['compare', VERDICTS, '--design', 'livelock', '--iterations', '20', '--trace-dir', dir, '--no-typecheck', '--json']).stdout);
    expect(json.designs[0]).to.deep.include({ got: 'unfinished', stepLimitRuns: 20 });
  });

  it('refuses a raised invariant that is neither declared nor built in, naming the file and the known names', () => {
    const file = faultFile(dir, 'typo');
    for (const mode of ['inline', 'threads']) {
      const r = hyprace(['explore', file, '--mode', mode, '--trace-dir', dir, '--no-typecheck']);
      expectOneLine(r, 2, new RegExp(`scenario file ${file}: a step raised invariant 'ioctl-contrat', which is neither declared nor built in \\(known: ioctl-contract, deadlock, lock-discipline, refcounts-balance, slots-lock-held, no-cross-vm-tlb-hit\\)`));
    }
    const stress = hyprace(['stress', file, '--duration', '1', '--trace-dir', dir, '--no-typecheck']);
    expect(stress.stdout).to.equal('');
    expect(stress.stderr.trim().split('\n').pop()).to.match(new RegExp(`^hyprace: scenario file ${file}: a step raised invariant 'ioctl-contrat', which is neither declared nor built in`));
    expect(stress.code).to.equal(2);
  });

  it('reports a shrinking failure as hyprace\'s (exit 3), after printing the violation, with the trace as found kept', () => {
    const file = faultFile(dir, 'changes');
    const r = hyprace(['explore', file, '--mode', 'inline', '--trace-dir', dir, '--no-typecheck']);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stdout).to.include('VIOLATION of ioctl-contract in run 0, step 0');
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr.trim()).to.match(/^hyprace: internal failure: hyprace could not shrink the violation of ioctl-contract found in run 0 \(shrinking produced a schedule that does not replay to ioctl-contract: nondeterminism in the design, or a bug in hyprace\); the schedule as found is in (\S+\.trace\.json)$/);
    const path = /is in (\S+\.trace\.json)/.exec(r.stderr)![1];
    const trace = readTrace(path);
    expect(trace.violation?.invariant).to.equal('ioctl-contract');
    expect(trace.originalSteps).to.equal(undefined);
    expect(r.stderr).to.not.match(/scenario file .*: threw/);
  });
});
