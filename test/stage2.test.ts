// Stage-2 tables: descriptors against the architecture's bit layout, the walker's visitor order,
// each invariant failing on the design with its bug and holding on the others, and replay.
import { expect } from 'chai';
import { hyprace } from './cli-run.ts';
import { explore } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import { replayTrace } from '../actors/trace/index.ts';
import { readTrace } from '../actors/trace/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { Layout } from '../host/layout.ts';
import {
  KVM_INVALID_PTE_LOCKED,
  Prot,
  describePte,
  granuleSize,
  kvm_init_table_pte,
  kvm_init_valid_leaf_pte,
  kvm_pte_locked,
  kvm_pte_table,
  kvm_pte_to_phys,
  kvm_pte_valid,
  leafProt,
} from '../host/stage2/descriptor.ts';
import { KVM_PGTABLE_WALK_LEAF, KVM_PGTABLE_WALK_TABLE_POST, KVM_PGTABLE_WALK_TABLE_PRE, KvmPgtable } from '../host/stage2/pgtable.ts';
import { GuestFrames, TablePool } from '../host/stage2/pool.ts';
import { setViolationBox, ViolationBox } from '../host/violations.ts';
import stage2 from '../scenarios/stage2-coalesce.ts';
import { exploreInline } from './helpers.ts';
import { tempDir } from './temp-dirs.ts';

const bit = (n: number) => 1n << BigInt(n);

describe('stage-2 descriptors', () => {
  it('encode a page (level 3) with the architecture\'s bits', () => {
    const pte = kvm_init_valid_leaf_pte(0x1_2345_6000, Prot.R | Prot.W, 3);
    expect(pte & bit(0), 'valid').to.equal(bit(0));
    expect(pte & bit(1), 'page at level 3').to.equal(bit(1));
    expect(pte & (0xfffffffffn << 12n), 'OA [47:12]').to.equal(0x1_2345_6000n);
    expect((pte >> 2n) & 0xfn, 'MemAttr [5:2]: Normal WB').to.equal(0xfn);
    expect(pte & bit(6), 'S2AP read').to.equal(bit(6));
    expect(pte & bit(7), 'S2AP write').to.equal(bit(7));
    expect((pte >> 8n) & 3n, 'SH [9:8]: inner shareable').to.equal(3n);
    expect(pte & bit(10), 'AF').to.equal(bit(10));
    expect(pte & bit(54), 'XN: not executable').to.equal(bit(54));
    expect(leafProt(pte)).to.equal(Prot.R | Prot.W);
    expect(describePte(pte, 3)).to.equal('page 0x123456000');
  });

  it('encode a block at levels 1-2 with bit 1 clear, and tables with it set', () => {
    const block = kvm_init_valid_leaf_pte(0x4020_0000, Prot.R | Prot.X, 2);
    expect(block & bit(1)).to.equal(0n);
    expect(block & bit(7), 'not writable').to.equal(0n);
    expect(block & bit(54), 'executable').to.equal(0n);
    expect(kvm_pte_table(block, 2)).to.equal(false);
    const table = kvm_init_table_pte(0x4000_3000);
    expect(table).to.equal(0x4000_3000n | 3n);
    expect(kvm_pte_table(table, 1)).to.equal(true);
    expect(kvm_pte_table(table, 3), 'no tables at level 3').to.equal(false);
    expect(kvm_pte_to_phys(table)).to.equal(0x4000_3000);
  });

  it('mark an entry being replaced as LOCKED: bit 10, not valid', () => {
    expect(KVM_INVALID_PTE_LOCKED).to.equal(bit(10));
    expect(kvm_pte_valid(KVM_INVALID_PTE_LOCKED)).to.equal(false);
    expect(kvm_pte_locked(KVM_INVALID_PTE_LOCKED)).to.equal(true);
    expect(kvm_pte_locked(kvm_init_valid_leaf_pte(0, Prot.R, 3))).to.equal(false);
    expect([0, 1, 2, 3].map(granuleSize)).to.deep.equal([2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12]);
  });
});

function tables(pages = 64, frames = 16384) {
  const layout = new Layout();
  const pool = new TablePool(layout, pages);
  const f = new GuestFrames(layout, frames);
  const box = new ViolationBox(layout);
  layout.bind();
  setViolationBox(box);
  pool.init();
  const pgt = new KvmPgtable(pool, f, 40);
  pgt.init();
  return { pool, frames: f, pgt, box };
}

