// The per-CPU register a guest's stage-2 translation is loaded into: the base of its tables and
// the tag (VMID) its TLB entries get. arm64 calls it VTTBR_EL2, RISC-V hgatp; code written for
// any architecture reads it through a Stage2Register.

/** How a stage-2 translation register holds the table base and the VMID, scaled to a 32-bit word. */
export interface Stage2Register {
  /** The register's name, as PhysCpus declares it: 'VTTBR_EL2', 'hgatp'. */
  readonly name: string;
  /** The value for tables at `root` tagged `vmid` (0 means nothing is loaded). */
  make(root: number, vmid: number): number;
  /** The VMID field of a value. */
  vmid(value: number): number;
  /** The table base field of a value. */
  root(value: number): number;
}

/** VTTBR_EL2 scaled to a 32-bit word: VMID in the top half, the table base (BADDR) below. */
export const VTTBR_VMID_SHIFT = 16;
/** The BADDR bits of the scaled VTTBR_EL2. */
export const VTTBR_BADDR_MASK = (1 << VTTBR_VMID_SHIFT) - 1;

/** VTTBR_EL2 for tables at `baddr` tagged `vmid`. */
export function make_vttbr(baddr: number, vmid: number): number {
  return ((vmid << VTTBR_VMID_SHIFT) | (baddr & VTTBR_BADDR_MASK)) >>> 0;
}

/** VTTBR_EL2.VMID. */
export function vttbr_vmid(vttbr: number): number {
  return vttbr >>> VTTBR_VMID_SHIFT;
}

/** VTTBR_EL2.BADDR. */
export function vttbr_baddr(vttbr: number): number {
  return vttbr & VTTBR_BADDR_MASK;
}

/** arm64's stage-2 translation register. */
export const VTTBR_EL2: Stage2Register = { name: 'VTTBR_EL2', make: make_vttbr, vmid: vttbr_vmid, root: vttbr_baddr };
