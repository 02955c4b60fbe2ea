// The SPE world of seeds 000 and 004: one VM with a few memslots, its stage 2, host page pins,
// the MMU-notifier sequence, the vCPUs' SPE registers and the guest stage-1 entries that
// translate each vCPU's profiling buffer, and the ghost state the invariants and figures read.
import { BigWordArray, type Layout, type Word, type WordArray } from '../layout.ts';
import { Mutex } from '../locks.ts';
import { KvmPgtable } from '../stage2/pgtable.ts';
import { GuestFrames, TablePool } from '../stage2/pool.ts';
import { KVM_MEM_READONLY, Memslots } from './memslots.ts';

/** The spe-finalize scenario's designs of KVM_ARM_VM_SPE_FINALIZE. */
export type FinalizeDesign = 'pin-all' | 'pin-all-typo' | 'pin-all-no-definalize' | 'pin-all-no-eagain';
/** The spe-pinning scenario's approaches to keeping the SPE buffer mapped. */
export type PinningDesign =
  | 'pin-all'
  | 'on-demand'
  | 'pin-on-enable'
  | 'pin-on-enable+forbid'
  | 'pin-on-enable+first-fault'
  | 'pin-on-first-fault'
  | 'pin-on-first-fault-page'
  | 'pin-on-enable-no-unpin';
/** Any SPE design. */
export type SpeDesign = FinalizeDesign | PinningDesign;

/** The SPE scenarios' options. */
export interface SpeOptions {
  design: SpeDesign;
  vcpus: number;
  /** spe-finalize: set-up rounds of the VMM; each after the first resets a vCPU and finalizes again. */
  setupRounds: number;
  /** spe-finalize: memslot updates the second VMM thread makes. */
  memslotUpdates: number;
  /** spe-finalize: KVM_RUN calls each vCPU thread makes. */
  kvmRuns: number;
  /** Chance the VMM resets a vCPU (KVM_ARM_VCPU_INIT) after FINALIZE. */
  reinitChance: number;
  /** MMU-notifier invalidations the host MM makes (NUMA balancing, KSM, THP split). */
  invalidations: number;
  /** spe-pinning: steps of guest execution per vCPU. */
  guestSteps: number;
  /** Chance a stage-2 fault also sets PMBSR_EL1.DL (the hardware may or may not). */
  dlChance: number;
  /** Chance, at EL1 with an EL0-only buffer, that the guest kernel moves a buffer page. */
  remapChance: number;
  /** What the guest moves: the whole buffer (its pages replaced in place) or a single page. */
  remap: 'buffer' | 'page';
  /** Chance a profiling session excludes the kernel: {E0SPE, E1SPE} = {1, 0}. */
  el0OnlyChance: number;
  /** spe-pinning: the VMM turns dirty logging on for a while (live migration). */
  migration: boolean;
}

export const GFNS = 64;
/** Guest RAM, slot 0: gfns [0, 32); the guest's kernel uses [0, 8), buffers come from [8, 32). */
export const RAM_PAGES = 32;
export const FIRST_BUFFER_GFN = 8;
/** spe-finalize's second RAM slot, which the other VMM thread deletes, re-adds and moves. */
export const SLOT1_GFN = 32;
export const SLOT1_MOVED_GFN = 48;
export const SLOT1_PAGES = 8;
/** The host frames behind slot 1, wherever it is moved. */
export const SLOT1_FRAME = 32;
export const ROM_GFN = 40;
export const ROM_PAGES = 4;
/** Pages of a profiling buffer. */
export const BUF_PAGES = 2;
export const RECORD_BYTES = 1024;
/** What KVM pins per vCPU: the buffer's pages and the stage-1 table page translating them. */
export const PINNED_PER_VCPU = BUF_PAGES + 1;
/** Each vCPU's buffer sits at its own guest VA. */
export const bufferVa = (v: number) => 0x4000_0000 + v * 0x10_0000;
/** The guest stage-1 table page translating vCPU v's buffer. */
export const s1TableGfn = (v: number) => 1 + v;

// Fault causes, for figures and the unmap record.
export const CAUSE_NONE = 0;
export const CAUSE_NUMA = 1;
export const CAUSE_KSM = 2;
export const CAUSE_THP_SPLIT = 3;
export const CAUSE_DIRTY_LOG = 4;
export const CAUSE_MEMSLOT = 5;
/** The VM resumed on the migration's destination, whose stage 2 starts empty (post-copy). */
export const CAUSE_MIGRATION = 6;
export const CAUSE_NAMES = ['none', 'NUMA balancing', 'KSM', 'THP split', 'dirty logging', 'memslot update', 'migration'];
export const isMmuNotifier = (c: number) => c === CAUSE_NUMA || c === CAUSE_KSM || c === CAUSE_THP_SPLIT;

