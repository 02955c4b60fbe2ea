// Guest SPE: register encodings against the architecture's bit positions, each approach's KVM
// handling on a scripted guest, each invariant failing on the design with the bug and holding
// on the others, and the ioctl error contract of FINALIZE and KVM_RUN.
import { expect } from 'chai';
import { Layout } from '../host/layout.ts';
import { handleSpeStage2Fault, noteFaultCause, trapSpeRegWrite } from '../host/spe/kvm-spe.ts';
import {
  PMBSR_EL1_EC_FAULT_S2,
  PMSCR_EL1_E0SPE,
  PMSCR_EL1_E1SPE,
  decodePmblimitr,
  decodePmbsr,
  el0Only,
  pmblimitr,
  pmbsr,
  profilingEnabled,
} from '../host/spe/regs.ts';
import { stage2State } from '../host/spe/stage2-ops.ts';
import { speWriteRecord } from '../host/spe/unit.ts';
import { BUF_PAGES, PMBLIMITR, PMBPTR, PMBSR, PMSCR, bufferVa, peekSpeReg, pinnedPages, setSpeReg, speHost, speInitWorld, type PinningDesign, type SpeHost } from '../host/spe/world.ts';
import { setViolationBox, ViolationBox } from '../host/violations.ts';
import speFinalize from '../scenarios/spe-finalize.ts';
import { SPE_DEFAULTS } from '../scenarios/spe-defaults.ts';
import spePinning from '../scenarios/spe-pinning.ts';
import { exploreInline } from './helpers.ts';
import type { ExploreResult } from '../actors/explore/index.ts';

const bit = (n: number) => 1n << BigInt(n);

describe('SPE registers', () => {
  it('PMBLIMITR_EL1: LIMIT [63:12], FM [2:1], E [0]', () => {
    const v = pmblimitr({ limit: 0x4000_2000, fm: 2, e: true });
    expect(v).to.equal(0x4000_2000n | (2n << 1n) | 1n);
    expect(decodePmblimitr(v)).to.deep.equal({ limit: 0x4000_2000, fm: 2, e: true });
    expect(pmblimitr({ limit: 0x4000_2fff, fm: 0, e: false }), 'LIMIT is page aligned').to.equal(0x4000_2000n);
  });

  it('PMBSR_EL1: EC [31:26], DL [19], EA [18], S [17], COLL [16], MSS [15:0]', () => {
    const v = pmbsr({ ec: PMBSR_EL1_EC_FAULT_S2, dl: true, ea: false, s: true, coll: true, mss: 0x1n });
    expect(v).to.equal((0x25n << 26n) | bit(19) | bit(17) | bit(16) | 1n);
    expect(decodePmbsr(v)).to.deep.equal({ ec: 0x25n, dl: true, ea: false, s: true, coll: true, mss: 1n });
    expect(decodePmbsr(bit(18)).ea).to.equal(true);
  });

  it('PMSCR_EL1: E0SPE [0], E1SPE [1]; profiling is on at an EL only with the buffer enabled and not stopped', () => {
    expect(PMSCR_EL1_E0SPE).to.equal(bit(0));
    expect(PMSCR_EL1_E1SPE).to.equal(bit(1));
    const on = pmblimitr({ limit: 0x1000, fm: 0, e: true });
    expect(profilingEnabled(on, 0n, PMSCR_EL1_E0SPE, 0)).to.equal(true);
    expect(profilingEnabled(on, 0n, PMSCR_EL1_E0SPE, 1), 'E1SPE clear').to.equal(false);
    expect(profilingEnabled(on, bit(17), PMSCR_EL1_E0SPE, 0), 'PMBSR_EL1.S set').to.equal(false);
    expect(profilingEnabled(0n, 0n, PMSCR_EL1_E0SPE | PMSCR_EL1_E1SPE, 1), 'buffer disabled').to.equal(false);
    expect(el0Only(PMSCR_EL1_E0SPE)).to.equal(true);
    expect(el0Only(PMSCR_EL1_E0SPE | PMSCR_EL1_E1SPE)).to.equal(false);
  });
});

/**
 * Seed 004's corner case, scripted: at EL1 the guest enables an EL0-only buffer (a trapped
 * write), then moves the buffer to new pages (no trap), then ERETs to EL0 where the SPE unit
 * writes. Returns what the unit did and what KVM did about it.
 */
