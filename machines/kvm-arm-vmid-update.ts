// kvm_arm_vmid_update() of arch/arm64/kvm/vmid.c (2022), as steps of the vCPU run loop, with
// labels after the public TLA+ model of it (vmidalloc.tla): one atomic step per label.
//   v2022-vmid       the fast path's cmpxchg_relaxed(active_vmids, old_active_vmid, vmid)
//   v2022-vmid-xchg  the fast path with xchg, the ASID allocator's bug fixed by a8ffaaa060b8:
//                    it can overwrite the 0 a concurrent rollover just wrote
//   v2022-vmid-nomark  a mutant: flush_context() forgets to mark reserved VMIDs in the new map
import { __kvm_flush_vm_context } from '../host/arm64.ts';
import type { PhysCpus } from '../host/cpu.ts';
import { vmPgd } from '../host/guest-memory.ts';
import { make_vttbr } from '../host/stage2-register.ts';
import type { Tlbs } from '../host/tlb.ts';
import type { KvmVmid2022 } from '../host/vmid/vmid-2022.ts';
import type { StepState } from './step-machine.ts';
import type { Locals, RunLoopHost, VmidDesign } from './vcpu-run-loop.ts';

/** What sets the vmid.c designs apart (scenario options). */
export interface VmidUpdateVariant {
  fastPath: 'cmpxchg' | 'xchg';
  /** flush_context() re-marks every reserved VMID in the cleared map (false: the mutant). */
  markReserved: boolean;
  /**
   * Where the VMID is attached and VTTBR_EL2 programmed:
   *   'after-update'    update in the run loop, stage 2 loaded after it (nVHE, as merged in 5.18)
   *   'eager'           VHE since 934bf871f011: VTTBR_EL2 programmed at vcpu_load, the run loop's
   *                     update reloads it only when it allocated a new VMID itself
   *   'update-at-load'  fa808ed4e199: the update runs in vcpu_load, before VTTBR_EL2 is programmed
   */
  vttbrLoad: 'after-update' | 'eager' | 'update-at-load';
  /**
   * The rollover's generation bump made visible only after flush_context()'s xchgs: the order
   * ARMv8 allows the kernel's two relaxed RMWs (atomic64_add_return_relaxed(), then
   * atomic64_xchg_relaxed()), written in program order so that every model explores it.
   */
  generationAfterFlush?: boolean;
}

/** What kvm_arm_vmid_update() works on: CPUs with VTTBR_EL2 declared. */
export interface VmidUpdateHost {
  cpus: PhysCpus<'VTTBR_EL2'>;
  tlbs: Tlbs;
  vmid: KvmVmid2022;
}

/** Who calls kvm_arm_vmid_update(): the VM whose VMID it is, and the CPU it runs on. */
export interface VmidCaller {
  vm(context: Locals): number;
  cpu(): number;
  /** Where the fast and slow paths continue ('local_irq_disable' in the run loop). */
  next: string;
  /** __flush_vm_context(): the broadcast TLB invalidation of a rollover. */
  flushTlbs?(): void;
}

