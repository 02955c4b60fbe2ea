// A physical CPU's interrupt context: it takes pending IPIs whenever IRQs are deliverable (not
// masked, or the CPU is running guest code, which the IRQ then exits), and runs the function each
// carries (the scenario's, given to Ipis). A daemon actor: it only runs when an IPI is pending and
// deliverable, and never finishes.
import { NONE, type PhysCpus } from '../host/cpu.ts';
import type { Ipis } from '../host/ipi.ts';
import type { Vcpus } from '../host/kvm.ts';
import { note } from '../host/recorder.ts';
import { waitUntil } from '../host/wait.ts';
import { defineStepMachine } from './step-machine.ts';

/** What a CPU's interrupt context works on. */
export interface IrqHost {
  cpus: PhysCpus;
  vcpus: Vcpus;
  ipis: Ipis;
}

/** The interrupt context of `cpu` as a machine (id `id`), to run as a daemon actor. */
export function pcpuIrq(h: IrqHost, cpu: number, id = 'pcpu-irq') {
  const { cpus, vcpus, ipis } = h;
  return defineStepMachine<Record<string, never>>({
    id,
    initial: 'irq_idle',
    context: {},
    states: {
      irq_idle: {
        wait: waitUntil(`an ${ipis.word} on ${cpus.name(cpu)}`, () => ipis.deliverable(cpu)),
        step: {
          description: `take the ${ipis.word}: exit the guest if it runs, then run the function it carries`,
          actions: () => {
            const running = cpus.guest.peek(cpu);
            if (running !== NONE) {
              cpus.guest.at(cpu).store(NONE);
              vcpus.running_vmid.at(running).store(NONE);
              note(`IRQ exits ${vcpus.ids[running].name} from the guest`);
            }
            ipis.take(cpu);
          },
          target: 'irq_idle',
        },
      },
    },
  });
}
