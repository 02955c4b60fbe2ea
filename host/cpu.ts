// Physical CPUs: which vCPU thread is loaded, whether IRQs are masked, whether guest code is
// executing, and the stage-2 translation base register each one has loaded.
import { execution } from './execution.ts';
import type { Layout, WordArray } from './layout.ts';
import { memoryModel } from './memory-model/active.ts';

export const NONE = -1;

/** Per-CPU state that is not memory: sequentially consistent under every memory model. */
const REGISTER = { ordered: true } as const;

export class PhysCpus {
  /** vcpu index whose thread runs on this CPU (vcpu_load .. vcpu_put), or NONE. */
  readonly curr: WordArray;
  /** 1 between local_irq_disable() and local_irq_enable() of the thread on this CPU. */
  readonly irqs_disabled: WordArray;
  /** vcpu index whose guest code the CPU is executing (hardware state), or NONE. */
  readonly guest: WordArray;
  /** VTTBR_EL2: (VMID << VTTBR_VMID_SHIFT) | BADDR; 0 when nothing is loaded. */
  readonly vttbr_el2: WordArray;
  /** arm64 model: the view the last thread switched out of this CPU published (rq->lock). */
  private readonly rq_view: WordArray;

  constructor(layout: Layout, readonly count: number) {
    this.curr = layout.words('curr_vcpu', count, (c) => `cpu${c}.curr_vcpu`, REGISTER);
    this.irqs_disabled = layout.words('irqs_disabled', count, (c) => `cpu${c}.irqs_disabled`, REGISTER);
    this.guest = layout.words('in_guest', count, (c) => `cpu${c}.in_guest`, REGISTER);
    this.vttbr_el2 = layout.words('VTTBR_EL2', count, (c) => `cpu${c}.VTTBR_EL2`, REGISTER);
    this.rq_view = layout.words('rq view', count, (c) => `cpu${c}.rq->lock view`, { ghost: true });
  }

  init(): void {
    for (let c = 0; c < this.count; c++) {
      this.curr.at(c).store(NONE);
      this.guest.at(c).store(NONE);
    }
  }

  /**
   * The running thread is switched in on `cpu` (vcpu_load after __schedule()): under arm64 it
   * acquires what the thread switched out there last published, as rq->lock with
   * smp_mb__after_spinlock() orders it; a memory model's views belong to threads, and without this
   * a thread would not see what the CPU it lands on has already seen.
   */
  scheduleIn(cpu: number): void {
    const m = memoryModel.arm64;
    if (m && execution.actor >= 0) {
      m.barrier(execution.actor, 'sy');
      m.acquireView(execution.actor, this.rq_view.at(cpu).load());
    }
  }

  /** The running thread is switched out of `cpu` (vcpu_put, then __schedule()): it publishes its view there. */
  scheduleOut(cpu: number): void {
    const m = memoryModel.arm64;
    if (m && execution.actor >= 0) {
      m.barrier(execution.actor, 'sy');
      this.rq_view.at(cpu).store(Math.max(this.rq_view.at(cpu).load(), m.releaseView(execution.actor)));
    }
  }

  /** IRQs can be taken: unmasked in the host, or the CPU is running guest code (an IRQ exits it). */
  irqDeliverable(cpu: number): boolean {
    return this.irqs_disabled.peek(cpu) === 0 || this.guest.peek(cpu) !== NONE;
  }
}

/** VTTBR_EL2 layout, scaled to a 32-bit word: VMID in the top half, the table base below. */
export const VTTBR_VMID_SHIFT = 16;
export const VTTBR_BADDR_MASK = (1 << VTTBR_VMID_SHIFT) - 1;

export function make_vttbr(baddr: number, vmid: number): number {
  return ((vmid << VTTBR_VMID_SHIFT) | (baddr & VTTBR_BADDR_MASK)) >>> 0;
}

export function vttbr_vmid(vttbr: number): number {
  return vttbr >>> VTTBR_VMID_SHIFT;
}

export function vttbr_baddr(vttbr: number): number {
  return vttbr & VTTBR_BADDR_MASK;
}
