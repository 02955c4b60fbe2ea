// The guest's SPE registers, with the architecture's field encodings (ARM DDI 0487, D10):
// PMBLIMITR_EL1 (LIMIT, FM, E), PMBPTR_EL1, PMBSR_EL1 (EC, DL, EA, S, COLL, MSS) and
// PMSCR_EL1 (E0SPE, E1SPE). Values are 64-bit, as the registers are.

export const PMBLIMITR_EL1_E = 1n << 0n;
export const PMBLIMITR_EL1_FM_SHIFT = 1n;
export const PMBLIMITR_EL1_LIMIT_MASK = ~((1n << 12n) - 1n) & ((1n << 64n) - 1n);

export const PMBSR_EL1_EC_SHIFT = 26n;
export const PMBSR_EL1_EC_MASK = 0x3fn << PMBSR_EL1_EC_SHIFT;
export const PMBSR_EL1_DL = 1n << 19n;
export const PMBSR_EL1_EA = 1n << 18n;
export const PMBSR_EL1_S = 1n << 17n;
export const PMBSR_EL1_COLL = 1n << 16n;
export const PMBSR_EL1_MSS_MASK = 0xffffn;

/** PMBSR_EL1.EC: what stopped the buffer. */
export const PMBSR_EL1_EC_BUF = 0x0n;
export const PMBSR_EL1_EC_FAULT_S1 = 0x24n;
export const PMBSR_EL1_EC_FAULT_S2 = 0x25n;
/** PMBSR_EL1.MSS.BSC for a buffer event: the buffer is full. */
export const PMBSR_EL1_BUF_BSC_FULL = 0x1n;

export const PMSCR_EL1_E0SPE = 1n << 0n;
export const PMSCR_EL1_E1SPE = 1n << 1n;

export interface Pmblimitr {
  limit: number;
  fm: number;
  e: boolean;
}

export function pmblimitr({ limit, fm, e }: Pmblimitr): bigint {
  return (BigInt(limit) & PMBLIMITR_EL1_LIMIT_MASK) | (BigInt(fm & 3) << PMBLIMITR_EL1_FM_SHIFT) | (e ? PMBLIMITR_EL1_E : 0n);
}

export function decodePmblimitr(v: bigint): Pmblimitr {
  return { limit: Number(v & PMBLIMITR_EL1_LIMIT_MASK), fm: Number((v >> PMBLIMITR_EL1_FM_SHIFT) & 3n), e: (v & PMBLIMITR_EL1_E) !== 0n };
}

export interface Pmbsr {
  ec: bigint;
  dl: boolean;
  ea: boolean;
  s: boolean;
  coll: boolean;
  mss: bigint;
}

export function pmbsr({ ec, dl, ea, s, coll, mss }: Pmbsr): bigint {
  return (ec << PMBSR_EL1_EC_SHIFT) | (dl ? PMBSR_EL1_DL : 0n) | (ea ? PMBSR_EL1_EA : 0n) | (s ? PMBSR_EL1_S : 0n) | (coll ? PMBSR_EL1_COLL : 0n) | (mss & PMBSR_EL1_MSS_MASK);
}

export function decodePmbsr(v: bigint): Pmbsr {
  return {
    ec: (v & PMBSR_EL1_EC_MASK) >> PMBSR_EL1_EC_SHIFT,
    dl: (v & PMBSR_EL1_DL) !== 0n,
    ea: (v & PMBSR_EL1_EA) !== 0n,
    s: (v & PMBSR_EL1_S) !== 0n,
    coll: (v & PMBSR_EL1_COLL) !== 0n,
    mss: v & PMBSR_EL1_MSS_MASK,
  };
}

/**
 * Whether the SPE unit writes records now: the buffer is enabled, not stopped for service, and
 * profiling is enabled at the exception level the CPU is at.
 */
export function profilingEnabled(limitr: bigint, sr: bigint, scr: bigint, el: number): boolean {
  if ((limitr & PMBLIMITR_EL1_E) === 0n || (sr & PMBSR_EL1_S) !== 0n) return false;
  return (scr & (el === 0 ? PMSCR_EL1_E0SPE : PMSCR_EL1_E1SPE)) !== 0n;
}

/** {E0SPE, E1SPE} = {1, 0}: profiling only at EL0, so it becomes enabled on an ERET, with no trap. */
export function el0Only(scr: bigint): boolean {
  return (scr & PMSCR_EL1_E0SPE) !== 0n && (scr & PMSCR_EL1_E1SPE) === 0n;
}
