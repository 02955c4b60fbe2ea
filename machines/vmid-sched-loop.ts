// A CPU's scheduler as the public TLA+ model of vmid.c (vmidalloc.tla) abstracts it: forever
// pick a task (a VM's vCPU); if it is the one active here, schedule it out (active_vmids =
// VMID_ACTIVE_INVALID), else switch to it: kvm_arm_vmid_update() then load its VTTBR. Unlike the
// run-loop model, a CPU may switch from one task to another without scheduling the first out.
import { __kvm_flush_vm_context } from '../host/arm64.ts';
import { smp_mb } from '../host/barriers.ts';
import { NONE, type PhysCpus } from '../host/cpu.ts';
import { vmPgd } from '../host/guest-memory.ts';
import { make_vttbr, vttbr_vmid } from '../host/stage2-register.ts';
import type { WordArray } from '../host/layout.ts';
import type { Tlbs } from '../host/tlb.ts';
import type { KvmVmid2022 } from '../host/vmid/vmid-2022.ts';
import { vmidUpdateStates, type VmidUpdateVariant } from './kvm-arm-vmid-update.ts';
import { defineStepMachine } from './step-machine.ts';
import type { Args, Locals } from './vcpu-run-loop.ts';

/** What the TLA+-style scheduler loop works on. */
export interface SchedLoopHost {
  cpus: PhysCpus<'VTTBR_EL2'>;
  tlbs: Tlbs;
  vmid: KvmVmid2022;
  /** Task active on each CPU (its TTBR), or NONE. */
  activeTask: WordArray;
  /** Ghost: 1 while the CPU is at the sched_loop label, outside the switching code. */
  atSchedLoop: WordArray;
}

/** The scheduler loop's options (scenario options). */
export interface SchedLoopOptions {
  tasks: number;
  /** Scheduling decisions each CPU makes before it stops. */
  switches: number;
}

/** A TLB entry can be loaded speculatively as soon as a TTBR is set (one per task and CPU). */
export function speculativeLoad(h: SchedLoopHost, cpu: number, task: number, vmidIdx: number): void {
  h.tlbs.fill(cpu, { tag: vmidIdx, page: 0, shift: 0, out: task, perms: 3, owner: task, ghost: 0 }, 'speculative load');
}

/** CPU `cpu`'s scheduler as a machine: tasks switched in and out, kvm_arm_vmid_update() in variant `v` at each switch. */
export function vmidSchedLoop(h: SchedLoopHost, cpu: number, o: SchedLoopOptions, v: VmidUpdateVariant) {
  const a = h.vmid;
  const vttbr_el2 = h.cpus.reg('VTTBR_EL2');
  const pick = ({ context, event }: Args) => {
    context.task = event.random(o.tasks);
    context.switchesLeft--;
  };
  // flush_tlb_all() keeps what every CPU's TTBR can reload at once: its active task's entry.
  const flushTlbs = () => {
    __kvm_flush_vm_context(h.tlbs);
    for (let c = 0; c < h.cpus.count; c++) {
      const t = h.activeTask.peek(c);
      if (t !== NONE) speculativeLoad(h, c, t, vttbr_vmid(vttbr_el2.peek(c)));
    }
  };
  // Every decision here is a context switch: __schedule() takes rq->lock with
  // smp_mb__after_spinlock(), and __switch_to() issues dsb(ish). So this CPU's accesses before the
  // switch (kvm_arm_vmid_clear_active()'s store) are ordered before those after it.
  const contextSwitch = () => smp_mb();
  const update = vmidUpdateStates(h, { vm: (ctx) => ctx.task, cpu: () => cpu, next: 'cpu_switch_kvm', flushTlbs }, v);
  return defineStepMachine<Locals>({
    id: 'vmid-sched-loop',
    initial: 'sched_loop',
    context: () => ({ ret: 0, runsLeft: 0, lifetimesLeft: 0, entries: 0, touches: 0, task: -1, switchesLeft: o.switches }),
    states: {
      sched_loop: {
        description: 'with (t \\in TASKS): switch to t, or schedule out the active task',
        step: [
          { guard: ({ context }) => context.task < 0 && context.switchesLeft <= 0, target: 'done' },
          { guard: ({ context }) => context.task < 0, actions: pick, target: 'sched_loop' },
          {
            guard: ({ context }) => context.task === h.activeTask.peek(cpu),
            description: 'vcpu_sched_out(): kvm_arm_vmid_clear_active()',
            actions: [
              () => {
                h.activeTask.at(cpu).store(NONE);
                vttbr_el2.at(cpu).store(0);
                a.active_vmids.at(cpu).store(a.VMID_ACTIVE_INVALID);
                contextSwitch();
              },
              ({ context }) => (context.task = -1),
            ],
            target: 'sched_loop',
          },
          {
            actions: () => {
              contextSwitch();
              h.atSchedLoop.at(cpu).store(0);
            },
            target: 'kvm_arm_vmid_update',
          },
        ],
      },
      ...update,
      cpu_switch_kvm: {
        description: 'cpu_switch_kvm(t, vmid): set the TTBR; a TLB entry can load at once',
        step: {
          actions: ({ context }) => {
            h.activeTask.at(cpu).store(context.task);
            vttbr_el2.at(cpu).store(make_vttbr(vmPgd(context.task), a.idx(context.vmid)));
            speculativeLoad(h, cpu, context.task, a.idx(a.id.at(context.task).load()));
            h.atSchedLoop.at(cpu).store(1);
            context.task = -1;
          },
          target: 'sched_loop',
        },
      },
      done: { final: true },
    },
  });
}
