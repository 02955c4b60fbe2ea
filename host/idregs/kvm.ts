// The VM around the ID registers: kvm->arch.config_lock, kvm->arch.flags with
// KVM_ARCH_FLAG_HAS_RAN_ONCE, each vCPU's features from KVM_ARM_VCPU_INIT, and ghost state for
// the invariants: whether any vCPU has run, the values at that moment, and every ioctl's result.
import { BigWordArray, type Layout, type WordArray } from '../layout.ts';
import { Mutex } from '../locks.ts';
import { idRegStorage, type IdRegStorage, type IdRegStorageKind } from './storage.ts';
import { SVE_FIELD, type IdReg } from './space.ts';

export const KVM_ARCH_FLAG_HAS_RAN_ONCE = 1 << 2;
export const KVM_ARM_VCPU_SVE = 1 << 4;

/** KVM's ID registers of a VM: the storage (per vCPU or per VM), kvm->arch.config_lock, the ran-once flag, and the contract's ghost state. */
export class KvmIdRegs {
  readonly storage: IdRegStorage;
  readonly config_lock: Mutex;
  readonly flags: WordArray;
  /** vcpu->arch.target: -1 until KVM_ARM_VCPU_INIT. */
  readonly target: WordArray;
  /** Features each vCPU was initialised with (KVM_ARM_VCPU_SVE...). */
  readonly features: WordArray;
  /** The per-vCPU design's freeze: set when that vCPU first runs. */
  readonly vcpu_has_run: WordArray;
  /** Ghost: 1 once any vCPU of the VM has entered KVM_RUN. */
  readonly vmHasRun: WordArray;
  /** Ghost: every stored value at the moment the VM first ran. */
  readonly atFirstRun: BigWordArray;
  /** Ghost: bit v set if vCPU v had been initialised when the VM first ran. */
  readonly initialisedAtFirstRun: WordArray;
  /** Results of KVM_SET_ONE_REG: accepted, -EINVAL, -EBUSY. */
  readonly results: WordArray;

  constructor(layout: Layout, kind: IdRegStorageKind, readonly vcpus: number) {
    this.storage = idRegStorage(layout, kind, vcpus);
    this.config_lock = new Mutex(layout, 'kvm->arch.config_lock');
    this.flags = layout.words('kvm->arch.flags', 1, () => 'kvm->arch.flags');
    this.target = layout.words('vcpu.target', vcpus, (v) => `vcpu${v}->arch.target`);
    this.features = layout.words('vcpu.features', vcpus, (v) => `vcpu${v}->arch.features`);
    this.vcpu_has_run = layout.words('vcpu.has_run_once', vcpus, (v) => `vcpu${v}->arch.has_run_once`);
    this.vmHasRun = layout.words('ghost.vm_has_run', 1, () => 'VM has run (ghost)', { ghost: true });
    this.atFirstRun = BigWordArray.in(layout, 'ghost.at_first_run', this.storage.locations().length, (i) => `value at first run[${i}] (ghost)`, { ghost: true });
    this.initialisedAtFirstRun = layout.words('ghost.initialised_at_first_run', 1, () => 'vCPUs initialised at first run (ghost)', { ghost: true });
    this.results = layout.words('set_one_reg results', 3, (i) => ['KVM_SET_ONE_REG = 0', 'KVM_SET_ONE_REG = -EINVAL', 'KVM_SET_ONE_REG = -EBUSY'][i]);
  }

  init(): void {
    for (let v = 0; v < this.vcpus; v++) this.target.at(v).store(-1);
  }

  hasRunOnce(): boolean {
    return (this.flags.at(0).load() & KVM_ARCH_FLAG_HAS_RAN_ONCE) !== 0;
  }

  /** KVM_ARM_VCPU_INIT has run for `vcpu`: before that, the per-vCPU design has no values for it. */
  isInitialised(vcpu: number): boolean {
    return this.target.peek(vcpu) >= 0;
  }

  hasSve(vcpu: number): boolean {
    return (this.features.peek(vcpu) & KVM_ARM_VCPU_SVE) !== 0;
  }

  /** Bits of `reg` the per-vCPU view zeroes for `vcpu`: what differs legitimately between vCPUs. */
  viewMask(vcpu: number, reg: IdReg): bigint {
    if (this.hasSve(vcpu)) return 0n;
    if (reg.name === 'ID_AA64ZFR0_EL1') return -1n;
    if (reg.name === 'ID_AA64PFR0_EL1') return SVE_FIELD;
    return 0n;
  }

  /** What the guest and KVM_GET_ONE_REG on `vcpu` read: the stored value through the vCPU's view. */
  view(vcpu: number, reg: IdReg, stored: bigint): bigint {
    return stored & ~this.viewMask(vcpu, reg);
  }

  /** The VM first runs: remember every stored value, to check that none changes afterwards. */
  snapshotAtFirstRun(): void {
    if (this.vmHasRun.at(0).load()) return;
    this.vmHasRun.at(0).store(1);
    let initialised = 0;
    for (let v = 0; v < this.vcpus; v++) if (this.isInitialised(v)) initialised |= 1 << v;
    this.initialisedAtFirstRun.at(0).store(initialised);
    this.storage.locations().forEach((l, i) => this.atFirstRun.store(i, this.storage.peek(Math.max(0, l.vcpu), l.reg)));
  }
}
