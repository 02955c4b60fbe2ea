// A vCPU thread of the VM being set up: it calls KVM_RUN, which must fail with -EPERM until
// FINALIZE has succeeded since the vCPU's last KVM_ARM_VCPU_INIT; once in, the guest touches a
// page and a stage-2 fault maps it (user_mem_abort, under kvm->mmu_lock and SRCU, not slots_lock).
import { note } from '../host/recorder.ts';
import { raiseViolation } from '../host/violations.ts';
import { stage2Map, stage2State } from '../host/spe/stage2-ops.ts';
import { F, GFNS, type SpeHost } from '../host/spe/world.ts';
import { IOCTL_CONTRACT } from './spe-finalize-vmm.ts';
import { defineStepMachine } from './step-machine.ts';

export function speKvmRun(h: SpeHost, v: number, runs: number) {
  return defineStepMachine<{ runs: number }>({
    id: 'vcpu-kvm-run-spe',
    initial: 'kvm_run',
    context: { runs: 0 },
    states: {
      kvm_run: {
        step: [
          { guard: ({ context }) => context.runs >= runs, target: 'done' },
          {
            guard: () => h.vcpuInit.at(v).load() === 0,
            description: '-ENOEXEC: KVM_ARM_VCPU_INIT not done yet',
            actions: ({ context }) => void context.runs++,
          },
          {
            description: 'KVM_RUN: -EPERM unless SPE is finalized, else the guest runs',
            actions: ({ context, event }) => {
              context.runs++;
              const enters = h.finalized.load() !== 0;
              const contract = h.contractFinalized.peek() !== 0;
              if (enters !== contract && !h.finalizeInFlight.peek()) {
                raiseViolation(IOCTL_CONTRACT, `KVM_RUN(vcpu${v}) ${enters ? 'entered the guest' : 'returned -EPERM'} but FINALIZE has ${contract ? '' : 'not '}succeeded since the last KVM_ARM_VCPU_INIT`);
              }
              if (!enters) {
                h.fig.at(F.kvmRunEperm).add(1);
                return;
              }
              h.fig.at(F.kvmRunEntered).add(1);
              const gfn = event.random(GFNS);
              if (stage2State(h, gfn) === 'unmapped') note(stage2Map(h, gfn, 'fault') ? `vcpu${v}: stage-2 fault on gfn ${gfn}, mapped` : `vcpu${v}: gfn ${gfn} is in no memslot: MMIO exit`);
            },
          },
        ],
      },
      done: { final: true },
    },
  });
}