function el0CornerCase(design: PinningDesign) {
  const layout = new Layout();
  const h: SpeHost = speHost(layout, { ...SPE_DEFAULTS, design, vcpus: 1 });
  layout.bind();
  setViolationBox(new ViolationBox(new Layout()));
  speInitWorld(h, { guestRan: true, ramVmFlags: 0 });
  const mapBuffer = (first: number) => {
    for (let p = 0; p < BUF_PAGES; p++) h.s1.at(p).store(first + p + 1);
  };
  mapBuffer(10);
  setSpeReg(h, 0, PMBPTR, BigInt(bufferVa(0)));
  setSpeReg(h, 0, PMSCR, PMSCR_EL1_E0SPE);
  trapSpeRegWrite(h, 0, design);
  setSpeReg(h, 0, PMBLIMITR, pmblimitr({ limit: bufferVa(0) + BUF_PAGES * 4096, fm: 0, e: true }));
  trapSpeRegWrite(h, 0, design);
  const pinnedAtEnable = pinnedPages(h);
  mapBuffer(20);
  h.el.at(0).store(0);
  const first = speWriteRecord(h, 0, true);
  if (first === 'fault') noteFaultCause(h, 0);
  const cause = first === 'fault' ? handleSpeStage2Fault(h, 0, design) : undefined;
  return { h, pinnedAtEnable, first, cause, newPagesMapped: [20, 21].map((g) => stage2State(h, g)) };
}

describe('SPE approaches on the EL0 corner case', () => {
  it('pin-on-enable pins at the trapped enable, so the moved buffer faults at EL0 and only the faulting page gets mapped', () => {
    const r = el0CornerCase('pin-on-enable');
    expect(r.pinnedAtEnable, 'stage-1 table page and two buffer pages').to.equal(3);
    expect(r.first).to.equal('fault');
    expect(r.cause).to.equal('el0-corner');
    expect(r.newPagesMapped).to.deep.equal(['writable', 'unmapped']);
  });

  it('option (b) pins nothing at an EL0-only enable and the whole moved buffer at its first fault', () => {
    const r = el0CornerCase('pin-on-enable+first-fault');
    expect(r.pinnedAtEnable).to.equal(0);
    expect(r.first).to.equal('fault');
    expect(r.newPagesMapped).to.deep.equal(['writable', 'writable']);
    expect(pinnedPages(r.h)).to.equal(3);
  });

  it('approach 4 pins the whole buffer on the first fault; on-demand maps one page and pins none', () => {
    const four = el0CornerCase('pin-on-first-fault');
    expect(four.pinnedAtEnable).to.equal(0);
    expect(four.newPagesMapped).to.deep.equal(['writable', 'writable']);
    const two = el0CornerCase('on-demand');
    expect(two.newPagesMapped).to.deep.equal(['writable', 'unmapped']);
    expect(pinnedPages(two.h)).to.equal(0);
  });

  it('once KVM has mapped the page, the unit writes the record and moves PMBPTR_EL1 on by one record', () => {
    const r = el0CornerCase('pin-on-first-fault');
    setSpeReg(r.h, 0, PMBSR, 0n);
    expect(speWriteRecord(r.h, 0, true)).to.equal('written');
    expect(Number(peekSpeReg(r.h, 0, PMBPTR))).to.equal(bufferVa(0) + 1024);
    expect(r.h.pending.peek(0)).to.equal(1);
  });
});

