// Seed 004: the same guest profiling workload, host MM events and live migration against each
// way of keeping the SPE buffer mapped at stage 2: pin all memory (seed 000), map on demand,
// pin when profiling is enabled (with the EL0 corner case, and options a and b), and pin on the
// first stage-2 fault. Figures show what the thread argued about; invariants what each promises.
import { defineScenario, type DesignDefinition, type InvariantDefinition } from 'hyprace';
import {
  BUF_PAGES,
  F,
  FIGURES,
  FIRST_FAULT_DESIGNS,
  MEMSLOT_STAGE2_CONSISTENT,
  NO_RECORD_LOSS_ON_FIRST_FAULT,
  PINNED_PER_VCPU,
  PMBLIMITR,
  PMBPTR,
  PMBSR,
  PMSCR,
  RAM_PAGES,
  VM_LOCKED,
  bufferVa,
  hostMm,
  liveMigration,
  memslotConsistency,
  peekSpeReg,
  pinGfn,
  pinnedPages,
  profilingEnabled,
  s1TableGfn,
  speGuestVcpu,
  speHost,
  speInitWorld,
  stage2MapSlot,
  stage2State,
  type PinningDesign,
  type SpeHost,
  type SpeOptions,
} from 'hyprace/spe';
import { SPE_DEFAULTS, speOptionSpecs } from './spe-defaults.ts';

export const BUFFER_MAPPED_WHILE_PROFILING = 'buffer-mapped-while-profiling';
export const PINS_BOUNDED = 'pins-bounded';

const designs = {
  'pin-all': { description: 'approach 1 (seed 000): all guest RAM mlock()ed and mapped by FINALIZE before the guest runs', expect: 'holds' },
  'on-demand': { description: 'approach 2: map the faulting buffer page on each SPE stage-2 fault, pin nothing (DL discards the buffer)', expect: 'holds', options: { design: 'on-demand' } },
  'pin-on-enable': {
    description: 'approach 3: pin the buffer and its stage-1 table page when a trapped register write enables it; an ERET to EL0 does not trap',
    expect: 'caught',
    expectInvariants: [BUFFER_MAPPED_WHILE_PROFILING],
    options: { design: 'pin-on-enable' },
  },
  'pin-on-enable+forbid': { description: "approach 3, option (a): guests must not change an enabled EL0-only buffer's translations (they disable it first)", expect: 'holds', options: { design: 'pin-on-enable+forbid' } },
  'pin-on-enable+first-fault': { description: 'approach 3, option (b): an EL0-only buffer is pinned on its first stage-2 fault instead', expect: 'holds', options: { design: 'pin-on-enable+first-fault' } },
  'pin-on-first-fault': { description: 'approach 4: pin the whole buffer on the first SPE stage-2 fault (a blackout before the first record)', expect: 'holds', options: { design: 'pin-on-first-fault' } },
  'pin-on-first-fault-page': {
    description: 'mutant of approach 4: pin only the faulting page, not the whole buffer',
    expect: 'caught',
    expectInvariants: [NO_RECORD_LOSS_ON_FIRST_FAULT],
    options: { design: 'pin-on-first-fault-page' },
  },
  'pin-on-enable-no-unpin': {
    description: 'mutant of approach 3: the old buffer is not unpinned when a new one is pinned',
    expect: 'caught',
    expectInvariants: [PINS_BOUNDED],
    options: { design: 'pin-on-enable-no-unpin' },
  },
} satisfies Record<string, DesignDefinition<SpeOptions>>;

