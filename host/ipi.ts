// Inter-processor interrupts as smp_call_function_many() sends them: the sender marks each target
// CPU, counts the outstanding acknowledgements, and (with wait=1) waits until each target has run
// the function, which a target does only with IRQs deliverable.
import type { Layout, WordArray } from './layout.ts';
import type { PhysCpus } from './cpu.ts';
import { or32, xchg32 } from './access.ts';
import { note } from './recorder.ts';
import { waitUntil, type Wait } from './wait.ts';

/** The functions an IPI can carry. */
export const IPI_FUNCS = ['none', 'reset_vm_context', 'exit_vm_noop'] as const;
export type IpiFunc = (typeof IPI_FUNCS)[number];

export class Ipis {
  /** Bit s set on CPU t: CPU s has an IPI pending for t. */
  readonly pending: WordArray;
  /** Function the sender CPU asked its targets to run. */
  readonly func: WordArray;
  /** Acknowledgements the sender CPU still waits for. */
  readonly outstanding: WordArray;
  readonly sent: WordArray;

  constructor(layout: Layout, private readonly cpus: PhysCpus) {
    const n = cpus.count;
    // The generic IPI code orders its own accesses (csd_lock() acquires, csd_unlock() releases, the
    // send is preceded by a dsb): its words are not relaxed memory under any model.
    const ordered = { ordered: true };
    this.pending = layout.words('ipi_pending', n, (c) => `cpu${c}.ipi_pending`, ordered);
    this.func = layout.words('ipi_func', n, (c) => `cpu${c}.ipi_func`, ordered);
    this.outstanding = layout.words('ipi_outstanding', n, (c) => `cpu${c}.ipi_outstanding`, ordered);
    this.sent = layout.words('ipi_sent', 1, () => 'ipis_sent', ordered);
  }

  /** smp_call_function_many(all other CPUs, func, wait): returns how many IPIs were sent. */
  sendToOthers(from: number, func: IpiFunc): number {
    const others = this.cpus.count - 1;
    this.func.at(from).store(IPI_FUNCS.indexOf(func));
    this.outstanding.at(from).store(others);
    for (let t = 0; t < this.cpus.count; t++) {
      if (t === from) continue;
      or32(this.pending.array, this.pending.index + t, 1 << from);
    }
    this.sent.at(0).add(others);
    note(`IPI ${func} from cpu${from} to ${others} other CPUs`);
    return others;
  }

  /** Wait for every target of `from`'s last IPI to have run it. */
  acksFor(from: number): Wait {
    return waitUntil(`IPI acks for cpu${from}`, () => this.outstanding.peek(from) === 0);
  }

  /** An IPI is pending on `cpu` and can be taken now. */
  deliverable(cpu: number): boolean {
    return this.pending.peek(cpu) !== 0 && this.cpus.irqDeliverable(cpu);
  }

  /** Takes every pending IPI on `cpu`: runs `handler(func)` for each sender, then acknowledges. */
  take(cpu: number, handler: (func: IpiFunc, from: number) => void): void {
    const bits = xchg32(this.pending.array, this.pending.index + cpu, 0);
    for (let s = 0; s < this.cpus.count; s++) {
      if (!(bits & (1 << s))) continue;
      const func = IPI_FUNCS[this.func.peek(s)] ?? 'none';
      note(`cpu${cpu} takes IPI ${func} from cpu${s}`);
      handler(func, s);
      this.outstanding.at(s).add(-1);
    }
  }
}
