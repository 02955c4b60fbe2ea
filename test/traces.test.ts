// Traces record everything that decides a run and replay under it: the invariant filter, every
// option, the memory model, the bounds. Replay compares the transition taken; a trace it cannot
// replay (another format version, memory model, options or model) is bad input, not
// nondeterminism. Trace files never overwrite each other and appear whole; a folder that cannot
// take them is refused before any search, and a trace that cannot be written loses no violation.
import { expect } from 'chai';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readTrace, type Trace } from '../actors/trace/index.ts';
import { EXAMPLE, VERDICTS, expectOneLine, hyprace, hypraceAsync } from './cli-run.ts';
import { tempDir } from './temp-dirs.ts';

function found(args: string[]): { invariant: string; step: number; trace: string } {
  const r = hyprace([...args, '--json']);
  expect(r.code, r.stderr).to.equal(1);
  return JSON.parse(r.stdout).violation;
}

describe('traces', function () {
  this.timeout(600_000);
  const dir = tempDir();

  it("records --invariant, and replays a trace found with it (the README's pin-all-typo example)", () => {
    const v = found(['explore', 'spe-finalize', '--design', 'pin-all-typo', '--invariant', 'memslot-stage2-consistent', '--mode', 'inline', '--iterations', '2000', '--trace-dir', dir]);
    expect(v.invariant).to.equal('memslot-stage2-consistent');
    const trace = readTrace(v.trace);
    expect(trace.only).to.deep.equal(['memslot-stage2-consistent']);
    expect(trace).to.include({ memory: 'sc', stepLimit: 400, daemonOnlySteps: 100, version: 2 });
    const replay = hyprace(['replay', v.trace, '--json']);
    expect(replay.code, replay.stderr).to.equal(1);
    expect(JSON.parse(replay.stdout).violation).to.deep.include({ invariant: 'memslot-stage2-consistent', step: v.step });
    // --invariant narrows what the trace checked; it cannot widen it.
    expectOneLine(hyprace(['replay', v.trace, '--invariant', 'lock-discipline']), 2, /the trace was recorded checking only memslot-stage2-consistent; --invariant can narrow that, not add lock-discipline/);
  });

  it('replays the traces the README shows (docs/traces) to the violation they record', () => {
    const docs = new URL('../docs/traces/', import.meta.url).pathname;
    const files = readdirSync(docs).filter((f) => f.endsWith('.trace.json'));
    expect(files.length).to.be.greaterThan(0);
    for (const f of files) {
      const recorded = readTrace(join(docs, f)).violation!;
      const r = hyprace(['replay', join(docs, f), '--json']);
      expect(r.code, `${f}: ${r.stderr}`).to.equal(1);
      expect(JSON.parse(r.stdout).violation).to.include({ invariant: recorded.invariant, step: recorded.step });
    }
  });

  it('records every option of the run, --set included, and replays under them', () => {
    const v = found(['explore', EXAMPLE, '--design', 'unlocked-path', '--set', 'slots=3', '--mode', 'inline', '--trace-dir', dir, '--no-typecheck']);
    const trace = readTrace(v.trace);
    expect(trace.options).to.deep.equal({ slots: 3, pages: 512, secondPathLocked: false });
    const replay = hyprace(['replay', v.trace, '--json', '--no-typecheck']);
    expect(replay.code, replay.stderr).to.equal(1);
    expect(JSON.parse(replay.stdout).violation.invariant).to.equal('pages-accounted');
  });

  it('replays with --invariant leaving out the recorded violation, and says so', () => {
    const v = found(['explore', VERDICTS, '--design', 'abba', '--mode', 'inline', '--trace-dir', dir, '--no-typecheck']);
    const r = hyprace(['replay', v.trace, '--invariant', 'handover', '--no-typecheck']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include("the trace's violation of deadlock is not among the invariants checked (--invariant)");
  });

  describe('a trace replay must refuse or call diverged', () => {
    let trace: Trace;
    const variant = (name: string, change: (t: Trace) => void) => {
      const t = structuredClone(trace);
      change(t);
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(t));
      return hyprace(['replay', file, '--no-typecheck']);
    };
    before(() => {
      trace = readTrace(found(['explore', EXAMPLE, '--design', 'unlocked-path', '--mode', 'inline', '--trace-dir', dir, '--no-typecheck', '--no-shrink']).trace);
    });

    it('diverges (exit 3) when a step takes another transition to the recorded state', () => {
      // vmm1 passes next_slot by its third transition (no lock) to read_pages; say it took the first.
      const k = trace.steps.findIndex((s) => trace.actors[s.actor].name === 'vmm1' && s.from === 'next_slot' && s.to === 'read_pages');
      expect(trace.steps[k].transition).to.equal(2);
      const r = variant('transition', (t) => (t.steps[k].transition = 0));
      expectOneLine(r, 3, new RegExp(`replay diverged from .* \\(nondeterminism\\): step ${k}: vmm1 took transition 2 of next_slot \\(to read_pages\\), but the trace recorded transition 0 \\(to read_pages\\)`));
    });

    it('refuses (exit 2) a trace of another format version or memory model', () => {
      expectOneLine(variant('v1', (t) => (t.version = 1)), 2, /is a trace of format version 1, which this hyprace cannot replay \(it replays version 2\)/);
      expectOneLine(variant('arm64', (t) => ((t as { memory: string }).memory = 'power')), 2, /was recorded under memory model "power", which this hyprace cannot replay \(it replays: sc, arm64\)/);
    });

    it('refuses (exit 2) options the scenario does not take', () => {
      expectOneLine(variant('range', (t) => (t.options.slots = 0)), 2, /cannot be replayed against lost-update\/unlocked-path as it is now: option 'slots' of lost-update must be an integer from 1 to 100, got 0/);
      expectOneLine(variant('unknown', (t) => (t.options.vcpus = 2)), 2, /as it is now: scenario lost-update has no option 'vcpus'/);
      expectOneLine(variant('type', (t) => (t.options.pages = 'many')), 2, /as it is now: option 'pages' of lost-update takes a number, got "many"/);
    });

    it('refuses (exit 2) a trace recorded from another model of the design', () => {
      expectOneLine(variant('states', (t) => (t.actors[0].states = t.actors[0].states.map((s) => (s === 'read_pages' ? 'read_nr_pages' : s)))), 2, /as it is now: vmm0's machine differs from the one the trace was recorded with \(it has no state 'read_nr_pages'\)/);
      expectOneLine(variant('actors', (t) => t.actors.push({ name: 'vmm2', daemon: false, states: [] })), 2, /as it is now: the trace has 3 actors, lost-update\/unlocked-path has 2/);
    });
  });

  it('names traces by everything that decides them, so none overwrites another, and writes them whole', async () => {
    const base = ['explore', EXAMPLE, '--design', 'unlocked-path', '--mode', 'inline', '--trace-dir', dir, '--no-typecheck'];
    const variants = [['--no-shrink'], [], ['--set', 'pages=256'], ['--invariant', 'pages-accounted', '--no-shrink']];
    const traces = variants.map((more) => found([...base, ...more]).trace);
    expect(new Set(traces).size).to.equal(variants.length);
    for (const t of traces) expect(basename(t)).to.match(/^lost-update-unlocked-path-random-seed1-run0-[0-9a-f]{8}\.trace\.json$/);
    expect(readTrace(traces[2]).options.pages).to.equal(256);
    expect(readTrace(traces[3]).only).to.deep.equal(['pages-accounted']);
    // The same search again gives the same trace under the same name; two processes at once
    // with different options give two traces.
    expect(found([...base, '--no-shrink']).trace).to.equal(traces[0]);
    const [a, b] = await Promise.all([hypraceAsync([...base, '--set', 'pages=64', '--json']), hypraceAsync([...base, '--set', 'pages=128', '--json'])]);
    const [ta, tb] = [a, b].map((r) => JSON.parse(r.stdout).violation.trace as string);
    expect(ta).to.not.equal(tb);
    expect([readTrace(ta).options.pages, readTrace(tb).options.pages]).to.deep.equal([64, 128]);
    // Whole: each reads back as a trace (readTrace checks its format); the two written at once
    // also replay to their violation (replay under recorded options is tested above).
    for (const t of traces) expect(readTrace(t).steps.length).to.be.greaterThan(0);
    for (const t of [ta, tb]) expect(hyprace(['replay', t, '--json', '--no-typecheck']).code).to.equal(1);
  });

  it('refuses a trace folder that cannot take a trace before searching (exit 2)', () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    for (const args of [
      ['explore', EXAMPLE, '--design', 'unlocked-path', '--mode', 'inline'],
      ['check', EXAMPLE],
      ['compare', EXAMPLE],
    ]) {
      const r = hyprace([...args, '--trace-dir', file, '--no-typecheck']);
      expectOneLine(r, 2, /--trace-dir .*not-a-folder is not a folder hyprace can write to \(E[A-Z]+\)/);
      expect(r.stdout).to.equal('');
    }
    expectOneLine(hyprace(['coverage', EXAMPLE, '--out', file, '--no-typecheck']), 2, /--out .*not-a-folder is not a folder hyprace can write to/);
  });

  it('prints a violation whose trace cannot be written, then exits 3', () => {
    const args = ['explore', EXAMPLE, '--design', 'unlocked-path', '--mode', 'inline', '--trace-dir', dir, '--no-typecheck', '--no-shrink', '--seed', '5'];
    const path = found(args).trace;
    // The same search writes the same file name: make it a folder that a file cannot replace.
    rmSync(path);
    mkdirSync(join(path, 'in-the-way'), { recursive: true });
    const r = hyprace(args);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stdout).to.match(/VIOLATION of pages-accounted in run \d+, step \d+/);
    expect(r.stdout).to.match(/kvm->nr_memslot_pages is \d+ but \d+ pages were added/);
    expectOneLine(r, 3, /internal failure: the violation of pages-accounted found in run \d+ has no trace: cannot write the trace into .*: E[A-Z]+/);
  });
});
