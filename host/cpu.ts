// Physical CPUs: which vCPU thread is loaded, whether IRQs are masked, whether guest code is
// executing, and the per-CPU registers the scenario models (VTTBR_EL2 on arm64, hgatp on RISC-V).
import { execution } from './execution.ts';
import type { Layout, WordArray } from './layout.ts';
import { memoryModel } from './memory-model/active.ts';
import { acquireView, publishView } from './memory-model/view-words.ts';

/** A CPU's own state (registers, IRQ mask, what it runs) is not memory: no memory model reorders it. */
const CPU_STATE = { sc: true } as const;

/** "No vCPU" in a CPU's curr_vcpu or in_guest word, and "no CPU" in a vCPU's cpu word. */
export const NONE = -1;

/** How a scenario shapes its CPUs. */
export interface PhysCpusOptions<R extends string> {
  /** The per-CPU registers the model keeps, each a WordArray: ['VTTBR_EL2'] on arm64, ['hgatp'] on RISC-V. */
  registers?: readonly R[];
  /** A CPU's name in word names and messages (default `cpu${c}`; a RISC-V model says `hart${c}`). */
  name?: (cpu: number) => string;
  /** Several of them, in messages (default 'CPUs'; 'harts'). */
  plural?: string;
}

/** The physical CPUs of the machine, any architecture: per-CPU words every KVM port has, and the registers the scenario declares. */
export class PhysCpus<const R extends string = string> {
  /** vcpu index whose thread runs on this CPU (vcpu_load .. vcpu_put), or NONE. */
  readonly curr: WordArray;
  /** 1 between local_irq_disable() and local_irq_enable() of the thread on this CPU. */
  readonly irqs_disabled: WordArray;
  /** vcpu index whose guest code the CPU is executing (hardware state), or NONE. */
  readonly guest: WordArray;
  /** Several CPUs, in messages ("CPUs", "harts"). */
  readonly plural: string;
  private readonly regs: Record<string, WordArray> = {};
  private readonly naming: (cpu: number) => string;
  /** arm64 model: the view the last thread switched out of this CPU published (rq->lock). */
  private readonly rq_view: WordArray;
  /** arm64 model: the actor whose thread runs on this CPU, plus one (0: none), for its IRQs (threadOn). */
  private readonly thread_actor: WordArray;

  constructor(layout: Layout, readonly count: number, o: PhysCpusOptions<R> = {}) {
    this.naming = o.name ?? ((c) => `cpu${c}`);
    this.plural = o.plural ?? 'CPUs';
    this.curr = layout.words('curr_vcpu', count, (c) => `${this.name(c)}.curr_vcpu`, CPU_STATE);
    this.irqs_disabled = layout.words('irqs_disabled', count, (c) => `${this.name(c)}.irqs_disabled`, CPU_STATE);
    this.guest = layout.words('in_guest', count, (c) => `${this.name(c)}.in_guest`, CPU_STATE);
    for (const r of o.registers ?? []) this.regs[r] = layout.words(r, count, (c) => `${this.name(c)}.${r}`, CPU_STATE);
    this.rq_view = layout.words('rq view', count, (c) => `${this.name(c)}.rq->lock view`, { ghost: true });
    this.thread_actor = layout.words('thread actor', count, (c) => `${this.name(c)}.current thread (actor)`, { ghost: true });
  }

  /**
   * arm64 model: the actor whose thread runs on `cpu` (switched in and not out), or -1. An IRQ
   * handler runs on that thread's CPU, between two of its instructions (Ipis.take).
   */
  threadOn(cpu: number): number {
    return this.thread_actor.at(cpu).load() - 1;
  }

  /**
   * Runs `handler` as an IRQ handler on `cpu`, in that CPU's program order (arm64 model; under sc
   * it just runs). On a thread's CPU it runs between two of the thread's instructions: it takes
   * the thread's view, and gives the thread its own when it returns (whole views joined, stronger
   * than one CPU's program order: it may hide a reordering, never invent one). On an idle CPU it
   * comes between the thread switched out and the next switched in: it acquires what the first
   * published (rq->lock) and publishes what it did for the second.
   */
  inIrqContext(cpu: number, handler: () => void): void {
    const m = execution.actor >= 0 ? memoryModel.arm64 : undefined;
    if (!m) return handler();
    const thread = this.threadOn(cpu);
    if (thread >= 0) {
      m.acquireView(execution.actor, m.releaseView(thread));
      handler();
      m.acquireView(thread, m.releaseView(execution.actor));
    } else {
      acquireView(this.rq_view.array, this.rq_view.index + cpu);
      handler();
      publishView(this.rq_view.array, this.rq_view.index + cpu);
    }
  }

  /** The CPU's name: "cpu1", "hart1". */
  name(cpu: number): string {
    return this.naming(cpu);
  }

  /** A per-CPU register the scenario declared, one word per CPU. */
  reg(name: R): WordArray {
    const r = this.regs[name];
    if (!r) throw new Error(`no per-CPU register '${name}': the CPUs were declared with ${Object.keys(this.regs).join(', ') || 'none'}`);
    return r;
  }

  /** Nothing loaded, no guest running, on every CPU: the state after a reset. */
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
      acquireView(this.rq_view.array, this.rq_view.index + cpu);
      this.thread_actor.at(cpu).store(execution.actor + 1);
    }
  }

  /** The running thread is switched out of `cpu` (vcpu_put, then __schedule()): it publishes its view there. */
  scheduleOut(cpu: number): void {
    const m = memoryModel.arm64;
    if (m && execution.actor >= 0) {
      m.barrier(execution.actor, 'sy');
      publishView(this.rq_view.array, this.rq_view.index + cpu);
      this.thread_actor.at(cpu).store(0);
    }
  }

  /** IRQs can be taken: unmasked in the host, or the CPU is running guest code (an IRQ exits it). */
  irqDeliverable(cpu: number): boolean {
    return this.irqs_disabled.peek(cpu) === 0 || this.guest.peek(cpu) !== NONE;
  }
}
