// The vCPU thread: the VMM's ioctls and kvm_arch_vcpu_ioctl_run(), with the VMID work left to
// the design (update_vttbr() of 2012-2018, kvm_arm_vmid_update() of 2022, or another
// architecture's allocator). States are the labels of the kernel's loop; each STEP runs the code
// between two labels. The stage-2 register (VTTBR_EL2, hgatp) is the host's to name.
import { exception_boundary } from '../host/barriers.ts';
import { NONE } from '../host/cpu.ts';
import { guestAccess, type GuestAccessHost } from '../host/guest-memory.ts';
import { EINTR, ENOEXEC, IN_GUEST_MODE, OUTSIDE_GUEST_MODE, type Vcpus } from '../host/kvm.ts';
import { note } from '../host/recorder.ts';
import { waitUntil } from '../host/wait.ts';
import { defineStepMachine, type StepArgs, type StepState } from './step-machine.ts';

/** The run loop's options (scenario options: `--set` changes them). */
export interface RunLoopOptions {
  /** KVM_RUN ioctls each vCPU thread makes. */
  runs: number;
  /** Guest entries per KVM_RUN before handle_exit returns to userspace. */
  entriesPerRun: number;
  /** Most memory accesses the guest makes per entry. */
  touchesPerEntry: number;
  /** Chance that cond_resched() migrates the thread to another CPU. */
  migrateChance: number;
  /** Chance that a signal is pending at the IRQ-disabled check (-EINTR). */
  signalChance: number;
  /** Chance that the VMM calls KVM_RUN before KVM_ARM_VCPU_INIT (-ENOEXEC). */
  earlyRunChance: number;
  pagesPerVm: number;
  /** Lifetimes of a single-vCPU VM: after its runs the VMM destroys it and creates a new one. */
  lifetimes: number;
}

/** What the run loop runs over: the CPUs (with the stage-2 register declared), TLBs and vCPUs. */
export interface RunLoopHost extends GuestAccessHost {
  vcpus: Vcpus;
  /** The ioctl a vCPU needs before its first KVM_RUN ('KVM_ARM_VCPU_INIT'); omitted: KVM_RUN works once the vCPU exists. */
  vcpuInit?: string;
}

/** A vCPU thread's locals; designs add their own (numbers only). */
export interface Locals {
  ret: number;
  runsLeft: number;
  lifetimesLeft: number;
  entries: number;
  touches: number;
  [local: string]: number;
}

/** What the run loop's guards and actions get. */
export type Args = StepArgs<Locals>;

/** The VMID allocator the run loop calls: its states, and its hooks into the loop. */
export interface VmidDesign {
  /** First VMID state after cond_resched(); the design's states lead to 'local_irq_disable'. */
  entry: string;
  /** First VMID state of kvm_arch_vcpu_load(), if the design has one; it leads to 'cond_resched'. */
  loadEntry?: string;
  states: Record<string, StepState<Locals>>;
  /** The IRQ-disabled re-check: go around the loop again (2012-2018: need_new_vmid_gen()). */
  staleWithIrqsOff(): boolean;
  /** The stage-2 register value the guest runs with, as the guest entry loads it (VTTBR_EL2 in __kvm_vcpu_run). */
  stage2RegOnEntry(): number;
  /** Extra work in kvm_arch_vcpu_put() (2022: kvm_arm_vmid_clear_active()). */
  onPut?(cpu: number): void;
  /** Extra work in kvm_arch_vcpu_load() (VHE: program VTTBR_EL2 eagerly). */
  onLoad?(cpu: number): void;
  /** Work with IRQs off just before the guest is entered, after the re-check (RISC-V: kvm_riscv_local_tlb_sanitize()). */
  beforeEntry?(cpu: number): void;
  /** A new VM in the destroyed one's place starts without a VMID. */
  resetVm(): void;
}

