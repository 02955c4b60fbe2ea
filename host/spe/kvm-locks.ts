// The KVM locks the SPE world takes only within one step each, so they never make a thread wait;
// under arm64 they still order what their holders do, one after another.
import { inOneStepLock } from '../memory-model/view-words.ts';
import type { SpeHost } from './world.ts';

/** kvm_vcpu_ioctl(): `body` with vCPU `v`'s vcpu->mutex held (KVM_ARM_VCPU_INIT, KVM_RUN). */
export function underVcpuMutex<T>(h: SpeHost, v: number, body: () => T): T {
  return inOneStepLock(h.vcpuMutexView.array, h.vcpuMutexView.index + v, body);
}

/** `body` with kvm->mmu_lock held: stage-2 changes, the MMU notifiers, mmu_invalidate_retry(). */
export function underMmuLock<T>(h: SpeHost, body: () => T): T {
  return inOneStepLock(h.mmuLockView.array, h.mmuLockView.index, body);
}
