// A vCPU thread of the VM being set up: it calls KVM_RUN, which must fail with -EPERM until
// FINALIZE has succeeded since the vCPU's last KVM_ARM_VCPU_INIT; once in, the guest touches a
// page and a stage-2 fault maps it (user_mem_abort, under kvm->mmu_lock and SRCU, not slots_lock).
// After -EPERM the thread waits until SPE is finalized (or the VMM has given up) and tries again.
import { note } from '../host/recorder.ts';
import { raiseViolation } from '../host/violations.ts';
import { stage2Map, stage2State } from '../host/spe/stage2-ops.ts';
import { F, GFNS, type SpeHost } from '../host/spe/world.ts';
import { IOCTL_CONTRACT } from './spe-finalize-vmm.ts';
import { kvmRunContract } from '../host/spe/ioctl-contract.ts';
import { underVcpuMutex } from '../host/spe/kvm-locks.ts';
import { defineStepMachine } from './step-machine.ts';
import { waitUntil } from '../host/wait.ts';

/** vCPU `v`'s thread as a machine: `runs` KVM_RUN calls, -EPERM until FINALIZE has succeeded. */
export function speKvmRun(h: SpeHost, v: number, runs: number) {
  return defineStepMachine<{ runs: number; eperm: number }>({
    id: 'vcpu-kvm-run-spe',
    initial: 'kvm_run',
    context: { runs: 0, eperm: 0 },
    states: {
      kvm_run: {
        step: [
          { guard: ({ context }) => context.runs >= runs || (h.vmmDone.load() !== 0 && h.finalized.load() === 0), target: 'done' },
          {
            guard: () => h.vcpuInit.at(v).load() === 0,
            description: '-ENOEXEC: KVM_ARM_VCPU_INIT not done yet',
            actions: ({ context }) => void context.runs++,
          },
          {
            description: 'KVM_RUN: -EPERM unless SPE is finalized, else the guest runs',
            actions: ({ context, event }) =>
              underVcpuMutex(h, v, () => {
                context.runs++;
                context.eperm = 0;
                const enters = h.finalized.load() !== 0;
                const contract = kvmRunContract(h);
                if (contract !== undefined && enters !== contract) {
                  raiseViolation(IOCTL_CONTRACT, `KVM_RUN(vcpu${v}) ${enters ? 'entered the guest' : 'returned -EPERM'} but FINALIZE has ${contract ? '' : 'not '}succeeded since the last KVM_ARM_VCPU_INIT`);
                }
                if (!enters) {
                  h.fig.at(F.kvmRunEperm).add(1);
                  context.eperm = 1;
                  return;
                }
                h.fig.at(F.kvmRunEntered).add(1);
                const gfn = event.random(GFNS);
                if (stage2State(h, gfn) === 'unmapped') note(stage2Map(h, gfn, 'fault') ? `vcpu${v}: stage-2 fault on gfn ${gfn}, mapped` : `vcpu${v}: gfn ${gfn} is in no memslot: MMIO exit`);
              }),
            target: 'after_kvm_run',
          },
        ],
      },
      after_kvm_run: {
        step: [{ guard: ({ context }) => context.eperm === 1, target: 'wait_finalized' }, { target: 'kvm_run' }],
      },
      wait_finalized: {
        description: 'the vCPU thread waits for the VMM to finish setting up',
        wait: waitUntil('SPE finalized', () => h.finalized.peek() !== 0 || h.vmmDone.peek() !== 0),
        step: { target: 'kvm_run' },
      },
      done: { final: true },
    },
  });
}
