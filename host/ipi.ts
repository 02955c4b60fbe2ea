// Inter-processor interrupts carrying a function call, as smp_call_function_many() and
// on_each_cpu_mask() make them, on any architecture: the scenario names the functions. The sender
// marks each target CPU, counts the outstanding acknowledgements and, for a target that is itself,
// runs the function at once (with IRQs off, as on_each_cpu_mask does); a target runs it only when
// it can take an IRQ. Waiting for the acknowledgements (wait=1) is a state's wait on acksFor();
// not waiting is allowed, but the sender's call slot (its csd) stays taken until every target ran
// the function, so the next call from that CPU must wait for acksFor() first, as csd_lock() does.
// Under the arm64 memory model a call orders as the kernel's does: the target's function sees what
// the sender did before sending (the barrier before the IPI), and the sender, once acknowledged(),
// sees what the targets' functions did (csd_unlock's release, csd_lock_wait's acquire).
import type { Layout, WordArray } from './layout.ts';
import type { PhysCpus } from './cpu.ts';
import { or32, xchg32 } from './access.ts';
import { acquireView, publishView } from './memory-model/view-words.ts';
import { note } from './recorder.ts';
import { waitUntil, type Wait } from './wait.ts';

/** The functions an IPI can carry, by name: each runs on the CPU that takes it (`cpu`), called by `from`. */
export type IpiFunctions<F extends string> = Readonly<Record<F, (cpu: number, from: number) => void>>;

/**
 * Whom a call goes to: every other CPU ('others', smp_call_function_many over the online mask),
 * every CPU including the sender ('all', on_each_cpu), one CPU (smp_call_function_single), or a
 * mask of CPUs (on_each_cpu_mask: the sender runs it too when the mask holds it).
 */
export type IpiTargets = 'others' | 'all' | number | readonly number[];

/** Thrown when a CPU makes a new call while its previous one is still outstanding: an authoring error. */
export class IpiProtocolError extends Error {}

/** Cross-CPU function calls over shared memory; `F` are the function names the scenario gives. */
export class Ipis<const F extends string = string> {
  /** Bit s set on CPU t: CPU s has a call pending for t. */
  readonly pending: WordArray;
  /** The function (its index + 1) each sender CPU asked its targets to run. */
  readonly func: WordArray;
  /** Acknowledgements each sender CPU still waits for. */
  readonly outstanding: WordArray;
  /** IPIs sent in all (figures). */
  readonly sent: WordArray;
  /** arm64 model: the view each sender published with its call, and the one its targets' acknowledgements published. */
  private readonly views: WordArray;
  private readonly ackViews: WordArray;
  private readonly names: readonly F[];

  constructor(layout: Layout, private readonly cpus: PhysCpus, private readonly functions: IpiFunctions<F>, readonly word = 'IPI') {
    const n = cpus.count;
    if (n > 31) throw new RangeError(`IPIs are modelled for at most 31 ${cpus.plural}, not ${n}`);
    this.names = Object.keys(functions) as F[];
    // The call machinery orders itself (see above): its words are not left to a memory model.
    const sc = { sc: true };
    this.pending = layout.words('ipi_pending', n, (c) => `${cpus.name(c)}.ipi_pending`, sc);
    this.func = layout.words('ipi_func', n, (c) => `${cpus.name(c)}.ipi_func`, sc);
    this.outstanding = layout.words('ipi_outstanding', n, (c) => `${cpus.name(c)}.ipi_outstanding`, sc);
    this.sent = layout.words('ipi_sent', 1, () => 'ipis_sent', sc);
    this.views = layout.words('ipi_view', n, (c) => `${cpus.name(c)}.ipi_view`, sc);
    this.ackViews = layout.words('ipi_ack_view', n, (c) => `${cpus.name(c)}.ipi_ack_view`, sc);
  }