/** The vCPU thread `vcpu` as a machine with id `id`, running design `d`'s VMID allocation. */
export function vcpuRunLoop(id: string, h: RunLoopHost, vcpu: number, o: RunLoopOptions, d: VmidDesign) {
  const { cpus, vcpus } = h;
  const stage2Reg = cpus.reg(h.stage2Reg.name);
  const cpu = () => vcpus.cpu.peek(vcpu);
  const freeCpus = () => {
    const free: number[] = [];
    for (let c = 0; c < cpus.count; c++) if (cpus.curr.peek(c) === NONE) free.push(c);
    return free;
  };
  const put = () => {
    const c = cpu();
    d.onPut?.(c);
    stage2Reg.at(c).store(0);
    cpus.curr.at(c).store(NONE);
    vcpus.cpu.at(vcpu).store(NONE);
    cpus.scheduleOut(c);
  };
  const irqs = (disabled: number) => () => cpus.irqs_disabled.at(cpu()).store(disabled);
  const inGuest = () => cpus.guest.peek(cpu()) === vcpu;
  const exitGuest = () => {
    exception_boundary();
    vcpus.mode.at(vcpu).store(OUTSIDE_GUEST_MODE);
    irqs(0)();
  };
  const vm = vcpus.ids[vcpu].vm;
  const singleVcpuVm = vcpus.ids.filter((id) => id.vm === vm).length === 1;

  // Steps that touch only the thread's own locals commute with every other actor's steps, so
  // they are folded into a neighbouring step: fewer steps, the same interleavings.
  const startRun = ({ context }: Args) => {
    context.ret = 1;
    context.entries = 0;
  };
  const endRun = ({ context }: Args) => {
    put();
    context.runsLeft--;
  };

  const states: Record<string, StepState<Locals>> = {
    vmm_init: h.vcpuInit
      ? {
          description: `VMM thread before ${h.vcpuInit}`,
          step: [
            {
              guard: ({ event }) => event.chance(o.earlyRunChance),
              description: `KVM_RUN before ${h.vcpuInit} returns -ENOEXEC`,
              actions: () => {
                if (vcpus.target.at(vcpu).load() >= 0) throw new Error(`target set before ${h.vcpuInit}`);
                vcpus.enoexec.at(vcpu).add(1);
                note(`KVM_RUN = -${ENOEXEC} (ENOEXEC)`);
              },
              target: 'vmm_init',
            },
            { description: `${h.vcpuInit}, then KVM_RUN`, actions: [() => vcpus.target.at(vcpu).store(0), startRun], target: 'vcpu_load' },
          ],
        }
      : { description: 'VMM thread before KVM_RUN', step: { description: 'KVM_RUN', actions: startRun, target: 'vcpu_load' } },
    vcpu_load: {
      description: 'the scheduler runs the thread on an idle CPU; kvm_arch_vcpu_load()',
      wait: waitUntil('an idle CPU', () => freeCpus().length > 0),
      step: {
        actions: ({ event }) => {
          const free = freeCpus();
          const c = free[event.random(free.length)];
          cpus.scheduleIn(c);
          cpus.curr.at(c).store(vcpu);
          vcpus.cpu.at(vcpu).store(c);
          d.onLoad?.(c);
        },
        target: d.loadEntry ?? 'cond_resched',
      },
    },
    cond_resched: {
      step: [
        { guard: ({ event }) => event.chance(o.migrateChance), description: 'preempted: vcpu_put, then vcpu_load on some idle CPU', actions: put, target: 'vcpu_load' },
        { target: d.entry },
      ],
    },
    ...d.states,
    local_irq_disable: {
      description: 'local_irq_disable(); if (signal_pending(current)) ret = -EINTR',
      step: [
        { guard: ({ event }) => event.chance(o.signalChance), actions: [irqs(1), ({ context }) => (context.ret = -EINTR)], target: 'recheck' },
        { actions: irqs(1), target: 'recheck' },
      ],
    },
    recheck: {
      description: 'if (ret <= 0 || need_new_vmid_gen(kvm)) { local_irq_enable(); continue; }',
      step: [
        { guard: ({ context }) => context.ret <= 0, actions: [irqs(0), () => vcpus.eintr.at(vcpu).add(1)], target: 'vcpu_put' },
        { guard: () => d.staleWithIrqsOff(), actions: irqs(0), target: 'cond_resched' },
        { target: 'enter_guest' },
      ],
    },
    enter_guest: {
      description: `load ${h.stage2Reg.name}, enter the guest`,
      step: {
        actions: ({ context, event }) => {
          const c = cpu();
          d.beforeEntry?.(c);
          const value = d.stage2RegOnEntry();
          vcpus.mode.at(vcpu).store(IN_GUEST_MODE);
          stage2Reg.at(c).store(value);
          exception_boundary(); // ERET
          cpus.guest.at(c).store(vcpu);
          vcpus.running_vmid.at(vcpu).store(h.stage2Reg.vmid(value));
          vcpus.entries.at(vcpu).add(1);
          context.touches = 1 + event.random(o.touchesPerEntry);
        },
        target: 'in_guest',
      },
    },
    in_guest: {
      description: 'guest code runs and touches memory through the TLB',
      step: [
        { guard: () => !inGuest(), description: 'an IRQ took the CPU out of the guest', target: 'guest_exit' },
        {
          guard: ({ context }) => context.touches > 0,
          actions: ({ context, event }) => {
            context.touches--;
            guestAccess(h, cpu(), event.random(o.pagesPerVm), o.pagesPerVm);
          },
          target: 'in_guest',
        },
        {
          description: 'trap to the host (MMIO, WFI)',
          actions: () => {
            cpus.guest.at(cpu()).store(NONE);
            vcpus.running_vmid.at(vcpu).store(NONE);
          },
          target: 'guest_exit',
        },
      ],
    },
    guest_exit: {
      description: 'vcpu->mode = OUTSIDE_GUEST_MODE; local_irq_enable(); ret = handle_exit()',
      step: [
        { guard: ({ context }) => context.entries + 1 >= o.entriesPerRun, description: 'exit to userspace', actions: [exitGuest, ({ context }) => (context.ret = 0)], target: 'vcpu_put' },
        { actions: [exitGuest, ({ context }) => context.entries++], target: 'cond_resched' },
      ],
    },
    vcpu_put: {
      description: 'kvm_arch_vcpu_put(), back to the VMM, which calls KVM_RUN again or is done',
      step: [
        { guard: ({ context }) => context.runsLeft > 1, actions: [endRun, startRun], target: 'vcpu_load' },
        { guard: ({ context }) => context.lifetimesLeft > 1 && singleVcpuVm, description: 'destroy the VM and create a new one', actions: endRun, target: 'kvm_destroy_vm' },
        { actions: endRun, target: 'done' },
      ],
    },
    kvm_destroy_vm: {
      description: 'KVM_CREATE_VM anew: the new VM has no VMID and its vCPU needs KVM_ARM_VCPU_INIT',
      step: {
        actions: ({ context }) => {
          d.resetVm();
          if (h.vcpuInit) vcpus.target.at(vcpu).store(-1);
          context.lifetimesLeft--;
          context.runsLeft = o.runs;
        },
        target: 'vmm_init',
      },
    },
    done: { final: true },
  };

  return defineStepMachine<Locals>({
    id,
    initial: 'vmm_init',
    context: () => ({ ret: 1, runsLeft: o.runs, lifetimesLeft: o.lifetimes, entries: 0, touches: 0 }),
    states,
  });
}
