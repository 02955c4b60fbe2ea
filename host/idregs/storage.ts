// Where ID register values live, in the two designs of seed 003, as regions of shared memory:
//   per-vcpu: 64 registers in each vCPU's sys_regs[] from ID_REG_BASE (the patch as posted);
//   per-vm:   kvm->arch.id_regs[56] (CRm 1-7), one copy whatever the vCPU count, and a per-vCPU
//             view applied when a vCPU reads.
import { BigWordArray, Layout, type Region } from '../layout.ts';
import { IDREG_IDX, ID_REG_SPACE, KVM_ARM_ID_REG_MAX_NUM, KVM_ARM_ID_REG_NUM, type IdReg } from './space.ts';

/** Where KVM keeps ID registers: a copy per vCPU, or one per VM. */
export type IdRegStorageKind = 'per-vcpu' | 'per-vm';

export interface IdRegStorage {
  readonly kind: IdRegStorageKind;
  /** The regions of shared memory that hold ID register values. */
  readonly regions: readonly Region[];
  /** The stored (base) value vCPU `vcpu` has for `reg`. */
  load(vcpu: number, reg: IdReg): bigint;
  store(vcpu: number, reg: IdReg, v: bigint): void;
  peek(vcpu: number, reg: IdReg): bigint;
  /** Every storage location, as (vcpu or -1 for per-VM, reg), for invariants. */
  locations(): { vcpu: number; reg: IdReg }[];
}

class PerVmIdRegs implements IdRegStorage {
  readonly kind = 'per-vm' as const;
  readonly regions: Region[];
  private readonly id_regs: BigWordArray;
  constructor(layout: Layout) {
    const before = layout.regions.length;
    this.id_regs = BigWordArray.in(layout, 'kvm->arch.id_regs', KVM_ARM_ID_REG_NUM, (i) => `kvm->arch.id_regs[${nameOfIdx(i)}]`);
    this.regions = layout.regions.slice(before);
  }
  load(_vcpu: number, reg: IdReg): bigint {
    return this.id_regs.load(IDREG_IDX(reg));
  }
  store(_vcpu: number, reg: IdReg, v: bigint): void {
    this.id_regs.store(IDREG_IDX(reg), v);
  }
  peek(_vcpu: number, reg: IdReg): bigint {
    return this.id_regs.peek(IDREG_IDX(reg));
  }
  locations() {
    return ID_REG_SPACE.filter((r) => r.crm > 0).map((reg) => ({ vcpu: -1, reg }));
  }
}

class PerVcpuIdRegs implements IdRegStorage {
  readonly kind = 'per-vcpu' as const;
  readonly regions: Region[];
  private readonly sys_regs: BigWordArray;
  constructor(layout: Layout, private readonly vcpus: number) {
    const before = layout.regions.length;
    this.sys_regs = BigWordArray.in(layout, 'vcpu->arch.ctxt.sys_regs[ID_REG_BASE..]', vcpus * KVM_ARM_ID_REG_MAX_NUM, (i) => `vcpu${Math.floor(i / 64)}->arch.ctxt.sys_regs[${ID_REG_SPACE[i % 64].name}]`);
    this.regions = layout.regions.slice(before);
  }
  load(vcpu: number, reg: IdReg): bigint {
    return this.sys_regs.load(vcpu * KVM_ARM_ID_REG_MAX_NUM + reg.idx);
  }
  store(vcpu: number, reg: IdReg, v: bigint): void {
    this.sys_regs.store(vcpu * KVM_ARM_ID_REG_MAX_NUM + reg.idx, v);
  }
  peek(vcpu: number, reg: IdReg): bigint {
    return this.sys_regs.peek(vcpu * KVM_ARM_ID_REG_MAX_NUM + reg.idx);
  }
  locations() {
    return Array.from({ length: this.vcpus }, (_, vcpu) => ID_REG_SPACE.map((reg) => ({ vcpu, reg }))).flat();
  }
}

function nameOfIdx(i: number): string {
  return ID_REG_SPACE[(((i >> 3) + 1) << 3) | (i & 7)].name;
}

export function idRegStorage(layout: Layout, kind: IdRegStorageKind, vcpus: number): IdRegStorage {
  return kind === 'per-vm' ? new PerVmIdRegs(layout) : new PerVcpuIdRegs(layout, vcpus);
}

/** Bytes of shared memory the storage of `kind` occupies for a VM of `vcpus` vCPUs: laid out, then measured. */
export function storageBytes(kind: IdRegStorageKind, vcpus: number): number {
  const storage = idRegStorage(new Layout(), kind, vcpus);
  return storage.regions.reduce((bytes, r) => bytes + r.byteLength, 0);
}
