// struct kvm_vcpu fields shared by the run-loop models, plus the ghost state invariants read.
import type { Layout, WordArray } from './layout.ts';
import { NONE } from './cpu.ts';

/** vcpu->mode while the vCPU thread runs host code. */
export const OUTSIDE_GUEST_MODE = 0;
/** vcpu->mode from just before guest entry until the exit. */
export const IN_GUEST_MODE = 1;

/** KVM_RUN's error before the vCPU is initialised. */
export const ENOEXEC = 8;
/** KVM_RUN's error when a signal is pending. */
export const EINTR = 4;

/** Which VM a vCPU belongs to, its index there, and its name. */
export interface VcpuId {
  vm: number;
  idx: number;
  /** "vcpu0.1": VM 0, vCPU 1. */
  name: string;
}

/** struct kvm_vcpu fields the run-loop models share (one word per vCPU), plus the ghost state invariants read. */
export class Vcpus {
  readonly ids: VcpuId[];
  /** vcpu->arch.target: -1 until KVM_ARM_VCPU_INIT. */
  readonly target: WordArray;
  /** vcpu->cpu: the physical CPU it is loaded on, or NONE. */
  readonly cpu: WordArray;
  readonly mode: WordArray;
  /** Ghost: the hardware VMID the vCPU's guest code runs with, NONE when not executing it. */
  readonly running_vmid: WordArray;
  /** Counts of KVM_RUN results, for figures and the ioctl contract. */
  readonly enoexec: WordArray;
  readonly eintr: WordArray;
  readonly entries: WordArray;

  constructor(layout: Layout, vcpusPerVm: readonly number[]) {
    this.ids = vcpusPerVm.flatMap((n, vm) => Array.from({ length: n }, (_, idx) => ({ vm, idx, name: `vcpu${vm}.${idx}` })));
    const count = this.ids.length;
    const named = (field: string) => (i: number) => `${this.ids[i].name}->${field}`;
    this.target = layout.words('vcpu.target', count, named('arch.target'));
    this.cpu = layout.words('vcpu.cpu', count, named('cpu'), { sc: true });
    this.mode = layout.words('vcpu.mode', count, named('mode'));
    this.running_vmid = layout.words('vcpu.running_vmid', count, named('running_vmid (ghost)'), { ghost: true });
    this.enoexec = layout.words('vcpu.enoexec', count, named('ENOEXEC returns'), { ghost: true });
    this.eintr = layout.words('vcpu.eintr', count, named('EINTR returns'), { ghost: true });
    this.entries = layout.words('vcpu.entries', count, named('guest entries'), { ghost: true });
  }

  get count(): number {
    return this.ids.length;
  }

  init(): void {
    for (let v = 0; v < this.count; v++) {
      this.target.at(v).store(-1);
      this.cpu.at(v).store(NONE);
      this.running_vmid.at(v).store(NONE);
    }
  }
}
