// What the ioctl contract of seed 000 promises KVM_RUN: -EPERM unless FINALIZE has succeeded
// since the vCPU's last KVM_ARM_VCPU_INIT. "Since" orders calls made on different threads. Under
// sc that is the global order of steps. Under arm64 nothing in KVM orders a VM ioctl on the VMM's
// thread with KVM_RUN on a vCPU thread (the VMM's own synchronization would), so the contract binds
// KVM_RUN only once its thread has observed the contract's last change (happens-before: through
// vcpu->mutex after KVM_ARM_VCPU_INIT, or a lock both took); before that, and while a FINALIZE is
// under way (between entry and return, or one of its stores already promised), either answer is
// allowed.
import { hasObserved, publishView, storePromised } from '../memory-model/view-words.ts';
import type { SpeHost } from './world.ts';

/** The VMM's thread changed the contract (FINALIZE succeeded, or KVM_ARM_VCPU_INIT): what it did so far goes with the change. */
export function contractChanged(h: SpeHost): void {
  publishView(h.contractView.array, h.contractView.index, 'replace');
}

/** Whether KVM_RUN on the running thread must enter the guest (true), must fail with -EPERM (false), or may do either (undefined). */
export function kvmRunContract(h: SpeHost): boolean | undefined {
  if (h.finalizeInFlight.peek() !== 0 || storePromised(h.finalized.index)) return undefined;
  if (!hasObserved(h.contractView.array, h.contractView.index)) return undefined;
  return h.contractFinalized.peek() !== 0;
}
