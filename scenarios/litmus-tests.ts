// The litmus tests, as herd7's AArch64 tests write them (locations start at 0), with ARMv8's
// verdict on each test's exists clause and where that verdict is published:
//   K-base: herdtools7 catalogue/aarch64/tests/kinds.txt
//   K-rg:   herdtools7 catalogue/aarch64-readers-guide/tests/kinds.txt
//   gen:    herdtools7 gen/tests/AArch64/<name>.litmus.expected (herd7 output, aarch64.cat)
//   herd7-here: herd7 run here on docs/litmus/<name>.litmus (tests with LSE atomics, for which the
//           distribution publishes no verdict on the shapes below; its output is in docs/litmus/herd7.txt)
// All of them are herd7 under the official aarch64.cat model.

export type Instr =
  /** LDR (or LDAR when acquire); `addr`: the register the address depends on. */
  | { op: 'ld'; loc: string; reg: string; acquire?: boolean; addr?: string }
  /** STR (or STLR when release); `data`/`addr`: the register the value/address depends on. */
  | { op: 'st'; loc: string; val: number; release?: boolean; data?: string; addr?: string }
  | { op: 'dmb'; kind: 'ish' | 'ishld' | 'ishst' }
  /** A conditional branch on the register: a control dependency to what follows. */
  | { op: 'ctrl'; reg: string }
  | { op: 'isb' }
  /** An LSE atomic: SWP (store `val`) or LDADD (add `val`), the old value into `reg`; A/L/AL suffixes as `order`. */
  | { op: 'rmw'; kind: 'swp' | 'ldadd'; loc: string; val: number; reg: string; order: 'relaxed' | 'acquire' | 'release' };

export interface LitmusTest {
  name: string;
  /** One line: the shape, as herd's files describe it. */
  shape: string;
  threads: Instr[][];
  /** The exists clause: `p:reg` for registers, `[loc]` for final memory. */
  exists: Record<string, number>;
  arm64: 'allowed' | 'forbidden';
  source: string;
  /**
   * herd7's final states, when they were taken from its own output (herd7-here): each as it prints
   * them, `0:X1=0; [y]=1;`. Then verify's outcomes, reduced to those registers and locations, must be exactly these.
   */
  herd7States?: string[];
}

const st = (loc: string, val: number, o: { release?: boolean; data?: string; addr?: string } = {}): Instr => ({ op: 'st', loc, val, ...o });
const ld = (loc: string, reg: string, o: { acquire?: boolean; addr?: string } = {}): Instr => ({ op: 'ld', loc, reg, ...o });
const dmb = (kind: 'ish' | 'ishld' | 'ishst' = 'ish'): Instr => ({ op: 'dmb', kind });
const swp = (loc: string, val: number, reg: string, order: 'relaxed' | 'acquire' | 'release' = 'relaxed'): Instr => ({ op: 'rmw', kind: 'swp', loc, val, reg, order });
const ldadd = (loc: string, val: number, reg: string, order: 'relaxed' | 'acquire' | 'release' = 'relaxed'): Instr => ({ op: 'rmw', kind: 'ldadd', loc, val, reg, order });