// SPE register slots per vCPU.
/** Slot of PMBLIMITR_EL1 among a vCPU's SPE registers. */
export const PMBLIMITR = 0;
/** Slot of PMBPTR_EL1. */
export const PMBPTR = 1;
/** Slot of PMBSR_EL1. */
export const PMBSR = 2;
/** Slot of PMSCR_EL1. */
export const PMSCR = 3;
const SPE_REGS = ['PMBLIMITR_EL1', 'PMBPTR_EL1', 'PMBSR_EL1', 'PMSCR_EL1'];

/** The SPE scenarios' figures, by name; F gives each one's index. */
export const FIGURES = [
  'recordsWritten',
  'recordsLost',
  'blackoutWindows',
  'blackoutSteps',
  'faultsGuestReprogram',
  'faultsEl0Corner',
  'faultsMmuNotifier',
  'faultsDirtyLogging',
  'faultsMigration',
  'pins',
  'unpins',
  'peakPinnedPages',
  'unavailableStepsDuringMigration',
  'speRegisterTraps',
  'remapsDeferred',
  'finalizeOk',
  'finalizeEnxio',
  'finalizeEbusy',
  'finalizeEagain',
  'kvmRunEperm',
  'kvmRunEntered',
  'memslotUpdates',
  'invalidations',
] as const;
export type Figure = (typeof FIGURES)[number];
/** Index of each figure in SpeHost.figures. */
export const F = Object.fromEntries(FIGURES.map((n, i) => [n, i])) as Record<Figure, number>;

/** The SPE world's shared memory: memslots, kvm->slots_lock, stage 2, pins, SPE registers, contracts and figures. */
export interface SpeHost {
  opts: SpeOptions;
  memslots: Memslots;
  slots_lock: Mutex;
  pool: TablePool;
  frames: GuestFrames;
  pgt: KvmPgtable;
  /** pin_user_pages() counts per host frame. */
  pins: WordArray;
  /** The dirty bitmap: 1 once the gfn was mapped writable while its slot logs. */
  dirty: WordArray;
  /** Why each gfn's stage-2 entry was last taken away by the host (CAUSE_*), 0 once mapped again: ghost state, for judging a fault's cause. */
  hostUnmapped: WordArray;
  /** kvm->mmu_invalidate_seq. */
  mmu_invalidate_seq: Word;
  /** KVM_ARM_VCPU_INIT done, SPE initialised, per vCPU; kvm->arch.spe.finalized. */
  vcpuInit: WordArray;
  speInit: WordArray;
  finalized: Word;
  /** The ioctl contract's own view of 'finalized', kept apart from KVM's flag. */
  contractFinalized: Word;
  /** A FINALIZE call is between entry and return: KVM_RUN may see either outcome meanwhile. */
  finalizeInFlight: Word;
  /** The VMM's set-up thread has made its last ioctl. */
  vmmDone: Word;
  /** arm64: the view the VMM's thread published when the contract last changed (ghost; see host/spe/ioctl-contract.ts). */
  contractView: Word;
  /** arm64: per vCPU, the view the last unlock of vcpu->mutex published (ghost; host/spe/kvm-locks.ts). */
  vcpuMutexView: WordArray;
  /** arm64: the view the last unlock of kvm->mmu_lock published (ghost; host/spe/kvm-locks.ts). */
  mmuLockView: Word;
  /** arm64: what the VMM had done when the VM resumed on a migration's destination (ghost; resumeOnDestination). */
  resumeView: Word;
  spe: BigWordArray;
  /** The exception level each vCPU's guest is at. */
  el: WordArray;
  /** Guest stage-1 entries of each vCPU's buffer pages: gfn + 1, 0 when invalid. */
  s1: WordArray;
  /** The gfns KVM has pinned for each vCPU's buffer (BUF_PAGES and the stage-1 table page): gfn + 1. */
  kvmPinned: WordArray;
  /** Records in each vCPU's buffer since the guest last drained it. */
  pending: WordArray;
  /** The gfn the last stage-2 fault reported by each vCPU's SPE unit was on. */
  faultGfn: WordArray;
  /** Why that fault happened (an index into FAULT_CAUSES), judged when it happened: ghost state. */
  faultCause: WordArray;
  /** Blackout window per vCPU: the step it opened (-1 none) and its cause. */
  blackoutSince: WordArray;
  blackoutCause: WordArray;
  /** The guest's next free buffer page. */
  nextBufferGfn: Word;
  fig: WordArray;
}