/** The states of kvm_arm_vmid_update() and new_vmid(), for any caller. */
export function vmidUpdateStates(h: VmidUpdateHost, who: VmidCaller, v: VmidUpdateVariant): Record<string, StepState<Locals>> {
  const { vmid: a, cpus, tlbs } = h;
  const { cpu } = who;
  const vttbr_el2 = cpus.reg('VTTBR_EL2');
  const idOf = (context: Locals) => a.id.at(who.vm(context));
  const active = () => a.active_vmids.at(cpu());
  /** set_vmid: in new_vmid(), after an index is found. */
  const setVmid = (context: Locals, idx: number) => {
    a.vmid_map.at(idx).store(1);
    a.cur_idx.store(idx);
    context.vmid = idx | a.vmid_generation.load();
    idOf(context).store(context.vmid);
    a.allocations.add(1);
  };
  const bumpGeneration = () => a.vmid_generation.add(a.VMID_FIRST_VERSION, 'relaxed');
  const loadStage2 = ({ context }: { context: Locals }) => vttbr_el2.at(cpu()).store(make_vttbr(vmPgd(who.vm(context)), a.idx(context.vmid)));
  // 'eager' programmed VTTBR_EL2 at vcpu_load and reloads it only if this update allocated.
  const reloadAfterNewVmid = [loadStage2];
  const loadAfterUpdate = v.vttbrLoad === 'eager' ? [] : [loadStage2];
  const setActive = ({ context }: { context: Locals }) => active().store(context.vmid);
  const unlock = () => {
    a.cpu_vmid_lock.unlock('raw_spin_unlock_irqrestore');
    cpus.irqs_disabled.at(cpu()).store(0);
  };

  const states: Record<string, StepState<Locals>> = {
    kvm_arm_vmid_update: {
      description: 'vmid = atomic64_read(&kvm_vmid->id); old_active_vmid = atomic64_read(this_cpu_ptr(&active_vmids))',
      step: {
        actions: ({ context }) => {
          context.vmid = idOf(context).load();
          context.old_active_vmid = active().load();
        },
        target: 'check_current_generation',
      },
    },
    check_current_generation: {
      step: [
        { guard: ({ context }) => context.old_active_vmid !== 0 && a.vmid_gen_match(context.vmid), target: 'fast_path_update_active' },
        { target: 'cpu_vmid_lock' },
      ],
    },
    fast_path_update_active: {
      description: v.fastPath === 'xchg' ? 'old_active_vmid = atomic64_xchg_relaxed(active_vmids, vmid)' : 'old_active_vmid = atomic64_cmpxchg_relaxed(active_vmids, old_active_vmid, vmid)',
      step: {
        actions: ({ context }) => {
          context.old_active_vmid = v.fastPath === 'xchg' ? active().xchg(context.vmid, 'relaxed') : active().cmpxchg(context.old_active_vmid, context.vmid, 'relaxed');
        },
        target: 'check_roll_over',
      },
    },
    check_roll_over: {
      description: 'a concurrent rollover set active_vmids to 0: take the slow path',
      step: [
        { guard: ({ context }) => context.old_active_vmid !== 0, actions: loadAfterUpdate, target: who.next },
        { target: 'cpu_vmid_lock' },
      ],
    },
    cpu_vmid_lock: {
      description: 'raw_spin_lock_irqsave(&cpu_vmid_lock, flags)',
      wait: a.cpu_vmid_lock.waitFor(),
      step: {
        actions: () => {
          cpus.irqs_disabled.at(cpu()).store(1);
          a.cpu_vmid_lock.lock('raw_spin_lock_irqsave');
        },
        target: 'check_generation_locked',
      },
    },
    check_generation_locked: {
      description: 'vmid = atomic64_read(&kvm_vmid->id); if (!vmid_gen_match(vmid)) vmid = new_vmid(kvm_vmid)',
      step: [
        { guard: ({ context }) => a.vmid_gen_match(idOf(context).load()), actions: ({ context }) => (context.vmid = idOf(context).load()), target: 'set_active_vmids_unchanged' },
        { target: 'new_vmid' },
      ],
    },
    new_vmid: {
      description: 'keep the old index if it is reserved or free in the new generation, else find a free one',
      step: [
        {
          guard: ({ context }) => idOf(context).peek() !== 0 && reservedSomewhere(a, idOf(context).peek()),
          description: 'check_update_reserved_vmid() hit',
          actions: ({ context }) => {
            const old = idOf(context).load();
            const newvmid = a.vmid_generation.load() | a.idx(old);
            a.check_update_reserved_vmid(old, newvmid);
            idOf(context).store(newvmid);
            context.vmid = newvmid;
          },
          target: 'set_active_vmids',
        },
        {
          guard: ({ context }) => idOf(context).peek() !== 0 && a.vmid_map.peek(a.idx(idOf(context).peek())) === 0,
          description: '!__test_and_set_bit(vmid2idx(vmid), vmid_map)',
          actions: ({ context }) => {
            const old = idOf(context).load();
            a.test_and_set_bit(a.idx(old));
            context.vmid = a.vmid_generation.load() | a.idx(old);
            idOf(context).store(context.vmid);
          },
          target: 'set_active_vmids',
        },
        {
          guard: () => a.find_next_zero_bit(a.cur_idx.peek()) !== a.NUM_USER_VMIDS,
          description: 'find_next_zero_bit(vmid_map, NUM_USER_VMIDS, cur_idx)',
          actions: ({ context }) => setVmid(context, a.find_next_zero_bit(a.cur_idx.load())),
          target: 'set_active_vmids',
        },
        { description: 'out of VMIDs', target: 'vmid_rollover' },
      ],
    },
    vmid_rollover: {
      description: v.generationAfterFlush ? 'bitmap_zero(vmid_map); the generation bump comes after flush_context()' : 'generation = atomic64_add_return_relaxed(VMID_FIRST_VERSION, &vmid_generation); bitmap_zero(vmid_map)',
      step: {
        actions: ({ context }) => {
          if (!v.generationAfterFlush) bumpGeneration();
          a.bitmap_zero();
          a.rollovers.add(1);
          context.flush_cpu = 0;
        },
        target: 'flush_context',
      },
    },
    flush_context: {
      description: 'vmid = atomic64_xchg_relaxed(&per_cpu(active_vmids, cpu), 0); if (vmid == 0) vmid = reserved; reserve it',
      step: {
        actions: ({ context }) => {
          const c = context.flush_cpu++;
          let reserved = a.active_vmids.at(c).xchg(0, 'relaxed');
          if (reserved === 0) reserved = a.reserved_vmids.at(c).load();
          if (v.markReserved) a.vmid_map.at(a.idx(reserved)).store(1);
          a.reserved_vmids.at(c).store(reserved);
        },
        target: 'flush_context_next',
      },
    },
    flush_context_next: {
      step: [{ guard: ({ context }) => context.flush_cpu < cpus.count, target: 'flush_context' }, { target: v.generationAfterFlush ? 'vmid_generation_bump' : 'flush_vm_context' }],
    },
    flush_vm_context: { description: 'kvm_call_hyp(__kvm_flush_vm_context)', step: { actions: () => (who.flushTlbs ? who.flushTlbs() : __kvm_flush_vm_context(tlbs)), target: 'vmid_after_rollover' } },
    vmid_after_rollover: {
      description: 'vmid = find_next_zero_bit(vmid_map, NUM_USER_VMIDS, 1): we have more VMIDs than CPUs',
      step: { actions: ({ context }) => setVmid(context, a.find_next_zero_bit(1)), target: 'set_active_vmids' },
    },
    set_active_vmids: {
      description: 'atomic64_set(this_cpu_ptr(&active_vmids), vmid); raw_spin_unlock_irqrestore(): a new VMID',
      step: { actions: [setActive, unlock, ...reloadAfterNewVmid], target: who.next },
    },
    set_active_vmids_unchanged: {
      description: 'atomic64_set(this_cpu_ptr(&active_vmids), vmid); raw_spin_unlock_irqrestore(): the VMID is still current',
      step: { actions: [setActive, unlock, ...loadAfterUpdate], target: who.next },
    },
  };
  // Only the design that makes the bump late has the state (coverage counts every transition).
  if (v.generationAfterFlush) {
    states.vmid_generation_bump = {
      description: 'atomic64_add_return_relaxed(VMID_FIRST_VERSION, &vmid_generation), visible only now',
      step: { actions: () => bumpGeneration(), target: 'flush_vm_context' },
    };
  }
  return states;
}