describe('kvm_pgtable_walk', () => {
  it('visits TABLE_PRE, the leaves in address order, then TABLE_POST, at each level', () => {
    const { pgt } = tables();
    pgt.map(0x4000_0000, 3 * 4096, 0, Prot.R);
    const seen: string[] = [];
    pgt.walkAll(0x4000_0000, 2 * 4096, {
      flags: KVM_PGTABLE_WALK_TABLE_PRE | KVM_PGTABLE_WALK_LEAF | KVM_PGTABLE_WALK_TABLE_POST,
      cb: (c) => seen.push(`${c.visit === KVM_PGTABLE_WALK_TABLE_PRE ? 'pre' : c.visit === KVM_PGTABLE_WALK_LEAF ? 'leaf' : 'post'} L${c.level} ${(c.addr - 0x4000_0000) / 4096}`),
    });
    expect(seen).to.deep.equal(['pre L0 0', 'pre L1 0', 'pre L2 0', 'leaf L3 0', 'leaf L3 1', 'post L2 0', 'post L1 0', 'post L0 0']);
  });

  it('keeps table pages counted as valid entries + 1, and frees empty tables on unmap', () => {
    const { pgt, pool, frames } = tables();
    pgt.map(0x4000_0000, 64 * 1024 * 1024, 0, Prot.R | Prot.W);
    const inUse = pgt.tablePages();
    expect(inUse.size).to.equal(1 + 1 + 1 + 32);
    for (const [page] of inUse) expect(pool.refcount.peek(page)).to.equal(pool.validEntries(page) + 1);
    expect(frames.refcount.peek(100)).to.equal(1);
    pgt.unmap(0x4000_0000, 64 * 1024 * 1024);
    expect(pgt.tablePages().size, 'only the root is left').to.equal(1);
    expect(pool.counters.peek(2), 'tables freed').to.equal(34);
    expect(frames.refcount.peek(100)).to.equal(0);
  });
});

describe('stage2-coalesce invariants', function () {
  this.timeout(120_000);
  const caught: [string, string, RegExp][] = [
    ['refcounts-balance', 'install-first', /table \d+ \(level 2\) has a count of \d+ but \d+ valid entries: a reference leaked/],
    ['no-stale-data', 'install-first', /read IPA page \d+ with its MMU off through .*: frame \d+ is still dirty in the data cache/],
    ['tlb-no-conflict', 'bbm-no-tlbi', /cpu\d's TLB holds a (4 KiB page and a 2 MiB block|2 MiB block and a 4 KiB page) for IPA page \d+ under VMID 1: a TLB conflict/],
    ['no-freed-translation', 'bbm-no-tlbi', /used a TLB entry for IPA page \d+ made from table \d+, which has been freed since/],
  ];
  for (const [invariant, design, message] of caught) {
    it(`${invariant} fails on ${design}`, async () => {
      const r = await exploreInline(stage2, design, { only: new Set([invariant]), strategy: 'random', iterations: 20_000 });
      expect(r.violation?.invariant).to.equal(invariant);
      expect(r.violation!.message).to.match(message);
    });
  }
  for (const design of ['unmap-first', 'install-first-fixed', 'bbm-locked']) {
    it(`${design} holds every invariant`, async () => {
      const r = await exploreInline(stage2, design, { strategy: 'random', iterations: 1500 });
      expect(r.violation).to.equal(null);
      expect(r.figures.coalesceWindowFaults, 'vCPUs fault while the entry is invalid').to.be.greaterThan(0);
      expect(r.iterations).to.equal(1500);
      expect(r.figures.cmoBytes, 'a 2 MiB clean per coalesce').to.be.at.least(1500 * 2 * 1024 * 1024);
    });
  }

  it('replays a found violation step for step', async () => {
    const world = buildWorld(stage2, 'install-first');
    const r = await explore(new InlineBackend(world), { strategy: 'random', depth: 3, iterations: 1000, timeSeconds: 60, seed: 5, stepLimit: 2000, traceDir: tempDir() });
    const trace = readTrace(r.violation!.trace!);
    const replayed = await replayTrace(new InlineBackend(buildWorld(stage2, 'install-first')), trace);
    expect(replayed.run.violation).to.deep.equal(trace.violation);
  });
});

describe('stage2-coalesce in check', function () {
  this.timeout(600_000);

  // check verifies what sampling found to hold; at the sampling configuration an MMU-off access
  // draws among 512 pages, more than verify explores, and the whole command stopped with that
  // error. The scenario's verify configuration is small enough to explore.
  it('verifies its holding designs at the scenario verify configuration', () => {
    const r = hyprace(['check', 'stage2-coalesce', '--iterations', '30', '--verify-time', '60', '--trace-dir', tempDir(), '--json']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const rows = JSON.parse(r.stdout).results as { design: string; expected: string; got: string; method: string }[];
    for (const row of rows.filter((x) => x.expected === 'holds')) expect(row.method, row.design).to.equal('verified');
    expect(rows.every((x) => x.got === x.expected)).to.equal(true);
  });
});
