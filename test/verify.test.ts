// verify: exhaustive exploration with partial-order reduction, checked against what is known.
//  - Trace counts of the DPOR literature's benchmark programs (test/fixtures/dpor/): the number of
//    complete (not sleep-set-blocked) executions must equal the number of Mazurkiewicz traces.
//  - Plain enumeration (no reduction) as the reference: the same final states, with and without
//    a preemption bound and a state cache.
//  - The command: verdicts, exit codes, traces that replay, choices, bounds, jobs.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { defineScenario, defineStepMachine, type Word } from '../api.ts';
import type { AnyScenario } from '../actors/engine/index.ts';
import { loadScenario } from '../actors/engine/index.ts';
import { UnrecordedAccess } from '../actors/verify/index.ts';
import { verifyDesign, type PreemptionBound, type VerifyOptions } from '../actors/verify/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import { hyprace } from './cli-run.ts';
import { tempDir } from './temp-dirs.ts';

const fixture = (name: string) => new URL(`./fixtures/dpor/${name}.ts`, import.meta.url);

function settings(o: Partial<VerifyOptions>): VerifyOptions {
  return { maxExecutions: Number.MAX_SAFE_INTEGER, timeSeconds: 600, stepLimit: 5000, ...o };
}

/** Complete executions (not cut by a sleep set) and the verdict, unbounded, with reduction. */
async function traces(s: AnyScenario, options: Record<string, unknown>): Promise<{ complete: number; blocked: number; verdict: string }> {
  const r = await verifyDesign(s, Object.keys(s.designs)[0], settings({ preemptions: 'unbounded', options }));
  return { complete: r.executions - r.sleepBlocked, blocked: r.sleepBlocked, verdict: r.verdict };
}

/** The fingerprints of the final states the complete executions reached. */
async function finalStates(s: AnyScenario, design: string, options: Record<string, unknown> | undefined, o: { reduction: boolean; stateCache: boolean; preemptions: PreemptionBound }): Promise<Set<string>> {
  const seen = new Set<string>();
  // Bounds 0..K run in turn; together they reach what bound K allows.
  const r = await verifyDesign(s, design, settings({ ...o, options, onExecution: (run, _bound, final) => run && final && seen.add(final) }));
  expect(r.verdict, `${s.name}/${design} ${JSON.stringify(o)}`).to.equal('verified');
  return seen;
}

function oneStepWriters(words: number, shared: boolean) {
  return defineScenario({
    name: shared ? 'same-word-writers' : 'distinct-word-writers',
    title: 'threads writing once',
    options: {},
    designs: { plain: { description: 'writers', expect: 'holds' } },
    host: (layout) => ({ w: Array.from({ length: words }, (_, i) => layout.word(`w${i}`)) }),
    actors: (h: { w: Word[] }) =>
      h.w.map((_, i) => ({
        name: `t${i}`,
        machine: defineStepMachine({ id: 'writer', initial: 'write', context: {}, states: { write: { step: { actions: () => h.w[shared ? 0 : i].store(i + 1), target: 'done' } }, done: { final: true } } }),
      })),
    invariants: [],
  });
}