/** What kvm_arm_vmid_update() in the run loop works on. */
export interface VmidRunLoopHost extends RunLoopHost {
  cpus: PhysCpus<'VTTBR_EL2'>;
  vmid: KvmVmid2022;
}

/** kvm_arm_vmid_update() as the vCPU thread calls it: in the run loop, or in vcpu_load. */
export function kvmArmVmidUpdate(h: VmidRunLoopHost, vcpu: number, v: VmidUpdateVariant): VmidDesign {
  const { vmid: a, cpus } = h;
  const vttbr_el2 = cpus.reg('VTTBR_EL2');
  const vm = h.vcpus.ids[vcpu].vm;
  const cpu = () => h.vcpus.cpu.peek(vcpu);
  const id = a.id.at(vm);
  const atLoad = v.vttbrLoad === 'update-at-load';
  const states = vmidUpdateStates(h, { vm: () => vm, cpu, next: atLoad ? 'cond_resched' : 'local_irq_disable' }, v);
  return {
    entry: atLoad ? 'local_irq_disable' : 'kvm_arm_vmid_update',
    loadEntry: atLoad ? 'kvm_arm_vmid_update' : undefined,
    states,
    // kvm_vcpu_exit_request() has no VMID check: the per-CPU reservation keeps the VMID valid.
    staleWithIrqsOff: () => false,
    stage2RegOnEntry: () => vttbr_el2.peek(cpu()),
    onPut: (c) => a.active_vmids.at(c).store(a.VMID_ACTIVE_INVALID),
    onLoad: v.vttbrLoad === 'eager' ? (c) => vttbr_el2.at(c).store(make_vttbr(vmPgd(vm), a.idx(id.load()))) : undefined,
    // kvm_init_stage2_mmu(): atomic64_set(&mmu->vmid.id, 0). The old VMID stays marked in vmid_map
    // until the next rollover: vmid.c frees nothing when a VM goes.
    resetVm: () => id.store(0),
  };
}

function reservedSomewhere(a: KvmVmid2022, vmid: number): boolean {
  for (let c = 0; c < a.cpus; c++) if (a.reserved_vmids.peek(c) === vmid) return true;
  return false;
}