describe('spe-pinning invariants', function () {
  this.timeout(120_000);
  const caught: [string, string, RegExp][] = [
    ['buffer-mapped-while-profiling', 'pin-on-enable', /vcpu0 profiles at EL0 but buffer page \d \(gfn \d+\) is not mapped writable at stage 2/],
    ['no-record-loss-on-first-fault', 'pin-on-first-fault-page', /vcpu0 lost \d+ records to a stage-2 fault on its buffer caused by the guest/],
    ['pins-bounded', 'pin-on-enable-no-unpin', /\d+ pages are pinned, more than one buffer/],
  ];
  for (const [invariant, design, message] of caught) {
    it(`${invariant} fails on ${design}`, async () => {
      const r = await exploreInline(spePinning, design, { only: new Set([invariant]), strategy: 'random', iterations: 5000 });
      expect(r.violation?.invariant).to.equal(invariant);
      expect(r.violation!.message).to.match(message);
    });
  }
  // The holding designs are explored once, and those runs serve both the verdicts and the
  // trade-offs below.
  const RUNS = 400;
  const HOLDING = ['pin-all', 'on-demand', 'pin-on-enable+forbid', 'pin-on-enable+first-fault', 'pin-on-first-fault'];
  const holding = new Map<string, ExploreResult>();
  before(async function () {
    // Five designs' runs in one hook: the time the tests they replace had, together.
    this.timeout(600_000);
    for (const design of HOLDING) {
      holding.set(design, await exploreInline(spePinning, design, { strategy: 'random', iterations: RUNS }));
    }
  });
  for (const design of HOLDING) {
    it(`${design} holds every invariant`, () => {
      const r = holding.get(design)!;
      expect(r.violation).to.equal(null);
      expect(r.iterations).to.equal(RUNS);
      expect(r.figures.recordsWritten, 'the guest profiles').to.be.greaterThan(RUNS * 10);
    });
  }

  it('shows the trade-offs: pin-all pins all RAM, on-demand loses the most records, approach 4 has the blackouts approach 3 (a) avoids', () => {
    const [all, demand, forbid, four] = ['pin-all', 'on-demand', 'pin-on-enable+forbid', 'pin-on-first-fault'].map((d) => holding.get(d)!.figures);
    expect(all.peakPinnedPages / RUNS).to.equal(32);
    expect(demand.pins).to.equal(0);
    expect(demand.recordsLost).to.be.greaterThan(Math.max(forbid.recordsLost, four.recordsLost));
    expect(four.faultsGuestReprogram, 'every new buffer faults first').to.be.greaterThan(0);
    expect(forbid.faultsGuestReprogram + forbid.faultsEl0Corner, 'pinned before any record').to.equal(0);
    expect(four.blackoutSteps).to.be.greaterThan(forbid.blackoutSteps);
  });

  it('approach 4 and option (b) lose records too when the guest moves a single page of a buffer KVM has pinned', async () => {
    for (const design of ['pin-on-first-fault', 'pin-on-enable+first-fault']) {
      const r = await exploreInline(spePinning, design, { strategy: 'random', iterations: 5000, options: { remap: 'page' } });
      expect(r.violation?.invariant, design).to.equal('no-record-loss-on-first-fault');
    }
  });
});

describe('spe-finalize', function () {
  this.timeout(120_000);
  it('the typo is caught by the lock-owner check the first time FINALIZE runs', async () => {
    const r = await exploreInline(speFinalize, 'pin-all-typo', { strategy: 'random', iterations: 10 });
    expect(r.violation?.invariant).to.equal('lock-discipline');
    expect(r.violation!.message).to.equal('vmm calls mutex_unlock(kvm->slots_lock) but nobody holds it');
  });

  it('without lock checks the typo shows only when FINALIZE races a memslot update, as the seed says', async () => {
    const only = new Set(['memslot-stage2-consistent']);
    const raced = await exploreInline(speFinalize, 'pin-all-typo', { only, strategy: 'random', iterations: 5000 });
    expect(raced.violation?.message).to.match(/gfn \d+ is mapped at stage 2 but lies in no memslot|maps host frame|not marked dirty/);
    const alone = await exploreInline(speFinalize, 'pin-all-typo', { only, strategy: 'random', iterations: 1000, options: { memslotUpdates: 0 } });
    expect(alone.violation).to.equal(null);
    const slotsLock = await exploreInline(speFinalize, 'pin-all-typo', { only: new Set(['slots-lock-held']), strategy: 'random', iterations: 10 });
    expect(slotsLock.violation?.message).to.match(/^vmm changes stage 2 \(map gfn \d+, finalize\) while (nobody holds kvm->slots_lock|vmm-memslots holds kvm->slots_lock)$/);
  });

  it('the mutants break the ioctl contract and the pre-mapping promise', async () => {
    const definalize = await exploreInline(speFinalize, 'pin-all-no-definalize', { only: new Set(['ioctl-contract']), strategy: 'random', iterations: 5000 });
    expect(definalize.violation?.message).to.match(/KVM_RUN\(vcpu\d\) entered the guest but FINALIZE has not succeeded|FINALIZE returned -16, the contract says 0/);
    const eagain = await exploreInline(speFinalize, 'pin-all-no-eagain', { only: new Set(['spe-premapped']), strategy: 'random', iterations: 5000 });
    expect(eagain.violation?.message).to.match(/FINALIZE succeeds but gfn \d+ of VM_LOCKED slot 0 is not mapped writable/);
  });

  it('pin-all returns every error of the contract and holds', async () => {
    const r = await exploreInline(speFinalize, 'pin-all', { strategy: 'random', iterations: 2000 });
    expect(r.violation).to.equal(null);
    for (const f of ['finalizeOk', 'finalizeEnxio', 'finalizeEbusy', 'finalizeEagain', 'kvmRunEperm', 'kvmRunEntered']) expect(r.figures[f], f).to.be.greaterThan(0);
  });
});