describe('verify', function () {
  this.timeout(300_000);

  describe('counts what the DPOR literature counts', () => {
    it('N threads writing N distinct words: one trace; two threads writing one word: two', async () => {
      expect((await traces(oneStepWriters(4, false) as AnyScenario, {})).complete).to.equal(1);
      expect((await traces(oneStepWriters(2, true) as AnyScenario, {})).complete).to.equal(2);
      expect((await traces(oneStepWriters(3, true) as AnyScenario, {})).complete).to.equal(6);
    });

    // readers(N) = 2^N: Nidhugg's tests/smoke/reference.results.txt (readers_1..4: 2, 4, 8, 16) and
    // Concuerror's tests/suites/dpor_tests/results/readers-test-inf-optimal.txt (N = 6: 64).
    it('readers(N): 2^N traces', async () => {
      const s = await loadScenario({ module: fixture('readers').href });
      for (const [n, want] of [[2, 4], [4, 16], [8, 256]]) expect((await traces(s, { readers: n })).complete, `readers(${n})`).to.equal(want);
    });

    // lastzero(N) = (N+3) 2^(N-2): Nidhugg's reference results (lastzero_1..4: 2, 5, 12, 28) and
    // Concuerror's last_zero results for N = 5 (64 traces; its source-DPOR explores 97 with 33
    // sleep-set blocked, last_zero-test-inf-source.txt, which this algorithm matches).
    it('lastzero(N): (N+3) 2^(N-2) traces, and source-DPOR\'s sleep-set-blocked count for N = 5', async () => {
      const s = await loadScenario({ module: fixture('lastzero').href });
      for (const [n, want] of [[1, 2], [2, 5], [3, 12], [4, 28]]) expect((await traces(s, { n })).complete, `lastzero(${n})`).to.equal(want);
      expect(await traces(s, { n: 5 })).to.deep.equal({ complete: 64, blocked: 33, verdict: 'verified' });
    });

    // indexer(N) = 2^(3(N-11)) for 12 <= N <= 22: GenMC's tests/correct/synthetic/indexer expected
    // results (8 for N = 12, 4096 for N = 15) and tests/correct/lapor/indexer (64 for N = 13).
    it('indexer(N): 8 traces for 12 threads, 64 for 13', async () => {
      const s = await loadScenario({ module: fixture('indexer').href });
      expect((await traces(s, { threads: 11 })).complete).to.equal(1);
      expect((await traces(s, { threads: 12 })).complete).to.equal(8);
      expect((await traces(s, { threads: 13 })).complete).to.equal(64);
    });

    // filesystem(N) = 2^(N-13) for 14 <= N <= 26: Concuerror's file_system_example results
    // (8 for N = 16; 32 for N = 18) and GenMC's tests/correct/lapor/filesystem (64 for N = 19).
    it('filesystem(N): 8 traces for 16 threads, 32 for 18', async () => {
      const s = await loadScenario({ module: fixture('filesystem').href });
      expect((await traces(s, { threads: 13 })).complete).to.equal(1);
      expect((await traces(s, { threads: 16 })).complete).to.equal(8);
      expect((await traces(s, { threads: 18 })).complete).to.equal(32);
    });
  });

  describe('reaches the final states plain enumeration reaches', () => {
    const cases: [string, () => Promise<AnyScenario>, string, Record<string, unknown> | undefined][] = [
      ['lastzero(4)', () => loadScenario({ module: fixture('lastzero').href }), 'plain', { n: 4 }],
      ['lost-update, locked', () => loadScenario({ module: new URL('../examples/lost-update.ts', import.meta.url).href }), 'locked', undefined],
      ['vmid-allocator, 3 tasks, 1 switch', () => loadScenario(CATALOGUE['vmid-allocator']), 'v2022-vmid', { tasks: 3, switches: 1 }],
      ['locktorture spinlock', () => loadScenario(CATALOGUE.locktorture), 'spinlock', { loops: 1 }],
    ];
    for (const [label, load, design, options] of cases) {
      it(label, async () => {
        const s = await load();
        for (const preemptions of ['unbounded', 1] as const) {
          const plain = await finalStates(s, design, options, { reduction: false, stateCache: true, preemptions });
          expect(plain.size).to.be.greaterThan(0);
          for (const stateCache of [false, true]) {
            const reduced = await finalStates(s, design, options, { reduction: true, stateCache, preemptions });
            expect([...reduced].sort(), `${label}, bound ${preemptions}, state cache ${stateCache}`).to.deep.equal([...plain].sort());
          }
        }
      });
    }
  });

  it("lets an invariant keep a memo in a ghost word it writes through the accessors (as the stage-2 reference-count check does)", async () => {
    const memo = defineScenario({
      name: 'invariant-memo',
      title: 'an invariant that skips its check when nothing changed since it last held',
      options: {},
      designs: { plain: { description: 'two writers', expect: 'holds' } },
      host: (layout) => ({ w: [layout.word('w0'), layout.word('w1')], checked: layout.word('checked at (ghost)') }),
      actors: (h: { w: Word[]; checked: Word }) =>
        h.w.map((w, i) => ({
          name: `t${i}`,
          machine: defineStepMachine({ id: 'writer', initial: 'write', context: {}, states: { write: { step: { actions: () => w.store(i + 1), target: 'done' } }, done: { final: true } } }),
        })),
      invariants: [
        {
          name: 'small',
          description: 'the words add up to at most 3',
          check: (h: { w: Word[]; checked: Word }) => {
            const sum = h.w[0].peek() + h.w[1].peek();
            if (h.checked.peek() === sum + 1) return null;
            if (sum > 3) return `sum ${sum}`;
            h.checked.store(sum + 1);
            return null;
          },
        },
      ],
    });
    const r = await verifyDesign(memo as AnyScenario, 'plain', settings({ preemptions: 'unbounded' }));
    expect(r.verdict).to.equal('verified');
    expect(r.executions).to.be.greaterThan(1);
  });

  describe('refuses what it cannot reason about', () => {
    it('a step that writes shared memory behind the accessors\' back', async () => {
      const raw = defineScenario({
        name: 'raw-write',
        title: 'a step that writes a word with Atomics directly',
        options: {},
        designs: { plain: { description: 'raw', expect: 'holds' } },
        host: (layout) => {
          const flag = layout.word('flag');
          return { flag, layout };
        },
        actors: (h: { flag: Word; layout: import('../api.ts').Layout }) => [
          { name: 'sneaky', machine: defineStepMachine({ id: 'sneaky', initial: 'write', context: {}, states: { write: { step: { actions: () => void Atomics.store(h.layout.memory.i32, h.flag.index, 1), target: 'done' } }, done: { final: true } } }) },
          { name: 'reader', machine: defineStepMachine({ id: 'reader', initial: 'read', context: {}, states: { read: { step: { actions: () => void h.flag.load(), target: 'done' } }, done: { final: true } } }) },
        ],
        invariants: [],
      });
      let error: unknown;
      await verifyDesign(raw as AnyScenario, 'plain', settings({})).catch((e) => (error = e));
      expect(error).to.be.instanceOf(UnrecordedAccess);
      expect((error as Error).message).to.match(/sneaky's step from 'write' changed shared memory \('flag'\) without going through hyprace's accessors/);
    });
  });

  describe('the command', () => {
    const dir = tempDir();
    const example = new URL('../examples/lost-update.ts', import.meta.url).pathname;

    it('verifies a design that holds, and says under which bound', () => {
      const r = hyprace(['verify', example, '--design', 'locked', '--json', '--no-typecheck']);
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout);
      expect(out).to.include({ scenario: 'lost-update', design: 'locked', verdict: 'verified', preemptionBound: 'unbounded', violation: null });
      expect(out.executions).to.be.greaterThan(1);
    });

    it('finds a violation with a trace that replays, its random draws recorded as explicit choices', () => {
      const r = hyprace(['verify', example, '--design', 'unlocked-path', '--trace-dir', dir, '--json', '--no-typecheck']);
      expect(r.code, r.stderr).to.equal(1);
      const out = JSON.parse(r.stdout);
      expect(out.verdict).to.equal('violation');
      expect(out.violation.invariant).to.equal('pages-accounted');
      const trace = JSON.parse(readFileSync(out.violation.trace, 'utf8'));
      expect(trace.strategy).to.equal('verify');
      const replay = hyprace(['replay', out.violation.trace, '--no-typecheck']);
      expect(replay.code, replay.stderr).to.equal(1);
      expect(replay.stdout).to.match(/every step took its recorded transition to its recorded state/);
    });

    it('is incomplete (exit 4) when the budget ends first, and says how far it got', () => {
      const r = hyprace(['verify', 'vmid-allocator', '--design', 'v2022-vmid', '--max-executions', '20', '--json']);
      expect(r.code, r.stderr).to.equal(4);
      const out = JSON.parse(r.stdout);
      expect(out.verdict).to.equal('incomplete');
      expect(out.remaining.bound).to.be.a('number');
    });

    it('refuses a draw with more values than it explores, naming the actor, state and draw', () => {
      const r = hyprace(['verify', 'stage2-coalesce', '--design', 'bbm-locked', '--set', 'mmuOffChance=0.1', '--json']);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/^hyprace: vcpu\d in state '\w+': random\(512\) draws from 512 values/);
    });

    it('follows a then-branch: a trylock branching on what its cmpxchg swapped holds, a read-then-set is caught', () => {
      const trylock = new URL('./fixtures/trylock-scenario.ts', import.meta.url).pathname;
      const held = hyprace(['verify', trylock, '--design', 'cmpxchg', '--json', '--no-typecheck']);
      expect(held.code, held.stderr).to.equal(0);
      expect(JSON.parse(held.stdout).verdict).to.equal('verified');
      const caught = hyprace(['verify', trylock, '--design', 'test-then-set', '--trace-dir', dir, '--json', '--no-typecheck']);
      expect(caught.code, caught.stderr).to.equal(1);
      const v = JSON.parse(caught.stdout).violation;
      expect(v.invariant).to.equal('mutual-exclusion');
      const replay = hyprace(['replay', v.trace, '--no-typecheck']);
      expect(replay.stdout).to.match(/t0 trylock[\s\S]*t1 trylock[\s\S]*every step took its recorded transition to its recorded state/);
    });

    it('under --memory arm64, an IPI orders as the kernel\'s does: the function sees what the sender wrote, the sender what it wrote once acknowledged', () => {
      const ipi = new URL('./fixtures/ipi-order-scenario.ts', import.meta.url).pathname;
      const run = (design: string, memory: string) => JSON.parse(hyprace(['verify', ipi, '--design', design, '--memory', memory, '--trace-dir', dir, '--json', '--no-typecheck']).stdout);
      for (const design of ['ipi', 'no-acquire', 'flag']) expect(run(design, 'sc').verdict, design).to.equal('verified');
      expect(run('ipi', 'arm64').verdict).to.equal('verified');
      expect(run('no-acquire', 'arm64').violation.invariant).to.equal('sender-sees-result');
      expect(run('flag', 'arm64').violation.invariant).to.equal('handler-sees-data');
      // An IRQ taken on an idle CPU is in that CPU's program order before the next thread there.
      expect(run('idle-cpu', 'sc').verdict).to.equal('verified');
      expect(run('idle-cpu', 'arm64').verdict).to.equal('verified');
    });

    it('splits the tree over jobs and comes to the same verdicts', () => {
      const held = JSON.parse(hyprace(['verify', example, '--design', 'locked', '--jobs', '2', '--json', '--no-typecheck']).stdout);
      expect(held.verdict).to.equal('verified');
      const caught = hyprace(['verify', example, '--design', 'unlocked-path', '--jobs', '2', '--trace-dir', dir, '--json', '--no-typecheck']);
      expect(caught.code).to.equal(1);
      expect(hyprace(['replay', JSON.parse(caught.stdout).violation.trace, '--no-typecheck']).stdout).to.match(/every step took its recorded transition to its recorded state/);
    });
  });
});
