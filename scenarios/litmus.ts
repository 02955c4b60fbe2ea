// Litmus tests: the small programs memory models are defined and checked by. Each design is one
// test, one actor per thread, one step per instruction; the invariant says the test's "exists"
// outcome is never the final state. Under sc none is reachable (every test here is non-SC);
// under arm64, exactly those the ARMv8 model allows are (herd7's aarch64.cat verdicts, from
// herdtools7's catalogue/aarch64 and catalogue/aarch64-readers-guide kinds.txt and
// gen/tests/AArch64/*.expected; test/litmus.test.ts checks the whole outcome sets).
import { ctrl_dep, defineScenario, defineStepMachine, dmb, isb, type DesignDefinition, type Layout, type Word } from 'hyprace';
import { LITMUS_TESTS, type Instr, type LitmusTest } from './litmus-tests.ts';

interface Options {
  /** The test to run: by default the design's own. */
  test: string;
}

interface Host {
  test: LitmusTest;
  loc: Record<string, Word>;
  /** Ghost: each thread's registers once it has finished, and whether it has. */
  reg: Record<string, Word>;
  done: Word[];
}

function host(layout: Layout, test: LitmusTest): Host {
  const names = [...new Set(test.threads.flatMap((t) => t.flatMap((i) => ('loc' in i ? [i.loc] : []))))].sort();
  const loc = Object.fromEntries(names.map((n) => [n, layout.word(n)]));
  const regNames = test.threads.flatMap((t, p) => [...new Set(t.flatMap((i) => (i.op === 'ld' || i.op === 'rmw' ? [`${p}:${i.reg}`] : [])))]);
  const reg = Object.fromEntries(regNames.map((r) => [r, layout.word(`P${r} (ghost)`, { ghost: true })]));
  const done = test.threads.map((_, p) => layout.word(`P${p} done (ghost)`, { ghost: true }));
  return { test, loc, reg, done };
}

/** One thread: its instructions in order, registers in the context; at the end, the registers go to ghost words. */
function thread(h: Host, p: number) {
  const prog = h.test.threads[p];
  const src: Record<string, Word> = {};
  type C = { pc: number; r: Record<string, number> };
  const exec = ({ context }: { context: C }) => {
    const i: Instr = prog[context.pc];
    const dep = (reg?: string) => (reg ? [src[reg]] : undefined);
    switch (i.op) {
      case 'ld':
        context.r[i.reg] = h.loc[i.loc].load({ acquire: i.acquire, dependsOn: dep(i.addr) });
        src[i.reg] = h.loc[i.loc];
        break;
      case 'st':
        h.loc[i.loc].store(i.val, { release: i.release, dependsOn: dep(i.data ?? i.addr) });
        break;
      case 'rmw':
        // LDADD returns the old value; Word.add() is atomic_add_return(), the new one.
        context.r[i.reg] = i.kind === 'swp' ? h.loc[i.loc].xchg(i.val, i.order) : h.loc[i.loc].add(i.val, i.order) - i.val;
        src[i.reg] = h.loc[i.loc];
        break;
      case 'dmb':
        dmb(i.kind);
        break;
      case 'ctrl':
        ctrl_dep(src[i.reg]);
        break;
      case 'isb':
        isb();
        break;
    }
    context.pc++;
    if (context.pc === prog.length) {
      for (const [r, v] of Object.entries(context.r)) h.reg[`${p}:${r}`].store(v);
      h.done[p].store(1);
    }
  };
  return defineStepMachine<C>({
    id: `P${p}`,
    initial: 'run',
    context: () => ({ pc: 0, r: {} }),
    states: {
      run: { step: [{ guard: ({ context }) => context.pc < prog.length, actions: exec, target: 'run' }, { target: 'done' }] },
      done: { final: true },
    },
  });
}

/** The test's final state, as `name=value` per register and location: what test/litmus.test.ts compares. */
export function outcomeOf(h: Host): Record<string, number> {
  return {
    ...Object.fromEntries(Object.entries(h.reg).map(([r, w]) => [r, w.peek()])),
    ...Object.fromEntries(Object.entries(h.loc).map(([n, w]) => [`[${n}]`, w.peek()])),
  };
}

function matches(h: Host, want: Record<string, number>): boolean {
  const got = outcomeOf(h);
  return Object.entries(want).every(([k, v]) => got[k] === v);
}

const designs = Object.fromEntries(
  LITMUS_TESTS.map((t) => [
    t.name,
    {
      description: `${t.shape}; exists ${Object.entries(t.exists).map(([k, v]) => `${k}=${v}`).join(' /\\ ')}: ${t.arm64} on ARMv8 (${t.source})`,
      expect: 'holds',
      expectUnder: { arm64: t.arm64 === 'allowed' ? 'caught' : 'holds' },
      options: { test: t.name },
    } satisfies DesignDefinition<Options>,
  ]),
);

export default defineScenario({
  name: 'litmus',
  title: 'memory-model litmus tests (MP, SB, LB, 2+2W, S, R, WRC, IRIW, CoRR, CoWW), bare and with the barriers that forbid them',
  options: { test: 'MP' } as Options,
  optionSpecs: { test: { choices: LITMUS_TESTS.map((t) => t.name) } },
  designs,
  budget: { strategy: 'random', iterations: 5000, timeSeconds: 5, stepLimit: 200 },
  verify: { timeSeconds: 60 },
  host: (layout, d) => host(layout, LITMUS_TESTS.find((t) => t.name === d.options.test)!),
  actors: (h) => h.test.threads.map((_, p) => ({ name: `P${p}`, where: () => `P${p}`, machine: thread(h, p) })),
  invariants: [
    {
      name: 'exists-not-observed',
      description: "the test's exists outcome is never the final state",
      check: (h) => (h.done.every((d) => d.peek()) && matches(h, h.test.exists) ? `the outcome ${Object.entries(h.test.exists).map(([k, v]) => `${k}=${v}`).join(', ')} was observed` : null),
    },
  ],
  figures: (h) => outcomeOf(h),
});
