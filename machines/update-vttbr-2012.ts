// update_vttbr() of arch/arm/kvm/arm.c and its successors, as steps of the vCPU run loop:
//   v2012-posted    seed 002 as posted: no re-check under the lock, on_each_cpu(reset_vm_context)
//   v2012-merged    re-check under the lock, force_vm_exit() + one broadcast flush; still
//                   publishes kvm->arch.vmid_gen before vmid and vttbr
//   v2018-rwlock    f0cf47d939d0: kvm_vmid_lock an rwlock, read-locked around the fast check
//   v2018-lockless  fb544d1ca65a: spinlock again; vmid and vttbr written, smp_wmb(), then vmid_gen;
//                   need_new_vmid_gen() reads kvm_vmid_gen, smp_rmb(), then kvm->arch.vmid_gen
import { ctrl_dep, isb, smp_wmb } from '../host/barriers.ts';
import { __kvm_flush_vm_context } from '../host/arm64.ts';
import type { Ipis } from '../host/ipi.ts';
import type { RwLock, Spinlock } from '../host/locks.ts';
import type { KvmVmid2012 } from '../host/vmid/vmid-2012.ts';
import type { StepState } from './step-machine.ts';
import type { Locals, RunLoopHost, VmidDesign } from './vcpu-run-loop.ts';

/** What sets the 2012-2018 designs apart (scenario options). */
export interface UpdateVttbrVariant {
  /** Re-check need_new_vmid_gen() once the lock is held. */
  recheckUnderLock: boolean;
  /** kvm_vmid_lock: a spinlock, or an rwlock read-held around the fast-path check. */
  lock: 'spin' | 'rw';
  /** kvm->arch.vmid_gen written before (true) or after (false, with smp_wmb) vmid and vttbr. */
  publishGenFirst: boolean;
  /** smp_wmb() between the vttbr store and the vmid_gen store (with publishGenFirst false). */
  smpWmb: boolean;
  /** smp_rmb() in need_new_vmid_gen(), between reading kvm_vmid_gen and kvm->arch.vmid_gen. */
  smpRmb: boolean;
  /** on_each_cpu(reset_vm_context) (posted), or force_vm_exit() then __kvm_flush_vm_context. */
  flush: 'on_each_cpu' | 'force_vm_exit';
}

/** The IPI functions update_vttbr() sends: reset_vm_context() (as posted) or exit_vm_noop() (force_vm_exit). */
export type UpdateVttbrIpi = 'reset_vm_context' | 'exit_vm_noop';

/** What update_vttbr() works on. */
export interface UpdateVttbrHost extends RunLoopHost {
  vmid: KvmVmid2012;
  ipis: Ipis<UpdateVttbrIpi>;
}

