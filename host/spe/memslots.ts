// struct kvm_memory_slot, as many as a small VM needs: guest frame numbers [base_gfn, +npages)
// backed by host pages (userspace_addr, here a first host frame), with the memslot flags and the
// flags of the host VMA behind it (mlock() sets VM_LOCKED; hugetlb VMAs count as pinned).
import type { Layout, WordArray } from '../layout.ts';

export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
export const KVM_MEM_READONLY = 1 << 1;
/** vma->vm_flags VM_LOCKED (mlock()ed). */
export const VM_LOCKED = 1 << 0;
export const VM_HUGETLB = 1 << 1;

const BASE_GFN = 0;
const NPAGES = 1;
const FRAME = 2;
const FLAGS = 3;
const PRESENT = 4;
const VMA = 5;
const FIELDS = 6;
const FIELD_NAMES = ['base_gfn', 'npages', 'userspace_addr (frame)', 'flags', 'present', 'vma->vm_flags'];

export interface MemslotInit {
  base_gfn: number;
  npages: number;
  frame: number;
  flags: number;
  vmFlags: number;
}

export interface Memslot extends MemslotInit {
  id: number;
}

export class Memslots {
  readonly w: WordArray;
  /** kvm->memslots generation: bumped on every update, so a racing reader can tell. */
  readonly generation;

  constructor(layout: Layout, readonly count: number) {
    this.w = layout.words('memslots', count * FIELDS, (i) => `slot${Math.floor(i / FIELDS)}.${FIELD_NAMES[i % FIELDS]}`);
    this.generation = layout.word('kvm->memslots generation');
  }

  private f(id: number, field: number) {
    return this.w.at(id * FIELDS + field);
  }

  /** Reads the whole slot (a recorded read: the modelled code looks at it). */
  get(id: number): Memslot | undefined {
    if (!this.f(id, PRESENT).load()) return undefined;
    return { id, base_gfn: this.f(id, BASE_GFN).load(), npages: this.f(id, NPAGES).load(), frame: this.f(id, FRAME).load(), flags: this.f(id, FLAGS).load(), vmFlags: this.f(id, VMA).load() };
  }

  /** The same, unrecorded, for invariants. */
  peek(id: number): Memslot | undefined {
    const p = (field: number) => this.w.peek(id * FIELDS + field);
    if (!p(PRESENT)) return undefined;
    return { id, base_gfn: p(BASE_GFN), npages: p(NPAGES), frame: p(FRAME), flags: p(FLAGS), vmFlags: p(VMA) };
  }

  /** gfn_to_memslot(), unrecorded when `peek`. */
  find(gfn: number, peek = false): Memslot | undefined {
    for (let id = 0; id < this.count; id++) {
      const s = peek ? this.peek(id) : this.get(id);
      if (s && gfn >= s.base_gfn && gfn < s.base_gfn + s.npages) return s;
    }
    return undefined;
  }

  set(id: number, s: MemslotInit): void {
    this.f(id, BASE_GFN).store(s.base_gfn);
    this.f(id, NPAGES).store(s.npages);
    this.f(id, FRAME).store(s.frame);
    this.f(id, FLAGS).store(s.flags);
    this.f(id, VMA).store(s.vmFlags);
    this.f(id, PRESENT).store(1);
    this.generation.add(1);
  }

  remove(id: number): void {
    this.f(id, PRESENT).store(0);
    this.generation.add(1);
  }

  setFlags(id: number, flags: number): void {
    this.f(id, FLAGS).store(flags);
    this.generation.add(1);
  }

  setVmFlags(id: number, vmFlags: number): void {
    this.f(id, VMA).store(vmFlags);
  }
}

/** The host frame backing gfn in the slot (__gfn_to_pfn_memslot(), with frames for pfns). */
export function gfnToFrame(slot: MemslotInit, gfn: number): number {
  return slot.frame + (gfn - slot.base_gfn);
}

/** Whether FINALIZE pre-maps the slot: writable, VM_LOCKED or hugetlb, and not dirty-logging. */
export function finalizeMaps(s: MemslotInit): boolean {
  return (s.flags & (KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES)) === 0 && (s.vmFlags & (VM_LOCKED | VM_HUGETLB)) !== 0;
}
