// Per-CPU TLBs tagged by VMID. Each entry also carries ghost state the hardware does not have:
// the VM whose tables produced it, so a hit by another VM under the same VMID is visible.
import type { Layout } from './layout.ts';
import { count32, ld32, st32 } from './access.ts';
import { note } from './recorder.ts';

const VALID = 0;
const VMID = 1;
const IPA = 2; // IPA page number (4 KiB units)
const SHIFT = 3; // pages covered: 0 = 4 KiB page, 9 = 2 MiB block, 18 = 1 GiB block
const OA = 4; // output page number
const PERMS = 5;
const OWNER = 6; // ghost: VM index whose stage-2 tables this translation came from
const TAG = 7; // ghost: free for the model (e.g. the table page the walk went through)
const FIELDS = 8;

export interface TlbEntry {
  vmid: number;
  ipaPage: number;
  shift: number;
  oaPage: number;
  perms: number;
  owner: number;
  tag: number;
}

export type FlushScope = 'all' | 'vmid' | 'ipa' | 'local';

export class Tlbs {
  private a: Int32Array = new Int32Array(0);
  private base = 0;
  private ctr: Int32Array = new Int32Array(0);
  private ctrBase = 0;

  constructor(layout: Layout, readonly cpus: number, readonly entriesPerCpu: number) {
    const region = layout.reserve('tlb', cpus * (entriesPerCpu * FIELDS + 1) * 4, (m) => {
      this.a = m.i32;
      this.base = region.byteOffset / 4;
    });
    // fills, hits, and flushes by scope (all, vmid, ipa, local)
    const counters = layout.reserve('tlb.counters', 6 * 4, (m) => {
      this.ctr = m.i32;
      this.ctrBase = counters.byteOffset / 4;
    });
  }

  private slot(cpu: number, e: number): number {
    return this.base + cpu * (this.entriesPerCpu * FIELDS + 1) + 1 + e * FIELDS;
  }

  private victimIndex(cpu: number): number {
    return this.base + cpu * (this.entriesPerCpu * FIELDS + 1);
  }

  private count(which: number): void {
    count32(this.ctr, this.ctrBase + which);
  }

  /** The entry of `cpu` translating `ipaPage` under `vmid`, or -1. */
  lookup(cpu: number, vmid: number, ipaPage: number): number {
    for (let e = 0; e < this.entriesPerCpu; e++) {
      const s = this.slot(cpu, e);
      if (ld32(this.a, s + VALID) === 0 || ld32(this.a, s + VMID) !== vmid) continue;
      const shift = ld32(this.a, s + SHIFT);
      if (ld32(this.a, s + IPA) >>> shift === ipaPage >>> shift) {
        this.count(1);
        return e;
      }
    }
    return -1;
  }

  entry(cpu: number, e: number): TlbEntry {
    const s = this.slot(cpu, e);
    return {
      vmid: ld32(this.a, s + VMID),
      ipaPage: ld32(this.a, s + IPA),
      shift: ld32(this.a, s + SHIFT),
      oaPage: ld32(this.a, s + OA),
      perms: ld32(this.a, s + PERMS),
      owner: ld32(this.a, s + OWNER),
      tag: ld32(this.a, s + TAG),
    };
  }

  isValid(cpu: number, e: number): boolean {
    return ld32(this.a, this.slot(cpu, e) + VALID) !== 0;
  }

  /** Inserts a translation, evicting round-robin when the TLB is full. */
  fill(cpu: number, t: TlbEntry, how = 'fill'): void {
    let e = -1;
    for (let i = 0; i < this.entriesPerCpu; i++) {
      if (ld32(this.a, this.slot(cpu, i) + VALID) === 0) {
        e = i;
        break;
      }
    }
    if (e < 0) {
      const v = this.victimIndex(cpu);
      e = ld32(this.a, v) % this.entriesPerCpu;
      st32(this.a, v, (e + 1) % this.entriesPerCpu);
    }
    const s = this.slot(cpu, e);
    st32(this.a, s + VMID, t.vmid);
    st32(this.a, s + IPA, t.ipaPage);
    st32(this.a, s + SHIFT, t.shift);
    st32(this.a, s + OA, t.oaPage);
    st32(this.a, s + PERMS, t.perms);
    st32(this.a, s + OWNER, t.owner);
    st32(this.a, s + TAG, t.tag);
    st32(this.a, s + VALID, 1);
    this.count(0);
    note(`cpu${cpu} TLB ${how}: VMID ${t.vmid} IPA page ${t.ipaPage} (VM ${t.owner})`);
  }

