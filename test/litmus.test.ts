// The arm64 memory model against ARMv8's published verdicts. For every litmus test, verify
// (exhaustive) must reach exactly the final outcomes the architecture allows: the sequentially
// consistent ones, plus the test's exists outcome where herd7's aarch64.cat allows it (the
// verdicts and their files are in scenarios/litmus-tests.ts: herdtools7 catalogue/aarch64 and
// catalogue/aarch64-readers-guide kinds.txt, and gen/tests/AArch64/*.expected). In these tests
// the exists outcome is the only one SC does not reach. The SC outcomes come from a plain
// interleaving of the instructions below, which shares nothing with hyprace's engine. Tests with
// LSE atomics carry herd7's whole list of final states instead, as herd7 printed it here.
import { expect } from 'chai';
import { loadScenario } from '../actors/engine/index.ts';
import type { MemoryModel } from '../actors/trace/index.ts';
import { verifyDesign } from '../actors/verify/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import { LITMUS_TESTS, type LitmusTest } from '../scenarios/litmus-tests.ts';

/** Every final outcome of every interleaving, as `key=value` strings sorted (registers and locations). */
function scOutcomes(t: LitmusTest): Set<string> {
  const out = new Set<string>();
  const locs = [...new Set(t.threads.flatMap((th) => th.flatMap((i) => ('loc' in i ? [i.loc] : []))))];
  const go = (pcs: number[], mem: Record<string, number>, regs: Record<string, number>) => {
    let moved = false;
    t.threads.forEach((th, p) => {
      if (pcs[p] >= th.length) return;
      moved = true;
      const i = th[pcs[p]];
      const m = { ...mem };
      const r = { ...regs };
      if (i.op === 'ld') r[`${p}:${i.reg}`] = m[i.loc] ?? 0;
      if (i.op === 'st') m[i.loc] = i.val;
      if (i.op === 'rmw') {
        r[`${p}:${i.reg}`] = m[i.loc] ?? 0;
        m[i.loc] = i.kind === 'swp' ? i.val : (m[i.loc] ?? 0) + i.val;
      }
      const next = [...pcs];
      next[p]++;
      go(next, m, r);
    });
    if (!moved) out.add(render({ ...regs, ...Object.fromEntries(locs.map((l) => [`[${l}]`, mem[l] ?? 0])) }));
  };
  go(t.threads.map(() => 0), {}, {});
  return out;
}

/** herd7's way of printing a final state, `0:X1=0; [y]=1;`, as key and value. */
const parseHerdState = (line: string): Record<string, number> =>
  Object.fromEntries(
    line
      .split(';')
      .map((kv) => kv.trim())
      .filter((kv) => kv !== '')
      .map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])]),
  );

const render = (o: Record<string, number>) =>
  Object.entries(o)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/** The outcomes verify reaches: every complete execution's final registers and memory. */
async function reached(t: LitmusTest, memoryModel: MemoryModel): Promise<Set<string>> {
  const s = await loadScenario(CATALOGUE.litmus);
  const out = new Set<string>();
  const r = await verifyDesign(s, t.name, {
    memoryModel,
    preemptions: 'unbounded',
    maxExecutions: Number.MAX_SAFE_INTEGER,
    timeSeconds: 600,
    stepLimit: 200,
    // No invariant: every outcome, not only up to the first that breaks one.
    only: new Set(),
    onExecution: (run) => run?.end === 'done' && out.add(render(run.figures)),
  });
  expect(r.verdict, `${t.name} under ${memoryModel}`).to.equal('verified');
  return out;
}

describe('litmus tests', function () {
  this.timeout(600_000);

  for (const t of LITMUS_TESTS) {
    it(`${t.name}: ${t.arm64} on ARMv8 (${t.source}); arm64 reaches exactly the allowed outcomes, sc the interleavings`, async () => {
      const sc = scOutcomes(t);
      const exists = [...sc].filter((o) => Object.entries(t.exists).every(([k, v]) => o.split(' ').includes(`${k}=${v}`)));
      expect(exists, `${t.name}'s exists outcome is not sequentially consistent`).to.deep.equal([]);
      if (t.herd7States) {
        // herd7 lists the final states over the registers and locations its condition names: ours, reduced to those, must be exactly its.
        const herd = new Set(t.herd7States.map(parseHerdState).map(render));
        const keys = Object.keys(parseHerdState(t.herd7States[0]));
        const project = (o: string) => render(Object.fromEntries(o.split(' ').map((kv) => kv.split('=')).filter(([k]) => keys.includes(k)).map(([k, v]) => [k, Number(v)])));
        expect(t.herd7States.some((h) => Object.entries(t.exists).every(([k, v]) => parseHerdState(h)[k] === v)), `${t.name}: herd7's states and its verdict agree`).to.equal(t.arm64 === 'allowed');
        expect([...new Set([...(await reached(t, 'arm64'))].map(project))].sort()).to.deep.equal([...herd].sort());
        expect([...(await reached(t, 'sc'))].sort()).to.deep.equal([...sc].sort());
        return;
      }
      const allowed = new Set(sc);
      if (t.arm64 === 'allowed') {
        const full = [...sc][0].split(' ').map((kv) => kv.split('=')[0]);
        // The exists outcome, completed with the values every execution agrees on.
        const fixed = Object.fromEntries(full.filter((k) => !(k in t.exists) && new Set([...sc].map((o) => o.split(' ').find((kv) => kv.startsWith(`${k}=`)))).size === 1).map((k) => [k, Number([...sc][0].split(' ').find((kv) => kv.startsWith(`${k}=`))!.split('=')[1])]));
        allowed.add(render({ ...fixed, ...t.exists }));
      }
      expect([...(await reached(t, 'arm64'))].sort()).to.deep.equal([...allowed].sort());
      expect([...(await reached(t, 'sc'))].sort()).to.deep.equal([...sc].sort());
    });
  }
});
