// The ASID-style allocator of arch/arm64/kvm/vmid.c (2022): vmid_generation, the vmid_map
// bitmap, per-CPU active_vmids and reserved_vmids, cpu_vmid_lock, and kvm_vmid->id per VM.
// A VMID value is generation | index; the index is what the hardware sees.
import type { Layout, Word, WordArray } from '../layout.ts';
import { Spinlock } from '../locks.ts';
import { note } from '../recorder.ts';

/** The ASID-style allocator of arch/arm64/kvm/vmid.c (2022): vmid_generation, vmid_map, per-CPU active_vmids and reserved_vmids, cpu_vmid_lock, kvm_vmid->id per VM. */
export class KvmVmid2022 {
  readonly vmid_generation: Word;
  /** One word per bit, so the map reads plainly in traces. */
  readonly vmid_map: WordArray;
  readonly active_vmids: WordArray;
  readonly reserved_vmids: WordArray;
  readonly cpu_vmid_lock: Spinlock;
  /** new_vmid()'s static cur_idx. */
  readonly cur_idx: Word;
  readonly id: WordArray;
  readonly rollovers: Word;
  readonly allocations: Word;

  constructor(layout: Layout, readonly vms: number, readonly cpus: number, readonly vmidBits: number) {
    if ((1 << vmidBits) - 1 <= cpus) {
      // kvm_arm_vmid_alloc_init() refuses this too: after a rollover every CPU may reserve one.
      throw new RangeError(`vmid.c needs more VMIDs than CPUs plus one: ${vmidBits} bits give ${(1 << vmidBits) - 1} for ${cpus} CPUs`);
    }
    this.vmid_generation = layout.word('vmid_generation');
    this.vmid_map = layout.words('vmid_map', this.NUM_USER_VMIDS, (i) => `vmid_map[${i}]`);
    this.active_vmids = layout.words('active_vmids', cpus, (c) => `per_cpu(active_vmids, ${c})`);
    this.reserved_vmids = layout.words('reserved_vmids', cpus, (c) => `per_cpu(reserved_vmids, ${c})`);
    this.cpu_vmid_lock = new Spinlock(layout, 'cpu_vmid_lock');
    this.cur_idx = layout.word('cur_idx');
    this.id = layout.words('kvm.vmid.id', vms, (m) => `kvm${m}->arch.mmu.vmid.id`);
    this.rollovers = layout.word('rollovers', { ghost: true });
    this.allocations = layout.word('vmid allocations', { ghost: true });
  }

  get VMID_FIRST_VERSION(): number {
    return 1 << this.vmidBits;
  }

  get NUM_USER_VMIDS(): number {
    return 1 << this.vmidBits;
  }

  /** Set on vCPU put: non-zero, index 0 (the host's), so a rollover reserves nothing useful. */
  get VMID_ACTIVE_INVALID(): number {
    return this.VMID_FIRST_VERSION;
  }

  /** With `usedBefore`, VMIDs 1..usedBefore went to VMs that no longer exist (still marked). */
  init(usedBefore = 0): void {
    this.vmid_generation.store(this.VMID_FIRST_VERSION);
    const used = Math.min(usedBefore, this.NUM_USER_VMIDS - 1);
    for (let i = 1; i <= used; i++) this.vmid_map.at(i).store(1);
    this.cur_idx.store(Math.max(1, used));
  }

  idx(vmid: number): number {
    return vmid & (this.VMID_FIRST_VERSION - 1);
  }

  generationOf(vmid: number): number {
    return vmid & ~(this.VMID_FIRST_VERSION - 1);
  }

  vmid_gen_match(vmid: number): boolean {
    return this.generationOf(vmid) === this.vmid_generation.load();
  }

  /** check_update_reserved_vmid(): move a reserved VMID into the new generation. */
  check_update_reserved_vmid(vmid: number, newvmid: number): boolean {
    let hit = false;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      if (this.reserved_vmids.at(cpu).load() === vmid) {
        hit = true;
        this.reserved_vmids.at(cpu).store(newvmid);
      }
    }
    return hit;
  }

  /** __test_and_set_bit(): not atomic in the kernel (cpu_vmid_lock is held), so no barrier. */
  test_and_set_bit(i: number): boolean {
    return this.vmid_map.at(i).xchg(1, 'relaxed') !== 0;
  }

  /** find_next_zero_bit(vmid_map, NUM_USER_VMIDS, from). */
  find_next_zero_bit(from: number): number {
    for (let i = from; i < this.NUM_USER_VMIDS; i++) if (this.vmid_map.peek(i) === 0) {
      note(`find_next_zero_bit(vmid_map, ${from}) = ${i}`);
      return i;
    }
    note(`find_next_zero_bit(vmid_map, ${from}): map full`);
    return this.NUM_USER_VMIDS;
  }

  bitmap_zero(): void {
    for (let i = 0; i < this.NUM_USER_VMIDS; i++) this.vmid_map.at(i).store(0);
  }
}