/** Lays the SPE world out. */
export function speHost(layout: Layout, opts: SpeOptions): SpeHost {
  const n = opts.vcpus;
  const pool = new TablePool(layout, 8);
  const frames = new GuestFrames(layout, GFNS);
  return {
    opts,
    memslots: new Memslots(layout, 3),
    slots_lock: new Mutex(layout, 'kvm->slots_lock'),
    pool,
    frames,
    pgt: new KvmPgtable(pool, frames, 32),
    pins: layout.words('page pins', GFNS, (f) => `pins(frame ${f})`),
    dirty: layout.words('dirty bitmap', GFNS, (g) => `dirty(gfn ${g})`),
    hostUnmapped: layout.words('host unmap cause', GFNS, (g) => `unmapped-by(gfn ${g})`, { ghost: true }),
    mmu_invalidate_seq: layout.word('kvm->mmu_invalidate_seq'),
    vcpuInit: layout.words('vcpu initialised', n, (v) => `vcpu${v}.initialised`),
    speInit: layout.words('spe initialised', n, (v) => `vcpu${v}.arch.spe.initialised`),
    finalized: layout.word('kvm->arch.spe.finalized'),
    contractFinalized: layout.word('contract: finalized', { ghost: true }),
    finalizeInFlight: layout.word('contract: FINALIZE in flight', { ghost: true }),
    vmmDone: layout.word('vmm: set-up done'),
    spe: BigWordArray.in(layout, 'spe registers', 4 * n, (i) => `vcpu${Math.floor(i / 4)}.${SPE_REGS[i % 4]}`),
    el: layout.words('guest EL', n, (v) => `vcpu${v}.CurrentEL`),
    s1: layout.words('guest stage-1', n * BUF_PAGES, (i) => `vcpu${Math.floor(i / BUF_PAGES)}.s1[buffer page ${i % BUF_PAGES}]`),
    kvmPinned: layout.words('kvm pinned', n * PINNED_PER_VCPU, (i) => `vcpu${Math.floor(i / PINNED_PER_VCPU)}.spe.pinned[${i % PINNED_PER_VCPU}]`),
    pending: layout.words('records pending', n, (v) => `vcpu${v}.records in buffer`),
    faultGfn: layout.words('spe fault gfn', n, (v) => `vcpu${v}.spe fault gfn`),
    faultCause: layout.words('spe fault cause', n, (v) => `vcpu${v}.spe fault cause (ghost)`, { ghost: true }),
    blackoutSince: layout.words('blackout since', n, (v) => `vcpu${v}.blackout since step`),
    blackoutCause: layout.words('blackout cause', n, (v) => `vcpu${v}.blackout cause`),
    nextBufferGfn: layout.word('guest: next free buffer page'),
    fig: layout.words('spe figures', FIGURES.length, (i) => FIGURES[i]),
    contractView: layout.word('contract: VMM view at its last change (ghost)', { ghost: true }),
    vcpuMutexView: layout.words('vcpu mutex view', n, (v) => `vcpu${v}->mutex view (ghost)`, { ghost: true }),
    mmuLockView: layout.word('kvm->mmu_lock view (ghost)', { ghost: true }),
    resumeView: layout.word('migration: resume view (ghost)', { ghost: true }),
  };
}

/** Slot i of what KVM has pinned for vCPU v (gfn + 1, 0 for none). */
export const kvmPinnedSlot = (h: SpeHost, v: number, i: number) => h.kvmPinned.at(v * PINNED_PER_VCPU + i);
export const speReg = (h: SpeHost, v: number, reg: number) => h.spe.load(v * 4 + reg);
export const setSpeReg = (h: SpeHost, v: number, reg: number, value: bigint) => h.spe.store(v * 4 + reg, value);
/** vCPU `v`'s SPE register `reg` (a slot: PMBLIMITR...), not shown in touches. */
export const peekSpeReg = (h: SpeHost, v: number, reg: number) => h.spe.peek(v * 4 + reg);

/** Pages of host memory pinned right now (frames with a pin count). */
export function pinnedPages(h: SpeHost): number {
  let n = 0;
  for (let f = 0; f < GFNS; f++) if (h.pins.peek(f) > 0) n++;
  return n;
}

export function bumpPeakPinned(h: SpeHost): void {
  const now = pinnedPages(h);
  if (now > h.fig.peek(F.peakPinnedPages)) h.fig.at(F.peakPinnedPages).store(now);
}

/**
 * The VM as both scenarios start it: guest RAM (slot 0), a second RAM slot (1) and a ROM (2);
 * every vCPU at EL1 with SPE off. `guestRan` maps the guest kernel's pages, as its earlier
 * execution would have.
 */
export function speInitWorld(h: SpeHost, { guestRan, ramVmFlags }: { guestRan: boolean; ramVmFlags: number }): void {
  h.pool.init();
  h.pgt.init();
  h.memslots.set(0, { base_gfn: 0, npages: RAM_PAGES, frame: 0, flags: 0, vmFlags: ramVmFlags });
  h.memslots.set(1, { base_gfn: SLOT1_GFN, npages: SLOT1_PAGES, frame: SLOT1_FRAME, flags: 0, vmFlags: 0 });
  h.memslots.set(2, { base_gfn: ROM_GFN, npages: ROM_PAGES, frame: ROM_GFN, flags: KVM_MEM_READONLY, vmFlags: 0 });
  for (let v = 0; v < h.opts.vcpus; v++) {
    h.el.at(v).store(1);
    h.blackoutSince.at(v).store(-1);
    setSpeReg(h, v, PMBPTR, BigInt(bufferVa(v)));
  }
  if (guestRan) for (let g = 0; g < FIRST_BUFFER_GFN; g++) h.pgt.mapPage(g * 4096, g, 3);
}
