// Each VMID invariant fails, checked alone, on a design that has the bug it describes, and the
// designs without the bugs hold them all. Budgets are run counts, so results do not depend on
// the machine's speed.
import { expect } from 'chai';
import allocator from '../scenarios/vmid-allocator.ts';
import rollover from '../scenarios/vmid-rollover.ts';
import type { AnyScenario, StrategyName } from '../actors/engine/index.ts';
import { exploreInline } from './helpers.ts';

const caught: [AnyScenario, string, string, StrategyName, RegExp][] = [
  [rollover, 'one-vmid-per-vm', 'v2012-posted', 'pct', /^VM 0 runs with two VMIDs: vcpu0\.[01] with \d, vcpu0\.[01] with \d$/],
  [rollover, 'running-vmid-current', 'v2012-posted', 'random', /vcpu0\.[01] runs with VMID \d but VM 0's VMID is now \d/],
  [rollover, 'running-vmid-current', 'v2012-merged', 'pct', /runs (the guest with VMID 0, the host's|with VMID \d but VM \d's VMID is now \d)/],
  [rollover, 'running-vmid-current', 'v2018-rwlock', 'pct', /runs with VMID \d but VM 0's VMID is now \d/],
  [rollover, 'running-vmid-current', 'v2022-vmid-vhe', 'pct', /runs the guest with VMID 0, the host's/],
  [rollover, 'no-shared-vmid', 'v2022-vmid-nomark', 'pct', /VM \d \(vcpu\d\.0\) and VM \d \(vcpu\d\.0\) both run with VMID \d/],
  [rollover, 'vmid-unique-in-generation', 'v2022-vmid-nomark', 'pct', /VM \d and VM \d both hold VMID \d in the current generation/],
  [rollover, 'tlb-no-vmid-alias', 'v2018-rwlock', 'pct', /cpu\d's TLB holds entries of VM \d and VM \d under VMID \d/],
  [rollover, 'no-cross-vm-tlb-hit', 'v2012-posted', 'random', /a vCPU of VM \d on cpu\d hit VM \d's TLB entry for IPA page \d under VMID \d/],
  [rollover, 'vmid-map-covers-reserved', 'v2022-vmid-nomark', 'pct', /cpu\d reserves VMID \d but vmid_map does not mark it/],
  [allocator, 'same-vmid-active-task', 'v2022-vmid-nomark', 'pct', /task \d is active on cpu0 with VMID \d and on cpu1 with VMID \d/],
  [allocator, 'vmid-unique-in-generation', 'v2022-vmid-xchg', 'random', /tasks \d and \d both hold VMID \d in generation \d+/],
  [allocator, 'vmid-map-covers-reserved', 'v2022-vmid-nomark', 'pct', /cpu\d reserves VMID \d but vmid_map does not mark it/],
  // vmid.c's rollover with its generation bump seen after flush_context()'s xchgs, as ARMv8 allows its relaxed RMWs.
  [allocator, 'vmid-unique-in-generation', 'v2022-vmid-generation-late', 'random', /tasks \d and \d both hold VMID \d in generation \d+/],
  [allocator, 'active-vmid-current', 'v2022-vmid-generation-late', 'random', /cpu\d's active VMID \d is of generation \d+, the current one is \d+: no rollover reserved it/],
  [allocator, 'tlb-no-vmid-alias', 'v2022-vmid-tlb', 'pct', /cpu\d's TLB holds entries of task \d and task \d under VMID \d/],
];

describe('VMID invariants fail on the designs with the bug', function () {
  this.timeout(60_000);
  for (const [scenario, invariant, design, strategy, message] of caught) {
    it(`${scenario.name}: ${invariant} fails on ${design}`, async () => {
      const r = await exploreInline(scenario, design, { only: new Set([invariant]), strategy, depth: 4, iterations: 40_000, timeSeconds: 120 });
      expect(r.violation, `no violation in ${r.iterations} runs`).to.not.equal(null);
      expect(r.violation!.invariant).to.equal(invariant);
      expect(r.violation!.message).to.match(message);
    });
  }
});

describe('VMID designs without the bugs hold every invariant', function () {
  this.timeout(120_000);
  const holds: [AnyScenario, string, StrategyName][] = [
    [rollover, 'v2018-lockless', 'pct'],
    [rollover, 'v2018-lockless', 'random'],
    [rollover, 'v2022-vmid', 'pct'],
    [rollover, 'v2022-vmid', 'random'],
    [rollover, 'v2025-vmid-load', 'pct'],
    [allocator, 'v2022-vmid', 'random'],
    [allocator, 'v2022-vmid', 'pct'],
  ];
  for (const [scenario, design, strategy] of holds) {
    it(`${scenario.name}: ${design} holds under ${strategy}`, async () => {
      const r = await exploreInline(scenario, design, { strategy, depth: 4, iterations: 3000, timeSeconds: 120 });
      expect(r.violation).to.equal(null);
      expect(r.iterations).to.equal(3000);
      expect(r.stepLimitRuns).to.equal(0);
      expect(r.figures.rollovers, 'the runs must exercise rollovers').to.be.greaterThan(1000);
    });
  }
});

describe('speculative TLB fills', function () {
  this.timeout(60_000);
  it('v2018-lockless lets a VM hit another VM\'s TLB entry when walks may use a loaded VTTBR out of context', async () => {
    const r = await exploreInline(rollover, 'v2018-lockless', { strategy: 'random', only: new Set(['no-cross-vm-tlb-hit']), options: { speculation: 'loaded' }, iterations: 20_000, timeSeconds: 120 });
    expect(r.violation?.invariant).to.equal('no-cross-vm-tlb-hit');
  });
  for (const design of ['v2018-lockless', 'v2022-vmid']) {
    it(`${design} holds when walks happen only while guest code runs`, async () => {
      const r = await exploreInline(rollover, design, { strategy: 'random', options: { speculation: 'in-guest' }, iterations: 3000, timeSeconds: 120 });
      expect(r.violation).to.equal(null);
      expect(r.figures.tlbFills).to.be.greaterThan(3000);
    });
  }
});