/** Approach 3 at any EL: while profiling, the buffer from PMBPTR on and its stage-1 table page are mapped writable, unless the host took a page away. */
function bufferMapped(h: SpeHost): string | null {
  for (let v = 0; v < h.opts.vcpus; v++) {
    const el = h.el.peek(v);
    if (!profilingEnabled(peekSpeReg(h, v, PMBLIMITR), peekSpeReg(h, v, PMBSR), peekSpeReg(h, v, PMSCR), el)) continue;
    const first = Math.floor((Number(peekSpeReg(h, v, PMBPTR)) - bufferVa(v)) / 4096);
    const gfns: [string, number][] = [['its stage-1 table page', s1TableGfn(v)]];
    for (let p = Math.max(0, first); p < BUF_PAGES; p++) gfns.push([`buffer page ${p}`, h.s1.peek(v * BUF_PAGES + p) - 1]);
    for (const [what, gfn] of gfns) {
      if (gfn < 0 || stage2State(h, gfn) === 'writable' || h.hostUnmapped.peek(gfn) !== 0) continue;
      return `vcpu${v} profiles at EL${el} but ${what} (gfn ${gfn}) is not mapped writable at stage 2, and the host did not take it away: KVM pinned another translation`;
    }
  }
  return null;
}

function pinsBounded(h: SpeHost): string | null {
  const bound = h.opts.vcpus * PINNED_PER_VCPU;
  const n = pinnedPages(h);
  return n > bound ? `${n} pages are pinned, more than one buffer and its stage-1 table page per vCPU (${bound}): an old buffer was never unpinned` : null;
}

const APPROACH_3: PinningDesign[] = ['pin-all', 'pin-on-enable', 'pin-on-enable+forbid'];
const PINNING: PinningDesign[] = ['pin-on-enable', 'pin-on-enable+forbid', 'pin-on-enable+first-fault', 'pin-on-first-fault', 'pin-on-first-fault-page', 'pin-on-enable-no-unpin'];

const invariants: InvariantDefinition<SpeHost>[] = [
  { name: BUFFER_MAPPED_WHILE_PROFILING, description: 'while profiling is enabled, the buffer and its stage-1 table page are mapped writable at stage 2 unless the host MM or dirty logging took them away', check: bufferMapped, designs: APPROACH_3 },
  { name: NO_RECORD_LOSS_ON_FIRST_FAULT, description: 'a stage-2 fault the guest caused (a new buffer, the EL0 corner case) never discards records: pinning on it comes before any', designs: [...FIRST_FAULT_DESIGNS] },
  { name: PINS_BOUNDED, description: 'at most one buffer and its stage-1 table page per vCPU is pinned: pinning a new buffer unpins the old', check: pinsBounded, designs: PINNING },
  { name: MEMSLOT_STAGE2_CONSISTENT, description: "every stage-2 page lies in a present memslot, maps that slot's host page, and is writable only if the slot is and, while logging, only once dirty", check: memslotConsistency },
];

export default defineScenario({
  name: 'spe-pinning',
  title: "guest SPE buffer pinning, the four approaches of seed 004 and seed 000's pin-all, on one workload",
  seeds: ['000', '004'],
  options: { ...SPE_DEFAULTS, vcpus: 1 },
  optionSpecs: speOptionSpecs(Object.keys(designs), 4),
  designs,
  budget: { strategy: 'random', iterations: 20_000, timeSeconds: 6, stepLimit: 1000 },
  host: (layout, d) => speHost(layout, d.options),
  init: (h, d) => {
    const pinAll = d.options.design === 'pin-all';
    speInitWorld(h, { guestRan: true, ramVmFlags: pinAll ? VM_LOCKED : 0 });
    if (!pinAll) return;
    // mlock() and FINALIZE happened before the guest started: every RAM page resident and mapped.
    for (let g = 0; g < RAM_PAGES; g++) pinGfn(h, g);
    stage2MapSlot(h, h.memslots.get(0)!, 'spe-pin');
  },
  actors: (h, d) => [
    ...Array.from({ length: d.options.vcpus }, (_, v) => ({ name: `vcpu${v}`, machine: speGuestVcpu(h, v, d.options.design as PinningDesign) })),
    { name: 'host-mm', machine: hostMm(h, d.options.invalidations, 0.05) },
    ...(d.options.migration ? [{ name: 'vmm-migration', machine: liveMigration(h, d.options.design as PinningDesign, 0.03, 15) }] : []),
  ],
  invariants,
  figures: ({ fig }) => Object.fromEntries(FIGURES.slice(0, F.remapsDeferred + 1).map((name) => [name, fig.peek(F[name])])),
});