/** update_vttbr() in variant `v`, as the VMID design of vCPU `vcpu`'s run loop. */
export function updateVttbr2012(h: UpdateVttbrHost, vcpu: number, v: UpdateVttbrVariant): VmidDesign {
  const { vmid: alloc, ipis, tlbs } = h;
  const vm = h.vcpus.ids[vcpu].vm;
  const cpu = () => h.vcpus.cpu.peek(vcpu);
  const stale = () => alloc.need_new_vmid_gen(vm, v.smpRmb);
  const spin = alloc.kvm_vmid_lock as Spinlock;
  const rw = alloc.kvm_vmid_lock as RwLock;
  const lock = () => (v.lock === 'rw' ? rw.write_lock() : spin.lock());
  const unlock = () => (v.lock === 'rw' ? rw.write_unlock() : spin.unlock());
  const lockState = v.lock === 'rw' ? 'write_lock' : 'spin_lock';

  const writes: Record<string, StepState<Locals>> = {
    write_vmid_gen: {
      description: `${!v.publishGenFirst && v.smpWmb ? 'smp_wmb(); ' : ''}WRITE_ONCE(kvm->arch.vmid_gen, atomic64_read(&kvm_vmid_gen))`,
      step: {
        actions: () => {
          if (!v.publishGenFirst && v.smpWmb) smp_wmb(); // vmid and vttbr are visible before the generation that vouches for them
          alloc.vmid_gen.at(vm).store(alloc.kvm_vmid_gen.load());
        },
      },
    },
    write_vmid: {
      description: 'kvm->arch.vmid = kvm_next_vmid; kvm_next_vmid++',
      step: {
        actions: () => {
          const next = alloc.kvm_next_vmid.load();
          alloc.vmid.at(vm).store(next);
          alloc.kvm_next_vmid.store((next + 1) & alloc.vmidMask);
          alloc.allocations.add(1);
        },
      },
    },
    write_vttbr: { description: 'kvm->arch.vttbr = pgd_phys | vmid << VTTBR_VMID_SHIFT', step: { actions: () => alloc.vttbr.at(vm).store(alloc.vttbrFor(vm, alloc.vmid.at(vm).load())) } },
  };
  const order = v.publishGenFirst ? ['write_vmid_gen', 'write_vmid', 'write_vttbr'] : ['write_vmid', 'write_vttbr', 'write_vmid_gen'];
  order.forEach((name, i) => {
    const t = writes[name].step as { target?: string };
    t.target = order[i + 1] ?? 'vmid_unlock';
  });

  const fastPath: Record<string, StepState<Locals>> =
    v.lock === 'rw'
      ? {
          read_lock: {
            description: 'read_lock(&kvm_vmid_lock); new_gen = need_new_vmid_gen(kvm)',
            wait: rw.waitFor('read'),
            step: { actions: [() => rw.read_lock(), ({ context }) => (context.new_gen = stale() ? 1 : 0)], target: 'read_unlock' },
          },
          read_unlock: {
            step: [
              { guard: ({ context }) => context.new_gen === 1, actions: () => rw.read_unlock(), target: 'write_lock' },
              { actions: () => rw.read_unlock(), target: 'local_irq_disable' },
            ],
          },
        }
      : {
          update_vttbr: {
            description: 'if (!need_new_vmid_gen(kvm)) return;',
            step: [{ guard: stale, target: 'spin_lock' }, { target: 'local_irq_disable' }],
          },
        };

  const states: Record<string, StepState<Locals>> = {
    ...fastPath,
    [lockState]: {
      wait: v.lock === 'rw' ? rw.waitFor('write') : spin.waitFor(),
      step: { actions: lock, target: v.recheckUnderLock ? 'recheck_locked' : 'check_next_vmid' },
    },
    ...(v.recheckUnderLock
      ? {
          recheck_locked: {
            description: 'another vCPU of this VM may have allocated meanwhile',
            step: [
              { guard: () => !stale(), actions: unlock, target: 'local_irq_disable' },
              { target: 'check_next_vmid' },
            ],
          },
        }
      : {}),
    check_next_vmid: {
      description: 'First user of a new VMID generation?',
      step: [{ guard: () => alloc.kvm_next_vmid.load() === 0, target: 'vmid_rollover' }, { target: order[0] }],
    },
    vmid_rollover: {
      description: 'atomic64_inc(&kvm_vmid_gen); kvm_next_vmid = 1',
      step: {
        actions: () => {
          alloc.kvm_vmid_gen.add(1);
          alloc.kvm_next_vmid.store(1);
          alloc.rollovers.add(1);
        },
        target: 'flush_ipi',
      },
    },
    flush_ipi: {
      description: v.flush === 'on_each_cpu' ? 'on_each_cpu(reset_vm_context, NULL, 1)' : 'force_vm_exit(cpu_all_mask)',
      step: {
        actions: () => {
          // on_each_cpu() runs reset_vm_context() here too; force_vm_exit() only on the others.
          if (v.flush === 'on_each_cpu') ipis.send(cpu(), 'reset_vm_context', 'all');
          else ipis.send(cpu(), 'exit_vm_noop', 'others');
        },
        target: 'wait_ipi_acks',
      },
    },
    wait_ipi_acks: {
      wait: () => ipis.acksFor(cpu()),
      step: { actions: () => ipis.acknowledged(cpu()), target: v.flush === 'on_each_cpu' ? order[0] : 'flush_vm_context' },
    },
    flush_vm_context: { description: 'kvm_call_hyp(__kvm_flush_vm_context)', step: { actions: () => __kvm_flush_vm_context(tlbs), target: order[0] } },
    ...writes,
    vmid_unlock: { step: { actions: unlock, target: 'local_irq_disable' } },
  };

  return {
    entry: v.lock === 'rw' ? 'read_lock' : 'update_vttbr',
    states,
    staleWithIrqsOff: stale,
    stage2RegOnEntry: () => {
      // The branch on need_new_vmid_gen() and the HVC into the hypervisor (an exception entry,
      // which synchronizes context like an isb) order this read after the vmid_gen read.
      ctrl_dep(alloc.vmid_gen.at(vm));
      isb();
      return alloc.vttbr.at(vm).load();
    },
    resetVm: () => {
      alloc.vmid_gen.at(vm).store(0);
      alloc.vmid.at(vm).store(0);
      alloc.vttbr.at(vm).store(0);
    },
  };
}