  private invalidate(match: (s: number) => boolean, cpus: Iterable<number>): number {
    let n = 0;
    for (const cpu of cpus) {
      for (let e = 0; e < this.entriesPerCpu; e++) {
        const s = this.slot(cpu, e);
        if (ld32(this.a, s + VALID) !== 0 && match(s)) {
          st32(this.a, s + VALID, 0);
          n++;
        }
      }
    }
    return n;
  }

  private allCpus(): number[] {
    return Array.from({ length: this.cpus }, (_, c) => c);
  }

  /** __kvm_flush_vm_context: TLBI ALLE1IS, every entry on every CPU. */
  flushAll(): void {
    const n = this.invalidate(() => true, this.allCpus());
    this.count(2);
    note(`TLBI ALLE1IS (__kvm_flush_vm_context): ${n} entries on ${this.cpus} CPUs`);
  }

  /** Local flush of one CPU's TLB. */
  flushLocal(cpu: number): void {
    const n = this.invalidate(() => true, [cpu]);
    this.count(5);
    note(`TLBI local on cpu${cpu}: ${n} entries`);
  }

  /** __kvm_tlb_flush_vmid: every entry of one VMID, broadcast. */
  flushVmid(vmid: number): void {
    const n = this.invalidate((s) => ld32(this.a, s + VMID) === vmid, this.allCpus());
    this.count(3);
    note(`TLBI VMALLS12E1IS VMID ${vmid}: ${n} entries`);
  }

  /** __kvm_tlb_flush_vmid_ipa: entries of `vmid` covering IPA pages [first, first+pages). */
  flushIpaRange(vmid: number, firstPage: number, pages: number): void {
    const end = firstPage + pages;
    const n = this.invalidate((s) => {
      if (ld32(this.a, s + VMID) !== vmid) return false;
      const shift = ld32(this.a, s + SHIFT);
      const start = (ld32(this.a, s + IPA) >>> shift) << shift;
      return start < end && start + (1 << shift) > firstPage;
    }, this.allCpus());
    this.count(4);
    note(`TLBI IPAS2E1IS VMID ${vmid} IPA pages ${firstPage}..${end - 1}: ${n} entries`);
  }

  /** Every valid entry of `cpu`, for invariants. */
  validEntries(cpu: number): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let e = 0; e < this.entriesPerCpu; e++) if (this.isValid(cpu, e)) out.push(this.entry(cpu, e));
    return out;
  }

  counters(): { fills: number; hits: number; flushAll: number; flushVmid: number; flushIpa: number; flushLocal: number } {
    const c = (i: number) => Atomics.load(this.ctr, this.ctrBase + i) /* figures only */;
    return { fills: c(0), hits: c(1), flushAll: c(2), flushVmid: c(3), flushIpa: c(4), flushLocal: c(5) };
  }

  /**
   * The first CPU whose TLB holds two entries of one VMID covering the same IPA (a page and the
   * block that replaced its table, say): a TLB conflict, which the architecture may report as an
   * abort or resolve to either translation. Described; else null.
   */
  findConflict(): string | null {
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const entries = this.validEntries(cpu);
      for (let i = 0; i < entries.length; i++) {
        for (let j = i + 1; j < entries.length; j++) {
          const a = entries[i];
          const b = entries[j];
          if (a.vmid !== b.vmid) continue;
          const [aStart, aEnd] = [(a.ipaPage >>> a.shift) << a.shift, ((a.ipaPage >>> a.shift) + 1) << a.shift];
          const [bStart, bEnd] = [(b.ipaPage >>> b.shift) << b.shift, ((b.ipaPage >>> b.shift) + 1) << b.shift];
          if (aStart < bEnd && bStart < aEnd) {
            const kind = (e: TlbEntry) => (e.shift ? `a ${((1 << e.shift) * 4) / 1024} MiB block` : 'a 4 KiB page');
            return `cpu${cpu}'s TLB holds ${kind(a)} and ${kind(b)} for IPA page ${Math.max(aStart, bStart)} under VMID ${a.vmid}: a TLB conflict`;
          }
        }
      }
    }
    return null;
  }

  /** The first CPU whose TLB holds entries of two VMs under one VMID, described; else null. */
  findVmidAlias(): string | null {
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const owners = new Map<number, number>();
      for (const t of this.validEntries(cpu)) {
        const other = owners.get(t.vmid);
        if (other === undefined) owners.set(t.vmid, t.owner);
        else if (other !== t.owner) {
          return `cpu${cpu}'s TLB holds entries of VM ${other} and VM ${t.owner} under VMID ${t.vmid}`;
        }
      }
    }
    return null;
  }
}