export const LITMUS_TESTS: LitmusTest[] = [
  // Message passing.
  { name: 'MP', shape: 'P0: x=1; y=1 || P1: r0=y; r2=x', threads: [[st('x', 1), st('y', 1)], [ld('y', 'X0'), ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'allowed', source: 'K-base MP' },
  { name: 'MP+po+addr', shape: 'P0: x=1; y=1 || P1: r0=y; r2=x (address dependency)', threads: [[st('x', 1), st('y', 1)], [ld('y', 'X0'), ld('x', 'X2', { addr: 'X0' })]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'allowed', source: 'gen MP+po+addr' },
  { name: 'MP+dmb.sys', shape: 'P0: x=1; dmb; y=1 || P1: r0=y; dmb; r2=x', threads: [[st('x', 1), dmb(), st('y', 1)], [ld('y', 'X0'), dmb(), ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'forbidden', source: 'K-base MP+dmb.sys' },
  { name: 'MP+dmb.sy+addr', shape: 'P0: x=1; dmb; y=1 || P1: r0=y; r2=x (address dependency)', threads: [[st('x', 1), dmb(), st('y', 1)], [ld('y', 'X0'), ld('x', 'X2', { addr: 'X0' })]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'forbidden', source: 'gen MP+dmb.sy+addr' },
  { name: 'MP+rel+acq', shape: 'P0: x=1; stlr y=1 || P1: ldar r0=y; r2=x', threads: [[st('x', 1), st('y', 1, { release: true })], [ld('y', 'X0', { acquire: true }), ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'forbidden', source: 'K-base MP+rel+acq' },
  { name: 'MP+dmb.sy+ctrlisb', shape: 'P0: x=1; dmb; y=1 || P1: r0=y; branch on r0; isb; r2=x', threads: [[st('x', 1), dmb(), st('y', 1)], [ld('y', 'X0'), { op: 'ctrl', reg: 'X0' }, { op: 'isb' }, ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'forbidden', source: 'gen MP+dmb.sy+ctrlisb' },
  // Store buffering.
  { name: 'SB', shape: 'P0: x=1; r2=y || P1: y=1; r2=x', threads: [[st('x', 1), ld('y', 'X2')], [st('y', 1), ld('x', 'X2')]], exists: { '0:X2': 0, '1:X2': 0 }, arm64: 'allowed', source: 'K-base SB' },
  { name: 'SB+dmb.sys', shape: 'P0: x=1; dmb; r2=y || P1: y=1; dmb; r2=x', threads: [[st('x', 1), dmb(), ld('y', 'X2')], [st('y', 1), dmb(), ld('x', 'X2')]], exists: { '0:X2': 0, '1:X2': 0 }, arm64: 'forbidden', source: 'K-base SB+dmb.sys' },
  { name: 'SB+dmb.sy+rel-acq', shape: 'P0: x=1; dmb; r2=y || P1: stlr y=1; ldar r2=x', threads: [[st('x', 1), dmb(), ld('y', 'X2')], [st('y', 1, { release: true }), ld('x', 'X2', { acquire: true })]], exists: { '0:X2': 0, '1:X2': 0 }, arm64: 'forbidden', source: 'K-base SB+dmb.sy+rel-acq' },
  // Load buffering.
  { name: 'LB', shape: 'P0: r0=x; y=1 || P1: r0=y; x=1', threads: [[ld('x', 'X0'), st('y', 1)], [ld('y', 'X0'), st('x', 1)]], exists: { '0:X0': 1, '1:X0': 1 }, arm64: 'allowed', source: 'K-base LB' },
  { name: 'LB+dmb.sys', shape: 'P0: r0=x; dmb; y=1 || P1: r0=y; dmb; x=1', threads: [[ld('x', 'X0'), dmb(), st('y', 1)], [ld('y', 'X0'), dmb(), st('x', 1)]], exists: { '0:X0': 1, '1:X0': 1 }, arm64: 'forbidden', source: 'K-base LB+dmb.sys' },
  { name: 'LB+dmb.sy+data', shape: 'P0: r0=x; dmb; y=1 || P1: r0=y; x=1 (data dependency)', threads: [[ld('x', 'X0'), dmb(), st('y', 1)], [ld('y', 'X0'), st('x', 1, { data: 'X0' })]], exists: { '0:X0': 1, '1:X0': 1 }, arm64: 'forbidden', source: 'gen LB+dmb.sy+data' },
  // Two writers.
  { name: '2+2W', shape: 'P0: x=2; y=1 || P1: y=2; x=1', threads: [[st('x', 2), st('y', 1)], [st('y', 2), st('x', 1)]], exists: { '[x]': 2, '[y]': 2 }, arm64: 'allowed', source: 'K-base 2+2W' },
  { name: '2+2W+dmb.sys', shape: 'P0: x=2; dmb; y=1 || P1: y=2; dmb; x=1', threads: [[st('x', 2), dmb(), st('y', 1)], [st('y', 2), dmb(), st('x', 1)]], exists: { '[x]': 2, '[y]': 2 }, arm64: 'forbidden', source: 'K-base 2+2W+dmb.sys' },
  // S.
  { name: 'S', shape: 'P0: x=2; y=1 || P1: r0=y; x=1', threads: [[st('x', 2), st('y', 1)], [ld('y', 'X0'), st('x', 1)]], exists: { '[x]': 2, '1:X0': 1 }, arm64: 'allowed', source: 'K-base S' },
  { name: 'S+dmb.sys', shape: 'P0: x=2; dmb; y=1 || P1: r0=y; dmb; x=1', threads: [[st('x', 2), dmb(), st('y', 1)], [ld('y', 'X0'), dmb(), st('x', 1)]], exists: { '[x]': 2, '1:X0': 1 }, arm64: 'forbidden', source: 'K-base S+dmb.sys' },
  { name: 'S+dmb.sy+data', shape: 'P0: x=2; dmb; y=1 || P1: r0=y; x=1 (data dependency)', threads: [[st('x', 2), dmb(), st('y', 1)], [ld('y', 'X0'), st('x', 1, { data: 'X0' })]], exists: { '[x]': 2, '1:X0': 1 }, arm64: 'forbidden', source: 'gen S+dmb.sy+data' },
  // R.
  { name: 'R', shape: 'P0: x=1; y=1 || P1: y=2; r2=x', threads: [[st('x', 1), st('y', 1)], [st('y', 2), ld('x', 'X2')]], exists: { '[y]': 2, '1:X2': 0 }, arm64: 'allowed', source: 'K-base R' },
  { name: 'R+dmb.sys', shape: 'P0: x=1; dmb; y=1 || P1: y=2; dmb; r2=x', threads: [[st('x', 1), dmb(), st('y', 1)], [st('y', 2), dmb(), ld('x', 'X2')]], exists: { '[y]': 2, '1:X2': 0 }, arm64: 'forbidden', source: 'K-base R+dmb.sys' },
  // The shape of vmid.c's rollover against kvm_arm_vmid_clear_active() (README, vmid-allocator): a
  // barrier on the reading side alone does not forbid it.
  { name: 'R+po+dmb.sy', shape: 'P0: x=1; y=1 || P1: y=2; dmb; r2=x', threads: [[st('x', 1), st('y', 1)], [st('y', 2), dmb(), ld('x', 'X2')]], exists: { '[y]': 2, '1:X2': 0 }, arm64: 'allowed', source: 'K-base R+po+dmb.sy' },
  { name: 'R+dmb.sy+po', shape: 'P0: x=1; dmb; y=1 || P1: y=2; r2=x', threads: [[st('x', 1), dmb(), st('y', 1)], [st('y', 2), ld('x', 'X2')]], exists: { '[y]': 2, '1:X2': 0 }, arm64: 'allowed', source: 'K-base R+dmb.sy+po' },
  // Write-to-read causality.
  { name: 'WRC', shape: 'P0: x=1 || P1: r1=x; y=1 || P2: r1=y; r4=x', threads: [[st('x', 1)], [ld('x', 'X1'), st('y', 1)], [ld('y', 'X1'), ld('x', 'X4')]], exists: { '1:X1': 1, '2:X1': 1, '2:X4': 0 }, arm64: 'allowed', source: 'K-rg WRC' },
  { name: 'WRC+rel+addr', shape: 'P0: x=1 || P1: r1=x; stlr y=1 || P2: r1=y; r4=x (address dependency)', threads: [[st('x', 1)], [ld('x', 'X1'), st('y', 1, { release: true })], [ld('y', 'X1'), ld('x', 'X4', { addr: 'X1' })]], exists: { '1:X1': 1, '2:X1': 1, '2:X4': 0 }, arm64: 'forbidden', source: 'K-rg WRC+rel+addr' },
  // Independent reads of independent writes.
  { name: 'IRIW', shape: 'P0: x=1 || P1: r1=x; r3=y || P2: y=1 || P3: r1=y; r3=x', threads: [[st('x', 1)], [ld('x', 'X1'), ld('y', 'X3')], [st('y', 1)], [ld('y', 'X1'), ld('x', 'X3')]], exists: { '1:X1': 1, '1:X3': 0, '3:X1': 1, '3:X3': 0 }, arm64: 'allowed', source: 'K-rg IRIW' },
  { name: 'IRIW+dmb.lds', shape: 'P0: x=1 || P1: r1=x; dmb ld; r3=y || P2: y=1 || P3: r1=y; dmb ld; r3=x', threads: [[st('x', 1)], [ld('x', 'X1'), dmb('ishld'), ld('y', 'X3')], [st('y', 1)], [ld('y', 'X1'), dmb('ishld'), ld('x', 'X3')]], exists: { '1:X1': 1, '1:X3': 0, '3:X1': 1, '3:X3': 0 }, arm64: 'forbidden', source: 'K-rg IRIW+dmb.lds' },
  // LSE atomics (SWP, LDADD; L: release): an RMW's write overtakes earlier accesses as a store's
  // does, and is atomic with its read. Verdicts and final states are herd7's (herd7-here).
  // R+ldadd-swp+dmb.sy is the shape of vmid.c's rollover against kvm_arm_vmid_clear_active().
  { name: 'MP+swp+dmb.ld', shape: 'P0: x=1; swp y=1 || P1: r0=y; dmb ld; r2=x', threads: [[st('x', 1), swp('y', 1, 'X4')], [ld('y', 'X0'), dmb('ishld'), ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'allowed', source: 'herd7-here MP+swp+dmb.ld', herd7States: ['1:X0=0; 1:X2=0;', '1:X0=0; 1:X2=1;', '1:X0=1; 1:X2=0;', '1:X0=1; 1:X2=1;'] },
  { name: 'MP+swpl+dmb.ld', shape: 'P0: x=1; swpl y=1 || P1: r0=y; dmb ld; r2=x', threads: [[st('x', 1), swp('y', 1, 'X4', 'release')], [ld('y', 'X0'), dmb('ishld'), ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'forbidden', source: 'herd7-here MP+swpl+dmb.ld', herd7States: ['1:X0=0; 1:X2=0;', '1:X0=0; 1:X2=1;', '1:X0=1; 1:X2=1;'] },
  { name: 'MP+dmb.st-swp+dmb.ld', shape: 'P0: x=1; dmb st; swp y=1 || P1: r0=y; dmb ld; r2=x', threads: [[st('x', 1), dmb('ishst'), swp('y', 1, 'X4')], [ld('y', 'X0'), dmb('ishld'), ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'forbidden', source: 'herd7-here MP+dmb.st-swp+dmb.ld', herd7States: ['1:X0=0; 1:X2=0;', '1:X0=0; 1:X2=1;', '1:X0=1; 1:X2=1;'] },
  { name: 'MP+ldadd+dmb.ld', shape: 'P0: x=1; ldadd y+=1 || P1: r0=y; dmb ld; r2=x', threads: [[st('x', 1), ldadd('y', 1, 'X4')], [ld('y', 'X0'), dmb('ishld'), ld('x', 'X2')]], exists: { '1:X0': 1, '1:X2': 0 }, arm64: 'allowed', source: 'herd7-here MP+ldadd+dmb.ld', herd7States: ['1:X0=0; 1:X2=0;', '1:X0=0; 1:X2=1;', '1:X0=1; 1:X2=0;', '1:X0=1; 1:X2=1;'] },
  { name: 'R+ldadd-swp+dmb.sy', shape: 'P0: ldadd x+=1; swp y=1 || P1: y=2; dmb; r2=x', threads: [[ldadd('x', 1, 'X5'), swp('y', 1, 'X6')], [st('y', 2), dmb(), ld('x', 'X2')]], exists: { '[y]': 2, '1:X2': 0 }, arm64: 'allowed', source: 'herd7-here R+ldadd-swp+dmb.sy', herd7States: ['1:X2=0; [y]=1;', '1:X2=0; [y]=2;', '1:X2=1; [y]=1;', '1:X2=1; [y]=2;'] },
  { name: 'R+ldadd-dmb.st-swp+dmb.sy', shape: 'P0: ldadd x+=1; dmb st; swp y=1 || P1: y=2; dmb; r2=x', threads: [[ldadd('x', 1, 'X5'), dmb('ishst'), swp('y', 1, 'X6')], [st('y', 2), dmb(), ld('x', 'X2')]], exists: { '[y]': 2, '1:X2': 0 }, arm64: 'forbidden', source: 'herd7-here R+ldadd-dmb.st-swp+dmb.sy', herd7States: ['1:X2=0; [y]=1;', '1:X2=1; [y]=1;', '1:X2=1; [y]=2;'] },
  { name: 'SWP-atomic', shape: 'P0: x=1 || P1: r2=swp x=2', threads: [[st('x', 1)], [swp('x', 2, 'X2')]], exists: { '[x]': 2, '1:X2': 0 }, arm64: 'forbidden', source: 'herd7-here SWP-atomic', herd7States: ['1:X2=0; [x]=1;', '1:X2=1; [x]=2;'] },
  { name: 'LB+po-swp+po', shape: 'P0: r0=x; swp y=1 || P1: r0=y; x=1', threads: [[ld('x', 'X0'), swp('y', 1, 'X4')], [ld('y', 'X0'), st('x', 1)]], exists: { '0:X0': 1, '1:X0': 1 }, arm64: 'allowed', source: 'herd7-here LB+po-swp+po', herd7States: ['0:X0=0; 1:X0=0;', '0:X0=0; 1:X0=1;', '0:X0=1; 1:X0=0;', '0:X0=1; 1:X0=1;'] },
  { name: '2+2W+swps', shape: 'P0: swp x=2; swp y=1 || P1: swp y=2; swp x=1', threads: [[swp('x', 2, 'X4'), swp('y', 1, 'X5')], [swp('y', 2, 'X4'), swp('x', 1, 'X5')]], exists: { '[x]': 2, '[y]': 2 }, arm64: 'allowed', source: 'herd7-here 2+2W+swps', herd7States: ['[x]=1; [y]=1;', '[x]=1; [y]=2;', '[x]=2; [y]=1;', '[x]=2; [y]=2;'] },
  { name: 'SB+swp-po+swp-po', shape: 'P0: swp x=1; r2=y || P1: swp y=1; r2=x', threads: [[swp('x', 1, 'X4'), ld('y', 'X2')], [swp('y', 1, 'X4'), ld('x', 'X2')]], exists: { '0:X2': 0, '1:X2': 0 }, arm64: 'allowed', source: 'herd7-here SB+swp-po+swp-po', herd7States: ['0:X2=0; 1:X2=0;', '0:X2=0; 1:X2=1;', '0:X2=1; 1:X2=0;', '0:X2=1; 1:X2=1;'] },
  // Coherence.
  { name: 'CoRR', shape: 'P0: x=1 || P1: r1=x; r2=x', threads: [[st('x', 1)], [ld('x', 'X1'), ld('x', 'X2')]], exists: { '1:X1': 1, '1:X2': 0 }, arm64: 'forbidden', source: 'K-base CoRR' },
  { name: 'CoWW', shape: 'P0: x=1; x=2', threads: [[st('x', 1), st('x', 2)]], exists: { '[x]': 1 }, arm64: 'forbidden', source: 'K-base CoWW' },
];
