// The AArch64 ID register space, sys_reg(3, 0, 0, CRm, op2) with CRm 0-7 and op2 0-7, under the
// architecture's names, with a host "sanitised" value per register (the limit a VM may have) and
// the fields userspace may lower. The values are those of a plausible modern host, not of any
// particular CPU: what matters is the shape of the checks. Unnamed encodings are RAZ.

/** One ID register: its name, encoding, reset value, the host's limit and which fields userspace may write. */
export interface IdReg {
  crm: number;
  op2: number;
  /** Index in the 64-entry space: CRm * 8 + op2. */
  idx: number;
  name: string;
  /** Reads as zero: unallocated; a non-zero write is rejected. */
  raz: boolean;
  /** The host's sanitised value: no field of a VM's value may exceed it. */
  limit: bigint;
  /** Fields userspace may set (to any value up to the limit); other fields must stay as they are. */
  writable: bigint;
}

/** A 4-bit field [lo+3:lo] as a mask. */
export const field = (lo: number): bigint => 0xfn << BigInt(lo);

const named: Record<string, [string, bigint?, bigint?]> = {
  '0,0': ['MIDR_EL1'],
  '0,5': ['MPIDR_EL1'],
  '0,6': ['REVIDR_EL1'],
  '1,0': ['ID_PFR0_EL1'],
  '1,1': ['ID_PFR1_EL1'],
  '1,2': ['ID_DFR0_EL1'],
  '1,3': ['ID_AFR0_EL1'],
  '1,4': ['ID_MMFR0_EL1'],
  '1,5': ['ID_MMFR1_EL1'],
  '1,6': ['ID_MMFR2_EL1'],
  '1,7': ['ID_MMFR3_EL1'],
  '2,0': ['ID_ISAR0_EL1'],
  '2,1': ['ID_ISAR1_EL1'],
  '2,2': ['ID_ISAR2_EL1'],
  '2,3': ['ID_ISAR3_EL1'],
  '2,4': ['ID_ISAR4_EL1'],
  '2,5': ['ID_ISAR5_EL1'],
  '2,6': ['ID_MMFR4_EL1'],
  '2,7': ['ID_ISAR6_EL1'],
  '3,0': ['MVFR0_EL1'],
  '3,1': ['MVFR1_EL1'],
  '3,2': ['MVFR2_EL1'],
  '3,4': ['ID_PFR2_EL1'],
  '3,5': ['ID_DFR1_EL1'],
  '3,6': ['ID_MMFR5_EL1'],
  // EL0..EL3, FP, AdvSIMD, GIC, RAS, SVE[35:32], DIT[51:48], CSV2[59:56], CSV3[63:60]
  '4,0': ['ID_AA64PFR0_EL1', 0x1101_0001_1111_1122n, field(32) | field(48) | field(56) | field(60)],
  '4,1': ['ID_AA64PFR1_EL1', 0x21n, field(0) | field(4)],
  '4,2': ['ID_AA64PFR2_EL1'],
  // SVEver[3:0], AES[7:4], BitPerm[19:16], BF16[23:20], SHA3[35:32], SM4[43:40], F64MM[59:56]
  '4,4': ['ID_AA64ZFR0_EL1', 0x0100_0101_0011_0011n, field(0) | field(4) | field(16) | field(20) | field(32) | field(40) | field(56)],
  '4,5': ['ID_AA64SMFR0_EL1'],
  '4,7': ['ID_AA64FPFR0_EL1'],
  // DebugVer[3:0], PMUVer[11:8], BRPs[15:12], WRPs[23:20], CTX_CMPs[31:28], PMSVer[35:32]
  '5,0': ['ID_AA64DFR0_EL1', 0x0000_0001_1030_5609n, field(0) | field(8) | field(32)],
  '5,1': ['ID_AA64DFR1_EL1'],
  '5,4': ['ID_AA64AFR0_EL1'],
  '5,5': ['ID_AA64AFR1_EL1'],
  '6,0': ['ID_AA64ISAR0_EL1', 0x0221_1111_1021_2120n, field(4) | field(8) | field(12) | field(16) | field(20)],
  '6,1': ['ID_AA64ISAR1_EL1', 0x0011_1101_0010_0001n, field(0) | field(20)],
  '6,2': ['ID_AA64ISAR2_EL1'],
  '6,3': ['ID_AA64ISAR3_EL1'],
  // PARange[3:0], ASIDBits[7:4], TGran16[23:20], TGran64[27:24], TGran4[31:28]
  '7,0': ['ID_AA64MMFR0_EL1', 0x0000_0000_0010_1125n, field(0)],
  // VMIDBits[7:4], VH[11:8], PAN[23:20]
  '7,1': ['ID_AA64MMFR1_EL1', 0x0000_0000_1021_2122n, field(20)],
  '7,2': ['ID_AA64MMFR2_EL1', 0x0000_0011_0000_1011n, 0n],
  '7,3': ['ID_AA64MMFR3_EL1'],
  '7,4': ['ID_AA64MMFR4_EL1'],
};

/** The 64 ID registers of the feature ID space (op0=3, op1=0, CRn=0, CRm=1..7). */
export const ID_REG_SPACE: readonly IdReg[] = Array.from({ length: 64 }, (_, idx) => {
  const crm = idx >> 3;
  const op2 = idx & 7;
  const n = named[`${crm},${op2}`];
  return {
    crm,
    op2,
    idx,
    name: n ? n[0] : `sys_reg(3, 0, 0, ${crm}, ${op2})`,
    raz: !n,
    limit: n?.[1] ?? 0n,
    writable: n?.[2] ?? 0n,
  };
});

/** The ID register called `name` (throws if there is none). */
export function idReg(name: string): IdReg {
  const r = ID_REG_SPACE.find((x) => x.name === name);
  if (!r) throw new Error(`no ID register ${name}`);
  return r;
}

/** KVM's per-VM array covers CRm 1-7 (kvm->arch.id_regs[56]); CRm 0 (MIDR_EL1...) is kept apart. */
export const IDREG_IDX = (r: IdReg): number => ((r.crm - 1) << 3) | r.op2;
export const KVM_ARM_ID_REG_NUM = 56;
/** Seed 003's per-vCPU range: all 64 encodings, from ID_REG_BASE in the vCPU's sys_regs[]. */
export const KVM_ARM_ID_REG_MAX_NUM = 64;

/** The ID_AA64PFR0_EL1.SVE field and the whole ID_AA64ZFR0_EL1: what a vCPU without SVE reads as 0. */
export const SVE_FIELD = field(32);