  /**
   * CPU `from` calls `func` on `to`: IPIs to the other targets and, if it is a target itself, the
   * function run here and now. Returns how many IPIs it sent. The caller waits for them with
   * acksFor(from) (wait=1), or goes on (wait=0).
   */
  send(from: number, func: F, to: IpiTargets): number {
    const fn = this.functions[func];
    if (!fn) throw new IpiProtocolError(`no ${this.word} function '${func}' (known: ${this.names.join(', ')})`);
    const left = this.outstanding.peek(from);
    if (left !== 0) {
      const prev = this.names[this.func.peek(from) - 1] ?? '?';
      throw new IpiProtocolError(`${this.cpus.name(from)} calls ${func} while its previous call, ${prev}, still waits for ${left} of its targets: wait for ipis.acksFor(${from}) first (csd_lock)`);
    }
    const targets = this.resolve(from, to);
    const remote = targets.filter((t) => t !== from);
    publishView(this.views.array, this.views.index + from, 'replace');
    this.func.at(from).store(this.names.indexOf(func) + 1);
    this.outstanding.at(from).store(remote.length);
    for (const t of remote) or32(this.pending.array, this.pending.index + t, 1 << from);
    this.sent.at(0).add(remote.length);
    note(`${this.word} ${func} from ${this.cpus.name(from)} to ${this.describe(from, to, remote)}`);
    if (targets.includes(from)) {
      note(`${this.cpus.name(from)} runs ${func} itself`);
      fn(from, from);
    }
    return remote.length;
  }

  private resolve(from: number, to: IpiTargets): number[] {
    const all = Array.from({ length: this.cpus.count }, (_, c) => c);
    if (to === 'all') return all;
    if (to === 'others') return all.filter((c) => c !== from);
    const list = typeof to === 'number' ? [to] : [...to];
    for (const c of list) if (!Number.isInteger(c) || c < 0 || c >= this.cpus.count) throw new IpiProtocolError(`${this.word} target ${c} is not a CPU (0..${this.cpus.count - 1})`);
    return [...new Set(list)].sort((a, b) => a - b);
  }

  private describe(from: number, to: IpiTargets, remote: number[]): string {
    if (to === 'others') return `${remote.length} other ${this.cpus.plural}`;
    if (to === 'all') return `all ${this.cpus.count} ${this.cpus.plural}`;
    return remote.length ? remote.map((c) => this.cpus.name(c)).join(', ') : `no other ${this.cpus.plural.replace(/s$/, '')}`;
  }

  /**
   * csd_lock_wait()'s acquire, for the step after a wait on acksFor(from): under the arm64 memory
   * model, what the targets' functions did is visible from here on. Nothing otherwise.
   */
  acknowledged(from: number): void {
    acquireView(this.ackViews.array, this.ackViews.index + from);
  }

  /** Until every target of `from`'s last call has run it (wait=1; and csd_lock before the next call). */
  acksFor(from: number): Wait {
    return waitUntil(`${this.word} acks for ${this.cpus.name(from)}`, () => this.outstanding.peek(from) === 0);
  }

  /** A call is pending on `cpu` and can be taken now (IRQs deliverable there). */
  deliverable(cpu: number): boolean {
    return this.pending.peek(cpu) !== 0 && this.cpus.irqDeliverable(cpu);
  }

  /** Takes every call pending on `cpu`: runs each sender's function (then `also`, if given), and acknowledges it. */
  take(cpu: number, also?: (func: F, from: number) => void): void {
    const bits = xchg32(this.pending.array, this.pending.index + cpu, 0);
    for (let s = 0; s < this.cpus.count; s++) {
      if (!(bits & (1 << s))) continue;
      const func = this.names[this.func.peek(s) - 1];
      note(`${this.cpus.name(cpu)} takes ${this.word} ${func} from ${this.cpus.name(s)}`);
      this.cpus.inIrqContext(cpu, () => {
        acquireView(this.views.array, this.views.index + s);
        this.functions[func](cpu, s);
        also?.(func, s);
        publishView(this.ackViews.array, this.ackViews.index + s);
      });
      this.outstanding.at(s).add(-1);
    }
  }
}
