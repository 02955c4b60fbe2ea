// The hardware page-table walker of a CPU filling the TLB speculatively, from the tables and
// VMID in the stage-2 register (VTTBR_EL2 on arm64). When it may do so is the question:
//   in-guest  only while the CPU runs guest code: the architecture does not walk a translation
//             regime that is out of context (the host runs with HCR_EL2.TGE set)
//   loaded    whenever VTTBR_EL2 holds a VM, until vcpu_put: what CPUs with the out-of-context
//             speculation errata (Cortex-A76 #1165522 and kin) can do, and what the public TLA+
//             model of vmid.c assumes ("a TLB entry can be speculatively loaded as soon as a new
//             TTBR is set")
// A daemon with a budget of fills per run.
import { NONE } from '../host/cpu.ts';
import { guestAccess, type GuestAccessHost } from '../host/guest-memory.ts';
import type { WordArray } from '../host/layout.ts';
import { waitUntil } from '../host/wait.ts';
import { defineStepMachine } from './step-machine.ts';

/** What a speculative walker works on. */
export interface WalkerHost extends GuestAccessHost {
  /** Speculative fills left per CPU in this run. */
  walksLeft: WordArray;
}

/** When the walker may fill the TLB: never, while guest code runs, or whenever the stage-2 register holds a VM. */
export type Speculation = 'none' | 'in-guest' | 'loaded';

/** The speculative walker of `cpu` as a machine, to run as a daemon actor. */
export function speculativeWalker(h: WalkerHost, cpu: number, pagesPerVm: number, when: Exclude<Speculation, 'none'>) {
  const { cpus, walksLeft } = h;
  const reg = cpus.reg(h.stage2Reg.name);
  return defineStepMachine<Record<string, never>>({
    id: 'tlb-walker',
    initial: 'walker_idle',
    context: {},
    states: {
      walker_idle: {
        wait: waitUntil(when === 'in-guest' ? `guest code on ${cpus.name(cpu)}` : `${h.stage2Reg.name} loaded on ${cpus.name(cpu)}`, () =>
          walksLeft.peek(cpu) > 0 && reg.peek(cpu) !== 0 && (when === 'loaded' || cpus.guest.peek(cpu) !== NONE),
        ),
        step: {
          description: 'speculative stage-2 walk and TLB fill',
          actions: ({ event }) => {
            walksLeft.at(cpu).add(-1);
            guestAccess(h, cpu, event.random(pagesPerVm), pagesPerVm, true);
          },
          target: 'walker_idle',
        },
      },
    },
  });
}
