// A physical CPU's interrupt context: it takes pending IPIs whenever IRQs are deliverable (not
// masked, or the CPU is running guest code, which the IRQ then exits). A daemon actor: it only
// runs when an IPI is pending and deliverable, and never finishes.
import { NONE, type PhysCpus } from '../host/cpu.ts';
import type { Ipis } from '../host/ipi.ts';
import type { Vcpus } from '../host/kvm.ts';
import { note } from '../host/recorder.ts';
import type { Tlbs } from '../host/tlb.ts';
import { waitUntil } from '../host/wait.ts';
import { defineStepMachine } from './step-machine.ts';

export interface IrqHost {
  cpus: PhysCpus;
  vcpus: Vcpus;
  tlbs: Tlbs;
  ipis: Ipis;
}

export function pcpuIrq(h: IrqHost, cpu: number) {
  const { cpus, vcpus, tlbs, ipis } = h;
  return defineStepMachine<Record<string, never>>({
    id: 'pcpu-irq',
    initial: 'irq_idle',
    context: {},
    states: {
      irq_idle: {
        wait: waitUntil(`an IPI on cpu${cpu}`, () => ipis.deliverable(cpu)),
        step: {
          description: 'take the IPI: exit the guest if it runs, then run the IPI function',
          actions: () => {
            const running = cpus.guest.peek(cpu);
            if (running !== NONE) {
              cpus.guest.at(cpu).store(NONE);
              vcpus.running_vmid.at(running).store(NONE);
              note(`IRQ exits ${vcpus.ids[running].name} from the guest`);
            }
            ipis.take(cpu, (func) => {
              if (func === 'reset_vm_context') tlbs.flushAll();
            });
          },
          target: 'irq_idle',
        },
      },
    },
  });
}
