// A vCPU thread's first KVM_RUN, which freezes the ID registers (KVM_ARCH_FLAG_HAS_RAN_ONCE set
// under kvm->arch.config_lock; in the per-vCPU design, only that vCPU's copy), then the guest
// reading its ID registers through the vCPU's view.
import type { KvmIdRegs } from '../host/idregs/kvm.ts';
import { KVM_ARCH_FLAG_HAS_RAN_ONCE } from '../host/idregs/kvm.ts';
import { idReg } from '../host/idregs/space.ts';
import { hex } from '../host/layout.ts';
import { note } from '../host/recorder.ts';
import { waitUntil } from '../host/wait.ts';
import type { IdRegDesign } from './idregs-vmm.ts';
import { defineStepMachine } from './step-machine.ts';

const GUEST_READS = ['ID_AA64PFR0_EL1', 'ID_AA64ZFR0_EL1', 'ID_AA64DFR0_EL1'].map(idReg);

/** vCPU `vcpu`'s first KVM_RUN (freezing the ID registers) and the guest reading them, as a machine. */
export function vcpuFirstRun(k: KvmIdRegs, vcpu: number, design: IdRegDesign) {
  const perVcpu = design === 'per-vcpu';
  const setHasRun = () => {
    if (perVcpu) k.vcpu_has_run.at(vcpu).store(1);
    else k.flags.at(0).store(k.flags.at(0).load() | KVM_ARCH_FLAG_HAS_RAN_ONCE);
    k.snapshotAtFirstRun();
  };
  return defineStepMachine<Record<string, never>>({
    id: `vcpu-first-run-${perVcpu ? 'per-vcpu' : 'per-vm'}`,
    initial: 'kvm_run',
    context: {},
    states: {
      kvm_run: {
        description: 'KVM_RUN, once the VMM has initialised the vCPU',
        wait: waitUntil(`vcpu${vcpu} initialised`, () => k.target.peek(vcpu) >= 0),
        step: { target: perVcpu ? 'set_has_run_once' : 'config_lock' },
      },
      ...(perVcpu ? {} : { config_lock: { wait: k.config_lock.waitFor(), step: { actions: () => k.config_lock.lock(), target: 'set_has_run_once' } } }),
      set_has_run_once: {
        description: perVcpu ? "this vCPU's ID registers are frozen" : 'set_bit(KVM_ARCH_FLAG_HAS_RAN_ONCE, &kvm->arch.flags) under config_lock',
        step: { actions: [setHasRun, () => (perVcpu ? undefined : k.config_lock.unlock())], target: 'guest_reads_id_regs' },
      },
      guest_reads_id_regs: {
        step: {
          actions: () => {
            for (const reg of GUEST_READS) note(`guest on vcpu${vcpu} reads ${reg.name} = ${hex(k.view(vcpu, reg, k.storage.load(vcpu, reg)))}`);
          },
          target: 'done',
        },
      },
      done: { final: true },
    },
  });
}
