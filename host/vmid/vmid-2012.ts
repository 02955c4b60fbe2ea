// The global-generation VMID allocator of arch/arm/kvm/arm.c (2012-2018): kvm_vmid_gen,
// kvm_next_vmid and kvm_vmid_lock, and per VM kvm->arch.{vmid_gen, vmid, vttbr}.
import { smp_rmb } from '../barriers.ts';
import type { Layout, Word, WordArray } from '../layout.ts';
import { RwLock, Spinlock } from '../locks.ts';
import { make_vttbr } from '../stage2-register.ts';

/** kvm_vmid_lock: a spinlock, or (2018) an rwlock. */
export type VmidLockKind = 'spin' | 'rw';

/** The global-generation VMID allocator of arch/arm/kvm/arm.c (2012-2018): kvm_vmid_gen, kvm_next_vmid, kvm_vmid_lock, and per VM kvm->arch.{vmid_gen, vmid, vttbr}. */
export class KvmVmid2012 {
  readonly kvm_vmid_gen: Word;
  readonly kvm_next_vmid: Word;
  readonly kvm_vmid_lock: Spinlock | RwLock;
  readonly vmid_gen: WordArray;
  readonly vmid: WordArray;
  readonly vttbr: WordArray;
  readonly rollovers: Word;
  readonly allocations: Word;

  constructor(layout: Layout, readonly vms: number, readonly vmidBits: number, lock: VmidLockKind) {
    this.kvm_vmid_gen = layout.word('kvm_vmid_gen');
    this.kvm_next_vmid = layout.word('kvm_next_vmid');
    this.kvm_vmid_lock = lock === 'rw' ? new RwLock(layout, 'kvm_vmid_lock') : new Spinlock(layout, 'kvm_vmid_lock');
    this.vmid_gen = layout.words('kvm.vmid_gen', vms, (m) => `kvm${m}->arch.vmid_gen`);
    this.vmid = layout.words('kvm.vmid', vms, (m) => `kvm${m}->arch.vmid`);
    this.vttbr = layout.words('kvm.vttbr', vms, (m) => `kvm${m}->arch.vttbr`);
    this.rollovers = layout.word('rollovers', { ghost: true });
    this.allocations = layout.word('vmid allocations', { ghost: true });
  }

  /**
   * kvm_vmid_gen starts at 1 and kvm_next_vmid at 0, so the first allocation starts generation 2;
   * every VM's vmid_gen is 0, so its first run allocates. With `usedBefore`, that many VMIDs of
   * generation 2 went to VMs that no longer exist.
   */
  init(usedBefore = 0): void {
    this.kvm_vmid_gen.store(usedBefore > 0 ? 2 : 1);
    if (usedBefore > 0) this.kvm_next_vmid.store((1 + usedBefore) & this.vmidMask);
  }

  get vmidMask(): number {
    return (1 << this.vmidBits) - 1;
  }

  /** need_new_vmid_gen(): the VM's VMID belongs to an older generation; `rmb`: smp_rmb() between the reads (fb544d1ca65a). */
  need_new_vmid_gen(vm: number, rmb: boolean): boolean {
    const current = this.kvm_vmid_gen.load();
    if (rmb) smp_rmb();
    return this.vmid_gen.at(vm).load() !== current;
  }

  /** The table base of VM `vm` in VTTBR (our VMs' stage-2 roots are numbered from 1). */
  pgd(vm: number): number {
    return vm + 1;
  }

  vttbrFor(vm: number, vmid: number): number {
    return make_vttbr(this.pgd(vm), vmid);
  }
}
