// hyprace stress through the command's own entry point: locktorture's verdicts, the torture
// figures, a starved writer flagged, a run that stops on time and leaves no thread behind.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { main } from '../cli/main.ts';
import { tempDir } from './temp-dirs.ts';

interface Out {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI in this process, capturing what it writes. */
async function hyprace(...argv: string[]): Promise<Out> {
  const out: string[] = [];
  const err: string[] = [];
  const write = process.stdout.write;
  const ewrite = process.stderr.write;
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(' ') + '\n');
  const t = performance.now();
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join(''), ms: performance.now() - t };
  } finally {
    process.stdout.write = write;
    process.stderr.write = ewrite;
    console.log = log;
  }
}

const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;

describe('hyprace stress', function () {
  this.timeout(30_000);
  const traces = tempDir();

  it('catches lock_busted: two writers inside, Fail counted, the recorded order on disk, not replayable', async () => {
    const r = await hyprace('stress', 'locktorture', '--design', 'lock-busted', '--workers', '4', '--duration', '2', '--trace-dir', traces, '--json');
    expect(r.code, r.stderr).to.equal(1);
    const o = JSON.parse(r.stdout);
    expect(o.result).to.equal('FAILURE');
    expect(o.locks[0].name).to.equal('lock_busted');
    expect(o.locks[0].writes.fails).to.be.greaterThan(0);
    expect(o.violation.invariant).to.equal('one-writer');
    expect(o.violation.replayable).to.equal(false);
    expect(o.violation.explore).to.equal('hyprace explore locktorture --design lock-busted');
    expect(existsSync(o.violation.trace)).to.equal(true);
    const trace = JSON.parse(readFileSync(o.violation.trace, 'utf8'));
    expect(trace).to.include({ format: 'hyprace-free-trace', replayable: false, mode: 'free' });
    expect(trace.steps.length).to.be.greaterThan(0);
    // Steps come in the order of the global sequence the actors took.
    const ends = trace.steps.map((s: { seq: number[] }) => s.seq[1]);
    expect(ends).to.deep.equal([...ends].sort((a, b) => a - b));
  });

  for (const design of ['spinlock', 'mutex', 'rwlock']) {
    it(`passes with ${design}: every worker acquires, no failure`, async () => {
      const extra = design === 'spinlock' ? ['--stutter', '0.25', '--long-hold'] : [];
      const r = await hyprace('stress', 'locktorture', '--design', design, '--workers', '2', '--duration', '1', ...extra, '--json');
      expect(r.code, r.stderr).to.equal(0);
      const o = JSON.parse(r.stdout);
      expect(o.result).to.equal('SUCCESS');
      expect(o.violation).to.equal(null);
      const lock = o.locks[0];
      expect(lock.writes.fails).to.equal(0);
      expect(lock.writes.min, JSON.stringify(lock.writes)).to.be.greaterThan(0);
      expect(lock.latencyMs.writeAcquire.count).to.equal(lock.writes.total);
      if (design === 'rwlock') expect(o.locks[0].reads.total).to.be.greaterThan(0);
    });
  }

  it('flags a writer starved on purpose with ??? in the kernel format, and echoes the parameters', async () => {
    const r = await hyprace('stress', 'locktorture', '--design', 'mutex', '--workers', '2', '--duration', '1', '--set', 'starveMs=20');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^mutex_lock Writes: {2}Total: \d+ {2}Max\/Min: \d+\/\d+ \?\?\? {2}Fail: 0$/m);
    expect(r.stdout).to.match(/write acquire p50\/p99\/max [\d.]+\/[\d.]+\/[\d.]+ us/);
    expect(r.stderr).to.match(/^--- Start of test: scenario=locktorture design=mutex workers=2 duration=1 /m);
    expect(r.stdout).to.match(/^--- End of test: SUCCESS: scenario=locktorture design=mutex workers=2 duration=1 /m);
  });

  it('stops on time and leaves no worker thread running (vmid-rollover, v2022-vmid holds)', async () => {
    const before = ports();
    const r = await hyprace('stress', 'vmid-rollover', '--design', 'v2022-vmid', '--duration', '1', '--json');
    expect(r.code, r.stderr).to.equal(0);
    const o = JSON.parse(r.stdout);
    expect(o.elapsedMs).to.be.within(1000, 1300);
    expect(r.ms - o.startupMs).to.be.lessThan(1000 + 1500);
    expect(o.figures.rollovers).to.be.greaterThan(0);
    expect(o.rates.rollovers).to.be.greaterThan(0);
    expect(ports()).to.be.at.most(before);
  });

  it('stresses kvm->slots_lock with FINALIZE, memslot updates, KVM_RUN and MMU notifiers: pin-all holds, the typo fails', async () => {
    const ok = await hyprace('stress', 'spe-finalize', '--duration', '1', '--json');
    expect(ok.code, ok.stderr).to.equal(0);
    const o = JSON.parse(ok.stdout);
    expect(o.locks.map((l: { name: string }) => l.name)).to.include('kvm->slots_lock');
    expect(o.figures.memslotUpdates).to.be.greaterThan(0);
    expect(o.figures.finalizeOk).to.be.greaterThan(0);
    const typo = await hyprace('stress', 'spe-finalize', '--design', 'pin-all-typo', '--duration', '1', '--trace-dir', traces, '--json');
    expect(typo.code, typo.stderr).to.equal(1);
    expect(JSON.parse(typo.stdout).violation.invariant).to.be.oneOf(['lock-discipline', 'slots-lock-held']);
  });

  it('refuses bad input with exit 2 and one line', async () => {
    for (const args of [
      ['stress', 'nosuch'],
      ['stress', 'locktorture', '--design', 'nosuch'],
      ['stress', 'locktorture', '--workers', '0'],
      ['stress', 'locktorture', '--duration', 'soon'],
      ['stress', 'idregs'],
    ]) {
      const r = await hyprace(...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/^hyprace: [^\n]+\n$/);
    }
  });

  it('runs locktorture under the controlled scheduler too: check finds lock_busted, the locks hold', async () => {
    const r = await hyprace('check', 'locktorture', '--iterations', '2000', '--json', '--trace-dir', traces);
    expect(r.code, r.stderr).to.equal(0);
    const rows = JSON.parse(r.stdout).results as { design: string; got: string; ok: boolean }[];
    expect(rows.map((x) => [x.design, x.got])).to.deep.equal([
      ['spinlock', 'holds'],
      ['mutex', 'holds'],
      ['rwlock', 'holds'],
      ['lock-busted', 'caught'],
    ]);
  });
});
